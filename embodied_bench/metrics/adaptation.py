"""Continual metrics of adapt runs (``TaskSpec.phases``) from their records, with the
suite's stratified-bootstrap intervals.

Per run (``per_run_adaptation``), from ``phases.csv`` (one row per checkpoint and phase
evaluated) and the curve: the ``(phases, evaluations)`` matrix of the graded score
(``eval_partial``) on each phase's world, over the evaluations after checkpoint 0 (so
every phase has the same number, one phase's length over ``eval_every``; the evaluation
at checkpoint 0 comes before any learning), and from it, with the definitions of
``metrics.continual``:

* ``average_performance``: the mean over phases of the final score on each world;
* ``forgetting``: Continual World's mean forgetting (every phase, the last included,
  negative where a world got better later);
* ``forward_transfer``: Continual World's, against the same agent and seed learning each
  world alone (``registry.register_adapt``'s single-world references); NaN where a
  reference run is missing;
* ``recovery``: per change, the budget spent (env steps or episodes) from the change to the
  first evaluation whose *success rate* on the new world reaches the task's threshold, as a
  share of a phase (0 where it was there at the change, evaluated before any step in it)
  (1 where it never did: censored), averaged over the changes; ``recovered`` the share of
  changes after which it did;
* ``early_cost``: the guardrail cost of training in the first evaluation interval after
  each change (what the agent broke while adapting), averaged over the changes.

Across runs (``adaptation``): per agent over the adapt tasks it ran, the mean over tasks of
each task's mean over seeds, with percentile intervals of the stratified bootstrap
(``metrics.bootstrap``). Means, not IQMs: forgetting and transfer are signed, and a
censored recovery must not be trimmed away.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from embodied_bench.metrics import continual as C
from embodied_bench.metrics.bootstrap import interval_estimates

METRICS: tuple[str, ...] = ("average_performance", "forgetting", "forward_transfer", "recovery", "recovered", "early_cost")
"""Per-run columns of ``per_run_adaptation``, in the order tables show them."""

HIGHER_IS_BETTER = {"average_performance": True, "forgetting": False, "forward_transfer": True, "recovery": False, "recovered": True, "early_cost": False}


def run_matrix(phases: pd.DataFrame, n_phases: int, column: str = "eval_partial") -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(perf, phase_of, budget_used)`` of one run from its ``phases.csv`` rows:
    ``perf`` ``(phases, evaluations)`` (NaN for a world not yet evaluated; a new world is
    first evaluated at the checkpoint of its change, which still belongs to the phase
    before), over the checkpoints after checkpoint 0."""
    rows = phases[phases["checkpoint"] > 0]
    points = np.sort(rows["budget_used"].unique())
    perf = np.full((n_phases, points.size), np.nan)
    col = {p: k for k, p in enumerate(points)}
    for r in rows.itertuples(index=False):
        perf[int(r.phase), col[r.budget_used]] = float(getattr(r, column))
    current = rows[rows["current"] == 1].drop_duplicates("budget_used").set_index("budget_used")["phase"]
    phase_of = current.reindex(points).to_numpy(int)
    return perf, phase_of, points


def reference_key(task: str, agent: str, seed: int, budget: int, eval_every: int, eval_episodes: int, layouts: str) -> tuple:
    """What makes a run the single-world reference of an adapt run's phase: its task, agent
    and seed, and a protocol that matches the phase's (one phase's length as its budget,
    the same evaluation interval, layouts and number of them)."""
    return (task, agent, int(seed), int(budget), int(eval_every), int(eval_episodes), str(layouts))


def per_run_adaptation(runs: list[dict[str, Any]], references: dict[tuple, pd.DataFrame] | None = None) -> pd.DataFrame:
    """One row per adapt run: its identity (``task``, ``agent``, ``seed``, ``run_dir``) and
    ``METRICS``. ``runs``: dicts with ``task``, ``agent``, ``seed``, ``run_dir``, ``spec``
    (the ``TaskSpec`` it ran, budget scale applied), ``layouts`` (its evaluation layouts,
    ``results.load.eval_layouts``), ``phases`` (its ``phases.csv`` frame) and ``curve``
    (its ``curve.csv`` frame). ``references``: ``reference_key`` -> that run's curve, for
    forward transfer. ValueError naming the run where its records do not fit together."""
    references = references or {}
    out = []
    for run in runs:
        try:
            out.append(_one_run(run, references))
        except (ValueError, KeyError, IndexError) as exc:
            raise ValueError(f"{run['run_dir']}: its phases.csv does not fit its protocol ({exc}); rerun it or leave it out") from None
    return pd.DataFrame(out, columns=["task", "agent", "seed", "run_dir", "phases", "references", *METRICS])


def _one_run(run: dict[str, Any], references: dict[tuple, pd.DataFrame]) -> dict[str, Any]:
    from embodied_bench.registry import adapt_reference

    spec = run["spec"]
    n = len(spec.phases)
    perf, phase_of, points = run_matrix(run["phases"], n)
    success, _, _ = run_matrix(run["phases"], n, "eval_success")
    starts = np.array([p.start for p in spec.phases], dtype=float)
    lengths = np.diff([*starts, spec.budget])
    row: dict[str, Any] = {k: run[k] for k in ("task", "agent", "seed", "run_dir")}
    row["phases"] = n
    row["average_performance"] = C.average_performance(perf, phase_of)
    row["forgetting"] = C.forgetting(perf, phase_of)
    layouts = run.get("layouts", "public")
    curves = [references.get(reference_key(adapt_reference(spec, i), run["agent"], run["seed"], lengths[i], spec.eval_every, spec.eval_episodes, layouts)) for i in range(n)]
    row["references"] = all(c is not None for c in curves)
    if row["references"]:
        reference = [c.loc[c["checkpoint"] > 0, "eval_partial"].to_numpy(float) for c in curves]
        row["forward_transfer"] = C.forward_transfer(perf, phase_of, reference)
    else:
        row["forward_transfer"] = float("nan")
    if n > 1:
        # The score on each new world at its change, before a step in it (older records
        # have none: NaN).
        at = [success[i, np.searchsorted(points, starts[i])] if starts[i] in points else np.nan for i in range(1, n)]
        crossing = C.steps_to_recover(success, phase_of, points.astype(float), starts, spec.threshold, at_change=np.array(at))
        row["recovery"] = float(np.mean(crossing.first / lengths[1:]))
        row["recovered"] = float(np.mean(crossing.reached))
        curve = run["curve"]
        cost = C.early_cost(curve["train_cost"].to_numpy(float), curve["budget_used"].to_numpy(float), starts, spec.eval_every)
        row["early_cost"] = float(np.mean(cost[1:]))
    else:
        row.update(recovery=float("nan"), recovered=float("nan"), early_cost=float("nan"))
    return row


@dataclass(frozen=True)
class Adaptation:
    """One agent's continual metrics over the adapt tasks it ran."""

    agent: str
    tasks: tuple[str, ...]
    runs: int
    with_references: int
    """Runs whose every single-world reference was there (forward transfer's count)."""
    points: dict[str, float]
    intervals: dict[str, tuple[float, float]]
    confidence: float


def _task_mean(x: np.ndarray) -> np.ndarray:
    present = ~np.isnan(x)
    with np.errstate(invalid="ignore", divide="ignore"):
        per_task = np.where(present, x, 0.0).sum(axis=-2) / present.sum(axis=-2)
    return np.nanmean(per_task, axis=-1) if per_task.size else per_task


def adaptation(per_run: pd.DataFrame, reps: int = 20_000, confidence: float = 0.95, seed: int = 0) -> list[Adaptation]:
    """One ``Adaptation`` per agent in ``per_run`` (``per_run_adaptation``)."""
    out = []
    for agent, g in per_run.groupby("agent", sort=True):
        tasks = tuple(sorted(g["task"].unique()))
        width = max(int(g.groupby("task").size().max()), 1)
        arrays = {}
        for metric in METRICS:
            a = np.full((width, len(tasks)), np.nan)
            for j, task in enumerate(tasks):
                values = g.loc[g["task"] == task, metric].to_numpy(float)
                a[: values.size, j] = values
            if np.all(np.isnan(a)):
                continue
            arrays[f"{agent}|{metric}"] = a
        points, intervals = interval_estimates(arrays, _task_mean, reps=reps, confidence=confidence, seed=seed) if arrays else ({}, {})
        out.append(
            Adaptation(
                agent=str(agent),
                tasks=tasks,
                runs=len(g),
                with_references=int(g["references"].astype(bool).sum()),
                points={m: float(points[f"{agent}|{m}"]) if f"{agent}|{m}" in points else float("nan") for m in METRICS},
                intervals={m: (float(intervals[f"{agent}|{m}"][0]), float(intervals[f"{agent}|{m}"][1])) if f"{agent}|{m}" in intervals else (float("nan"), float("nan")) for m in METRICS},
                confidence=confidence,
            )
        )
    return out
