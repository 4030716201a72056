"""A submission bundle: a folder of run records from ``embodied-bench run`` plus the
``submission.json`` its authors write. ``validate`` checks everything a maintainer would
and lists every problem, one line each, naming the file.

Two layers of checks:

* integrity (``read_bundle``): the metadata parses; every run is complete, where its record
  says it belongs, its curve is the one its record hashed, every value is a number, no
  checkpoint is missing, the ledger stayed within the budget; one agent, one set of
  evaluation layouts, no seed twice. The leaderboard applies these to every committed
  submission each time it is regenerated.
* against this installation (``validate``, for a new submission): the suite exists and
  every one of its tasks has runs at the installed task version and code (asset hash);
  official suites need the full protocol (every task's budget and held-out layouts) and at
  least ``OFFICIAL_MIN_SEEDS`` seeds per task.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from collections.abc import Iterable
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from embodied_bench.api import TaskSpec, task_name
from embodied_bench.registry import OFFICIAL_MIN_SEEDS, OFFICIAL_SUITES, SUITES, TASKS
from embodied_bench.results import provenance
from embodied_bench.results.load import eval_layouts
from embodied_bench.results.records import CURVE_COLUMNS, LEVEL_COLUMNS, LEVELS_FILE, PHASE_COLUMNS, PHASES_FILE, VIDEOS, read_run_json

SUBMISSION_FILE = "submission.json"
RUN_FILES = ("run.json", "curve.csv")
ALLOWED_FILES = (*RUN_FILES, LEVELS_FILE, PHASES_FILE)
"""The run files a bundle may hold: ``levels.csv`` too, for a task with difficulty levels,
and ``phases.csv`` for an adapt variant."""
CATEGORIES = ("from-scratch", "demonstrations", "pretrained")
"""What an agent brought to the tasks: nothing but the budget, demonstrations beyond the
tasks' own, or pretrained weights or models."""
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")


class UsageError(ValueError):
    """A request that cannot be checked at all (one line for users, exit code 2)."""


@dataclass(frozen=True)
class SubmissionMeta:
    """``submission.json``: what the authors say about their submission. Everything else
    (agent source hash, task versions and asset hashes, library versions, budgets, curve
    hashes) comes from the run records."""

    name: str
    """Display name of the agent on the leaderboard."""
    authors: tuple[str, ...]
    """Who made it, one name per entry (at least one)."""
    url: str
    """Where to read more (paper, code): an http(s) address."""
    description: str
    """What the agent is, in a sentence or a paragraph."""
    suite: str
    """The suite the runs cover, e.g. ``ett-core-v0`` (see ``embodied-bench suites``)."""
    privileged: bool
    """Whether the agent used anything beyond what the harness gives ordinary agents
    (the layout, the simulator). Privileged entries are shown as references, never ranked."""
    category: str
    """One of ``CATEGORIES``."""
    hardware: str
    """What the runs ran on, e.g. "2 CPU cores" or "1 A100, 8 cores"."""

    def to_dict(self) -> dict[str, Any]:
        return {f.name: list(v) if isinstance(v := getattr(self, f.name), tuple) else v for f in fields(self)}


def check_name(name: str) -> str | None:
    """Why ``name`` is not a safe leaderboard folder name (None when it is)."""
    if not _NAME.fullmatch(name):
        return f"--name {name!r} is not a safe folder name: use 1-64 letters, digits, '.', '_' or '-', starting with a letter or digit"
    return None


def read_meta(path: Path) -> tuple[SubmissionMeta | None, list[str]]:
    """The metadata in ``path`` and the problems found in it."""
    where = str(path)
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None, [f"{where}: missing; write it next to the run folders (fields: {', '.join(f.name for f in fields(SubmissionMeta))})"]
    except (OSError, UnicodeDecodeError) as exc:
        return None, [f"{where}: cannot be read ({exc})"]
    except ValueError as exc:
        return None, [f"{where}: not valid JSON ({exc})"]
    if not isinstance(data, dict):
        return None, [f"{where}: must hold a JSON object, not {type(data).__name__}"]
    problems = []
    names = [f.name for f in fields(SubmissionMeta)]
    for key in sorted(set(data) - set(names)):
        problems.append(f"{where}: unknown field {key!r} (fields: {', '.join(names)})")
    for key in names:
        if key not in data:
            problems.append(f"{where}: field {key!r} is missing")

    def text(key: str) -> None:
        if key in data and not (isinstance(data[key], str) and data[key].strip()):
            problems.append(f"{where}: {key!r} must be a non-empty string")

    for key in ("name", "description", "suite", "hardware", "url"):
        text(key)
    name = data.get("name")
    if isinstance(name, str) and (len(name.strip()) > 80 or not name.isprintable()):
        problems.append(f"{where}: 'name' must be one line of at most 80 printable characters")
    url = data.get("url")
    if isinstance(url, str) and url.strip() and not re.match(r"https?://\S+$", url.strip()):
        problems.append(f"{where}: 'url' must be an http:// or https:// address, got {url!r}")
    authors = data.get("authors")
    if "authors" in data and not (isinstance(authors, list) and authors and all(isinstance(a, str) and a.strip() for a in authors)):
        problems.append(f"{where}: 'authors' must be a non-empty list of names")
    if "privileged" in data and not isinstance(data["privileged"], bool):
        problems.append(f"{where}: 'privileged' must be true or false")
    if "category" in data and data["category"] not in CATEGORIES:
        problems.append(f"{where}: 'category' must be one of {', '.join(CATEGORIES)}, got {data['category']!r}")
    if problems:
        return None, problems
    meta = SubmissionMeta(
        name=data["name"].strip(),
        authors=tuple(a.strip() for a in authors),
        url=url.strip(),
        description=data["description"].strip(),
        suite=data["suite"].strip(),
        privileged=data["privileged"],
        category=data["category"],
        hardware=data["hardware"].strip(),
    )
    return meta, []


@dataclass
class Run:
    """One checked run of a bundle."""

    folder: Path
    record: dict[str, Any]
    curve: pd.DataFrame

    @property
    def task(self) -> str:
        """The versioned task name, ``"treat-reach@v0"``."""
        return task_name(self.record["task"]["id"], self.record["task"]["version"])

    @property
    def seed(self) -> int:
        return int(self.record["seed"])


@dataclass
class Bundle:
    """What ``read_bundle`` found: the metadata, the runs that passed the run checks, and
    every problem."""

    root: Path
    meta: SubmissionMeta | None
    runs: list[Run] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    @property
    def agent(self) -> str | None:
        names = sorted({r.record["agent"]["name"] for r in self.runs})
        return names[0] if len(names) == 1 else None

    @property
    def layouts(self) -> str:
        sets = sorted({eval_layouts(r.record) for r in self.runs})
        return sets[0] if sets else "public"


def _run_dirs(root: Path) -> list[Path]:
    return sorted({p.parent for p in root.rglob("*") if p.name in RUN_FILES and p.is_file()})


def _is_int(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _is_num(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)


_HEX64 = re.compile(r"[0-9a-f]{64}")


def _structure(record: dict[str, Any]) -> tuple[TaskSpec | None, str | None]:
    """The record's task spec, or the first field that is missing or of the wrong type."""
    task, agent, budget, ledger = (record.get(k) for k in ("task", "agent", "budget", "ledger"))
    for name, value in (("task", task), ("agent", agent), ("budget", budget), ("ledger", ledger)):
        if not isinstance(value, dict):
            return None, f"field {name!r} is missing or not an object"
    checks = (
        ("task.id", isinstance(task.get("id"), str) and re.fullmatch(r"[a-z0-9][a-z0-9-]*", task["id"]) is not None, "a task name"),
        ("task.version", _is_int(task.get("version")), "an integer"),
        ("task.hash", isinstance(task.get("hash"), str), "a string"),
        ("agent.name", isinstance(agent.get("name"), str) and _NAME.fullmatch(agent["name"]) is not None, "a name"),
        ("agent.privileged", isinstance(agent.get("privileged"), bool), "true or false"),
        ("seed", _is_int(record.get("seed")) and record["seed"] >= 0, "a non-negative integer"),
        ("status", isinstance(record.get("status"), str), "a string"),
        ("curve_sha256", isinstance(record.get("curve_sha256"), str), "a string"),
        ("budget.amount", _is_int(budget.get("amount")), "an integer"),
        ("budget.eval_every", _is_int(budget.get("eval_every")), "an integer"),
        ("budget.eval_episodes", _is_int(budget.get("eval_episodes")), "an integer"),
        ("budget.scale", _is_num(budget.get("scale", 1.0)) and budget.get("scale", 1.0) > 0, "a positive number"),
        ("budget.eval_reduced", isinstance(budget.get("eval_reduced", False), bool), "true or false"),
        ("ledger.env_steps", _is_int(ledger.get("env_steps")) and ledger["env_steps"] >= 0, "a non-negative integer"),
        ("ledger.budget_used", _is_num(ledger.get("budget_used")) and ledger["budget_used"] >= 0, "a non-negative number"),
        ("ledger.train_cost", _is_num(ledger.get("train_cost")) and ledger["train_cost"] >= 0, "a non-negative number"),
    )
    for name, ok, what in checks:
        if not ok:
            return None, f"field {name!r} is missing or not {what}"
    evaluation = record.get("evaluation", {"layouts": "public", "salt_id": None})
    if evaluation not in ({"layouts": "public", "salt_id": None},) and not (
        isinstance(evaluation, dict) and evaluation.get("layouts") == "hidden" and set(evaluation) == {"layouts", "salt_id"} and isinstance(evaluation.get("salt_id"), str) and _HEX64.fullmatch(evaluation["salt_id"])
    ):
        return None, "field 'evaluation' must be {\"layouts\": \"public\", \"salt_id\": null} or hidden layouts with a 64-hex salt_id"
    try:
        spec = TaskSpec.from_dict(task.get("spec"))
    except (TypeError, ValueError, KeyError, AttributeError, OverflowError) as exc:
        return None, f"field 'task.spec' is not a task spec ({exc})"
    mismatch = [
        f"{name} {mine!r} (its spec says {theirs!r})"
        for name, mine, theirs in (
            ("task.id", task["id"], spec.id),
            ("task.version", task["version"], spec.version),
            ("budget.amount", budget["amount"], spec.budget),
            ("budget.unit", budget.get("unit"), spec.budget_unit),
            ("budget.eval_every", budget["eval_every"], spec.eval_every),
            ("budget.eval_episodes", budget["eval_episodes"], spec.eval_episodes),
        )
        if mine != theirs
    ]
    if mismatch:
        return None, "disagrees with its own task spec: " + ", ".join(mismatch)
    return spec, None


def spec_problem(record: dict[str, Any]) -> str | None:
    """How the task spec a run recorded differs from this installation's spec at the
    run's budget scale and number of evaluation layouts (None: it does not). Thresholds,
    reference budgets and cost limits are read from records, so a record must not move
    them. Only meaningful for runs of the installed task version."""
    import dataclasses

    made = TaskSpec.from_dict(record["task"]["spec"])
    budget = record["budget"]
    try:
        expected = TASKS.get(made.name).spec.scaled(float(budget.get("scale", 1.0)))
    except (LookupError, ValueError) as exc:
        return f"its task cannot be checked here ({exc})"
    if budget.get("eval_reduced"):
        if not 0 < budget["eval_episodes"] < expected.eval_episodes:
            return f"budget.eval_reduced is set, but {budget['eval_episodes']} layouts is not fewer than the task's {expected.eval_episodes}"
        expected = dataclasses.replace(expected, eval_episodes=budget["eval_episodes"])
    if made == expected:
        return None
    ours, theirs = expected.to_dict(), made.to_dict()
    fields_ = [f"{k} {theirs[k]!r}, not {ours[k]!r}" for k in ours if ours[k] != theirs.get(k)]
    return "its recorded task spec differs from this installation's at the same budget scale: " + "; ".join(fields_)


def check_run(folder: Path, root: Path) -> tuple[Run | None, list[str]]:
    """Integrity checks of one run folder below ``root``: a record of the right shape, where
    it belongs, complete, with the curve it hashed, every value a number in its range, every
    checkpoint present, the ledger within the budget and agreeing with the curve."""
    where = folder / "run.json"
    record = read_run_json(folder)
    if record is None:
        what = "missing" if not where.exists() else "not a readable run record"
        return None, [f"{where}: {what}; rerun with `embodied-bench run --resume`"]
    spec, problem = _structure(record)
    if problem:
        return None, [f"{where}: {problem}; rerun it"]
    task, agent, seed = task_name(record["task"]["id"], record["task"]["version"]), record["agent"]["name"], record["seed"]
    ledger = record["ledger"]
    problems = []
    expected = Path(task) / agent / f"seed-{seed}"
    if folder.relative_to(root) != expected:
        problems.append(f"{where}: a run of {task}, agent {agent}, seed {seed} belongs in {root / expected}, not here (folders renamed or copied?)")
    if record["status"] != "complete":
        problems.append(f"{where}: status is {record['status']!r}, not 'complete'; finish it with `embodied-bench run --resume`")
    curve_path = folder / "curve.csv"
    try:
        text = curve_path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None, [*problems, f"{curve_path}: missing"]
    except (OSError, UnicodeDecodeError) as exc:
        return None, [*problems, f"{curve_path}: cannot be read ({exc})"]
    if hashlib.sha256(text.encode()).hexdigest() != record["curve_sha256"]:
        problems.append(f"{curve_path}: its sha256 does not match curve_sha256 in run.json: the curve was changed after the run")
    problems += _levels_problems(folder, record, spec)
    problems += _phases_problems(folder, record, spec)
    try:
        curve = pd.read_csv(curve_path)
    except (ValueError, OSError) as exc:
        return None, [*problems, f"{curve_path}: not a curve ({exc})"]
    if tuple(curve.columns) != CURVE_COLUMNS:
        return None, [*problems, f"{curve_path}: columns are {', '.join(map(str, curve.columns))}; expected {', '.join(CURVE_COLUMNS)}"]
    values = curve.apply(pd.to_numeric, errors="coerce").to_numpy(float)
    bad = np.argwhere(~np.isfinite(values))
    if len(bad):
        row, col = bad[0]
        problems.append(f"{curve_path}: {CURVE_COLUMNS[col]} at checkpoint {row} is {curve.iloc[row, col]!r}, not a finite number ({len(bad)} such values)")
        return None, problems
    curve = curve.astype(float)
    points = spec.checkpoints()
    have = curve["budget_used"].tolist()
    if have != points:
        missing = sorted(set(points) - set(have))
        what = f"checkpoints {', '.join(f'{p:g}' for p in missing[:5])} are missing" if missing else f"checkpoints are {have}, expected {points}"
        problems.append(f"{curve_path}: {what}")
    for col, lo, hi in (("eval_success", 0.0, 1.0), ("eval_partial", 0.0, 1.0), ("eval_cost", 0.0, math.inf), ("train_cost", 0.0, math.inf), ("eval_length", 1.0, math.inf)):
        out = curve[(curve[col] < lo) | (curve[col] > hi)]
        if len(out):
            problems.append(f"{curve_path}: {col} at checkpoint {out.index[0]} is {out[col].iloc[0]:g}, outside [{lo:g}, {hi:g}]")
    for col in ("env_steps", "train_episodes", "train_cost"):
        if (curve[col].diff().dropna() < 0).any():
            problems.append(f"{curve_path}: {col} decreases between checkpoints; it counts up")
    if spec.budget_unit == "steps" and (curve["env_steps"] > curve["budget_used"]).any():
        problems.append(f"{curve_path}: env_steps exceeds budget_used at some checkpoint")
    if len(curve) and (curve["env_steps"].iloc[-1] != ledger["env_steps"] or curve["train_cost"].iloc[-1] != ledger["train_cost"]):
        problems.append(f"{where}: the ledger's totals (env_steps {ledger['env_steps']}, train_cost {ledger['train_cost']:g}) differ from the curve's last row")
    if ledger["budget_used"] > spec.budget:
        problems.append(f"{where}: the ledger used {ledger['budget_used']:g} {spec.budget_unit} of a budget of {spec.budget}")
    if spec.budget_unit == "steps" and ledger["env_steps"] > spec.budget:
        problems.append(f"{where}: the ledger counted {ledger['env_steps']} env steps, over the budget of {spec.budget}")
    return Run(folder, record, curve), problems


def _hashed_table(path: Path, record: dict[str, Any], key: str, text_column: str, why: str) -> tuple[pd.DataFrame, str | None]:
    """A run's CSV file whose sha256 its record keeps (``key``), read with ``text_column``
    as text; or the one line that says what is wrong with it (``why``: why it must be there)."""
    empty = pd.DataFrame()
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return empty, f"{path}: missing; {why} (rerun it)"
    except (OSError, UnicodeDecodeError) as exc:
        return empty, f"{path}: cannot be read ({exc})"
    if hashlib.sha256(text.encode()).hexdigest() != record.get(key):
        return empty, f"{path}: its sha256 does not match {key} in run.json: the file was changed after the run"
    try:
        return pd.read_csv(path, dtype={text_column: str}, keep_default_na=False), None
    except ValueError as exc:
        return empty, f"{path}: cannot be read as a table ({exc})"


def _levels_problems(folder: Path, record: dict[str, Any], spec: TaskSpec) -> list[str]:
    """A run of a task with levels has ``levels.csv``, hashed in its record, with a row per
    level and checkpoint whose episodes add up to the evaluation; no other run has one."""
    path = folder / LEVELS_FILE
    if not spec.levels:
        return [f"{path}: task {spec.name} has no difficulty levels; remove the file"] if path.exists() else []
    levels, problem = _hashed_table(path, record, "levels_sha256", "level", f"a run of {spec.name} records its per-level results")
    if problem:
        return [problem]
    missing = [c for c in LEVEL_COLUMNS if c not in levels.columns]
    if missing:
        return [f"{path}: missing columns {', '.join(missing)}; rerun the run"]
    unknown = sorted(set(levels["level"]) - set(spec.levels))
    if unknown:
        return [f"{path}: level {unknown[0]!r} is not one of {spec.name}'s ({', '.join(spec.levels)})"]
    numeric = levels[[c for c in LEVEL_COLUMNS if c != "level"]].apply(pd.to_numeric, errors="coerce")
    if not np.isfinite(numeric.to_numpy(float)).all():
        return [f"{path}: holds a value that is not a finite number"]
    for column, low, high in (("eval_success", 0.0, 1.0), ("eval_partial", 0.0, 1.0), ("eval_cost", 0.0, np.inf), ("eval_length", 0.0, np.inf), ("episodes", 1.0, np.inf)):
        if not numeric[column].between(low, high).all():
            return [f"{path}: {column} lies outside [{low:g}, {high:g}]"]
    numeric["level"] = levels["level"]
    episodes = numeric.groupby("checkpoint")["episodes"].sum()
    if not (episodes == spec.eval_episodes).all():
        return [f"{path}: the levels' episodes do not add up to the {spec.eval_episodes} evaluation layouts at every checkpoint"]
    # The levels' episode-weighted means are the curve's: the two files tell one story.
    try:
        curve = pd.read_csv(folder / "curve.csv").set_index("checkpoint")
        for column in ("eval_success", "eval_partial"):
            pooled = (numeric[column] * numeric["episodes"]).groupby(numeric["checkpoint"]).sum() / episodes
            if not np.allclose(pooled.to_numpy(float), curve.loc[pooled.index, column].to_numpy(float), atol=1e-9):
                return [f"{path}: its {column} per level does not average to curve.csv's"]
    except (OSError, ValueError, KeyError):
        return []  # the curve's own checks name what is wrong with it
    return []


def _phases_problems(folder: Path, record: dict[str, Any], spec: TaskSpec) -> list[str]:
    """A run of an adapt variant has ``phases.csv``, hashed in its record, with a row per
    checkpoint and world, whose current world's rows are the curve; no other run has one."""
    path = folder / PHASES_FILE
    if not spec.phases:
        return [f"{path}: task {spec.name} does not change its world; remove the file"] if path.exists() else []
    phases, problem = _hashed_table(path, record, "phases_sha256", "change", f"a run of {spec.name} records its evaluation of every world")
    if problem:
        return [problem]
    if tuple(phases.columns) != PHASE_COLUMNS:
        return [f"{path}: columns are {', '.join(map(str, phases.columns))}; expected {', '.join(PHASE_COLUMNS)}"]
    numeric = phases[[c for c in PHASE_COLUMNS if c != "change"]].apply(pd.to_numeric, errors="coerce")
    if not np.isfinite(numeric.to_numpy(float)).all():
        return [f"{path}: holds a value that is not a finite number"]
    for column, low, high in (("eval_success", 0.0, 1.0), ("eval_partial", 0.0, 1.0), ("eval_cost", 0.0, np.inf)):
        if not numeric[column].between(low, high).all():
            return [f"{path}: {column} lies outside [{low:g}, {high:g}]"]
    worlds = list(range(len(spec.phases)))
    points = spec.checkpoints()
    for k, point in enumerate(points):
        mine = numeric[numeric["checkpoint"] == k]
        if sorted(mine["phase"].astype(int)) != worlds or not (mine["budget_used"] == point).all():
            return [f"{path}: checkpoint {k} does not evaluate each of the {len(worlds)} worlds once at {point:g}"]
        if mine.loc[mine["current"] == 1, "phase"].astype(int).tolist() != [spec.phase_evaluated(point)]:
            return [f"{path}: checkpoint {k} names another current world than phase {spec.phase_evaluated(point)}"]
    if (phases.groupby("phase")["change"].nunique() > 1).any() or any(phases.loc[phases["phase"] == i, "change"].iloc[0] != p.change for i, p in enumerate(spec.phases)):
        return [f"{path}: its worlds are not the phases of {spec.name} ({', '.join(p.label for p in spec.phases)})"]
    try:
        curve = pd.read_csv(folder / "curve.csv").set_index("checkpoint")
        current = numeric[numeric["current"] == 1].set_index("checkpoint")
        for column in ("eval_success", "eval_partial"):
            if not np.allclose(current[column].to_numpy(float), curve.loc[current.index, column].to_numpy(float), atol=1e-12):
                return [f"{path}: its current world's {column} is not curve.csv's"]
    except (OSError, ValueError, KeyError):
        return []  # the curve's own checks name what is wrong with it
    return []


def _recorded_clip_files(folder: Path) -> set[str]:
    """The clips and posters a run folder's record lists, whole and unchanged (full
    paths): the only files a bundle's ``videos/`` folders may hold."""
    from embodied_bench.results.load import load_clips

    clips, _ = load_clips([folder])
    return {*clips["file"], *clips["poster"]}


def read_bundle(root: Path) -> Bundle:
    """Read and integrity-check the bundle in ``root``."""
    root = Path(root)
    meta, problems = read_meta(root / SUBMISSION_FILE)
    bundle = Bundle(root=root, meta=meta, problems=problems)
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        rel = path.relative_to(root)
        if rel == Path(SUBMISSION_FILE) or (path.name in ALLOWED_FILES and len(rel.parts) == 4):
            continue
        if len(rel.parts) == 5 and rel.parts[3] == VIDEOS and str(path.resolve()) in _recorded_clip_files(path.parents[1]):
            continue
        bundle.problems.append(f"{path}: unexpected file; a submission holds {SUBMISSION_FILE} and run folders <task>@v<N>/<agent>/seed-<k>/ with {', '.join(RUN_FILES)} (and {LEVELS_FILE} for tasks with levels, {PHASES_FILE} for adapt variants, and the clips its run.json lists in {VIDEOS}/) only")
    folders = [f for f in _run_dirs(root) if len(f.relative_to(root).parts) == 3]
    if not folders:
        bundle.problems.append(f"{root}: no run folders (<task>@v<N>/<agent>/seed-<k>/); pass the --out folder of `embodied-bench run`")
    for folder in folders:
        run, found = check_run(folder, root)
        bundle.problems += found
        if run is not None:
            bundle.runs.append(run)
    runs = bundle.runs
    agents = sorted({str(r.record["agent"]["name"]) for r in runs})
    if len(agents) > 1:
        bundle.problems.append(f"{root}: runs of {len(agents)} agents ({', '.join(agents)}); a submission is one agent")
    sources = sorted({str(r.record["agent"].get("source_hash")) for r in runs})
    if len(agents) == 1 and len(sources) > 1:
        bundle.problems.append(f"{root}: the runs were made with {len(sources)} versions of the agent's source file; rerun them with one")
    sets = sorted({eval_layouts(r.record) for r in runs})
    if len(sets) > 1:
        bundle.problems.append(f"{root}: runs were evaluated on different layouts ({', '.join(sets)}); every run of a submission must use the same ones")
    seen: dict[tuple[str, int], Path] = {}
    for r in runs:
        key = (r.task, r.seed)
        if key in seen:
            bundle.problems.append(f"{r.folder / 'run.json'}: seed {r.seed} of task {r.task} is also run in {seen[key]}; every seed once")
        else:
            seen[key] = r.folder
    flags = {r.record["agent"]["privileged"] for r in runs}
    if len(flags) > 1:
        bundle.problems.append(f"{root}: some runs' records say the agent is privileged and others do not; rerun them with one agent")
    if meta is not None and not meta.privileged:
        privileged = [r for r in runs if r.record["agent"].get("privileged")]
        if privileged:
            bundle.problems.append(f"{root / SUBMISSION_FILE}: 'privileged' is false, but the runs' records say the agent is privileged (e.g. {privileged[0].folder / 'run.json'})")
    return bundle


def validate(root: Path, min_seeds: int | None = None) -> Bundle:
    """Every check of ``read_bundle`` plus the checks against this installation. Raises
    ``UsageError`` for a ``min_seeds`` an official suite does not allow."""
    bundle = read_bundle(root)
    meta, where = bundle.meta, Path(root) / SUBMISSION_FILE
    if meta is None:
        return bundle
    if meta.suite not in SUITES:
        bundle.problems.append(f"{where}: suite {meta.suite!r} is not registered (suites: {', '.join(SUITES.names())})")
        return bundle
    official = meta.suite in OFFICIAL_SUITES
    if min_seeds is None:
        min_seeds = OFFICIAL_MIN_SEEDS
    if official and min_seeds < OFFICIAL_MIN_SEEDS:
        raise UsageError(f"--min-seeds {min_seeds}: {meta.suite} is an official suite; its submissions need at least {OFFICIAL_MIN_SEEDS} seeds per task")
    suite = SUITES.get(meta.suite).tasks
    if SUITES.get(meta.suite).ranks_by == "gain":
        # A gain is against the same agent on the plain task: those runs belong here too.
        suite = (*suite, *dict.fromkeys(TASKS.get(t).spec.plain_name for t in suite))
    by_task: dict[str, list[Run]] = {}
    for r in bundle.runs:
        by_task.setdefault(r.task, []).append(r)
    for task in sorted(set(by_task) - set(suite)):
        bundle.problems.append(f"{Path(root) / task}: task {task} is not in suite {meta.suite} ({', '.join(suite)})")
    for task in suite:
        runs = by_task.get(task, [])
        if not runs:
            bundle.problems.append(f"{Path(root)}: no runs of task {task}, which suite {meta.suite} includes")
            continue
        if len(runs) < min_seeds:
            bundle.problems.append(f"{Path(root) / task}: {len(runs)} seeds; at least {min_seeds} are needed per task")
        bundle.problems += _installation_problems(task, runs, official)
    if SUITES.get(meta.suite).ranks_by == "gain":
        for task in SUITES.get(meta.suite).tasks:
            plain = TASKS.get(task).spec.plain_name
            mine, theirs = {r.record["seed"] for r in by_task.get(task, [])}, {r.record["seed"] for r in by_task.get(plain, [])}
            if mine and theirs and mine != theirs:
                bundle.problems.append(f"{Path(root) / task}: seeds {sorted(mine)} but {plain} has seeds {sorted(theirs)}; a gain pairs each seed with the same seed on the plain task")
    return bundle


def _installation_problems(task: str, runs: Iterable[Run], official: bool) -> list[str]:
    spec = TASKS.get(task).spec
    installed_hash = provenance.task_hash(spec)
    problems = []
    protocols: dict[tuple, Path] = {}
    for r in runs:
        where = r.folder / "run.json"
        made = r.record["task"]
        if made.get("hash") != installed_hash:
            problems.append(f"{where}: made with other {task} code or assets than this installation (task hash {str(made.get('hash'))[:12]}, here {installed_hash[:12]}): rerun it")
        elif (problem := spec_problem(r.record)) is not None:
            problems.append(f"{where}: {problem}")
        budget = r.record["budget"]
        protocol = (budget.get("amount"), budget.get("eval_every"), budget.get("eval_episodes"))
        if official and (protocol != (spec.budget, spec.eval_every, spec.eval_episodes) or budget.get("eval_reduced")):
            problems.append(
                f"{where}: budget {budget.get('amount')} {spec.budget_unit} evaluated every {budget.get('eval_every')} on {budget.get('eval_episodes')} layouts; "
                f"an official suite needs the task's own {spec.budget} / {spec.eval_every} / {spec.eval_episodes} (no --budget-scale or --eval-episodes)"
            )
        protocols.setdefault(protocol, r.folder)
    if len(protocols) > 1 and not official:
        shown = ", ".join(f"{a} {spec.budget_unit} / {e} layouts" for a, _, e in protocols)
        folder = next(iter(protocols.values())).parent.parent
        problems.append(f"{folder}: runs of {task} with different budgets ({shown}); every run of a task must use the same one")
    return problems
