"""Reference folders: the runs ``regress --update`` makes, swapped in per (task, agent),
and ``manifest.json``, which says what was made, how, and how long each run took."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

from embodied_bench.registry import TASKS
from embodied_bench.results import provenance
from embodied_bench.results.records import atomic_write_text, read_run_json, swap_in

MANIFEST = "manifest.json"
"""In a reference folder: what was made (task -> agent name -> agent ref), the CI budgets
and seeds, time per run, and the last update's versions."""


def read_manifest(reference: Path) -> dict[str, Any]:
    """The manifest of a reference folder ({} when it has none); ValueError when unreadable."""
    path = Path(reference) / MANIFEST
    if not path.is_file():
        return {}
    try:
        return json.loads(path.read_text())
    except json.JSONDecodeError as exc:
        raise ValueError(f"{path}: not valid JSON ({exc}); restore it from version control or rerun `embodied-bench regress --update`") from None


def update_references(reference: Path, staged: Path, pairs: list[tuple[str, str, str]], failed: set[tuple[str, str]], seeds: tuple[int, ...], wall: float) -> None:
    """Swap each (task, agent) folder of ``staged`` whose runs all completed into
    ``reference`` (``swap_in``: a crash leaves the old runs or the new ones), and record
    what was made, how, and how long it took in ``reference/manifest.json``."""
    manifest = read_manifest(reference)
    timings = manifest.get("run_seconds", {})
    made = manifest.get("made", {})
    budgets = manifest.get("ci_budgets", {})
    for task, agent, ref in pairs:
        if (task, agent) in failed:
            continue
        made.setdefault(task, {})[agent] = ref
        old = Path(reference) / task / agent
        old.parent.mkdir(parents=True, exist_ok=True)
        swap_in(Path(staged) / task / agent, old, f".{agent}.old-")
        times = [(read_run_json(old / f"seed-{s}") or {}).get("wall_seconds") or 0.0 for s in seeds]
        timings[f"{task}/{agent}"] = round(sum(times) / len(times), 1)
        budgets[task] = dataclasses.asdict(TASKS.get(task).ci_budget)
    manifest.update(
        {
            "command": "embodied-bench regress --update",
            "seeds": list(seeds),
            "ci_budgets": dict(sorted(budgets.items())),
            "made": {t: dict(sorted(a.items())) for t, a in sorted(made.items())},
            "run_seconds": dict(sorted(timings.items())),
            "last_update": {"pairs": [f"{t}/{a}" for t, a, _ in pairs if (t, a) not in failed], "wall_seconds": round(wall, 1), "versions": provenance.versions(), "git": provenance.git_revision()},
        }
    )
    atomic_write_text(Path(reference) / MANIFEST, json.dumps(manifest, indent=2, sort_keys=True) + "\n")
