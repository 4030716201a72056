"""Per-run metrics of one learning curve, and guardrail costs.

A learning curve is the evaluation score at each checkpoint of a shared step grid:
``steps`` has shape ``(checkpoints,)``, ``scores`` has shape ``(..., checkpoints)`` and
results have the leading shape ``(...)``.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np


def _grid(steps: np.ndarray, scores: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    steps = np.asarray(steps, dtype=float)
    scores = np.asarray(scores, dtype=float)
    if steps.ndim != 1 or steps.size < 2:
        raise ValueError(f"steps must be a 1-d grid of at least 2 checkpoints, got shape {steps.shape}")
    if not np.all(np.diff(steps) > 0):
        raise ValueError("steps must be strictly increasing")
    if scores.shape[-1:] != steps.shape:
        raise ValueError(f"scores must end in the checkpoint axis ({steps.size}), got shape {scores.shape}")
    return steps, scores


def normalized_auc(steps: np.ndarray, scores: np.ndarray) -> np.ndarray:
    """Area under the learning curve (trapezoid rule over the evaluation grid) divided by
    the grid's span: the curve's average height, in the score's units (in [0, 1] for a
    success rate). A run that learns sooner scores higher at the same final score.
    ``steps`` ``(checkpoints,)``, ``scores`` ``(..., checkpoints)`` -> ``(...)``."""
    steps, scores = _grid(steps, scores)
    widths = np.diff(steps)
    area = ((scores[..., 1:] + scores[..., :-1]) * 0.5 * widths).sum(axis=-1)
    return area / (steps[-1] - steps[0])


class ThresholdCrossing(NamedTuple):
    """When a curve first reaches a threshold. Where it never does, the run is censored:
    ``first`` and ``crossing`` are the last step of the grid (the budget) and
    ``reached`` is False, so the values are lower bounds, not measurements."""

    first: np.ndarray
    """Step of the first checkpoint whose score is at or above the threshold."""
    crossing: np.ndarray
    """Where the straight line between that checkpoint and the one before it crosses the
    threshold (the checkpoint itself when it is the first of the grid)."""
    reached: np.ndarray
    """Whether the threshold was reached within the grid (bool)."""


def steps_to_threshold(steps: np.ndarray, scores: np.ndarray, threshold: float) -> ThresholdCrossing:
    """First checkpoint at or above ``threshold``, the interpolated crossing, and whether
    it was reached (censored at the budget otherwise). ``steps`` ``(checkpoints,)``,
    ``scores`` ``(..., checkpoints)`` -> three arrays of shape ``(...)``."""
    steps, scores = _grid(steps, scores)
    above = scores >= threshold  # NaN never counts as reaching
    reached = above.any(axis=-1)
    k = np.where(reached, above.argmax(axis=-1), steps.size - 1)
    first = steps[k]
    prev = np.maximum(k - 1, 0)
    y0 = np.take_along_axis(scores, prev[..., None], axis=-1)[..., 0]
    y1 = np.take_along_axis(scores, k[..., None], axis=-1)[..., 0]
    x0, x1 = steps[prev], steps[k]
    with np.errstate(invalid="ignore", divide="ignore"):
        frac = np.where(y1 > y0, (threshold - y0) / (y1 - y0), 1.0)
    frac = np.where(np.isnan(frac), 1.0, frac)  # no score before: the checkpoint itself
    crossing = np.where(reached & (k > 0), x0 + np.clip(frac, 0.0, 1.0) * (x1 - x0), first)
    return ThresholdCrossing(first=first, crossing=crossing, reached=reached)


def episode_cost(costs: np.ndarray) -> np.ndarray:
    """Average episodic cost (Safety Gym's J_c): the mean over episodes of each episode's
    summed cost. ``costs``: per-episode sums ``(..., episodes)`` -> ``(...)``."""
    return np.asarray(costs, dtype=float).mean(axis=-1)


def cost_rate(total_cost: np.ndarray, total_steps: np.ndarray) -> np.ndarray:
    """Safety Gym's cost rate: all cost incurred during training divided by the
    environment steps taken, so it charges what an agent breaks while it learns.
    Elementwise on broadcastable arrays; NaN where no step was taken."""
    total_cost = np.asarray(total_cost, dtype=float)
    total_steps = np.asarray(total_steps, dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(total_steps > 0, total_cost / np.where(total_steps > 0, total_steps, 1.0), np.nan)
