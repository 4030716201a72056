"""Loading run records into one tidy pandas DataFrame."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pandas as pd

from embodied_bench.api import plain_id, task_name
from embodied_bench.results.records import CURVE_COLUMNS, LEVEL_COLUMNS, LEVELS_FILE, PHASE_COLUMNS, PHASES_FILE, VIDEOS, read_run_json

RUN_COLUMNS: tuple[str, ...] = (
    "task",
    "task_version",
    "task_hash",
    "agent",
    "privileged",
    "seed",
    "status",
    "budget",
    "budget_unit",
    "budget_scale",
    "eval_episodes",
    "eval_reduced",
    "threshold",
    "cost_limit",
    "one_shot",
    "animal_budget",
    "eval_layouts",
    "protocol",
    "plain_task",
    "phase_done",
    "watch_sha256",
    "play_cost",
    "run_dir",
)
"""Per-run columns of ``load_runs``: the run's identity and the protocol it was scored
under (from the task spec its record keeps)."""


class RecordError(ValueError):
    """A run record that cannot be read: the message names the file and what to do."""


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
            if record.get("status") == "complete":  # a finished run always has a curve
                raise RecordError(f"{curve_path}: missing from a complete run; delete the run folder and rerun with --resume")
            continue
        try:
            ident = _identity(record, folder)
        except (KeyError, TypeError, AttributeError) as exc:
            raise RecordError(f"{folder / 'run.json'}: not a run record this version can read (no {exc}); rerun it or leave it out") from None
        try:
            curve = pd.read_csv(curve_path)
        except (OSError, ValueError) as exc:
            raise RecordError(f"{curve_path}: cannot be read as a curve ({exc}); rerun the run or leave it out") from None
        missing = [c for c in ("checkpoint", "budget_used", "eval_success") if c not in curve.columns]
        if missing:
            raise RecordError(f"{curve_path}: missing columns {', '.join(missing)}; rerun the run or leave it out")
        if curve.empty and record.get("status") == "complete":
            raise RecordError(f"{curve_path}: a complete run with no checkpoint; delete the run folder and rerun with --resume")
        for col, value in reversed(ident.items()):
            curve.insert(0, col, value)
        frames.append(curve)
    if not frames:
        return pd.DataFrame(columns=[*RUN_COLUMNS, *CURVE_COLUMNS])
    df = pd.concat(frames, ignore_index=True)
    return df.sort_values(["task", "agent", "seed", "checkpoint"], kind="stable").reset_index(drop=True)


def load_levels(run_dirs: Iterable[str | Path]) -> pd.DataFrame:
    """One row per (run, checkpoint, level) for the runs in ``run_dirs`` whose task has
    difficulty levels: ``task``, ``agent``, ``privileged``, ``seed``, ``run_dir`` and the
    columns of ``levels.csv`` (``LEVEL_COLUMNS``); empty when no run has levels."""
    frames = []
    for folder in run_dirs:
        folder = Path(folder)
        path = folder / LEVELS_FILE
        record = read_run_json(folder)
        if record is None or not path.is_file():
            continue
        try:
            levels = pd.read_csv(path, dtype={"level": str})
        except (OSError, ValueError) as exc:
            raise RecordError(f"{path}: cannot be read ({exc}); rerun the run or leave it out") from None
        missing = [c for c in LEVEL_COLUMNS if c not in levels.columns]
        if missing:
            raise RecordError(f"{path}: missing columns {', '.join(missing)}; rerun the run or leave it out")
        ident = _identity(record, folder)
        for col in ("run_dir", "seed", "privileged", "agent", "task"):
            levels.insert(0, col, ident[col])
        frames.append(levels)
    if not frames:
        return pd.DataFrame(columns=["task", "agent", "privileged", "seed", "run_dir", *LEVEL_COLUMNS])
    return pd.concat(frames, ignore_index=True).sort_values(["task", "agent", "seed", "checkpoint"], kind="stable").reset_index(drop=True)


def load_adapt_runs(run_dirs: Iterable[str | Path]) -> tuple[list[dict[str, Any]], dict[tuple, pd.DataFrame]]:
    """The complete adapt runs among ``run_dirs`` (each a dict of ``task``, ``agent``,
    ``seed``, ``run_dir``, ``spec``, ``layouts``, ``phases``: its ``phases.csv``,
    ``curve``: its ``curve.csv``), and the curves of the single-world references among
    them, by ``metrics.adaptation.reference_key`` (``metrics.adaptation`` reads both).
    ``RecordError`` for a file that cannot be read or was changed after its run, and for
    two references of one key."""
    import hashlib

    from embodied_bench.api import TaskSpec
    from embodied_bench.metrics.adaptation import reference_key

    runs: list[dict[str, Any]] = []
    references: dict[tuple, pd.DataFrame] = {}
    seen: dict[tuple, Path] = {}
    for folder in run_dirs:
        folder = Path(folder)
        record = read_run_json(folder)
        if record is None or record.get("status") != "complete":
            continue
        spec_dict = record["task"].get("spec") or {}
        if spec_dict.get("protocol") != "adapt":
            continue
        ident = _identity(record, folder)
        try:
            spec = TaskSpec.from_dict(spec_dict)
            curve = pd.read_csv(folder / "curve.csv")
        except (OSError, ValueError, TypeError, KeyError) as exc:
            raise RecordError(f"{folder}: an adapt run this version cannot read ({exc}); rerun it or leave it out") from None
        key = (ident["task"], ident["agent"], int(ident["seed"]))
        if len(spec.phases) == 1:
            ref = reference_key(*key, spec.budget, spec.eval_every, spec.eval_episodes, ident["eval_layouts"])
            if ref in seen:
                raise RecordError(f"{folder}: the same reference run as {seen[ref]} (task, agent, seed and protocol); pass each run once")
            seen[ref] = folder
            references[ref] = curve
            continue
        path = folder / PHASES_FILE
        try:
            text = path.read_text(encoding="utf-8")
            phases = pd.read_csv(path, dtype={"change": str}, keep_default_na=False)
        except (OSError, ValueError) as exc:
            raise RecordError(f"{path}: cannot be read ({exc}); rerun the run or leave it out") from None
        if record.get("phases_sha256") not in (None, hashlib.sha256(text.encode()).hexdigest()):
            raise RecordError(f"{path}: its sha256 does not match phases_sha256 in run.json: the file was changed after the run; rerun it or leave it out")
        missing = [c for c in PHASE_COLUMNS if c not in phases.columns]
        if missing:
            raise RecordError(f"{path}: missing columns {', '.join(missing)}; rerun the run or leave it out")
        runs.append({"task": key[0], "agent": key[1], "seed": key[2], "run_dir": str(folder), "spec": spec, "layouts": ident["eval_layouts"], "phases": phases, "curve": curve})
    return runs, references


def _identity(record: dict, folder: Path) -> dict:
    spec = record["task"].get("spec") or {}
    return {
        "task": task_name(record["task"]["id"], record["task"]["version"]),
        "task_version": record["task"]["version"],
        "task_hash": record["task"].get("hash"),
        "agent": record["agent"]["name"],
        "privileged": bool(record["agent"].get("privileged", False)),
        "seed": record["seed"],
        "status": record["status"],
        "budget": record["budget"]["amount"],
        "budget_unit": record["budget"]["unit"],
        "budget_scale": record["budget"].get("scale", 1.0),
        "eval_episodes": record["budget"].get("eval_episodes", spec.get("eval_episodes")),
        "eval_reduced": bool(record["budget"].get("eval_reduced", False)),
        "threshold": spec.get("threshold", float("nan")),
        "cost_limit": spec.get("cost_limit", float("nan")),
        "one_shot": bool(spec.get("one_shot", False)),
        "animal_budget": (spec.get("reference") or {}).get("animal_budget", float("nan")),
        "eval_layouts": eval_layouts(record),
        "protocol": spec.get("protocol", ""),
        "plain_task": task_name(plain_id(str(record["task"]["id"]), spec.get("protocol") or ""), record["task"]["version"]),
        # Whether the agent watched or played (True on a plain task), and what it watched.
        "phase_done": bool(record["watch"].get("watched", True) if record.get("watch") else record["play"].get("played", True) if record.get("play") else True),
        "watch_sha256": (record.get("watch") or {}).get("sha256") or "",
        "play_cost": float(record["play"]["cost"]) if record.get("play") else float("nan"),
        "run_dir": str(folder),
    }


def eval_layouts(record: dict) -> str:
    """Which evaluation layouts a run was scored on: ``"public"``, or ``"hidden:<first 12
    hex digits of the salt's id>"`` (records from before hidden layouts existed: public)."""
    evaluation = record.get("evaluation") or {}
    if evaluation.get("layouts", "public") == "public":
        return "public"
    return f"hidden:{str(evaluation.get('salt_id'))[:12]}"


def run_statuses(paths: Iterable[str | Path]) -> dict[str, int]:
    """How many run records below ``paths`` have each status (``unreadable`` for a
    ``run.json`` that is not a record)."""
    counts: dict[str, int] = {}
    for folder in find_run_dirs(paths):
        record = read_run_json(folder)
        status = str(record.get("status")) if record is not None else "unreadable"
        counts[status] = counts.get(status, 0) + 1
    return counts


def provenance_table(run_dirs: Iterable[str | Path]) -> pd.DataFrame:
    """Where the runs came from, per task and agent: runs, task version and hash, agent
    source hash, embodied-bench version and git revision (each distinct value listed)."""
    rows = []
    for folder in run_dirs:
        record = read_run_json(Path(folder)) or {}
        task, agent = record.get("task") or {}, record.get("agent") or {}
        rows.append(
            {
                "task": task_name(task.get("id"), task.get("version")),
                "version": task.get("version"),
                "agent": agent.get("name"),
                "seed": record.get("seed"),
                "task hash": (task.get("hash") or "")[:12],
                "agent source": (agent.get("source_hash") or "")[:12],
                "embodied-bench": (record.get("versions") or {}).get("embodied-bench"),
                "git": _short_revision(record.get("git")),
            }
        )
    if not rows:
        return pd.DataFrame()
    df = pd.DataFrame(rows)

    def distinct(s: pd.Series) -> str:
        return ", ".join(sorted({str(v) for v in s if v is not None and v == v})) or "–"

    return (
        df.groupby(["task", "version", "agent"], sort=True)
        .agg(runs=("seed", "size"), **{c: (c, distinct) for c in ("task hash", "agent source", "embodied-bench", "git")})
        .reset_index()
    )


def _short_revision(rev: str | None) -> str | None:
    if not rev:
        return None
    commit, plus, rest = rev.partition("+")
    return commit[:12] + plus + rest


def load_complete(dirs: Iterable[str | Path]) -> tuple[pd.DataFrame, list[str], list[Path]]:
    """The complete runs below ``dirs`` as one frame, notes about the runs left out, and
    the run folders used. ``RecordError`` (one line) when a record cannot be read or no
    run below ``dirs`` is complete."""
    dirs = [Path(d) for d in dirs]
    df = load_runs(dirs)
    statuses = run_statuses(dirs)
    if df.empty:
        found = ", ".join(f"{n} {s}" for s, n in sorted(statuses.items())) or "no run records"
        raise RecordError(f"no complete runs below {', '.join(map(str, dirs))} ({found}); point at the --out folder of `embodied-bench run`")
    left = {s: n for s, n in statuses.items() if s != "complete"}
    notes = [f"{sum(left.values())} runs left out because they are not complete ({', '.join(f'{n} {s}' for s, n in sorted(left.items()))})"] if left else []
    return df, notes, sorted({Path(d) for d in df["run_dir"]})


CLIP_COLUMNS: tuple[str, ...] = ("task", "agent", "privileged", "seed", "run_dir", "budget_unit", "checkpoint", "budget_used", "layout", "file", "poster", "frames", "fps", "sha256")


def load_clips(run_dirs: Iterable[str | Path]) -> tuple[pd.DataFrame, list[str]]:
    """The clips the runs in ``run_dirs`` recorded (``run --record-video``), one row each
    (``CLIP_COLUMNS``; ``file`` and ``poster`` as full paths), and notes on clips left
    out: an entry that is malformed or names a file outside its run's ``videos/``, or a
    clip or poster missing or changed since its run hashed it."""
    rows, notes = [], []
    for folder in run_dirs:
        folder = Path(folder)
        record = read_run_json(folder) or {}
        video = record.get("video") if isinstance(record.get("video"), dict) else {}
        clips = video.get("clips") if isinstance(video.get("clips"), list) else []
        for clip in clips:
            entry = _clip_entry(folder, clip)
            if isinstance(entry, str):
                notes.append(f"{folder / 'run.json'}: {entry}; that clip is left out")
                continue
            ident = _identity(record, folder)
            rows.append({**{k: ident[k] for k in ("task", "agent", "privileged", "seed", "run_dir", "budget_unit")}, **entry})
    frame = pd.DataFrame(rows, columns=list(CLIP_COLUMNS))
    return frame.sort_values(["task", "agent", "seed", "checkpoint", "layout"], kind="stable").reset_index(drop=True), notes


def _clip_entry(folder: Path, clip: Any) -> dict[str, Any] | str:
    """One clip of a record, checked (a dict), or why it cannot be used (a string)."""
    if not isinstance(clip, dict):
        return "a clip entry that is not an object"
    try:
        checkpoint, layout, budget_used = int(clip["checkpoint"]), int(clip["layout"]), int(clip["budget_used"])
        frames, fps = int(clip["frames"]), float(clip["fps"])
        names = {key: str(clip[key]) for key in ("file", "poster")}
        hashes = {"file": str(clip["sha256"]), "poster": str(clip["poster_sha256"])}
    except (KeyError, TypeError, ValueError) as exc:
        return f"a clip entry without a valid {exc}"
    videos = (folder / VIDEOS).resolve()
    paths = {}
    for key, name in names.items():
        path = (folder / name).resolve()
        if Path(name).is_absolute() or path.parent != videos:
            return f"clip {key} {name!r} is not a file of the run's {VIDEOS}/ folder"
        try:
            if hashlib.sha256(path.read_bytes()).hexdigest() != hashes[key]:
                return f"{path} changed since its run recorded it"
        except OSError:
            return f"{path} is missing"
        paths[key] = str(path)
    return {"checkpoint": checkpoint, "budget_used": budget_used, "layout": layout, "file": paths["file"], "poster": paths["poster"], "frames": frames, "fps": fps, "sha256": hashes["file"]}
