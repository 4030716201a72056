"""``cem-learned``: the same CEM planner as ``cem-sim``, with a world model learned online
from the agent's own experience only (no privileged access): the suite's reference for
sample-efficient, objective-driven learning.

The world model is an ensemble of ridge regressions in NumPy, refitted in closed form from
running sums (so refitting costs the same at step 1,000 as at step 1,000,000):

* dynamics: the change of the (scaled) observation from ``[obs, action]``, on linear terms
  plus random Fourier features (each member draws its own);
* reward and guardrail cost: from ``[q(s') - q(s), q(s')]`` with ``q(s) = [s, s*s]``: a
  difference of potentials, which is what progress rewards are, plus a state term for
  bonuses and costs.

Each member sees its own bootstrap of the data (Poisson(1) weights per transition).
Candidates are scored with every member: the mean predicted return, and the largest
predicted cost (pessimistic about the guardrail)."""

from __future__ import annotations

import copy
import math
import zlib
from dataclasses import dataclass
from typing import Any, ClassVar

import gymnasium as gym
import numpy as np
from embodied_bench.baselines.cem import CEMConfig, CEMPlanner
from embodied_bench.baselines.cem_sim import PlannerChoice
from embodied_bench.baselines.config import BaselineConfig
from embodied_bench.baselines.search import BeamSearch

from embodied_bench.registry import load_reference

from embodied_bench.api import TaskInfo, Transition


@dataclass(frozen=True)
class CEMLearnedConfig(CEMConfig, PlannerChoice, BaselineConfig):
    """The planner's search (``CEMConfig``) and the learned model. Each task's
    registration sets what differs there (``baseline_config["cem-learned"]`` in its
    family package, with the reasons)."""

    BASELINE: ClassVar[str] = "cem-learned"
    """The baseline this configures (the key of its per-task changes)."""

    ensemble: int = 3
    """Members of the model ensemble."""
    features: int = 256
    """Random Fourier features of each dynamics member."""
    bandwidth: float = 2.0
    """Length scale of the random features, in scaled-observation units (observations
    are scaled to [-1, 1] by the observation space's bounds)."""
    ridge: float = 1e-2
    """Ridge penalty relative to each feature's mean square in the data (scale-free, so
    it stays a light prior however much data has come in)."""
    random_steps: int = 1_000
    """Uniformly random training actions before planning starts (the model's first data)."""
    fit_every: int = 250
    """Training steps between refits of the model."""
    explore: float = 0.2
    """Beam search, in training: the share of decisions that try one of the task's
    action proposals at random instead of the plan (what the model has not seen, it
    cannot plan with)."""
    value_discount: float = 0.9
    """Beam search: the discount of the returns-to-go its value model is fitted to (the
    value of where a plan ends: what lies beyond the horizon)."""
    refit_share: float = 1.0
    """The share of the budget (in the task's budget unit: env steps, or episodes ended)
    during which the models are refitted; after it they stay as they were, whatever the
    world does then (1: refitted to the end). ``cem-learned-frozen`` stops after the first
    third: the first world of every adapt variant."""


    def __post_init__(self) -> None:
        super().__post_init__()
        self.check_planner(self.cost_penalty)
        for name in ("ensemble", "features", "fit_every"):
            if int(getattr(self, name)) < 1:
                raise ValueError(f"cem-learned {name} must be at least 1")
        if not 0.0 < self.refit_share <= 1.0:
            raise ValueError(f"cem-learned refit_share must lie in (0, 1], got {self.refit_share}")


def _scaling(space: gym.spaces.Box) -> tuple[np.ndarray, np.ndarray]:
    """Centre and half range of each bounded entry (0 and 1 where a bound is infinite)."""
    low, high = np.asarray(space.low, np.float64).ravel(), np.asarray(space.high, np.float64).ravel()
    finite = np.isfinite(low) & np.isfinite(high) & (high > low)
    centre = np.where(finite, (high + low) / 2, 0.0)
    half = np.where(finite, (high - low) / 2, 1.0)
    return centre, half


class EnsembleModel:
    """The learned world model. ``add`` transitions, ``fit`` now and then, ``rollout``
    candidates ``(K, H, *action_shape)`` from an observation."""

    def __init__(self, observation_space: gym.Space, action_space: gym.Space, config: CEMLearnedConfig, rng: np.random.Generator) -> None:
        if not isinstance(observation_space, gym.spaces.Box):
            raise TypeError(f"cem-learned models Box observations, not {observation_space}")
        self.centre, self.half = _scaling(observation_space)
        self.action_space = action_space
        if isinstance(action_space, gym.spaces.Box):
            self.a_centre, self.a_half = _scaling(action_space)
            self.action_dim = self.a_centre.size
        elif isinstance(action_space, gym.spaces.MultiDiscrete):
            self.nvec = np.asarray(action_space.nvec).ravel()
            self.action_dim = int(self.nvec.sum())
        else:
            raise TypeError(f"cem-learned plans over Box or MultiDiscrete actions, not {action_space}")
        self.config = config
        self.rng = rng
        n = self.centre.size
        self.n_obs = n
        x_dim = n + self.action_dim
        m = config.ensemble
        self.W = rng.standard_normal((m, x_dim, config.features)) / config.bandwidth
        self.b = rng.uniform(0, 2 * np.pi, (m, config.features))
        d_dyn = x_dim + 1 + config.features
        d_rew = 4 * n + 1
        self.G = np.zeros((m, d_dyn, d_dyn))
        self.H = np.zeros((m, d_dyn, n))
        self.Gr = np.zeros((m, d_rew, d_rew))
        self.Hr = np.zeros((m, d_rew, 2))
        self.weight = np.zeros(m)
        self.beta: np.ndarray | None = None
        self.theta: np.ndarray | None = None
        self._pending: list[tuple[np.ndarray, np.ndarray, float, np.ndarray, float]] = []
        self.samples = 0

    # -- encodings --------------------------------------------------------------------------

    def scale(self, obs: np.ndarray) -> np.ndarray:
        return (np.asarray(obs, np.float64).reshape(*np.shape(obs)[:-1], -1) - self.centre) / self.half

    def encode_actions(self, actions: np.ndarray) -> np.ndarray:
        """``(..., *action_shape)`` → ``(..., action_dim)``."""
        a = np.asarray(actions)
        if hasattr(self, "nvec"):
            out = np.zeros((*a.shape[:-1], self.action_dim))
            offset = 0
            for d, n in enumerate(self.nvec):
                idx = np.clip(a[..., d].astype(np.int64), 0, n - 1)
                np.put_along_axis(out, (offset + idx)[..., None], 1.0, axis=-1)
                offset += n
            return out
        return (np.asarray(a, np.float64) - self.a_centre) / self.a_half

    def _dyn_features(self, member: int, x: np.ndarray) -> np.ndarray:
        rff = np.cos(x @ self.W[member] + self.b[member]) * np.sqrt(2.0 / self.config.features)
        return np.concatenate([x, np.ones((*x.shape[:-1], 1)), rff], axis=-1)

    @staticmethod
    def _rew_features(s: np.ndarray, s_next: np.ndarray) -> np.ndarray:
        q, q_next = np.concatenate([s, s * s], axis=-1), np.concatenate([s_next, s_next * s_next], axis=-1)
        return np.concatenate([q_next - q, q_next, np.ones((*s.shape[:-1], 1))], axis=-1)

    # -- learning ---------------------------------------------------------------------------

    def add(self, transition: Transition, rewarded: bool = True) -> None:
        """Queue a transition for the next fit; ``rewarded=False`` (play): its reward is
        unknown, so it teaches the dynamics only."""
        t = transition
        self._pending.append((np.asarray(t.observation), np.asarray(t.action), float(t.reward), np.asarray(t.next_observation), float(t.cost), rewarded))
        self.samples += 1

    def fit(self) -> None:
        """Fold the new transitions into the running sums and solve each member."""
        if self._pending:
            s = self.scale(np.stack([p[0] for p in self._pending]))
            a = self.encode_actions(np.stack([p[1] for p in self._pending]))
            r = np.array([[p[2], p[4]] for p in self._pending])
            s_next = self.scale(np.stack([p[3] for p in self._pending]))
            rewarded = np.array([p[5] for p in self._pending], np.float64)[:, None]
            self._pending.clear()
            x = np.concatenate([s, a], axis=1)
            psi = self._rew_features(s, s_next)
            weights = self.rng.poisson(1.0, (self.config.ensemble, len(s))).astype(np.float64)
            for e in range(self.config.ensemble):
                phi = self._dyn_features(e, x)
                w = weights[e][:, None]
                self.G[e] += phi.T @ (w * phi)
                self.H[e] += phi.T @ (w * (s_next - s))
                self.Gr[e] += psi.T @ (w * rewarded * psi)
                self.Hr[e] += psi.T @ (w * rewarded * r)
                self.weight[e] += weights[e].sum()
        m = self.config.ensemble
        self.beta = np.stack([self._solve(self.G[e], self.H[e]) for e in range(m)])
        self.theta = np.stack([self._solve(self.Gr[e], self.Hr[e]) for e in range(m)])

    def _solve(self, gram: np.ndarray, rhs: np.ndarray) -> np.ndarray:
        # Ridge relative to each feature's own scale (its diagonal of the Gram matrix):
        # differences of potentials are tiny per step and need large weights, which a
        # plain ridge would shrink away.
        diag = np.diag(gram)
        penalty = self.config.ridge * diag + 1e-9 * (diag.max() + 1.0)
        return np.linalg.solve(gram + np.diag(penalty), rhs)

    @property
    def fitted(self) -> bool:
        return self.beta is not None

    # -- planning ---------------------------------------------------------------------------

    def rollout(self, observation: np.ndarray, actions: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Predicted ``(returns (K,), costs (K,))`` of candidates ``(K, H, *action_shape)``."""
        k, h = actions.shape[:2]
        a = self.encode_actions(actions)
        returns = np.zeros((self.config.ensemble, k))
        costs = np.zeros((self.config.ensemble, k))
        start = self.scale(np.asarray(observation)[None])
        for e in range(self.config.ensemble):
            s = np.repeat(start, k, axis=0)
            for t in range(h):
                phi = self._dyn_features(e, np.concatenate([s, a[:, t]], axis=1))
                # Keep predictions inside the observation bounds (a little beyond, scaled).
                s_next = np.clip(s + phi @ self.beta[e], -1.5, 1.5)
                out = self._rew_features(s, s_next) @ self.theta[e]
                returns[e] += out[:, 0]
                costs[e] += np.maximum(out[:, 1], 0.0)
                s = s_next
        return returns.mean(axis=0), costs.max(axis=0)


    # -- as a search model (``baselines.search``): the mean prediction of the members ----------

    def step_scaled(self, s: np.ndarray, actions: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """One predicted step from scaled observations ``(N, n)``: the members' mean next
        state, their mean reward, and their largest cost (pessimistic about the guardrail)."""
        a = self.encode_actions(actions)
        nexts, rewards, costs = [], [], []
        for e in range(self.config.ensemble):
            phi = self._dyn_features(e, np.concatenate([s, a], axis=1))
            s_next = np.clip(s + phi @ self.beta[e], -1.5, 1.5)
            out = self._rew_features(s, s_next) @ self.theta[e]
            nexts.append(s_next)
            rewards.append(out[:, 0])
            costs.append(np.maximum(out[:, 1], 0.0))
        return np.mean(nexts, axis=0), np.mean(rewards, axis=0), np.max(costs, axis=0)


class ValueModel:
    """The value of a state for the beam search's leaves: a ridge regression on random
    Fourier features of the scaled observation, fitted to the discounted returns-to-go of
    the agent's own finished training episodes."""

    def __init__(self, n_obs: int, config: CEMLearnedConfig, rng: np.random.Generator) -> None:
        self.config = config
        self.W = rng.standard_normal((n_obs, config.features)) / config.bandwidth
        self.b = rng.uniform(0, 2 * np.pi, config.features)
        d = n_obs + 1 + config.features
        self.G, self.H = np.zeros((d, d)), np.zeros(d)
        self.theta: np.ndarray | None = None
        self._episode: list[tuple[np.ndarray, float]] = []

    def _features(self, s: np.ndarray) -> np.ndarray:
        rff = np.cos(s @ self.W + self.b) * np.sqrt(2.0 / self.config.features)
        return np.concatenate([s, np.ones((len(s), 1)), rff], axis=1)

    def add(self, s: np.ndarray, reward: float, done: bool) -> None:
        self._episode.append((s, reward))
        if not done:
            return
        states = np.stack([x for x, _ in self._episode])
        returns, g = np.empty(len(self._episode)), 0.0
        for t in range(len(self._episode) - 1, -1, -1):
            g = self._episode[t][1] + self.config.value_discount * g
            returns[t] = g
        phi = self._features(states)
        self.G += phi.T @ phi
        self.H += phi.T @ returns
        self._episode = []

    def fit(self) -> None:
        if not self.G.any():
            return
        diag = np.diag(self.G)
        self.theta = np.linalg.solve(self.G + np.diag(self.config.ridge * diag + 1e-9 * (diag.max() + 1.0)), self.H)

    def __call__(self, s: np.ndarray) -> np.ndarray:
        return np.zeros(len(s)) if self.theta is None else self._features(s) @ self.theta


class LearnedSearchModel:
    """The learned world model and value as the beam search's model, from an observation."""

    def __init__(self, model: EnsembleModel, value: ValueModel, observation: np.ndarray) -> None:
        self.model, self.value, self.observation = model, value, observation

    def root(self) -> np.ndarray:
        return self.model.scale(np.asarray(self.observation)[None])

    def observations(self, states: np.ndarray) -> np.ndarray:
        return states * self.model.half + self.model.centre

    def step(self, states: np.ndarray, index: np.ndarray, actions: np.ndarray) -> tuple:
        nxt, rewards, costs = self.model.step_scaled(states[index], actions)
        return nxt, rewards, costs, np.zeros(len(index), bool), self.value(nxt)


class CEMLearned:
    """Planning on a world model learned from its own transitions: CEM on control tasks,
    on skill tasks the beam search ``cem-sim`` runs on the simulator."""

    privileged = False
    config_class = CEMLearnedConfig
    deterministic = True
    """NumPy only: the same seed gives the same curve with the same NumPy build. A
    different BLAS could change the last digits of its matrix products, and then
    ``regress``'s exact check flags the run although nothing else changed."""

    def __init__(self, task: TaskInfo, seed: int, config: CEMLearnedConfig | None = None) -> None:
        self.config = config or CEMLearnedConfig.for_task(task)
        root = np.random.SeedSequence(seed, spawn_key=(zlib.crc32(b"cem-learned"),))
        plan_ss, model_ss, act_ss = root.spawn(3)
        c = self.config
        self.planner = CEMPlanner(task.action_space, c, np.random.default_rng(plan_ss))
        self.model = EnsembleModel(task.observation_space, task.action_space, c, np.random.default_rng(model_ss))
        self.space = copy.deepcopy(task.action_space)
        self.space.seed(int(act_ss.generate_state(1, np.uint32)[0]))
        self.steps = 0
        self.episodes = 0
        self.by_episodes = task.budget_unit == "episodes"
        self.refit_until = math.ceil(c.refit_share * task.budget) if c.refit_share < 1.0 else None
        """Budget spent after which the models are never refitted (None: never frozen)."""
        self.rewarded = 0
        """Transitions with their reward (task steps; play's are not): until
        ``random_steps`` of them, there is no reward model to plan on, so it explores."""
        self.beam = self.value = None
        if c.planner == "beam":
            # Streams of their own: the CEM path draws exactly what it drew before.
            search_rng, value_rng, self.explore_rng = (np.random.default_rng(ss) for ss in np.random.SeedSequence(seed, spawn_key=(zlib.crc32(b"cem-learned"), 1)).spawn(3))
            self.proposals = load_reference(task.action_proposals) if task.action_proposals else None
            self.beam = BeamSearch(task.action_space, c.search(c.cost_penalty), search_rng, self.proposals)
            self.value = ValueModel(self.model.n_obs, c, value_rng)

    def start_episode(self, explore: bool) -> None:
        self.planner.reset()

    def act(self, observation: Any, explore: bool) -> Any:
        if not self.model.fitted or (explore and self.rewarded < self.config.random_steps):
            return self.space.sample()
        if self.beam is None:
            return self.planner.act(lambda actions: self.model.rollout(observation, actions))
        if explore and self.explore_rng.random() < self.config.explore:
            if self.proposals is None:
                return self.space.sample()
            options = np.asarray(self.proposals(observation))
            return options[int(self.explore_rng.integers(len(options)))].astype(self.space.dtype)
        return self.beam.plan(LearnedSearchModel(self.model, self.value, observation))

    def observe_play(self, transition: Transition) -> None:
        """Reward-free play (play variants): the dynamics learn from it, the reward, cost
        and value models do not (its reward is hidden, not zero). It plays at random (no
        reward model to plan on), and the task still begins with ``random_steps`` random
        steps for the reward model, which then plans on dynamics that play taught."""
        self.model.add(transition, rewarded=False)
        self._count()

    def observe(self, transition: Transition) -> None:
        self.rewarded += 1
        self.episodes += bool(transition.terminated or transition.truncated)
        self.model.add(transition)
        if self.value is not None:
            self.value.add(self.model.scale(np.asarray(transition.observation)[None])[0], float(transition.reward), bool(transition.terminated or transition.truncated))
        self._count()

    @property
    def frozen(self) -> bool:
        """Whether the models have stopped learning (more than ``refit_share`` of the budget
        spent: a refit due at the share itself still happens)."""
        return self.refit_until is not None and (self.episodes if self.by_episodes else self.rewarded) > self.refit_until

    def _count(self) -> None:
        self.steps += 1
        if self.frozen:
            return
        if self.steps >= min(self.config.random_steps, self.config.fit_every) and self.steps % self.config.fit_every == 0:
            self.model.fit()
            if self.value is not None:
                self.value.fit()


@dataclass(frozen=True)
class CEMLearnedFrozenConfig(CEMLearnedConfig):
    """``cem-learned``'s config on each task (its per-task changes included), with the
    models refitted during the first third of the budget only."""

    BASELINE: ClassVar[str] = "cem-learned-frozen"
    """The baseline this configures (its own per-task changes come on top of
    ``cem-learned``'s)."""

    refit_share: float = 1 / 3
    """As ``cem-learned``'s; a third: the first world of every adapt variant."""

    @classmethod
    def overrides(cls, task: Any) -> dict[str, Any]:
        return {**CEMLearnedConfig.overrides(task), **super().overrides(task)}


class CEMLearnedFrozen(CEMLearned):
    """``cem-learned`` whose world model stops learning after the first third of the
    budget: on the adapt variants, a model of the first world only. Against ``cem-learned``
    (which keeps refitting) it shows what refitting is worth when the world changes."""

    config_class = CEMLearnedFrozenConfig

    def __init__(self, task: TaskInfo, seed: int, config: CEMLearnedConfig | None = None) -> None:
        super().__init__(task, seed, config or CEMLearnedFrozenConfig.for_task(task))
