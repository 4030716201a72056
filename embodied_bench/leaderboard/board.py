"""The leaderboard's numbers, computed from ``leaderboard/submissions/`` and
``leaderboard/baselines/`` alone.

Entries are the submissions (one folder each) and the reference baselines (one per agent
name). Rows are compared only where they were scored alike, so each suite gets one table
per *protocol*: the evaluation layouts (public, or hidden ones of one salt) and, per task,
the task version, budget and number of evaluation layouts. An entry that ran only some of
a suite's tasks gets per-task numbers but no suite score.

Per row (runs pooled over the suite's tasks; intervals are stratified bootstrap intervals,
runs resampled within each task):

* **Embodied Turing score**: IQM of normalised AUC (the mean success rate over the budget:
  sample efficiency), with its interval;
* final success: IQM of the last checkpoint's success rate, with its interval;
* steps to threshold: the median over runs of where the success curve first reaches the
  task's threshold, as a fraction of the budget (runs that never reach it count as never,
  so the median exists only when more than half the runs reached it);
* guardrail cost rate: mean over runs of training cost per environment step;
* **animal gap**: the median over runs of steps-to-threshold divided by the task's animal
  or human reference budget (both at least one unit: a child that needs no practice after
  one demonstration counts as one), "not reached" when censored;
* per task: IQM of normalised AUC with its interval.

Ranked rows are sorted by the score; where the probability of improvement of a row over
the next is not significant (its interval holds 0.5, or a task has fewer than
``MIN_RUNS`` runs), the two share a rank. Privileged entries are references, never ranked.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from embodied_bench.api import task_name
from embodied_bench.leaderboard.bundle import SubmissionMeta, check_run, read_bundle, spec_problem
from embodied_bench.leaderboard.references import OFFICIAL
from embodied_bench.leaderboard.submit import SUBMISSIONS, interrupted_replacements
from embodied_bench.metrics import aggregates, tables
from embodied_bench.metrics.aggregates import iqm
from embodied_bench.metrics.bootstrap import interval_estimates
from embodied_bench.metrics.compare import significance
from embodied_bench.registry import OFFICIAL_SUITES, SUITES, TASKS
from embodied_bench.results.load import load_levels, load_runs

BASELINES = "baselines"


class BoardError(ValueError):
    """Leaderboard inputs that cannot be used (one line naming the file)."""


@dataclass
class Entry:
    """One submission or one reference baseline."""

    kind: str
    """``"submission"``, ``"baseline"`` (the project's reference runs at the CI budgets of
    ``regress``) or ``"reference"`` (its official references, at the full protocol)."""
    name: str
    """Folder name (submissions) or agent name (baselines): unique within its kind."""
    display: str
    privileged: bool
    category: str
    meta: SubmissionMeta | None
    runs: pd.DataFrame
    """The tidy frame of ``load_runs`` for its complete runs."""
    records: dict[str, dict[str, Any]]
    """run.json of each run, by run folder."""
    levels: pd.DataFrame = field(default_factory=pd.DataFrame)
    """Per-level results of its runs on tasks with difficulty levels (``load_levels``)."""

    @property
    def key(self) -> str:
        return f"{self.kind}:{self.name}"

    @property
    def page(self) -> str:
        """Its page, relative to the site's root."""
        return f"{self.kind}s/{self.name}.html"


def _check_spec(folder: Path, record: dict[str, Any]) -> None:
    # Thresholds and reference budgets are read from the records: for a registered task
    # version they must be the registered ones (versions no longer registered keep what
    # they ran under).
    name = task_name(record["task"]["id"], record["task"]["version"])
    if name in TASKS:
        problem = spec_problem(record)
        if problem:
            raise BoardError(f"{folder / 'run.json'}: {problem}")


def load_entries(root: Path) -> list[Entry]:
    """Every submission and baseline below ``root``, integrity-checked (a curve that no
    longer matches its record's hash, a NaN, a missing checkpoint, a task spec moved:
    ``BoardError``)."""
    entries = []
    subs = Path(root) / SUBMISSIONS
    interrupted = interrupted_replacements(subs)
    if interrupted:
        raise BoardError(f"{interrupted[0]}: a submission left aside by an interrupted `embodied-bench submit --replace`; rerun that submit, or move it back to {subs}")
    for folder in sorted(p for p in subs.iterdir() if p.is_dir() and not p.name.startswith(".")) if subs.is_dir() else []:
        bundle = read_bundle(folder)
        if bundle.problems:
            more = f" (and {len(bundle.problems) - 1} more; see `embodied-bench validate {folder}`)" if len(bundle.problems) > 1 else ""
            raise BoardError(bundle.problems[0] + more)
        for run in bundle.runs:
            _check_spec(run.folder, run.record)
        meta = bundle.meta
        runs = load_runs([folder])
        records = {str(r.folder): r.record for r in bundle.runs}
        privileged = meta.privileged or any(r.record["agent"].get("privileged") for r in bundle.runs)
        entries.append(Entry("submission", folder.name, meta.name, privileged, meta.category, meta, runs, records, load_levels(sorted(records))))
    base = Path(root) / BASELINES
    # The CI-budget references of `regress` (kind "baseline") and, in their own folder,
    # the official references at the full protocol (kind "reference"): never one entry,
    # since an entry holds runs of one protocol per task.
    for kind, folder in (("baseline", base), ("reference", base / OFFICIAL)):
        entries += _baseline_entries(kind, folder, skip=(OFFICIAL,) if kind == "baseline" else ())
    return entries


def _baseline_entries(kind: str, base: Path, skip: tuple[str, ...]) -> list[Entry]:
    """One entry per agent of the reference runs below ``base`` (its subfolders named in
    ``skip`` left out), each run integrity-checked."""
    tops = [p for p in sorted(base.iterdir()) if p.is_dir() and not p.name.startswith(".") and p.name not in skip] if base.is_dir() else []
    if not tops:
        return []
    entries = []
    frame = load_runs(tops)
    for agent, runs in frame.groupby("agent", sort=True):
        records = {}
        for folder in sorted(set(runs["run_dir"])):
            run, problems = check_run(Path(folder), base)
            if problems:
                raise BoardError(problems[0])
            _check_spec(run.folder, run.record)
            records[folder] = run.record
        entries.append(Entry(kind, str(agent), str(agent), bool(runs["privileged"].iloc[0]), "baseline", None, runs.reset_index(drop=True), records, load_levels(sorted(records))))
    return entries


@dataclass(frozen=True)
class Interval:
    point: float
    lo: float
    hi: float


@dataclass
class Row:
    entry: Entry
    runs: int
    """The entry's runs that feed the table, references and plain tasks included."""
    seeds: int
    """Fewest runs on any task of the table the entry ran."""
    per_task: dict[str, Interval]
    """Per task, the table's measure over the entry's runs: the IQM of the normalised AUC
    (of success or of the graded score) or, in a gain suite, of the gain; in a suite ranked
    by adaptation, the mean of average performance."""
    score: Interval | None = None
    """The table's score over every ranked task: the Embodied Turing score (IQM of the
    normalised AUC of the suite's ranking measure), in a gain suite the IQM of the gain, in
    a suite ranked by adaptation the mean of average performance (None: not every task of
    the suite)."""
    success_auc: Interval | None = None
    """IQM of normalised AUC of success, beside a score ranked by the graded score."""
    final: Interval | None = None
    threshold_fraction: float = float("nan")
    """Median steps-to-threshold / budget (inf: the median run never reached it)."""
    reached: tuple[int, int] = (0, 0)
    cost_rate: float = float("nan")
    animal_gap: float = float("nan")
    adaptation: dict[str, Interval] = field(default_factory=dict)
    """Suites ranked by adaptation: forgetting, forward transfer, recovery and cost after a
    change (means over tasks of the tasks' means, with intervals), beside the score; a
    measure with no value on some task (forward transfer against a perfect reference) is
    left out."""
    rank: str = ""
    vs_next: tuple[float, float, float, str] | None = None
    """P(this row > next row) on the ranking measure, its interval, and the verdict."""


@dataclass
class BoardTable:
    suite: str
    layouts: str
    protocol: dict[str, tuple[int, int, int, int, str]]
    """Per task: (version, budget, eval_every, eval_episodes, budget unit)."""
    ranked: list[Row] = field(default_factory=list)
    references: list[Row] = field(default_factory=list)
    partial: list[Row] = field(default_factory=list)
    per_run: pd.DataFrame | None = None
    """``per_run_table`` rows of every entry in the table (column ``entry``: entry key)."""
    levels: pd.DataFrame | None = None
    """``level_table`` rows of the ranked and reference entries (column ``entry``), for
    the tasks with difficulty levels."""
    frame: pd.DataFrame | None = None
    """The tidy runs of every entry in the table (column ``entry``)."""
    adapt_runs: list[dict] = field(default_factory=list)
    """A suite ranked by adaptation: every entry's adapt runs as
    ``results.load.load_adapt_runs`` reads them, ``agent`` being the entry key (what the
    figure with the changes marked draws)."""

    @property
    def tasks(self) -> tuple[str, ...]:
        return SUITES.get(self.suite).tasks

    @property
    def metric(self) -> str:
        """The per-run measure that ranks: normalised AUC of success or of the graded score,
        or (suites of protocol variants) the graded score's gain over the plain task."""
        return {"score": "score_auc", "gain": GAIN, "success": "auc", "adaptation": ADAPTATION}[SUITES.get(self.suite).ranks_by]

    @property
    def ranked_tasks(self) -> tuple[str, ...]:
        """The tasks whose runs are ranked: all of the suite's, but for a suite ranked by
        adaptation its adapt variants alone (its single-world references feed their
        forward transfer)."""
        if self.metric != ADAPTATION:
            return self.tasks
        return tuple(t for t in self.tasks if len(TASKS.get(t).spec.phases) > 1)

    @property
    def plain_tasks(self) -> tuple[str, ...]:
        """For a gain suite, the plain task of each of its variants (else none)."""
        return tuple(TASKS.get(t).spec.plain_name for t in self.tasks) if self.metric == GAIN else ()

    @property
    def runs_at_full_budgets(self) -> bool:
        """Every task it has runs of at its registered budget, interval and number of
        evaluation layouts (tasks without runs aside)."""
        for task, (_, budget, every, episodes, _) in self.protocol.items():
            spec = TASKS.get(task).spec
            if (budget, every, episodes) != (spec.budget, spec.eval_every, spec.eval_episodes):
                return False
        return True

    @property
    def full_budgets(self) -> bool:
        """Every task at its registered budget, interval and number of evaluation layouts."""
        return self.runs_at_full_budgets and len(self.protocol) == len(self.tasks)

    @property
    def official(self) -> bool:
        """Every task of the suite (its frozen versions) at its budget and evaluation layouts."""
        return self.full_budgets

    @property
    def slug(self) -> str:
        """A file-name-safe name, unique per (suite, layouts, protocol)."""
        digest = hashlib.sha256(json.dumps(sorted(self.protocol.items())).encode()).hexdigest()[:10]
        return f"{self.suite}-{self.layouts.replace(':', '-')}-{'official' if self.official else 'other'}-{digest}"

    def rows(self) -> list[Row]:
        return [*self.ranked, *self.references, *self.partial]


def _protocols(entry: Entry, tasks: tuple[str, ...]) -> dict[str, dict[str, tuple]]:
    """Per evaluation-layout set: task -> protocol, for the entry's runs on ``tasks``."""
    runs = entry.runs[entry.runs["task"].isin(tasks)]
    out: dict[str, dict[str, tuple]] = {}
    for (layouts, task), g in runs.groupby(["eval_layouts", "task"], sort=True):
        first = g.iloc[0]
        grid = g.groupby("run_dir")["budget_used"].max()
        every = int(g.loc[g["checkpoint"] == 1, "budget_used"].iloc[0]) if (g["checkpoint"] == 1).any() else int(first["budget"])
        kinds = {(int(r["task_version"]), int(r["budget"]), int(r["eval_episodes"])) for _, r in g.drop_duplicates("run_dir").iterrows()}
        if len(kinds) > 1 or grid.nunique() > 1:
            raise BoardError(f"{first['run_dir']}: the {entry.kind} {entry.name} has runs of {task} with different versions or budgets; remake them alike")
        out.setdefault(str(layouts), {})[str(task)] = (int(first["task_version"]), int(first["budget"]), every, int(first["eval_episodes"]), str(first["budget_unit"]))
    return out


def build_tables(entries: list[Entry], reps: int = 50_000, seed: int = 0) -> list[BoardTable]:
    """One table per (suite, protocol) that has any runs, official suites first, then
    official protocols, hidden layouts before public ones."""
    found: list[BoardTable] = []
    for suite in SUITES.names():
        tasks = SUITES.get(suite).tasks
        assigned: list[tuple[BoardTable, Entry]] = []
        complete, partial = [], []
        for entry in entries:
            for layouts, proto in _protocols(entry, tasks).items():
                (complete if len(proto) == len(tasks) else partial).append((entry, layouts, proto))
        mine: list[BoardTable] = []
        for entry, layouts, proto in complete:
            table = next((t for t in mine if t.layouts == layouts and t.protocol == proto), None)
            if table is None:
                table = BoardTable(suite, layouts, dict(proto))
                mine.append(table)
            assigned.append((table, entry))
        for entry, layouts, proto in partial:
            table = next((t for t in mine if t.layouts == layouts and all(t.protocol.get(k, v) == v for k, v in proto.items())), None)
            if table is None:
                table = BoardTable(suite, layouts, dict(proto))
                mine.append(table)
            else:
                table.protocol.update({k: v for k, v in proto.items() if k not in table.protocol})
            assigned.append((table, entry))
        for table in mine:
            _score(table, [e for t, e in assigned if t is table], reps, seed)
        found += mine
    order = {name: i for i, name in enumerate(SUITES.names())}
    return sorted(found, key=lambda t: (t.suite not in OFFICIAL_SUITES, order[t.suite], not t.official, not t.layouts.startswith("hidden"), t.slug))


ADAPTATION = "average_performance"
"""A suite ranked by adaptation: the per-run average performance at the end of an adapt
run (``metrics.adaptation``)."""
ADAPTATION_BESIDE = ("forgetting", "forward_transfer", "recovery", "early_cost")
"""What a suite ranked by adaptation shows beside the score."""


def adaptation_columns(per_run: pd.DataFrame, tasks: tuple[str, ...]) -> tuple[pd.DataFrame, list[dict]]:
    """The runs of ``per_run`` on the adapt ``tasks`` with the continual metrics of
    ``metrics.adaptation`` as columns (read from their records), and those adapt runs as
    ``results.load.load_adapt_runs`` gives them."""
    from embodied_bench.metrics.adaptation import per_run_adaptation
    from embodied_bench.results.load import load_adapt_runs

    mine = per_run[per_run["task"].isin(tasks)]
    try:
        runs, references = load_adapt_runs(sorted(set(per_run["run_dir"])))
        metrics = per_run_adaptation(runs, references).drop(columns=["task", "agent", "seed"])
    except ValueError as exc:  # RecordError included: one line naming the run
        raise BoardError(str(exc)) from None
    return mine.merge(metrics, on="run_dir", how="inner"), runs


GAIN = "score_auc_gain"
"""A gain suite's per-run measure: the graded score's normalised AUC of a variant's run
minus that of the plain task's run with the same seed."""


def paired_gains(per_run: pd.DataFrame, variants: tuple[str, ...]) -> pd.DataFrame:
    """The variants' runs of ``per_run`` with ``GAIN``: each minus the plain task's run of
    the same seed (runs without a partner are left out)."""
    out = []
    for task in variants:
        plain = TASKS.get(task).spec.plain_name
        base = per_run[per_run["task"] == plain].set_index("seed")["score_auc"]
        mine = per_run[(per_run["task"] == task) & per_run["seed"].isin(base.index)].copy()
        mine[GAIN] = mine["score_auc"].to_numpy(float) - base.loc[mine["seed"]].to_numpy(float)
        out.append(mine)
    return pd.concat(out, ignore_index=True) if out else per_run.iloc[:0].assign(**{GAIN: []})


def _score(table: BoardTable, entries: list[Entry], reps: int, seed: int) -> None:
    tasks = table.tasks
    frames, per_runs = [], []
    opts = {"reps": reps, "seed": seed}
    for entry in sorted(entries, key=lambda e: e.key):
        runs = entry.runs[entry.runs["task"].isin([*tasks, *table.plain_tasks]) & (entry.runs["eval_layouts"] == table.layouts)]
        frame, _ = tables.check_runs(runs)
        # Counted before the ranked runs are picked out: an entry with only an adapt
        # suite's single-world references so far still shows what it ran.
        counts = frame.drop_duplicates("run_dir").groupby("task").size()
        per_run = tables.per_run_table(frame)
        if table.plain_tasks:
            per_run = paired_gains(per_run, tasks)
            frame = frame[frame["task"].isin(tasks)]
        elif table.metric == ADAPTATION:
            per_run, adapt_runs = adaptation_columns(per_run, table.ranked_tasks)
            table.adapt_runs += [{**r, "agent": entry.key} for r in adapt_runs]
        frames.append(frame.assign(entry=entry.key))
        per_runs.append(per_run.assign(entry=entry.key))
        ranked_tasks = table.ranked_tasks
        present = [t for t in ranked_tasks if t in set(per_run["task"])]
        metric = table.metric
        data = {f"{entry.key}|{table.slug}|{t}": per_run.loc[per_run["task"] == t, [metric]].to_numpy(float) for t in present}
        # Adaptation: means (as the report's), since forgetting and transfer are signed
        # and a trimmed mean would drop the runs that recover last.
        aggregate = aggregates.mean if metric == ADAPTATION else iqm
        points, intervals = interval_estimates(data, aggregate, **opts)
        row = Row(
            entry=entry,
            runs=int(counts.sum()),
            seeds=int(counts.min()),
            per_task={t: Interval(float(points[k]), float(intervals[k][0]), float(intervals[k][1])) for t, k in zip(present, data)},
        )
        if len(present) == len(ranked_tasks) and set(tasks) <= set(frame["task"]):
            arr = tables.score_array(per_run, ranked_tasks, [metric, "final_success", "auc"])
            key = f"{entry.key}|{table.slug}"
            wanted = {f"{key}|score": arr[..., 0], f"{key}|final": arr[..., 1]}
            if metric != "auc":
                wanted[f"{key}|success-auc"] = arr[..., 2]
            points, intervals = interval_estimates({k: v for k, v in wanted.items() if not k.endswith("|score")}, iqm, **opts)
            found, spans = interval_estimates({f"{key}|score": wanted[f"{key}|score"]}, aggregate, **opts)
            points.update(found)
            intervals.update(spans)
            row.score = Interval(float(points[f"{key}|score"]), *map(float, intervals[f"{key}|score"]))
            if metric != "auc":
                row.success_auc = Interval(float(points[f"{key}|success-auc"]), *map(float, intervals[f"{key}|success-auc"]))
            if len(ranked_tasks) == 1:  # the same statistic: one interval, not two draws of it
                row.per_task[ranked_tasks[0]] = row.score
            if metric == ADAPTATION:
                beside = tables.score_array(per_run, ranked_tasks, list(ADAPTATION_BESIDE))
                # A measure some task has no value of (forward transfer against a perfect
                # reference) gets none.
                known = {f"{key}|{m}": beside[..., k] for k, m in enumerate(ADAPTATION_BESIDE) if (~np.isnan(beside[..., k])).any(axis=0).all()}
                found, spans = interval_estimates(known, aggregates.mean, **opts)
                row.adaptation = {m: Interval(float(found[f"{key}|{m}"]), *map(float, spans[f"{key}|{m}"])) for m in ADAPTATION_BESIDE if f"{key}|{m}" in found}
            row.final = Interval(float(points[f"{key}|final"]), *map(float, intervals[f"{key}|final"]))
            reached = per_run["reached_threshold"].to_numpy(bool)
            fraction = np.where(reached, per_run["threshold_crossing"] / per_run["budget"].astype(float), np.inf)
            gap = np.where(reached, np.maximum(per_run["threshold_crossing"], 1.0) / np.maximum(per_run["animal_budget"].astype(float), 1.0), np.inf)
            row.threshold_fraction = float(np.median(fraction))
            row.animal_gap = float(np.median(gap))
            row.reached = (int(reached.sum()), len(per_run))
            row.cost_rate = float(np.nanmean(per_run["cost_rate"])) if per_run["cost_rate"].notna().any() else float("nan")
            (table.references if entry.privileged else table.ranked).append(row)
        else:
            table.partial.append(row)
    table.frame = pd.concat(frames, ignore_index=True)
    table.per_run = pd.concat(per_runs, ignore_index=True)
    level_parts = []
    for row in [*table.ranked, *table.references]:
        mine = row.entry.levels
        if len(mine):
            mine = mine[mine["task"].isin(tasks) & mine["run_dir"].isin(set(table.frame.loc[table.frame["entry"] == row.entry.key, "run_dir"]))]
        if len(mine):
            level_parts.append(tables.level_table(mine, reps=min(reps, 10_000), seed=seed).assign(entry=row.entry.key))
    table.levels = pd.concat(level_parts, ignore_index=True) if level_parts else None
    for rows in (table.ranked, table.references):
        rows.sort(key=lambda r: (-r.score.point, -r.final.point, r.entry.display, r.entry.key))
    table.partial.sort(key=lambda r: (r.entry.display, r.entry.key))
    _rank(table, reps, seed)


def _rank(table: BoardTable, reps: int, seed: int) -> None:
    """Ranks that claim no more than the probability of improvement shows: a row's rank is
    one plus the number of rows above it that are significantly better than it, so rows
    no comparison separates share a rank (shown with "="), and a tie with a neighbour
    never hides a significant gap further up."""
    rows, per_run = table.ranked, table.per_run
    scores = [tables.score_array(per_run[per_run["entry"] == r.entry.key], table.ranked_tasks, [table.metric])[..., 0] for r in rows]

    def verdict(i: int, j: int) -> tuple[float, float, float, str]:
        p, (lo, hi) = tables.pair_improvement(scores[i], scores[j], f"{rows[i].entry.key}|{table.slug}", f"{rows[j].entry.key}|{table.slug}", table.metric, reps=reps, seed=seed)
        return p, lo, hi, significance(lo, hi, tables.min_runs(scores[i], scores[j]))

    ranks = []
    for j in range(len(rows)):
        better = 0
        for i in range(j):
            result = verdict(i, j)
            if i == j - 1:
                rows[i].vs_next = result
            better += result[3] == "A better"
        ranks.append(better + 1)
    for row, rank in zip(rows, ranks):
        row.rank = f"={rank}" if ranks.count(rank) > 1 else str(rank)


def entry_provenance(entry: Entry) -> dict[str, str]:
    """What the records say about where an entry's runs came from (each distinct value)."""

    def distinct(values) -> str:
        found = sorted({str(v) for v in values if v not in (None, "")})
        return ", ".join(found) if found else "–"

    records = list(entry.records.values())
    out = {
        "agent class": distinct(r["agent"].get("class") for r in records),
        "agent source sha256": distinct((r["agent"].get("source_hash") or "")[:16] for r in records),
        "embodied-bench git revision": distinct((r.get("git") or "")[:12] + ("+dirty" if str(r.get("git") or "").endswith("+dirty") else "") for r in records),
        "evaluation layouts": distinct(("hidden (salt id " + str((r.get("evaluation") or {}).get("salt_id"))[:12] + ")") if (r.get("evaluation") or {}).get("layouts") == "hidden" else "public" for r in records),
    }
    versions: dict[str, set] = {}
    for r in records:
        for k, v in (r.get("versions") or {}).items():
            versions.setdefault(k, set()).add(v)
    for k in sorted(versions):
        out[k] = distinct(versions[k]) if any(v is not None for v in versions[k]) else "not installed"
    configs = {json.dumps(r["agent"].get("config"), sort_keys=True) for r in records if r["agent"].get("config") is not None}
    if configs:
        out["agent config"] = "; ".join(sorted(configs))
    return out
