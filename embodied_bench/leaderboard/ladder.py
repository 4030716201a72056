"""The official results' two claims per task, computed from the reference runs alone.

**The ladder**: random < the best non-privileged baseline < the best privileged reference,
each an IQM over seeds of the task's ranking score (the normalised AUC of the graded score
on suites ranked by it, of success otherwise) with its 95% stratified-bootstrap interval,
and a rung holds only where the two intervals do not overlap. "Best" is the highest IQM.

**The world-model gap**: per task, the IQM of random, the best model-free learner, the
planner on a learned model, the same planner on the simulator and the oracle, beside the
animal's or person's reference budget; the gap is simulator planner minus learned-model
planner, the part of the privileged score that a perfect model of the world buys.

Which baseline is which comes from its registration (``registry.BASELINE_ROLES``)."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from embodied_bench.metrics.aggregates import iqm
from embodied_bench.metrics.bootstrap import interval_estimates
from embodied_bench.registry import BASELINE_ROLES

REPS = 10_000
"""Bootstrap replicates of every interval here (deterministic: seed 0)."""


@dataclass(frozen=True)
class Rung:
    """One agent's IQM of the ranking score on one task, with its 95% interval."""

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
    def below_privileged(self) -> bool:
        """The best privileged reference's interval lies wholly above the best learner's."""
        return self.learner is not None and self.privileged is not None and self.learner.hi < self.privileged.lo

    @property
    def holds(self) -> bool:
        return self.off_the_floor and self.below_privileged


def rungs(per_run: pd.DataFrame, metric: str, reps: int = REPS, seed: int = 0) -> dict[str, Rung]:
    """Per agent of ``per_run`` (one task's rows of ``tables.per_run_table``): the IQM over
    its runs of ``metric`` with a 95% bootstrap interval (runs resampled)."""
    scores = {agent: g[metric].to_numpy(float)[:, None] for agent, g in per_run.groupby("agent", sort=True)}
    points, intervals = interval_estimates(scores, iqm, reps=reps, seed=seed)
    return {a: Rung(a, len(scores[a]), float(points[a]), float(intervals[a][0]), float(intervals[a][1])) for a in scores}


def _best(found: dict[str, Rung], agents: list[str]) -> Rung | None:
    mine = [found[a] for a in agents if a in found]
    return max(mine, key=lambda r: (r.iqm, r.lo, r.agent)) if mine else None


def task_ladder(per_run: pd.DataFrame, task: str, metric: str, reps: int = REPS, seed: int = 0) -> TaskLadder:
    """The ladder of ``task`` from the per-run table of every agent's runs on it."""
    mine = per_run[per_run["task"] == task]
    found = rungs(mine, metric, reps, seed)
    privileged = set(mine.loc[mine["privileged"].astype(bool), "agent"])
    learners = [a for a in found if a not in privileged and BASELINE_ROLES.get(a) != "random"]
    return TaskLadder(task, metric, found.get(_random(found)), _best(found, learners), _best(found, sorted(privileged)))


def _random(found: dict[str, Rung]) -> str | None:
    return next((a for a in found if BASELINE_ROLES.get(a) == "random"), None)


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
    of their IQMs with a 95% interval (seeds resampled independently); None without both."""


def gap_row(per_run: pd.DataFrame, task: str, metric: str, reps: int = REPS, seed: int = 0) -> GapRow:
    mine = per_run[per_run["task"] == task]
    found = rungs(mine, metric, reps, seed)
    cells = {col: _best(found, [a for a in found if BASELINE_ROLES.get(a) == role]) for col, role in _ROLE_OF_COLUMN.items()}
    sim, learned = cells["planner on simulator"], cells["planner on learned model"]
    gap = None
    if sim is not None and learned is not None:
        x = mine.loc[mine["agent"] == sim.agent, metric].to_numpy(float)[:, None]
        y = mine.loc[mine["agent"] == learned.agent, metric].to_numpy(float)[:, None]
        points, intervals = interval_estimates({"gap": (x, y)}, lambda a, b: iqm(a) - iqm(b), reps=reps, seed=seed)
        gap = (float(points["gap"]), float(intervals["gap"][0]), float(intervals["gap"][1]))
    return GapRow(task, metric, cells, gap)


def ranking_metric(ranks_by: str) -> str:
    """The per-run column a suite ranks by: ``score_auc`` or ``auc``."""
    return "score_auc" if ranks_by == "score" else "auc"


def complete_pairs(per_run: pd.DataFrame, wanted: dict[tuple[str, str], int]) -> dict[tuple[str, str], tuple[int, int]]:
    """Per ``(task, agent)`` pair wanted with its number of reference seeds: ``(runs made,
    runs wanted)`` from ``per_run`` (complete runs only)."""
    made = per_run.groupby(["task", "agent"]).size().to_dict() if len(per_run) else {}
    return {pair: (int(made.get(pair, 0)), n) for pair, n in wanted.items()}


def fmt(rung: Rung | None) -> str:
    if rung is None:
        return "–"
    return f"{rung.iqm:.2f} [{rung.lo:.2f}, {rung.hi:.2f}]"


def official_blocks(per_run: pd.DataFrame, suite: str, reps: int = REPS, seed: int = 0) -> list:
    """The official results of ``suite`` as report blocks: how complete the references
    are, and per task the world-model-gap row and the ladder's verdict. ``per_run``: the
    per-run table of the official references (every task; others are ignored)."""
    from embodied_bench.leaderboard import references
    from embodied_bench.registry import SUITES, TASKS
    from embodied_bench.report import document as doc

    spec = SUITES.get(suite)
    metric = ranking_metric(spec.ranks_by)
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
            f"{runs} of {total} runs. Each cell: the best baseline of that kind, IQM over seeds of {what} [95% interval]. "
            "The world-model gap is the simulator planner minus the same planner on the model it learned; the ladder holds where "
            "random < best learner < best privileged reference with intervals apart.",
            markup=True,
        )
    )
    fewer = sorted({a for (_, a), n in wanted.items() if n < references.SEEDS})
    if fewer:
        blocks.append(doc.Para(f"Fewer seeds by design (their class's `official_seeds`: too costly for {references.SEEDS}): " + ", ".join(f"{a} ({references.seeds_for(a)})" for a in fewer) + ".", markup=True))
    rows = []
    for task in spec.tasks:
        if per_run.empty or not (per_run["task"] == task).any():
            rows.append((task, *("–" for _ in GAP_COLUMNS), "–", _animal(TASKS.get(task).spec), "no runs yet"))
            continue
        row = gap_row(per_run, task, metric, reps, seed)
        ladder = task_ladder(per_run, task, metric, reps, seed)
        mine = {p: v for p, v in made.items() if p[0] == task}
        short = [f"{a} {k}/{n}" for (_, a), (k, n) in mine.items() if k < n]
        cells = tuple("–" if r is None else f"{r.agent} {fmt(r)}" for r in row.cells.values())
        gap = "–" if row.gap is None else f"{row.gap[0]:+.2f} [{row.gap[1]:+.2f}, {row.gap[2]:+.2f}]"
        rows.append((task, *cells, gap, _animal(TASKS.get(task).spec), _verdict(ladder, short)))
    blocks.append(doc.Table(("task", *GAP_COLUMNS, "world-model gap", "animal / human reference", "ladder"), tuple(rows)))
    return blocks


def _animal(spec) -> str:
    return f"{spec.reference.animal_budget:,} {spec.budget_unit} ({spec.reference.animal_source})"


def _verdict(ladder: TaskLadder, short: list[str]) -> str:
    if short:
        return "references incomplete (runs made/wanted: " + ", ".join(short) + ")"
    if ladder.holds:
        return "holds"
    if not ladder.off_the_floor:
        return "no learner off the floor yet"
    return "the best learner is not below the privileged references"
