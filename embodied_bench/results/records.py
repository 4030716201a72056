"""Run records on disk: one folder per (task, agent, seed) holding ``curve.csv`` (one row
per checkpoint) and ``run.json`` (status and provenance). Every write is atomic: a temp
file in the same folder, flushed, then renamed over the target."""

from __future__ import annotations

import contextlib
import csv
import functools
import io
import json
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Iterable

SCHEMA_VERSION = 1

EVAL_COLUMNS: tuple[str, ...] = ("eval_success", "eval_partial", "eval_return", "eval_cost", "eval_length")
"""What an evaluation measures, as means over its episodes: success rate, graded score,
return, guardrail cost, length."""

CURVE_COLUMNS: tuple[str, ...] = ("checkpoint", "budget_used", "env_steps", "train_episodes", "train_cost", *EVAL_COLUMNS, "wall_seconds")
"""``curve.csv`` columns. ``budget_used`` is in the task's budget unit (env steps or
practice episodes); ``eval_*`` are means over the held-out evaluation episodes
(``eval_partial``: the task's partial credit, ``info["partial"]`` at the episode's end,
e.g. the fraction of items placed right, or the success itself where a task has none);
``train_cost`` is cumulative. Only ``wall_seconds`` differs between identical runs."""

WALL_COLUMNS: tuple[str, ...] = ("wall_seconds",)

LEVELS_FILE = "levels.csv"
LEVEL_COLUMNS: tuple[str, ...] = ("checkpoint", "budget_used", "level", "episodes", *EVAL_COLUMNS)
"""``levels.csv`` (tasks with difficulty levels): one row per (checkpoint, level), the
means over that level's held-out layouts."""

PHASES_FILE = "phases.csv"
PHASE_COLUMNS: tuple[str, ...] = ("checkpoint", "budget_used", "env_steps", "phase", "change", "current", *EVAL_COLUMNS)
"""``phases.csv`` (adapt variants): one row per (checkpoint, phase evaluated): the phase
the checkpoint belongs to (``current`` 1; its numbers are the curve's) and every earlier
one (``current`` 0), the means over that phase's world's held-out layouts."""

STATUSES = ("running", "complete", "failed", "interrupted")


def run_dir(out: Path, task: str, agent_name: str, seed: int) -> Path:
    """``OUT/<task>@v<N>/<agent>/seed-<k>/`` (``task``: the versioned name)."""
    return Path(out) / task / agent_name / f"seed-{seed}"


@functools.cache
def _umask() -> int:
    umask = os.umask(0)
    os.umask(umask)
    return umask


def _file_mode() -> int:
    # mkstemp creates 0600 files; records should be as readable as any file the user makes.
    return 0o666 & ~_umask()


def folder_mode() -> int:
    """The mode of a folder the user makes (``mkdtemp`` makes 0700 ones)."""
    return 0o777 & ~_umask()


def atomic_write_bytes(path: Path, data: bytes) -> None:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        os.fchmod(fd, _file_mode())
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise


def atomic_write_text(path: Path, text: str) -> None:
    atomic_write_bytes(path, text.encode("utf-8"))


def swap_in(staged: Path, target: Path, aside_prefix: str) -> None:
    """Make the finished folder ``staged`` (beside ``target``) the new ``target``: the old
    one is renamed into a folder ``aside_prefix*`` first and removed after, so a crash at
    any point leaves the old folder or the new one in place, never a mix (an interrupted
    swap leaves the old one aside, findable by the prefix)."""
    staged, target = Path(staged), Path(target)
    aside = None
    try:
        if target.exists():
            aside = Path(tempfile.mkdtemp(prefix=aside_prefix, dir=target.parent))
            os.rename(target, aside / target.name)
        os.rename(staged, target)
    except BaseException:
        if aside is not None and (aside / target.name).exists() and not target.exists():
            os.rename(aside / target.name, target)  # put the old one back
        raise
    if aside is not None:
        shutil.rmtree(aside, ignore_errors=True)


@contextlib.contextmanager
def staged_folder(target: Path, staging_prefix: str, aside_prefix: str) -> Iterator[Path]:
    """A new folder beside ``target`` to fill; when the block ends it replaces ``target``
    (``swap_in``). When the block raises, the staged folder is removed and ``target`` is
    untouched: a folder is never half replaced."""
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=staging_prefix, dir=target.parent))
    try:
        os.chmod(staging, folder_mode())  # mkdtemp's 0700 would stick to the folder
        yield staging
        swap_in(staging, target, aside_prefix)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise


def curve_text(rows: Iterable[dict[str, Any]], columns: tuple[str, ...] = CURVE_COLUMNS) -> str:
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=columns, lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: _fmt(row[k]) for k in columns})
    return buf.getvalue()


def _fmt(value: Any) -> str:
    if isinstance(value, float):
        return repr(value)  # shortest exact round-trip form
    return str(value)


def write_curve(folder: Path, rows: list[dict[str, Any]]) -> str:
    text = curve_text(rows)
    atomic_write_text(Path(folder) / "curve.csv", text)
    return text


VIDEOS = "videos"
"""The folder of a run's clips (``run --record-video``)."""


def clear_outputs(folder: Path) -> None:
    """Remove what an earlier attempt of a run left in its folder (the curve, per-level
    results, clips) before it runs again: a record never sits beside another run's files."""
    folder = Path(folder)
    for name in ("curve.csv", LEVELS_FILE, PHASES_FILE):
        (folder / name).unlink(missing_ok=True)
    shutil.rmtree(folder / VIDEOS, ignore_errors=True)


def write_levels(folder: Path, rows: list[dict[str, Any]]) -> str:
    text = curve_text(rows, LEVEL_COLUMNS)
    atomic_write_text(Path(folder) / LEVELS_FILE, text)
    return text


def write_phases(folder: Path, rows: list[dict[str, Any]]) -> str:
    text = curve_text(rows, PHASE_COLUMNS)
    atomic_write_text(Path(folder) / PHASES_FILE, text)
    return text


def write_run_json(folder: Path, record: dict[str, Any]) -> None:
    atomic_write_text(Path(folder) / "run.json", json.dumps(record, indent=2, sort_keys=True) + "\n")


def read_run_json(folder: Path) -> dict[str, Any] | None:
    """The record in ``folder``, or None when there is none or it cannot be read as one
    (not JSON, not UTF-8, not an object)."""
    try:
        record = json.loads((Path(folder) / "run.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):  # missing, unreadable, not UTF-8, not JSON
        return None
    return record if isinstance(record, dict) else None
