"""The cross-entropy method over action sequences, shared by ``cem-sim`` and
``cem-learned``: model-predictive control that scores candidates with any world model
returning ``(returns, costs)`` and treats the guardrail as a hard penalty.

Box actions: a diagonal Gaussian per decision of the horizon, clipped to the bounds.
MultiDiscrete actions: one categorical distribution per decision and dimension; identical
candidates are scored once (a simulator is deterministic)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import gymnasium as gym
import numpy as np

Score = Callable[[np.ndarray], tuple[np.ndarray, np.ndarray]]


@dataclass(frozen=True)
class CEMConfig:
    """How the planner searches. A candidate's objective is its predicted return minus
    ``cost_penalty`` times its predicted guardrail cost."""

    horizon: int = 10
    """Decisions per candidate sequence."""
    population: int = 64
    """Candidates scored per iteration."""
    elites: int = 8
    """Best candidates the distribution is refitted to."""
    iterations: int = 3
    """Refits per plan."""
    init_std: float = 0.5
    """Initial standard deviation of a Box action (fraction of the half range)."""
    min_std: float = 0.05
    """Floor of the standard deviation, so the search never collapses to a point."""
    momentum: float = 0.1
    """Weight the old distribution keeps at each refit."""
    cost_penalty: float = 100.0
    """Objective lost per unit of predicted cost: larger than any return, so a plan that
    incurs cost loses to every plan that does not."""
    replan_every: int = 1
    """Decisions executed from one plan before planning again (the plan is shifted and
    reused as the next starting mean)."""

    def __post_init__(self) -> None:
        for name in ("horizon", "population", "elites", "iterations", "replan_every"):
            if int(getattr(self, name)) < 1:
                raise ValueError(f"CEM {name} must be at least 1")
        if self.elites > self.population:
            raise ValueError("CEM elites cannot exceed the population")
        if self.replan_every > self.horizon:
            raise ValueError("CEM replan_every cannot exceed the horizon")


class CEMPlanner:
    """Plans one action at a time: ``act(score)`` replans when due and returns the next
    action of the current plan; ``reset()`` at every episode start."""

    def __init__(self, space: gym.Space, config: CEMConfig, rng: np.random.Generator) -> None:
        self.config = config
        self.rng = rng
        self.space = space
        if isinstance(space, gym.spaces.Box):
            self.low = np.asarray(space.low, np.float64)
            self.high = np.asarray(space.high, np.float64)
            self.discrete = False
        elif isinstance(space, gym.spaces.MultiDiscrete):
            self.nvec = np.asarray(space.nvec).ravel()
            self.discrete = True
        else:
            raise TypeError(f"CEM plans over Box or MultiDiscrete actions, not {space}")
        self.reset()

    def reset(self) -> None:
        c = self.config
        if self.discrete:
            self.probs = [np.full((c.horizon, n), 1.0 / n) for n in self.nvec]
        else:
            mid, half = (self.high + self.low) / 2, (self.high - self.low) / 2
            self.mean = np.broadcast_to(mid, (c.horizon, *mid.shape)).copy()
            self.std = np.broadcast_to(c.init_std * half, (c.horizon, *half.shape)).copy()
        self.plan: np.ndarray | None = None
        self.used = 0

    def act(self, score: Score) -> np.ndarray:
        if self.plan is None or self.used >= self.config.replan_every:
            self._shift(self.used)
            self.plan = self._search(score)
            self.used = 0
        action = self.plan[self.used]
        self.used += 1
        return action

    def _shift(self, n: int) -> None:
        """Warm start: drop the executed decisions, repeat the last ones at the end."""
        if n == 0:
            return
        if self.discrete:
            self.probs = [np.concatenate([p[n:], np.repeat(p[-1:], n, axis=0)]) for p in self.probs]
            # Keep some exploration on the reused part.
            self.probs = [0.8 * p + 0.2 / p.shape[1] for p in self.probs]
        else:
            c = self.config
            half = (self.high - self.low) / 2
            self.mean = np.concatenate([self.mean[n:], np.repeat(self.mean[-1:], n, axis=0)])
            self.std = np.concatenate([self.std[n:], np.repeat(self.std[-1:], n, axis=0)])
            self.std = np.maximum(self.std, c.init_std * half * 0.5)

    def _sample(self) -> np.ndarray:
        c = self.config
        if self.discrete:
            cols = []
            for p in self.probs:
                u = self.rng.random((c.population, c.horizon, 1))
                cols.append((u > np.cumsum(p, axis=1)[None]).sum(axis=2).clip(0, p.shape[1] - 1))
            return np.stack(cols, axis=-1).astype(np.int64)
        noise = self.rng.standard_normal((c.population, *self.mean.shape))
        return np.clip(self.mean + self.std * noise, self.low, self.high)

    def _evaluate(self, score: Score, candidates: np.ndarray) -> np.ndarray:
        penalty = self.config.cost_penalty
        if not self.discrete:
            returns, costs = score(candidates.astype(self.space.dtype))
            return np.asarray(returns) - penalty * np.asarray(costs)
        unique, inverse = np.unique(candidates.reshape(len(candidates), -1), axis=0, return_inverse=True)
        returns, costs = score(unique.reshape(len(unique), *candidates.shape[1:]))
        return (np.asarray(returns) - penalty * np.asarray(costs))[inverse.ravel()]

    def _search(self, score: Score) -> np.ndarray:
        c = self.config
        best, best_value = None, -np.inf
        for _ in range(c.iterations):
            candidates = self._sample()
            values = self._evaluate(score, candidates)
            order = np.argsort(-values, kind="stable")
            elite = candidates[order[: c.elites]]
            if values[order[0]] > best_value:
                best, best_value = candidates[order[0]].copy(), values[order[0]]
            keep = c.momentum
            if self.discrete:
                for d, p in enumerate(self.probs):
                    counts = np.stack([(elite[:, :, d] == j).mean(axis=0) for j in range(p.shape[1])], axis=1)
                    self.probs[d] = keep * p + (1 - keep) * counts
            else:
                half = (self.high - self.low) / 2
                self.mean = keep * self.mean + (1 - keep) * elite.mean(axis=0)
                self.std = np.maximum(keep * self.std + (1 - keep) * elite.std(axis=0), c.min_std * half)
        return best.astype(self.space.dtype)
