"""The gain from a phase before the budget (watching, playing): the same agent's runs on a
protocol variant (``cat-climb-skill-watch@v1``) against its runs on the plain task
(``cat-climb-skill@v1``), on the same seeds and held-out layouts, pooled over the tasks it
ran both ways.

``per_run`` is the table of ``metrics.tables.per_run_table`` (columns ``agent``, ``task``,
``protocol``, ``plain_task`` and the scores); arrays are ``(runs, tasks)``."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from embodied_bench.metrics.aggregates import iqm
from embodied_bench.metrics.bootstrap import interval_estimates
from embodied_bench.metrics.compare import significance
from embodied_bench.metrics.tables import MixedRunsError, common_scores, min_runs, pair_improvement

WITH, WITHOUT = "with", "without"


@dataclass(frozen=True)
class Gain:
    agent: str
    protocol: str
    """``"watch"`` or ``"play"``."""
    metric: str
    """The per-run score compared (normalised AUC of the graded score, ``score_auc``, by
    default: what the v1 suites rank by)."""
    tasks: tuple[str, ...]
    """The plain tasks the agent ran both ways."""
    runs_with: int
    runs_without: int
    iqm_diff: float
    """IQM of the metric with the phase minus without."""
    iqm_diff_ci: tuple[float, float]
    steps_diff: float
    """Mean steps-to-threshold as a fraction of the budget, with minus without (runs that
    never reach the threshold count as the whole budget, so this is censored: negative
    means the threshold came sooner with the phase)."""
    steps_diff_ci: tuple[float, float]
    p: float
    """P(a run with the phase beats a run without), on the metric."""
    p_ci: tuple[float, float]
    min_runs: int
    confidence: float
    play_cost: float | None = None
    """Play variants: the mean guardrail cost of a run's play (what playing broke); None
    for watching."""

    def verdict(self) -> str:
        lo, hi = self.p_ci
        word = significance(lo, hi, self.min_runs)
        what = f"{self.agent} with {self.protocol}ing vs without, on {len(self.tasks)} task{'s' if len(self.tasks) != 1 else ''}: IQM gain {self.iqm_diff:+.3f} [{self.iqm_diff_ci[0]:+.3f}, {self.iqm_diff_ci[1]:+.3f}], P(with > without) {self.p:.2f} [{lo:.2f}, {hi:.2f}]"
        return {"A better": f"{what}: a significant gain.", "B better": f"{what}: significantly worse with it.", "too few runs": f"{what}: too few runs to tell.", "not significant": f"{what}: no significant gain."}[word]


def _steps_fraction(per_run: pd.DataFrame) -> pd.Series:
    censored = per_run["steps_to_threshold"].where(per_run["reached_threshold"].astype(bool), per_run["budget"])
    return censored / per_run["budget"]


def gains(per_run: pd.DataFrame, metric: str = "score_auc", reps: int = 20_000, confidence: float = 0.95, seed: int = 0) -> list[Gain]:
    """One ``Gain`` per (agent, protocol) that has runs on a variant and on its plain task,
    on the seeds both sides ran (the same seeds give the same held-out layouts); a
    ``MixedRunsError`` where the two sides ran different budgets or evaluation grids."""
    if "protocol" not in per_run.columns:
        return []
    out = []
    table = per_run.assign(steps_fraction=_steps_fraction(per_run))
    # Phases before the budget only: an adapt variant is another measure (metrics.adaptation).
    variants = table[table["protocol"].fillna("").isin(("watch", "play"))]
    for (agent, protocol), g in variants.groupby(["agent", "protocol"], sort=True):
        plain = table[(table["agent"] == agent) & (table["protocol"].fillna("") == "") & table["task"].isin(set(g["plain_task"]))]
        if plain.empty:
            continue
        g, plain = _paired(str(agent), str(protocol), g, plain)
        if plain.empty:
            continue
        frame = pd.concat([g.assign(task=g["plain_task"], agent=WITH), plain.assign(agent=WITHOUT)], ignore_index=True)
        opts = dict(reps=reps, confidence=confidence, seed=seed)
        xa, xb, tasks = common_scores(frame, WITH, WITHOUT, metric)
        sa, sb, _ = common_scores(frame, WITH, WITHOUT, "steps_fraction")
        p, pci = pair_improvement(xa, xb, WITH, WITHOUT, metric, **opts)
        key = f"{agent}|{protocol}"
        points, intervals = interval_estimates({f"{key}|iqm": (xa, xb), f"{key}|steps": (sa, sb)}, lambda x, y: _diff(x, y), **opts)
        out.append(
            Gain(
                agent=str(agent),
                protocol=str(protocol),
                metric=metric,
                tasks=tuple(tasks),
                runs_with=int(np.sum(~np.isnan(xa))),
                runs_without=int(np.sum(~np.isnan(xb))),
                iqm_diff=float(points[f"{key}|iqm"][0]),
                iqm_diff_ci=(float(intervals[f"{key}|iqm"][0][0]), float(intervals[f"{key}|iqm"][1][0])),
                steps_diff=float(points[f"{key}|steps"][1]),
                steps_diff_ci=(float(intervals[f"{key}|steps"][0][1]), float(intervals[f"{key}|steps"][1][1])),
                p=p,
                p_ci=pci,
                min_runs=min_runs(xa, xb),
                confidence=confidence,
                play_cost=float(g["play_cost"].mean()) if protocol == "play" and "play_cost" in g else None,
            )
        )
    return out


def _paired(agent: str, protocol: str, variant: pd.DataFrame, plain: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The runs with and without the phase on the seeds both have, per plain task; a
    ``MixedRunsError`` (one line) where the two sides ran another budget or evaluation grid, since
    their difference would then not be the phase's."""
    keep_v, keep_p = [], []
    for task, v in variant.groupby("plain_task", sort=True):
        p = plain[plain["task"] == task]
        for column in ("budget", "checkpoints") if "checkpoints" in v.columns else ("budget",):
            mine, theirs = sorted(set(v[column])), sorted(set(p[column]))
            if mine != theirs:
                raise MixedRunsError(f"gain of {agent} from {protocol}ing on {task}: the runs with it have {column} {mine} and those without {theirs}; run both at the same budget")
        seeds = set(v["seed"]) & set(p["seed"])
        keep_v.append(v[v["seed"].isin(seeds)])
        keep_p.append(p[p["seed"].isin(seeds)])
    return pd.concat(keep_v, ignore_index=True), pd.concat(keep_p, ignore_index=True)


def _diff(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """``[IQM(x) - IQM(y), mean(x) - mean(y)]``: the first for scores, the second for
    steps-to-threshold fractions (a mean, since censored values make a trimmed mean
    drop the runs that matter)."""
    return np.stack([iqm(x) - iqm(y), np.nanmean(x, axis=(-2, -1)) - np.nanmean(y, axis=(-2, -1))], axis=-1)
