"""The official results' two claims per task, computed from the reference runs alone.

**The ladder**: random < the best non-privileged baseline < the best privileged reference,
each an IQM over seeds of the task's ranking score (the normalised AUC of the graded score
on suites ranked by it, of success otherwise) with its 95% bootstrap interval (seeds
resampled), and a rung holds only where the two intervals do not overlap. "Best" is the
highest IQM (ties: the higher lower bound, then the name first in order); it is picked on
the same runs its interval comes from, an optimistic pick that the test of the rung does
not correct for. A task that names no privileged reference (cat-climb-motor has no oracle
or expert) has no top rung: its ladder is the bottom rung alone, and says so.

**The world-model gap**: per task, the IQM of random, the best model-free learner, the
planner on a learned model (``cem-learned``), the planner on the simulator (``cem-sim``)
and the oracle, beside the animal's or person's reference budget. The gap is ``cem-sim``
minus ``cem-learned``: the same search (a beam search over decisions on skill tasks, CEM
on control tasks) on the true simulator against on a model learned from its own
transitions. Other differences stay in it: on skill tasks ``cem-sim`` values where a
plan ends with the true graded score and ``cem-learned`` with a value it learned; and
``cem-sim`` learns nothing (its AUC is its level throughout) while ``cem-learned``'s AUC
includes the time it takes to learn, so the gap in final score stands beside it.

Which baseline is which comes from its registration (``registry.BASELINE_ROLES``). Only
the reference seeds count (seed < ``references.seeds_for``): extra seeds in a folder never
change a table."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from embodied_bench.metrics.aggregates import iqm
from embodied_bench.metrics.bootstrap import interval_estimates
from embodied_bench.registry import BASELINE_ROLES

REPS = 10_000
"""Bootstrap replicates of every interval here (deterministic: seed 0)."""


@dataclass(frozen=True)
class Rung:
    """One agent's IQM of a score on one task over its runs, with its 95% interval."""

    agent: str
    runs: int
    iqm: float
    lo: float
    hi: float


@dataclass(frozen=True)
class TaskLadder:
    """Random, the best non-privileged baseline and the best privileged reference on one
    task (None: no such runs)."""

    task: str
    metric: str
    random: Rung | None
    learner: Rung | None
    privileged: Rung | None

    @property
    def off_the_floor(self) -> bool:
        """The best learner's interval lies wholly above random's."""
        return self.random is not None and self.learner is not None and self.random.hi < self.learner.lo

    @property
    def below_privileged(self) -> bool | None:
        """The best privileged reference's interval lies wholly above the best learner's
        (None: the task has no privileged reference, so no top rung)."""
        if self.privileged is None:
            return None
        return self.learner is not None and self.learner.hi < self.privileged.lo

    @property
    def holds(self) -> bool:
        return self.off_the_floor and self.below_privileged is not False

    def verdict(self) -> str:
        """The ladder in words, for a table cell."""
        if not self.off_the_floor:
            return "no learner off the floor yet"
        if self.below_privileged is None:
            return "holds (no privileged reference on this task: bottom rung only)"
        return "holds" if self.below_privileged else "the best learner is not below the privileged references"


def rungs(per_run: pd.DataFrame, metric: str, reps: int = REPS, seed: int = 0) -> dict[str, Rung]:
    """Per agent of ``per_run`` (one task's rows of ``tables.per_run_table``): the IQM over
    its runs of ``metric`` with a 95% bootstrap interval (runs resampled)."""
    scores = {agent: g[metric].to_numpy(float)[:, None] for agent, g in per_run.groupby("agent", sort=True)}
    points, intervals = interval_estimates(scores, iqm, reps=reps, seed=seed)
    return {a: Rung(a, len(scores[a]), float(points[a]), float(intervals[a][0]), float(intervals[a][1])) for a in scores}


def _best(found: dict[str, Rung], agents: list[str]) -> Rung | None:
    mine = sorted((found[a] for a in agents if a in found), key=lambda r: r.agent)
    return max(mine, key=lambda r: (r.iqm, r.lo)) if mine else None  # max keeps the first of ties


def ladder_of(found: dict[str, Rung], privileged: set[str], task: str, metric: str) -> TaskLadder:
    """The ladder from each agent's rung on ``task`` (``privileged``: which agents are)."""
    learners = [a for a in found if a not in privileged and BASELINE_ROLES.get(a) != "random"]
    random = next((a for a in found if BASELINE_ROLES.get(a) == "random"), None)
    return TaskLadder(task, metric, found.get(random) if random else None, _best(found, learners), _best(found, sorted(privileged & set(found))))


def task_ladder(per_run: pd.DataFrame, task: str, metric: str, reps: int = REPS, seed: int = 0) -> TaskLadder:
    """The ladder of ``task`` from the per-run table of every agent's runs on it."""
    mine = per_run[per_run["task"] == task]
    privileged = set(mine.loc[mine["privileged"].astype(bool), "agent"])
    return ladder_of(rungs(mine, metric, reps, seed), privileged, task, metric)


GAP_COLUMNS = ("random", "best model-free", "planner on learned model", "planner on simulator", "oracle")
"""The columns of the world-model-gap table, in the order of the roles they show."""
_ROLE_OF_COLUMN = dict(zip(GAP_COLUMNS, ("random", "model-free", "learned-model planner", "simulator planner", "oracle")))


@dataclass(frozen=True)
class GapRow:
    task: str
    metric: str
    cells: dict[str, Rung | None]
    """Per column of ``GAP_COLUMNS``: the best agent of that role (None: none ran)."""
    gap: tuple[float, float, float] | None
    """The world-model gap, simulator planner minus learned-model planner: the difference
    of their IQMs of ``metric`` with a 95% interval (each side's seeds resampled on their
    own); None without both."""
    final_gap: tuple[float, float, float] | None
    """The same of the final graded score (``final_score``)."""


def _difference(mine: pd.DataFrame, a: str, b: str, column: str, reps: int, seed: int) -> tuple[float, float, float]:
    x = mine.loc[mine["agent"] == a, column].to_numpy(float)[:, None]
    y = mine.loc[mine["agent"] == b, column].to_numpy(float)[:, None]
    points, intervals = interval_estimates({f"{a}-{b}-{column}": (x, y)}, lambda p, q: iqm(p) - iqm(q), reps=reps, seed=seed)
    key = f"{a}-{b}-{column}"
    return float(points[key]), float(intervals[key][0]), float(intervals[key][1])


def gap_row(per_run: pd.DataFrame, task: str, metric: str, reps: int = REPS, seed: int = 0, found: dict[str, Rung] | None = None) -> GapRow:
    """The world-model-gap row of ``task`` (``found``: its rungs, when already computed)."""
    mine = per_run[per_run["task"] == task]
    found = found if found is not None else rungs(mine, metric, reps, seed)
    cells = {col: _best(found, [a for a in found if BASELINE_ROLES.get(a) == role]) for col, role in _ROLE_OF_COLUMN.items()}
    sim, learned = cells["planner on simulator"], cells["planner on learned model"]
    if sim is None or learned is None:
        return GapRow(task, metric, cells, None, None)
    return GapRow(task, metric, cells, _difference(mine, sim.agent, learned.agent, metric, reps, seed), _difference(mine, sim.agent, learned.agent, "final_score", reps, seed))


def ranking_metric(ranks_by: str) -> str:
    """The per-run column a suite ranks by: ``score_auc`` or ``auc``."""
    return "score_auc" if ranks_by == "score" else "auc"


def complete_pairs(per_run: pd.DataFrame, wanted: dict[tuple[str, str], int]) -> dict[tuple[str, str], tuple[int, int]]:
    """Per ``(task, agent)`` pair wanted with its number of reference seeds: ``(runs made,
    runs wanted)`` from ``per_run`` (complete runs only)."""
    made = per_run.groupby(["task", "agent"]).size().to_dict() if len(per_run) else {}
    return {pair: (int(made.get(pair, 0)), n) for pair, n in wanted.items()}


@dataclass(frozen=True)
class CpuAccount:
    """What the official references of some (task, baseline) pairs cost in CPU time:
    ``spent`` hours measured over ``measured`` of the ``runs`` runs made, and ``projected``
    hours for all ``wanted`` runs, each pair's runs priced at the mean of its measured
    runs; ``unpriced``: wanted runs of pairs with no measured run, left out of
    ``projected``."""

    spent: float
    measured: int
    runs: int
    projected: float
    wanted: int
    unpriced: int


def cpu_account(cpu: pd.DataFrame, wanted: dict[tuple[str, str], int]) -> CpuAccount:
    """The CPU account of the pairs ``wanted`` (``(task, agent)`` -> reference seeds) from
    ``cpu``: one row per run made, columns ``task``, ``agent``, ``cpu_seconds`` (NaN: not
    measured). Rows of other pairs are ignored; a pair with more runs than it wants counts
    the first ``wanted`` of them."""
    spent = projected = 0.0
    measured = runs = unpriced = 0
    for (task, agent), n in wanted.items():
        seconds = cpu.loc[(cpu["task"] == task) & (cpu["agent"] == agent), "cpu_seconds"].astype(float).to_numpy()[:n]
        known = seconds[np.isfinite(seconds)]
        runs += len(seconds)
        measured += len(known)
        if len(known):
            spent += known.sum()
            projected += known.mean() * n
        else:
            unpriced += n
    return CpuAccount(spent / 3600, measured, runs, projected / 3600, sum(wanted.values()), unpriced)


def run_cpu_seconds(run_dirs) -> pd.DataFrame:
    """``task``, ``agent``, ``status``, ``cpu_seconds`` of the run in each of ``run_dirs``,
    read from its record (NaN where it has none; unreadable records are left out)."""
    from embodied_bench.results.records import read_run_json

    rows = []
    for folder in run_dirs:
        record = read_run_json(Path(folder))
        if record is None:
            continue
        seconds = record.get("cpu_seconds")
        rows.append({"task": f"{record['task']['id']}@v{record['task']['version']}", "agent": (record.get("agent") or {}).get("name"), "status": record.get("status"), "cpu_seconds": np.nan if seconds is None else float(seconds)})
    return pd.DataFrame(rows, columns=["task", "agent", "status", "cpu_seconds"])


def reference_seeds(per_run: pd.DataFrame) -> pd.DataFrame:
    """The rows of ``per_run`` on each baseline's reference seeds (seed < ``seeds_for``)."""
    from embodied_bench.leaderboard.references import seeds_for

    if per_run.empty:
        return per_run
    keep = [int(s) < seeds_for(str(a)) for a, s in zip(per_run["agent"], per_run["seed"])]
    return per_run[keep]


def official_per_run(folder: Path) -> pd.DataFrame:
    """The per-run table of the official references in ``folder``: complete runs on the
    public layouts at each task's full protocol (empty when there are none); the rest of
    the folder is not looked at. ``MixedRunsError`` where runs of a task disagree."""
    from embodied_bench.metrics import tables
    from embodied_bench.registry import TASKS
    from embodied_bench.results.load import load_runs

    folder = Path(folder)
    if not folder.is_dir() or not any(p.is_dir() and "@v" in p.name for p in folder.iterdir()):
        return pd.DataFrame(columns=["task", "agent", "privileged", "seed"])
    runs = load_runs([folder])
    full = [
        layouts == "public" and task in TASKS and (budget, episodes) == (TASKS.get(task).spec.budget, TASKS.get(task).spec.eval_episodes)
        for task, layouts, budget, episodes in zip(runs["task"], runs["eval_layouts"], runs["budget"], runs["eval_episodes"])
    ]
    frame, _ = tables.check_runs(runs[full])
    return tables.per_run_table(frame)


def ladder_problems(per_run: pd.DataFrame, suites: tuple[str, ...], exceptions: dict[str, str], reps: int = REPS) -> tuple[list[str], list[str]]:
    """``(problems, checked)``: per task of ``suites`` whose references are all made (every
    baseline it names on all its reference seeds), a line where the ladder fails and the
    task is not among ``exceptions`` (task -> why), or where it holds and the task is (a
    stale exception), and where an exception names no task of ``suites`` (a typo would
    otherwise excuse nothing, silently); ``checked``: the tasks looked at."""
    from embodied_bench.leaderboard.references import plan, seeds_for
    from embodied_bench.registry import SUITES

    per_run = reference_seeds(per_run)
    problems, checked = [], []
    for suite in suites:
        metric = ranking_metric(SUITES.get(suite).ranks_by)
        made = complete_pairs(per_run, {p: seeds_for(p[1]) for p in plan([suite])})
        for task in SUITES.get(suite).tasks:
            if task in checked or any(k < n for (t, _), (k, n) in made.items() if t == task):
                continue
            checked.append(task)
            ladder = task_ladder(per_run, task, metric, reps)
            if task in exceptions and ladder.holds:
                problems.append(f"{task}: the ladder holds now; remove its exception ({exceptions[task]})")
            elif task not in exceptions and not ladder.holds:
                problems.append(
                    f"{task}: {ladder.verdict()}: random {fmt(ladder.random)}, best learner {ladder.learner.agent if ladder.learner else '–'} {fmt(ladder.learner)}, "
                    f"best privileged {ladder.privileged.agent if ladder.privileged else '–'} {fmt(ladder.privileged)}"
                )
    named = {task for suite in suites for task in SUITES.get(suite).tasks}
    problems += [f"{task}: an exception for a task that {', '.join(suites)} does not name; remove it or fix its name" for task in exceptions if task not in named]
    return problems, checked


def fmt(rung: Rung | None) -> str:
    if rung is None:
        return "–"
    return f"{rung.iqm:.2f} [{rung.lo:.2f}, {rung.hi:.2f}]"


def _cell(rung: Rung | None) -> str:
    return "–" if rung is None else f"{rung.agent} {fmt(rung)} ({rung.runs} runs)"


def _signed(d: tuple[float, float, float] | None) -> str:
    return "–" if d is None else f"{d[0]:+.2f} [{d[1]:+.2f}, {d[2]:+.2f}]"


def official_blocks(per_run: pd.DataFrame, suite: str, reps: int = REPS, seed: int = 0) -> list:
    """The official results of ``suite`` as report blocks: how complete the references
    are, and per task the world-model-gap row and the ladder's verdict. ``per_run``: the
    per-run table of the official references (every task; others are ignored)."""
    from embodied_bench.leaderboard import references
    from embodied_bench.registry import SUITES, TASKS
    from embodied_bench.report import document as doc

    spec = SUITES.get(suite)
    metric = ranking_metric(spec.ranks_by)
    per_run = reference_seeds(per_run)
    wanted = {pair: references.seeds_for(pair[1]) for pair in references.plan([suite])}
    made = complete_pairs(per_run, wanted)
    whole = [p for p, (k, n) in made.items() if k >= n]
    runs = sum(min(k, n) for k, n in made.values())
    total = sum(n for _, n in made.values())
    what = "the normalised AUC of the graded score" if metric == "score_auc" else "the normalised AUC of success"
    blocks: list = [doc.Heading(f"{suite}: the ladder and the world-model gap", 3)]
    blocks.append(
        doc.Para(
            f"From the official references (`embodied-bench references`): {len(whole)} of {len(made)} (task, baseline) pairs have all their seeds, "
            f"{runs} of {total} runs; where a pair is not complete its cell holds the runs made so far. Each cell: the best baseline of that kind "
            f"(highest IQM, picked on the same runs as its interval), IQM over seeds of {what} [95% interval] (runs). "
            "World-model gap: cem-sim minus cem-learned, the same search on the simulator and on the model it learned, in AUC and in final graded score; "
            "cem-sim learns nothing, so the AUC gap includes the time cem-learned takes to learn. "
            "The ladder holds where random < best learner < best privileged reference with 95% intervals apart.",
            markup=True,
        )
    )
    fewer = sorted({a for (_, a), n in wanted.items() if n < references.SEEDS})
    if fewer:
        blocks.append(doc.Para(f"Fewer seeds by design (their class's `official_seeds`: too costly for {references.SEEDS}): " + ", ".join(f"{a} ({references.seeds_for(a)})" for a in fewer) + ".", markup=True))
    cost = cpu_account(run_cpu_seconds(per_run["run_dir"] if len(per_run) else []), wanted)
    counted = f"the {cost.runs} runs made" if cost.measured == cost.runs else f"the {cost.measured} of the {cost.runs} runs made with a measurement"
    unpriced = f" ({cost.unpriced} runs of pairs with no measured run yet are not counted)" if cost.unpriced else ""
    blocks.append(
        doc.Para(
            f"CPU time of this suite's references (each run's harness process, from its record; a run of tasks that several suites share counts in each): "
            f"{cost.spent:.1f} CPU-hours for {counted}; all {cost.wanted} runs about {cost.projected:.1f} CPU-hours, each pair's runs priced at the mean of its runs made{unpriced}."
        )
    )
    rows = []
    for task in spec.tasks:
        animal = _animal(TASKS.get(task).spec)
        mine = per_run[per_run["task"] == task] if len(per_run) else per_run
        if mine.empty:
            rows.append((task, *("–" for _ in GAP_COLUMNS), "–", "–", animal, "no runs yet"))
            continue
        found = rungs(mine, metric, reps, seed)
        row = gap_row(mine, task, metric, reps, seed, found)
        ladder = ladder_of(found, set(mine.loc[mine["privileged"].astype(bool), "agent"]), task, metric)
        short = [f"{a} {k}/{n}" for (t, a), (k, n) in made.items() if t == task and k < n]
        verdict = "references incomplete (runs made/wanted: " + ", ".join(short) + ")" if short else ladder.verdict()
        rows.append((task, *(_cell(r) for r in row.cells.values()), _signed(row.gap), _signed(row.final_gap), animal, verdict))
    blocks.append(doc.Table(("task", *GAP_COLUMNS, "world-model gap (AUC)", "world-model gap (final score)", "animal / human reference", "ladder"), tuple(rows)))
    return blocks


def _animal(spec) -> str:
    return f"{spec.reference.animal_budget:,} {spec.budget_unit} ({spec.reference.animal_source})"
