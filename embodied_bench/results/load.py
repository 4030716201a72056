"""Loading run records into one tidy pandas DataFrame."""

from __future__ import annotations

from pathlib import Path
from typing import Iterable

import pandas as pd

from embodied_bench.results.records import CURVE_COLUMNS, read_run_json

RUN_COLUMNS: tuple[str, ...] = ("task", "task_version", "agent", "privileged", "seed", "status", "budget", "budget_unit", "run_dir")


def find_run_dirs(paths: Iterable[str | Path]) -> list[Path]:
    """Every folder holding a ``run.json`` at or below each path, sorted."""
    found: set[Path] = set()
    for p in paths:
        p = Path(p)
        if not p.exists():
            raise FileNotFoundError(f"{p} does not exist")
        if (p / "run.json").is_file():
            found.add(p)
        found.update(f.parent for f in p.rglob("run.json"))
    return sorted(found)


def load_runs(paths: Iterable[str | Path], statuses: tuple[str, ...] | None = ("complete",)) -> pd.DataFrame:
    """One row per (run, checkpoint): the run's identity columns (``RUN_COLUMNS``) followed
    by the curve columns (``CURVE_COLUMNS``). Only runs whose status is in ``statuses`` are
    kept (all runs when None); a run without a curve contributes no rows."""
    frames = []
    for folder in find_run_dirs(paths):
        record = read_run_json(folder)
        if record is None or (statuses is not None and record.get("status") not in statuses):
            continue
        curve_path = folder / "curve.csv"
        if not curve_path.is_file():
            continue
        curve = pd.read_csv(curve_path)
        ident = {
            "task": record["task"]["id"],
            "task_version": record["task"]["version"],
            "agent": record["agent"]["name"],
            "privileged": bool(record["agent"].get("privileged", False)),
            "seed": record["seed"],
            "status": record["status"],
            "budget": record["budget"]["amount"],
            "budget_unit": record["budget"]["unit"],
            "run_dir": str(folder),
        }
        for col, value in reversed(ident.items()):
            curve.insert(0, col, value)
        frames.append(curve)
    if not frames:
        return pd.DataFrame(columns=[*RUN_COLUMNS, *CURVE_COLUMNS])
    df = pd.concat(frames, ignore_index=True)
    return df.sort_values(["task", "agent", "seed", "checkpoint"], kind="stable").reset_index(drop=True)
