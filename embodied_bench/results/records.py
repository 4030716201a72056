"""Run records on disk: one folder per (task, agent, seed) holding ``curve.csv`` (one row
per checkpoint) and ``run.json`` (status and provenance). Every write is atomic: a temp
file in the same folder, flushed, then renamed over the target."""

from __future__ import annotations

import csv
import functools
import io
import json
import os
import tempfile
from pathlib import Path
from typing import Any, Iterable

SCHEMA_VERSION = 1

CURVE_COLUMNS: tuple[str, ...] = (
    "checkpoint",
    "budget_used",
    "env_steps",
    "train_episodes",
    "train_cost",
    "eval_success",
    "eval_partial",
    "eval_return",
    "eval_cost",
    "eval_length",
    "wall_seconds",
)
"""``curve.csv`` columns. ``budget_used`` is in the task's budget unit (env steps or
practice episodes); ``eval_*`` are means over the held-out evaluation episodes
(``eval_partial``: the task's partial credit, ``info["partial"]`` at the episode's end,
e.g. the fraction of items placed right, or the success itself where a task has none);
``train_cost`` is cumulative. Only ``wall_seconds`` differs between identical runs."""

WALL_COLUMNS: tuple[str, ...] = ("wall_seconds",)

STATUSES = ("running", "complete", "failed", "interrupted")


def run_dir(out: Path, task_id: str, agent_name: str, seed: int) -> Path:
    return Path(out) / task_id / agent_name / f"seed-{seed}"


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


def curve_text(rows: Iterable[dict[str, Any]]) -> str:
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=CURVE_COLUMNS, lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: _fmt(row[k]) for k in CURVE_COLUMNS})
    return buf.getvalue()


def _fmt(value: Any) -> str:
    if isinstance(value, float):
        return repr(value)  # shortest exact round-trip form
    return str(value)


def write_curve(folder: Path, rows: list[dict[str, Any]]) -> str:
    text = curve_text(rows)
    atomic_write_text(Path(folder) / "curve.csv", text)
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
