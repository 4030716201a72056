"""Stratified percentile bootstrap: the uncertainty layer on top of the pure metrics.

Runs are resampled with replacement within each task (the tasks are fixed, the runs are
the random draw). A replicate draws one run index per (slot, task) and uses it for every
trailing axis of that run, so a learning curve is resampled whole and curve-derived
metrics stay valid. Each entry of ``score_dict`` (and each member of a tuple entry) has
its own random stream, derived from ``seed`` and the entry's name, so an agent's interval
does not change when another agent is added to a report, and the same seed gives the same
numbers whatever the chunking.
"""

from __future__ import annotations

import zlib
from typing import Callable, Mapping, Sequence

import numpy as np

Scores = np.ndarray | Sequence[np.ndarray]

_CHUNK_ELEMENTS = 1 << 23  # about 64 MB of float64 per chunk of replicates


def per_checkpoint(func: Callable[[np.ndarray], np.ndarray]) -> Callable[[np.ndarray], np.ndarray]:
    """Lift an aggregate over ``(..., runs, tasks)`` to learning curves
    ``(..., runs, tasks, checkpoints)`` -> ``(..., checkpoints)``."""

    def lifted(curves: np.ndarray) -> np.ndarray:
        return func(np.moveaxis(np.asarray(curves, dtype=float), -1, -3))

    lifted.__name__ = f"per_checkpoint({getattr(func, '__name__', 'func')})"
    return lifted


def _stream(seed: int, name: str, member: int, task: int) -> np.random.Generator:
    key = zlib.crc32(name.encode("utf-8"))
    return np.random.default_rng(np.random.SeedSequence(entropy=seed, spawn_key=(key, member, task)))


class _Resampler:
    """Index draws for one array ``(runs, tasks, *extra)``: NaN-only rows are missing runs."""

    def __init__(self, data: np.ndarray, seed: int, name: str, member: int) -> None:
        if data.ndim < 2:
            raise ValueError(f"{name}: scores must have shape (runs, tasks, ...), got {data.shape}")
        self.data = data
        runs, tasks = data.shape[:2]
        present = ~np.isnan(data).reshape(runs, tasks, -1).all(axis=-1)
        self.rows = [np.flatnonzero(present[:, j]) for j in range(tasks)]
        if any(r.size == 0 for r in self.rows):
            raise ValueError(f"{name}: a task has no runs")
        # A missing slot keeps pointing at a missing run, so every replicate has the same runs per task.
        self.pad = [np.flatnonzero(~present[:, j])[:1] for j in range(tasks)]
        self.streams = [_stream(seed, name, member, j) for j in range(tasks)]

    def draw(self, reps: int) -> np.ndarray:
        runs, tasks = self.data.shape[:2]
        idx = np.empty((reps, runs, tasks), dtype=np.intp)
        for j, (rows, pad, rng) in enumerate(zip(self.rows, self.pad, self.streams)):
            n = rows.size
            # random() takes exactly one 64-bit draw per value, so chunking never shifts the stream.
            idx[:, :n, j] = rows[np.minimum((rng.random((reps, n)) * n).astype(np.intp), n - 1)]
            if n < runs:
                idx[:, n:, j] = pad[0]
        return self.data[idx, np.arange(tasks)]


def interval_estimates(
    score_dict: Mapping[str, Scores],
    func: Callable[..., np.ndarray],
    reps: int = 50_000,
    confidence: float = 0.95,
    seed: int = 0,
    progress: Callable[[int], None] | None = None,
) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """Point estimates and stratified-bootstrap percentile intervals.

    ``score_dict`` maps a name to an array ``(runs, tasks, *extra)`` (NaN rows: missing
    runs) or to a tuple of such arrays, which are resampled independently and passed to
    ``func`` as separate arguments (e.g. ``probability_of_improvement(x, y)``).
    ``func`` must accept a leading batch axis: called on ``(reps, runs, tasks, *extra)`` it
    returns ``(reps, *out)``. Returns ``(points, intervals)``: ``points[name]`` has shape
    ``out``, ``intervals[name]`` has shape ``(2, *out)`` (lower, upper).
    ``progress`` is called with the number of replicates finished after every chunk."""
    if reps < 1:
        raise ValueError(f"reps must be at least 1, got {reps}")
    if not 0.0 < confidence < 1.0:
        raise ValueError(f"confidence must lie in (0, 1), got {confidence}")
    points: dict[str, np.ndarray] = {}
    intervals: dict[str, np.ndarray] = {}
    for name, scores in score_dict.items():
        members = [np.asarray(m, dtype=float) for m in (scores if isinstance(scores, (tuple, list)) else (scores,))]
        points[name] = np.asarray(func(*members))
        samplers = [_Resampler(m, seed, name, k) for k, m in enumerate(members)]
        # Pairwise functions build (runs_x * runs_y) arrays: size chunks by the product.
        per_rep = int(np.prod([m.shape[0] for m in members])) * int(np.prod(members[0].shape[1:]))
        chunk = max(1, min(reps, _CHUNK_ELEMENTS // max(per_rep, 1)))
        stats = []
        done = 0
        while done < reps:
            b = min(chunk, reps - done)
            stats.append(np.asarray(func(*(s.draw(b) for s in samplers))))
            done += b
            if progress is not None:
                progress(b)
        alpha = (1.0 - confidence) / 2.0
        intervals[name] = np.percentile(np.concatenate(stats, axis=0), [100 * alpha, 100 * (1 - alpha)], axis=0)
    return points, intervals
