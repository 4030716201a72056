"""Adding a validated bundle to ``leaderboard/submissions/NAME/``: all or nothing."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from embodied_bench.leaderboard.bundle import (
    RUN_FILES,
    SUBMISSION_FILE,
    Bundle,
    check_name,
    validate,
)
from embodied_bench.results.load import load_clips
from embodied_bench.results.records import LEVELS_FILE, PHASES_FILE, VIDEOS, staged_folder

SUBMISSIONS = "submissions"


class SubmitError(ValueError):
    """A submission that cannot be added (one line for users, exit code 2)."""


def interrupted_replacements(submissions: Path) -> list[Path]:
    """Old submissions an interrupted ``--replace`` left aside with nothing in their place."""
    found = []
    for aside in sorted(Path(submissions).glob(".replaced-*")) if Path(submissions).is_dir() else []:
        found += [old for old in aside.iterdir() if not (Path(submissions) / old.name).exists()]
    return found


def _recover(submissions: Path) -> None:
    """Undo what an interrupted submit left: put an old submission back in its place,
    drop half-copied ones."""
    for old in interrupted_replacements(submissions):
        os.rename(old, Path(submissions) / old.name)
    for leftover in [*Path(submissions).glob(".replaced-*"), *Path(submissions).glob(".incoming-*")]:
        shutil.rmtree(leftover, ignore_errors=True)


def submit(bundle_dir: Path, name: str, root: Path, replace: bool = False, min_seeds: int | None = None) -> tuple[Bundle, Path | None]:
    """Validate ``bundle_dir`` and copy it to ``root/submissions/name``. Returns the
    validation and the new folder, or None when the bundle has problems (then nothing is
    written). The copy goes to a temporary folder beside the target and is renamed into
    place, so a crash leaves either the old submission or the new one, never a mix."""
    problem = check_name(name)
    if problem:
        raise SubmitError(problem)
    if not Path(root).is_dir():
        raise SubmitError(f"no leaderboard folder at {root}; run from the embodied-bench checkout or pass --root")
    target = Path(root) / SUBMISSIONS / name
    if target.parent.is_dir():
        _recover(target.parent)
    if target.exists() and not replace:
        raise SubmitError(f"{target} already exists; pass --replace to replace that submission, or choose another --name")
    bundle = validate(bundle_dir, min_seeds)
    if bundle.problems:
        return bundle, None
    with staged_folder(target, f".incoming-{name}-", f".replaced-{name}-") as staging:
        # Only what was validated travels: submission.json and each run's files.
        _copy(Path(bundle_dir) / SUBMISSION_FILE, staging / SUBMISSION_FILE)
        for run in bundle.runs:
            rel = run.folder.relative_to(bundle_dir)
            for fname in (*RUN_FILES, LEVELS_FILE, PHASES_FILE):
                if fname in RUN_FILES or (run.folder / fname).exists():
                    _copy(run.folder / fname, staging / rel / fname)
            clips, _ = load_clips([run.folder])  # the clips its record lists, checked
            for path in sorted({*clips["file"], *clips["poster"]}):
                _copy(Path(path), staging / rel / VIDEOS / Path(path).name)
    return bundle, target


def _copy(src: Path, dst: Path) -> None:
    dst.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(src, dst)
    with open(dst, "rb") as fh:
        os.fsync(fh.fileno())
