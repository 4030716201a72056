"""A picture of a task's held-out layouts, a row per difficulty level
(``embodied-bench gallery``): what the levels look like, for the README and the task docs."""

from __future__ import annotations

from typing import Any

from matplotlib.figure import Figure

from embodied_bench.api import TaskSpec
from embodied_bench.harness.episode import first_frame
from embodied_bench.report import figures


def layouts_by_level(spec: TaskSpec, per_level: int) -> dict[str, list[int]]:
    """The first ``per_level`` held-out layouts of each level (one per block of layouts
    that share a level: table-clear's four attempts of one household show one table)."""
    out: dict[str, list[int]] = {}
    for i in range(0, spec.eval_episodes, spec.level_block):
        level = spec.level_of(i) or "held-out layouts"
        chosen = out.setdefault(level, [])
        if len(chosen) < per_level:
            chosen.append(i)
    return out


def _caption(spec: TaskSpec, i: int, info: dict[str, Any]) -> str:
    facts = [f"layout {i}"]
    if "route_jumps" in info:
        facts.append(f"{info['route_jumps']} climb{'s' if info['route_jumps'] != 1 else ''}")
    if "household" in info:
        facts.append(f"held-out household {i // spec.level_block}")
    return ", ".join(facts)


def gallery(spec: TaskSpec, per_level: int = 3, camera: str | None = None) -> Figure:
    """The figure: a row per level (the task's order), ``per_level`` layouts in each."""
    rows = layouts_by_level(spec, per_level)
    cols = max(len(v) for v in rows.values())
    with figures.style():
        fig = Figure(figsize=(3.2 * cols, 2.7 * len(rows) + 0.4), layout="constrained")
        axes = fig.subplots(len(rows), cols, squeeze=False)
        for r, (level, indices) in enumerate(rows.items()):
            for c in range(cols):
                ax = axes[r][c]
                ax.axis("off")
                if c >= len(indices):
                    continue
                frame, info = first_frame(spec, indices[c], camera=camera)
                ax.imshow(frame)
                ax.set_title(_caption(spec, indices[c], info), fontsize=9)
            axes[r][0].text(-0.04, 0.5, level, transform=axes[r][0].transAxes, rotation=90, ha="right", va="center", fontsize=11)
        fig.suptitle(f"{spec.name}: held-out layouts by difficulty level" if spec.levels else f"{spec.name}: held-out layouts")
    return fig
