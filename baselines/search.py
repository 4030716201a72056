"""A beam search over decisions, shared by ``cem-sim`` (the task's simulator as the model)
and ``cem-learned`` (a model learned from its own experience), so the difference between
them is the model alone: the world-model gap.

The search looks ``depth`` decisions ahead. From every plan it keeps, it tries
``branching`` candidate actions (sampled uniformly in a Box space; drawn without
repeats from every action of a MultiDiscrete one), steps the model, and keeps the
``width`` best plans by their objective: predicted return so far, minus ``cost_penalty``
per unit of predicted guardrail cost, plus ``value_weight`` times the model's value of
where the plan ends (what lies beyond the horizon: for a climbing cat, the height
reached), rewards and value discounted by ``discount`` per decision. A plan whose episode
the model says is over (success) stops there, its objective final. Without a discount, a
plan that reaches the goal later scores as well as one that reaches it now (a shaped
reward that telescopes sums to the same), and model-predictive control can put the goal
off at every decision. The first action of the best plan is acted on, and the search runs
again at the next decision (model-predictive control).

A model offers ``root()`` (the state now, as a batch of one) and ``step(states, index,
actions)`` returning ``(next_states, rewards, costs, done, values)``, each over the batch,
and optionally ``release()``, called after every search (to free simulator snapshots)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

import gymnasium as gym
import numpy as np


class SearchModel(Protocol):
    def root(self) -> Any:
        """The state now, as a batch of one (whatever ``step`` takes)."""
        ...

    def step(self, states: Any, index: np.ndarray, actions: np.ndarray) -> tuple[Any, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """``states[index[i]]`` after ``actions[i]``: ``(next_states, rewards (N,), costs
        (N,), done (N,), values (N,))``."""
        ...


@dataclass(frozen=True)
class SearchConfig:
    """How far and how wide the planner looks. Every decision simulates at most
    ``branching × iterations × (1 + width × (depth - 1))`` model steps
    (``rollouts_per_decision``), and where the task proposes actions, each proposal from
    every plan besides (cat-climb proposes 9-23 jumps a state)."""

    depth: int = 3
    """Decisions searched ahead."""
    width: int = 4
    """Plans kept at each depth (the beam)."""
    branching: int = 24
    """Candidate actions tried from each kept plan."""
    value_weight: float = 1.0
    """Weight of the model's value of a plan's last state in its objective."""
    iterations: int = 1
    """Box actions: rounds of candidates from each kept plan; after the first (uniform),
    each round is drawn around the best of the one before (the cross-entropy method at
    every node), so a precise action (a landing on a small stool) can be found."""
    elites: int = 4
    """Box actions: the best candidates each round's distribution is refitted to."""
    cost_penalty: float = 100.0
    """Objective lost per unit of predicted guardrail cost: more than any return, so a
    plan that incurs cost loses to every plan that does not."""
    discount: float = 1.0
    """Weight of the reward of the decision ``t`` steps ahead: ``discount ** t``, and of
    the value where a plan of ``d`` decisions ends: ``discount ** d`` (below 1, reaching
    the goal sooner beats reaching it later; 1 is the plain sum). Guardrail cost is never
    discounted: a cost later is as bad as a cost now."""

    def __post_init__(self) -> None:
        for name in ("depth", "width", "branching", "iterations", "elites"):
            if int(getattr(self, name)) < 1:
                raise ValueError(f"search {name} must be at least 1")
        if not 0.0 < self.discount <= 1.0:
            raise ValueError(f"search discount must be in (0, 1], got {self.discount}")
        if self.iterations > 1 and self.elites > self.branching:
            raise ValueError("search elites cannot exceed branching (they refit the rounds after the first)")

    @property
    def rollouts_per_decision(self) -> int:
        return self.branching * self.iterations * (1 + self.width * (self.depth - 1))


class BeamSearch:
    """``plan(model)`` -> the first action of the best plan found. ``proposals`` (the
    task's ``action_proposals``): candidate actions from an observation, tried from every
    plan besides ``branching`` sampled ones, where the model can say what each of its
    states looks like (``model.observations(states)``)."""

    def __init__(self, space: gym.Space, config: SearchConfig, rng: np.random.Generator, proposals: Any = None) -> None:
        self.config = config
        self.rng = rng
        self.space = space
        self.proposals = proposals
        if isinstance(space, gym.spaces.Box):
            self.low = np.asarray(space.low, np.float64)
            self.high = np.asarray(space.high, np.float64)
            self.discrete = None
        elif isinstance(space, gym.spaces.MultiDiscrete):
            nvec = np.asarray(space.nvec).ravel()
            grids = np.meshgrid(*[np.arange(n) for n in nvec], indexing="ij")
            self.discrete = np.stack([g.ravel() for g in grids], axis=1).astype(np.int64)
        else:
            raise TypeError(f"the search plans over Box or MultiDiscrete actions, not {space}")

    def _candidates(self, n: int, mean: np.ndarray | None = None, std: np.ndarray | None = None) -> np.ndarray:
        """``branching`` candidate actions for each of ``n`` plans: ``(n, branching,
        *shape)``; Box actions uniform, or around ``mean`` with ``std`` (per plan)."""
        b = self.config.branching
        if self.discrete is None:
            if mean is None:
                u = self.rng.random((n, b, *self.low.shape))
                return (self.low + (self.high - self.low) * u).astype(self.space.dtype)
            noise = self.rng.standard_normal((n, b, *self.low.shape))
            return np.clip(mean[:, None] + std[:, None] * noise, self.low, self.high).astype(self.space.dtype)
        choose = min(b, len(self.discrete))
        picks = np.stack([self.rng.choice(len(self.discrete), size=choose, replace=False) for _ in range(n)])
        return self.discrete[picks]

    def _expand(self, model: SearchModel, states: Any, n: int, ret: np.ndarray, first: np.ndarray | None, depth: int) -> tuple:
        """Every candidate tried from the ``n`` plans (each ``depth`` decisions long):
        ``(next_states, ret, objective, first action, done)`` over all of them, after
        ``iterations`` rounds (Box)."""
        c = self.config
        rounds = c.iterations if self.discrete is None else 1
        parts: list[tuple] = []
        mean = std = None
        proposed = None
        if self.proposals is not None and callable(getattr(model, "observations", None)):
            proposed = [np.asarray(self.proposals(o), self.space.dtype) for o in model.observations(states)]
        for round_ in range(rounds):
            cand = self._candidates(n, mean, std)
            per = cand.shape[1]
            index = np.repeat(np.arange(n), per)
            actions = cand.reshape(n * per, *cand.shape[2:])
            if round_ == 0 and proposed is not None:
                index = np.concatenate([np.repeat(np.arange(n), [len(p) for p in proposed]), index])
                actions = np.concatenate([*proposed, actions])
            nxt, rewards, costs, done, values = model.step(states, index, actions)
            r = ret[index] + c.discount**depth * np.asarray(rewards, float) - c.cost_penalty * np.asarray(costs, float)
            objective = r + c.discount ** (depth + 1) * c.value_weight * np.asarray(values, float)
            parts.append((nxt, r, objective, actions if first is None else first[index], np.asarray(done, bool)))
            if self.discrete is None and round_ < rounds - 1:
                # Refit each plan's distribution to its best candidates of this round.
                half = (self.high - self.low) / 2
                mean, std = np.empty((n, *self.low.shape)), np.empty((n, *self.low.shape))
                for i in range(n):
                    mine = np.flatnonzero(index == i)
                    elite = actions[mine[np.argsort(-objective[mine], kind="stable")[: c.elites]]]
                    mean[i], std[i] = elite.mean(axis=0), np.maximum(elite.std(axis=0), 0.05 * half)
        if len(parts) == 1:
            return parts[0]
        return (_concat([p[0] for p in parts]), *(np.concatenate([p[k] for p in parts]) for k in range(1, 5)))

    def plan(self, model: SearchModel) -> np.ndarray:
        try:
            return self._plan(model)
        finally:
            release = getattr(model, "release", None)
            if release is not None:  # states a model must free (simulator snapshots)
                release()

    def _plan(self, model: SearchModel) -> np.ndarray:
        c = self.config
        states = model.root()
        alive_ret = np.zeros(1)
        alive_first = None  # first action of each live plan
        best_value, best_first = -np.inf, None
        for depth in range(c.depth):
            nxt, ret, objective, first, done = self._expand(model, states, len(alive_ret), alive_ret, alive_first, depth)
            # A finished plan, or any plan at the last depth, is judged as it stands.
            final = done | (depth == c.depth - 1)
            if final.any():
                k = int(np.flatnonzero(final)[np.argmax(objective[final])])
                if objective[k] > best_value:
                    best_value, best_first = float(objective[k]), first[k].copy()
            open_ = np.flatnonzero(~final)
            if not len(open_):
                break
            keep = open_[np.argsort(-objective[open_], kind="stable")[: c.width]]
            states = _take(nxt, keep)
            alive_ret, alive_first = ret[keep], first[keep]
        assert best_first is not None  # the last depth judges every plan
        return best_first.astype(self.space.dtype)


def _concat(parts: list) -> Any:
    """Model states of several batches, joined (arrays, tuples of arrays, or lists)."""
    if isinstance(parts[0], tuple):
        return tuple(_concat([p[k] for p in parts]) for k in range(len(parts[0])))
    if isinstance(parts[0], list):
        return [s for p in parts for s in p]
    return np.concatenate(parts)


def _take(states: Any, index: np.ndarray) -> Any:
    """``states`` at ``index``: arrays, or tuples of arrays (a model's state parts)."""
    if isinstance(states, tuple):
        return tuple(_take(s, index) for s in states)
    if isinstance(states, list):
        return [states[i] for i in index]
    return states[index]
