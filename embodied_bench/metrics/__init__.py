"""Sample-efficiency metrics: pure functions on documented arrays (``aggregates``,
``curves``), the bootstrap uncertainty layer (``bootstrap``), and the tables built from
loaded run records (``tables``)."""

from embodied_bench.metrics.aggregates import (
    AGGREGATES,
    aggregate_all,
    iqm,
    mean,
    median,
    optimality_gap,
    performance_profile,
    probability_of_improvement,
)
from embodied_bench.metrics.bootstrap import interval_estimates, per_checkpoint
from embodied_bench.metrics.curves import (
    ThresholdCrossing,
    cost_rate,
    episode_cost,
    normalized_auc,
    steps_to_threshold,
)

__all__ = [
    "AGGREGATES",
    "ThresholdCrossing",
    "aggregate_all",
    "cost_rate",
    "episode_cost",
    "interval_estimates",
    "iqm",
    "mean",
    "median",
    "normalized_auc",
    "optimality_gap",
    "per_checkpoint",
    "performance_profile",
    "probability_of_improvement",
    "steps_to_threshold",
]
