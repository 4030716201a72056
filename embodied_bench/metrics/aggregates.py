"""Aggregate metrics over runs and tasks ("Deep RL at the Edge of the Statistical
Precipice", Agarwal et al. 2021).

Every function takes a score array of shape ``(..., runs, tasks)``: any leading axes are
batch axes (the bootstrap passes ``(replicates, runs, tasks)``) and the result has the
batch shape. ``NaN`` marks a missing run: a task with fewer runs than the others is padded
with NaN rows, and every function uses only the runs present.
"""

from __future__ import annotations

import numpy as np


def _as_scores(scores: np.ndarray) -> np.ndarray:
    a = np.asarray(scores, dtype=float)
    if a.ndim < 2:
        raise ValueError(f"scores must have shape (..., runs, tasks), got shape {a.shape}")
    return a


def _flat(a: np.ndarray) -> np.ndarray:
    return a.reshape(*a.shape[:-2], a.shape[-2] * a.shape[-1])


def iqm(scores: np.ndarray) -> np.ndarray:
    """Interquartile mean of all runs of all tasks pooled: the mean of the middle 50% of
    the ``runs * tasks`` scores (``floor(n / 4)`` cut from each end, as
    ``scipy.stats.trim_mean(x, 0.25)`` does). Shape ``(..., runs, tasks)`` -> ``(...)``."""
    flat = _flat(_as_scores(scores))
    if not np.isnan(flat).any():
        n = flat.shape[-1]
        cut = n // 4
        if cut == 0:
            return flat.mean(axis=-1)
        # A partial sort is enough: the middle block holds exactly the ranks cut .. n-cut-1.
        part = np.partition(flat, (cut, n - cut - 1), axis=-1)
        return part[..., cut : n - cut].mean(axis=-1)
    ordered = np.sort(flat, axis=-1)  # NaN sorts last
    n = np.sum(~np.isnan(flat), axis=-1, keepdims=True)
    cut = n // 4
    pos = np.arange(flat.shape[-1])
    keep = (pos >= cut) & (pos < n - cut)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(keep, ordered, 0.0).sum(axis=-1) / keep.sum(axis=-1)


def _task_means(a: np.ndarray) -> np.ndarray:
    present = ~np.isnan(a)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(present, a, 0.0).sum(axis=-2) / present.sum(axis=-2)


def mean(scores: np.ndarray) -> np.ndarray:
    """Mean over tasks of each task's mean score. ``(..., runs, tasks)`` -> ``(...)``."""
    return _task_means(_as_scores(scores)).mean(axis=-1)


def median(scores: np.ndarray) -> np.ndarray:
    """Median over tasks of each task's mean score. ``(..., runs, tasks)`` -> ``(...)``."""
    return np.median(_task_means(_as_scores(scores)), axis=-1)


def optimality_gap(scores: np.ndarray, gamma: float = 1.0) -> np.ndarray:
    """How far the runs fall short of ``gamma`` on average: ``gamma - mean(min(score,
    gamma))`` over all runs of all tasks (scores above ``gamma`` earn nothing extra).
    ``(..., runs, tasks)`` -> ``(...)``; 0 is best."""
    flat = _flat(_as_scores(scores))
    return gamma - np.nanmean(np.minimum(flat, gamma), axis=-1)


def probability_of_improvement(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """P(X > Y): for each task, the probability that a run of X scores higher than a run of
    Y (the Mann-Whitney U statistic over all pairs divided by their number, ties count
    1/2), averaged over tasks. ``x``: ``(..., runs_x, tasks)``, ``y``: ``(..., runs_y,
    tasks)`` with broadcastable batch shapes -> ``(...)``."""
    x, y = _as_scores(x), _as_scores(y)
    if x.shape[-1] != y.shape[-1]:
        raise ValueError(f"x and y must cover the same tasks, got {x.shape[-1]} and {y.shape[-1]} tasks")
    xi = x[..., :, None, :]
    yj = y[..., None, :, :]
    # Comparisons with NaN are false, so missing runs add nothing to either count.
    wins = 0.5 * (np.count_nonzero(xi > yj, axis=(-3, -2)) + np.count_nonzero(xi >= yj, axis=(-3, -2)))
    pairs = np.sum(~np.isnan(x), axis=-2) * np.sum(~np.isnan(y), axis=-2)
    per_task = wins / pairs
    return per_task.mean(axis=-1)


def performance_profile(scores: np.ndarray, taus: np.ndarray) -> np.ndarray:
    """Score distribution: the fraction of runs (over all tasks) scoring strictly above
    each threshold ``tau``. ``scores`` ``(..., runs, tasks)``, ``taus`` ``(k,)`` ->
    ``(..., k)``."""
    flat = _flat(_as_scores(scores))
    taus = np.asarray(taus, dtype=float)
    if taus.ndim != 1:
        raise ValueError(f"taus must be one-dimensional, got shape {taus.shape}")
    present = ~np.isnan(flat)
    above = flat[..., None, :] > taus[:, None]
    return above.sum(axis=-1) / present.sum(axis=-1)[..., None]


AGGREGATES = {"iqm": iqm, "median": median, "mean": mean, "optimality_gap": optimality_gap}
"""The four aggregates a report gives, in the order it gives them."""


def aggregate_all(scores: np.ndarray) -> np.ndarray:
    """IQM, median, mean and optimality gap stacked on a new last axis:
    ``(..., runs, tasks)`` -> ``(..., 4)`` (order of ``AGGREGATES``)."""
    return np.stack([f(scores) for f in AGGREGATES.values()], axis=-1)
