"""Comparing two agents: probability of improvement with its interval, the difference in
IQM of normalised AUC with its interval, and a verdict that says no more than the
interval does (significant when the interval of P(A > B) excludes 0.5)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from embodied_bench.metrics.aggregates import iqm
from embodied_bench.metrics.bootstrap import interval_estimates
from embodied_bench.metrics.tables import MIN_RUNS, common_scores, min_runs, pair_improvement


def significance(p_lo: float, p_hi: float, fewest_runs: int) -> str:
    """The paper's rule on an interval of P(A > B): "A better" when it lies above 0.5, "B
    better" below, "not significant" when it holds 0.5; "too few runs" instead of a
    difference when a task has fewer than ``MIN_RUNS`` runs, where the percentile
    bootstrap under-covers (with one or two runs it can collapse to a point)."""
    if p_lo <= 0.5 <= p_hi:
        return "not significant"
    if fewest_runs < MIN_RUNS:
        return "too few runs"
    return "A better" if p_lo > 0.5 else "B better"


@dataclass(frozen=True)
class Comparison:
    a: str
    b: str
    tasks: tuple[str, ...]
    runs_a: int
    runs_b: int
    confidence: float
    p_auc: float
    """P(A > B) on normalised AUC (sample efficiency)."""
    p_auc_ci: tuple[float, float]
    iqm_auc_diff: float
    """IQM of A's normalised AUC minus B's."""
    iqm_auc_diff_ci: tuple[float, float]
    p_final: float
    """P(A > B) on final success."""
    p_final_ci: tuple[float, float]
    min_runs: int
    """The fewest runs of either agent on any of the tasks."""
    privileged: tuple[str, ...] = ()
    """Which of the two are privileged references."""

    def verdict(self) -> str:
        """One sentence applying the rule of Agarwal et al. (2021): A is significantly more
        sample-efficient than B when the interval of P(A > B) lies above 0.5, and only
        with enough runs per task for the interval to be trusted."""
        lo, hi = self.p_auc_ci
        conf = f"{self.confidence:.0%}"
        where = f"on {len(self.tasks)} task{'s' if len(self.tasks) != 1 else ''} ({self.runs_a} vs {self.runs_b} runs)"
        p = f"P({self.a} > {self.b}) = {self.p_auc:.2f}, {conf} CI [{lo:.2f}, {hi:.2f}]"
        refs = f" ({', '.join(self.privileged)}: privileged reference, not a competitor)" if self.privileged else ""
        word = significance(lo, hi, self.min_runs)
        if word == "A better":
            return f"{self.a} is significantly more sample-efficient than {self.b} {where}: {p} lies above 0.5.{refs}"
        if word == "B better":
            return f"{self.b} is significantly more sample-efficient than {self.a} {where}: {p} lies below 0.5.{refs}"
        if word == "too few runs":
            return f"Not conclusive: {p} excludes 0.5, but with {self.min_runs} run{'s' if self.min_runs != 1 else ''} on some task the interval is too narrow to trust; run at least {MIN_RUNS} seeds per task.{refs}"
        return f"No significant difference in sample efficiency between {self.a} and {self.b} {where}: {p} includes 0.5, which does not show that they are equal.{refs}"


def compare_agents(per_run: pd.DataFrame, a: str, b: str, reps: int = 50_000, confidence: float = 0.95, seed: int = 0) -> Comparison:
    """Compare agents ``a`` and ``b`` of a per-run table over the tasks both ran. Each
    agent's runs are resampled on their own (stratified by task)."""
    xa, xb, tasks = common_scores(per_run, a, b, "auc")
    fa, fb, _ = common_scores(per_run, a, b, "final_success")
    opts = dict(reps=reps, confidence=confidence, seed=seed)
    p, pci = pair_improvement(xa, xb, a, b, "auc", **opts)
    q, qci = pair_improvement(fa, fb, a, b, "final_success", **opts)
    # The difference is bootstrapped in sorted name order too, so A-B mirrors B-A exactly.
    first, second, sign = (xa, xb, 1.0) if a <= b else (xb, xa, -1.0)
    key = f"{min(a, b)}-{max(a, b)}|auc"
    d, dci = interval_estimates({key: (first, second)}, lambda x, y: iqm(x) - iqm(y), **opts)
    diff_ci = sorted((sign * float(dci[key][0]), sign * float(dci[key][1])))
    privileged = set(per_run.loc[per_run["privileged"].astype(bool), "agent"])
    return Comparison(
        a=a,
        b=b,
        tasks=tuple(tasks),
        runs_a=int(np.sum(~np.isnan(xa))),
        runs_b=int(np.sum(~np.isnan(xb))),
        confidence=confidence,
        p_auc=p,
        p_auc_ci=pci,
        iqm_auc_diff=sign * float(d[key]),
        iqm_auc_diff_ci=(diff_ci[0], diff_ci[1]),
        p_final=q,
        p_final_ci=qci,
        min_runs=min_runs(xa, xb),
        privileged=tuple(n for n in (a, b) if n in privileged),
    )
