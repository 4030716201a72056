"""Metrics of a run in a world that changes: the run is a sequence of phases, each a change
of the world at a step the agent is not told, and every evaluation scores the agent on the
held-out layouts of every phase.

Shapes: ``perf`` is ``(phases, evaluations)``, the score on phase ``i``'s layouts
(row ``i``) at each evaluation of the run; ``phase_of`` is ``(evaluations,)``, the phase
current at each evaluation (starting at 0, never decreasing, every phase present).
The end of phase ``i`` is its last evaluation. Scores are success rates (or graded
scores) in [0, 1].

The definitions are Continual World's (Wołczyk et al., 2021): average performance at the
end, forgetting and forward transfer; each function's docstring says where a variant
departs from them. Steps to recover and the cost of the first part of each phase are this
suite's: what a new driver stops doing after some experience."""

from __future__ import annotations

import numpy as np

from embodied_bench.metrics.curves import ThresholdCrossing


def _phases(perf: np.ndarray, phase_of: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``perf`` and ``phase_of`` as arrays, checked, and each phase's last evaluation."""
    perf = np.asarray(perf, dtype=float)
    phase_of = np.asarray(phase_of)
    if perf.ndim != 2 or phase_of.shape != perf.shape[1:]:
        raise ValueError(f"perf must be (phases, evaluations) and phase_of (evaluations,), got {perf.shape} and {phase_of.shape}")
    if phase_of.size == 0 or phase_of[0] != 0 or np.any(np.diff(phase_of) < 0) or np.any(np.diff(phase_of) > 1) or phase_of[-1] != perf.shape[0] - 1:
        raise ValueError(f"phase_of must run from 0 to {perf.shape[0] - 1} without going back or skipping a phase, got {phase_of.tolist()}")
    ends = np.array([np.flatnonzero(phase_of == i)[-1] for i in range(perf.shape[0])])
    return perf, phase_of, ends


def average_performance(perf: np.ndarray, phase_of: np.ndarray) -> float:
    """The mean over phases of the score on each phase's layouts at the end of the run.
    ``perf`` ``(phases, evaluations)`` -> a scalar."""
    perf, _, _ = _phases(perf, phase_of)
    return float(perf[:, -1].mean())


def forgetting_per_phase(perf: np.ndarray, phase_of: np.ndarray) -> np.ndarray:
    """For each phase, its score at the end of the phase minus its score at the end of the
    run (the last phase's is 0 by construction). ``(phases, evaluations)`` -> ``(phases,)``."""
    perf, _, ends = _phases(perf, phase_of)
    return perf[np.arange(perf.shape[0]), ends] - perf[:, -1]


def forgetting(perf: np.ndarray, phase_of: np.ndarray, *, clip: bool = False, include_last: bool = True) -> float:
    """Mean forgetting (``forgetting_per_phase``). Continual World's definition
    (the default) averages over every phase, the last one included, and lets a phase that
    got better later count as negative forgetting. With ``clip`` a phase counts only what
    it lost (at least 0), and without ``include_last`` the mean is over the phases that had
    a later one: the variant that reports only losses of earlier skills.
    ``(phases, evaluations)`` -> a scalar (NaN for a single phase without ``include_last``)."""
    f = forgetting_per_phase(perf, phase_of)
    if clip:
        f = np.maximum(f, 0.0)
    if not include_last:
        f = f[:-1]
    return float(f.mean()) if f.size else float("nan")


def phase_auc(perf: np.ndarray, phase_of: np.ndarray) -> np.ndarray:
    """For each phase, the mean of its scores over the evaluations of that phase (the area
    under its curve while it is current, per evaluation). ``(phases, evaluations)`` ->
    ``(phases,)``."""
    perf, phase_of, _ = _phases(perf, phase_of)
    return np.array([perf[i, phase_of == i].mean() for i in range(perf.shape[0])])


def forward_transfer_per_phase(perf: np.ndarray, phase_of: np.ndarray, reference: np.ndarray) -> np.ndarray:
    """Continual World's forward transfer of each phase: ``(AUC - AUC_ref) / (1 - AUC_ref)``,
    where AUC is ``phase_auc`` and AUC_ref the same for the same agent learning that phase's
    world alone from scratch, evaluated as often (``reference`` ``(phases, evaluations per
    phase)``, or a list of one curve per phase). Positive: what it had learnt before helped.
    NaN where the reference is already perfect throughout (nothing left to transfer).
    -> ``(phases,)``."""
    auc = phase_auc(perf, phase_of)
    _, phase_of, _ = _phases(perf, phase_of)
    if len(reference) != auc.size:
        raise ValueError(f"reference must hold one curve per phase ({auc.size}), got {len(reference)}")
    ref = np.empty(auc.size)
    for i, curve in enumerate(reference):
        curve = np.asarray(curve, dtype=float)
        if curve.ndim != 1 or curve.size != int(np.sum(phase_of == i)):
            raise ValueError(f"reference curve {i} must have the {int(np.sum(phase_of == i))} evaluations of phase {i}, got shape {curve.shape}")
        ref[i] = curve.mean()
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(ref < 1.0, (auc - ref) / np.where(ref < 1.0, 1.0 - ref, 1.0), np.nan)


def forward_transfer(perf: np.ndarray, phase_of: np.ndarray, reference: np.ndarray) -> float:
    """Mean over phases of ``forward_transfer_per_phase`` (NaN phases left out; NaN when
    every phase is)."""
    ft = forward_transfer_per_phase(perf, phase_of, reference)
    return float(np.nanmean(ft)) if np.any(~np.isnan(ft)) else float("nan")


def steps_to_recover(perf: np.ndarray, phase_of: np.ndarray, steps: np.ndarray, starts: np.ndarray, threshold: float, at_change: np.ndarray | None = None) -> ThresholdCrossing:
    """For each change (phases 1 on), the env steps from the change to the first evaluation
    of that phase at or above ``threshold`` on the phase's own layouts, censored at the
    phase's last evaluation (then ``reached`` is False and the value a lower bound).
    ``steps`` ``(evaluations,)``: the env step of each evaluation; ``starts`` ``(phases,)``:
    the step each phase began. ``at_change`` ``(phases - 1,)``, optional: the score on each
    new world evaluated at the change itself, before any step in it; at or above the
    threshold, the agent needed no recovery (0 steps; NaN: not evaluated). -> a
    ``ThresholdCrossing`` of ``(phases - 1,)`` arrays (``first`` and ``crossing`` both the
    step of that first evaluation after the change: no interpolation across a change)."""
    perf, phase_of, ends = _phases(perf, phase_of)
    steps = np.asarray(steps, dtype=float)
    starts = np.asarray(starts, dtype=float)
    if steps.shape != phase_of.shape or starts.shape != (perf.shape[0],):
        raise ValueError(f"steps must be (evaluations,) and starts (phases,), got {steps.shape} and {starts.shape}")
    if np.any(np.diff(steps) <= 0) or np.any(steps < starts[phase_of]):
        raise ValueError("steps must increase and each evaluation come at or after its phase's start")
    zero = np.zeros(perf.shape[0] - 1, dtype=bool) if at_change is None else np.nan_to_num(np.asarray(at_change, dtype=float), nan=-np.inf) >= threshold
    if zero.shape != (perf.shape[0] - 1,):
        raise ValueError(f"at_change must be (phases - 1,), got {np.shape(at_change)}")
    first, reached = [], []
    for i in range(1, perf.shape[0]):
        if zero[i - 1]:
            reached.append(True)
            first.append(0.0)
            continue
        mine = np.flatnonzero(phase_of == i)
        above = mine[perf[i, mine] >= threshold]
        reached.append(above.size > 0)
        first.append((steps[above[0]] if above.size else steps[ends[i]]) - starts[i])
    first_a = np.array(first)
    return ThresholdCrossing(first=first_a, crossing=first_a.copy(), reached=np.array(reached, dtype=bool))


def early_cost(cum_cost: np.ndarray, steps: np.ndarray, starts: np.ndarray, window: float) -> np.ndarray:
    """Guardrail cost incurred in the first ``window`` env steps of each phase (what the
    agent broke while it adapted), from the cumulative training cost recorded at each
    evaluation (``cum_cost`` and ``steps`` ``(evaluations,)``). Each window must end at an
    evaluation's step (the cost between evaluations is not recorded) and phase 0's start
    must be 0 or an evaluation's step. ``starts`` ``(phases,)`` -> ``(phases,)``."""
    cum_cost = np.asarray(cum_cost, dtype=float)
    steps = np.asarray(steps, dtype=float)
    starts = np.asarray(starts, dtype=float)
    if cum_cost.shape != steps.shape or steps.ndim != 1:
        raise ValueError(f"cum_cost and steps must be (evaluations,), got {cum_cost.shape} and {steps.shape}")
    if window <= 0:
        raise ValueError(f"window must be > 0 env steps, got {window}")

    def at(step: float) -> float:
        if step == 0 and not np.any(steps == 0):
            return 0.0
        hit = np.flatnonzero(steps == step)
        if not hit.size:
            raise ValueError(f"no evaluation at step {step:g}: choose a window that ends at evaluations ({', '.join(f'{s:g}' for s in steps[:6])}, ...)")
        return float(cum_cost[hit[0]])

    return np.array([at(s + window) - at(s) for s in starts])
