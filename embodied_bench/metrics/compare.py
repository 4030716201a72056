"""Comparing two agents: probability of improvement with its interval, the difference in
IQM of normalised AUC with its interval, and a verdict that says no more than the
interval does (significant when the interval of P(A > B) excludes 0.5)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from embodied_bench.metrics.aggregates import iqm, probability_of_improvement
from embodied_bench.metrics.bootstrap import interval_estimates
from embodied_bench.metrics.tables import common_scores


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

    def verdict(self) -> str:
        """One sentence applying the rule of Agarwal et al. (2021): A is significantly more
        sample-efficient than B when the interval of P(A > B) lies above 0.5."""
        lo, hi = self.p_auc_ci
        conf = f"{self.confidence:.0%}"
        where = f"on {len(self.tasks)} task{'s' if len(self.tasks) != 1 else ''} ({self.runs_a} vs {self.runs_b} runs)"
        p = f"P({self.a} > {self.b}) = {self.p_auc:.2f}, {conf} CI [{lo:.2f}, {hi:.2f}]"
        if lo > 0.5:
            return f"{self.a} is significantly more sample-efficient than {self.b} {where}: {p} lies above 0.5."
        if hi < 0.5:
            return f"{self.b} is significantly more sample-efficient than {self.a} {where}: {p} lies below 0.5."
        return f"No significant difference in sample efficiency between {self.a} and {self.b} {where}: {p} includes 0.5, which does not show that they are equal."


def compare_agents(per_run: pd.DataFrame, a: str, b: str, reps: int = 50_000, confidence: float = 0.95, seed: int = 0) -> Comparison:
    """Compare agents ``a`` and ``b`` of a per-run table over the tasks both ran. Each
    agent's runs are resampled on their own (stratified by task)."""
    xa, xb, tasks = common_scores(per_run, a, b, "auc")
    fa, fb, _ = common_scores(per_run, a, b, "final_success")
    opts = dict(reps=reps, confidence=confidence, seed=seed)
    p, pci = interval_estimates({f"{a}>{b}|auc": (xa, xb)}, probability_of_improvement, **opts)
    d, dci = interval_estimates({f"{a}-{b}|auc": (xa, xb)}, lambda x, y: iqm(x) - iqm(y), **opts)
    q, qci = interval_estimates({f"{a}>{b}|final_success": (fa, fb)}, probability_of_improvement, **opts)

    def pair(ci: dict, key: str) -> tuple[float, float]:
        return float(ci[key][0]), float(ci[key][1])

    return Comparison(
        a=a,
        b=b,
        tasks=tuple(tasks),
        runs_a=int(np.sum(~np.isnan(xa))),
        runs_b=int(np.sum(~np.isnan(xb))),
        confidence=confidence,
        p_auc=float(p[f"{a}>{b}|auc"]),
        p_auc_ci=pair(pci, f"{a}>{b}|auc"),
        iqm_auc_diff=float(d[f"{a}-{b}|auc"]),
        iqm_auc_diff_ci=pair(dci, f"{a}-{b}|auc"),
        p_final=float(q[f"{a}>{b}|final_success"]),
        p_final_ci=pair(qci, f"{a}>{b}|final_success"),
    )
