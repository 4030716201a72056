"""``compare``: two agents' runs chosen, checked and compared, with their overlaid learning
curves. What ``embodied-bench compare`` prints, computed here so it can be called from
Python."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from embodied_bench.metrics import tables
from embodied_bench.metrics.compare import Comparison, compare_agents
from embodied_bench.metrics.gain import Gain, gains
from embodied_bench.report import figures
from embodied_bench.results.load import load_complete


class CompareError(ValueError):
    """Two selections that cannot be compared (one line for users)."""


@dataclass(frozen=True)
class ComparedRuns:
    result: Comparison
    frame: pd.DataFrame
    """The checked tidy runs of both agents, on the tasks both ran."""
    warnings: list[str]
    figures: dict[str, Path]
    gain: Gain | None = None
    """Where one side ran protocol variants of the other's plain tasks: the gain from the
    phase (``metrics.gain``), on the graded score's normalised AUC."""


def _slug(name: str) -> str:
    return "".join(c if c.isalnum() or c in "-_." else "-" for c in name).strip("-") or "agent"


def select(a: str, b: str, runs: tuple[Path, ...] = ()) -> tuple[pd.DataFrame, str, str, list[str]]:
    """The runs of A and B and their display names: two run folders of one agent each
    (the same agent in both is told apart by its folder), or two agent names inside the
    folders ``runs``."""
    if runs:
        df, notes, _ = load_complete(runs)
        present = set(df["agent"])
        for name in (a, b):
            if name not in present:
                raise CompareError(f"agent {name} has no complete runs in {', '.join(map(str, runs))} (found: {', '.join(sorted(present))})")
        return df[df["agent"].isin([a, b])], a, b, notes
    for arg in (a, b):
        if not Path(arg).is_dir():
            raise CompareError(f"{arg} is not a folder of runs; to compare two agents inside one folder, pass it with --runs")
    if Path(a).resolve() == Path(b).resolve():
        raise CompareError(f"A and B are the same folder ({a}); name two different ones")
    frames, notes = [], []
    for arg in (a, b):
        part, found, _ = load_complete([Path(arg)])
        names = sorted(part["agent"].unique())
        if len(names) > 1:
            raise CompareError(f"{arg} holds runs of several agents ({', '.join(names)}): name two of them and pass the folder with --runs")
        frames.append(part)
        notes += found
    overlap = set(frames[0]["run_dir"]) & set(frames[1]["run_dir"])
    if overlap:
        raise CompareError(f"{a} and {b} share runs (e.g. {sorted(overlap)[0]}): name two folders that do not contain each other")
    name_a, name_b = frames[0]["agent"].iloc[0], frames[1]["agent"].iloc[0]
    if name_a == name_b:  # the same agent in two folders (e.g. before and after a change)
        name_a, name_b = f"{name_a} ({a})", f"{name_b} ({b})"
        frames[0] = frames[0].assign(agent=name_a)
        frames[1] = frames[1].assign(agent=name_b)
    return pd.concat(frames, ignore_index=True), name_a, name_b, notes


def paired_by_plain_task(df: pd.DataFrame, a: str, b: str) -> pd.DataFrame:
    """Where A ran protocol variants (watching, playing) of the plain tasks B ran, or the
    other way round, the runs are paired by the plain task: the comparison is then the
    gain from the phase."""
    if "plain_task" not in df.columns:
        return df
    tasks = {name: set(df.loc[df["agent"] == name, "task"]) for name in (a, b)}
    plains = {name: set(df.loc[df["agent"] == name, "plain_task"]) for name in (a, b)}
    if tasks[a] & tasks[b] or not plains[a] & plains[b]:
        return df
    return df.assign(task=df["plain_task"])


def compare_runs(a: str, b: str, runs: tuple[Path, ...] = (), out: Path | None = None, reps: int = 50_000, confidence: float = 0.95, seed: int = 0) -> ComparedRuns:
    """Is A more sample-efficient than B? The statistics of ``compare_agents`` on the tasks
    both ran, and the overlaid learning curves written to ``out`` (default
    ``compare-A-vs-B``). Raises ``CompareError``, ``tables.MixedRunsError`` or
    ``RecordError`` with one line."""
    df, name_a, name_b, notes = select(a, b, runs)
    if name_a == name_b:
        raise CompareError(f"A and B are the same agent ({name_a}); name two different ones")
    paired = paired_by_plain_task(df, name_a, name_b)
    phase = paired is not df
    df, warnings = tables.check_runs(paired)
    per_run = tables.per_run_table(df)
    result = compare_agents(per_run, name_a, name_b, reps=reps, confidence=confidence, seed=seed)
    gain = None
    if phase:
        # The two sides under one name: gains() pairs the variant's runs with the plain ones.
        found = gains(per_run.assign(agent=f"{name_a} / {name_b}"), reps=reps, confidence=confidence, seed=seed)
        gain = found[0] if len(found) == 1 else None
    out = Path(out) if out is not None else Path(f"compare-{_slug(name_a)}-vs-{_slug(name_b)}")
    sub = df[df["task"].isin(result.tasks)]
    bands = tables.curve_table(sub, reps=min(reps, 5_000), confidence=confidence, seed=seed)
    styles = figures.agent_styles(dict(sub.drop_duplicates("agent").set_index("agent")["privileged"].astype(bool)))
    paths = figures.save(figures.learning_curves(bands, styles, sub, title=f"{name_a} vs {name_b}"), out, "learning-curves")
    return ComparedRuns(result, sub, [*notes, *warnings], paths, gain)
