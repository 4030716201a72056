"""``bco``: behavioural cloning from observation (after Torabi, Warnell and Stone, 2018). It
watches episodes without actions (``pretrain``), learns an inverse model of its own body
from its early practice (which action takes this observation to that one), labels the
watched observation pairs with the actions the inverse model infers, and clones them; as
practice goes on it keeps refitting both (BCO(α)). Without anything watched it has nothing
to clone and acts at random: its gain from watching is what watching gave it.

Both models are ridge regressions on random Fourier features of scaled observations,
refitted in closed form; a discrete action is a one-hot target, read back as the most
likely choice."""

from __future__ import annotations

import copy
import zlib
from dataclasses import dataclass
from typing import Any, ClassVar

import gymnasium as gym
import numpy as np
from embodied_bench.baselines.config import BaselineConfig

from embodied_bench.api import Episode, TaskInfo, Transition


@dataclass(frozen=True)
class BCOConfig(BaselineConfig):
    """The inverse model, the clone and how practice feeds them."""

    BASELINE: ClassVar[str] = "bco"
    """The baseline this configures (the key of its per-task changes)."""

    features: int = 512
    """Random Fourier features of each model's input."""
    bandwidth: float = 2.0
    """Length scale of the features, in scaled-observation units (bounds scaled to [-1, 1])."""
    ridge: float = 1e-3
    """Ridge penalty relative to each feature's mean square in the data."""
    random_steps: int = 200
    """Practice steps of uniformly random actions before the first inverse model (its
    first data: the agent's own body, not the watched one)."""
    fit_every: int = 200
    """Practice steps between refits of the inverse model, the labels and the clone."""
    explore: float = 0.1
    """In practice, the share of steps with a random action instead of the clone's (what
    keeps teaching the inverse model about actions the clone does not take)."""

    def __post_init__(self) -> None:
        if self.features < 1 or self.bandwidth <= 0 or self.ridge < 0 or self.random_steps < 1 or self.fit_every < 1 or not 0 <= self.explore <= 1:
            raise ValueError("bco needs features, random_steps, fit_every >= 1, bandwidth > 0, ridge >= 0 and explore in [0, 1]")


class _Ridge:
    """Ridge regression on [x, 1, cos(xW + b)] from running sums (refit in closed form)."""

    def __init__(self, n_in: int, n_out: int, config: BCOConfig, rng: np.random.Generator) -> None:
        self.config = config
        self.W = rng.standard_normal((n_in, config.features)) / config.bandwidth
        self.b = rng.uniform(0, 2 * np.pi, config.features)
        d = n_in + 1 + config.features
        self.G = np.zeros((d, d))
        self.H = np.zeros((d, n_out))
        self.beta: np.ndarray | None = None

    def features(self, x: np.ndarray) -> np.ndarray:
        rff = np.cos(x @ self.W + self.b) * np.sqrt(2.0 / self.config.features)
        return np.concatenate([x, np.ones((len(x), 1)), rff], axis=1)

    def reset(self) -> None:
        self.G[:] = 0.0
        self.H[:] = 0.0

    def add(self, x: np.ndarray, y: np.ndarray) -> None:
        phi = self.features(x)
        self.G += phi.T @ phi
        self.H += phi.T @ y

    def fit(self) -> None:
        diag = np.diag(self.G)
        self.beta = np.linalg.solve(self.G + np.diag(self.config.ridge * diag + 1e-9 * (diag.max() + 1.0)), self.H)

    def __call__(self, x: np.ndarray) -> np.ndarray:
        assert self.beta is not None
        return self.features(x) @ self.beta


class BCO:
    """Behavioural cloning from observation: an inverse model of its own actions labels
    what it watched, and a clone of the labelled actions acts."""

    config_class = BCOConfig
    deterministic = True
    """NumPy only: the same seed and dataset, the same curve (with the same NumPy build)."""

    def __init__(self, task: TaskInfo, seed: int, config: BCOConfig | None = None) -> None:
        if not isinstance(task.observation_space, gym.spaces.Box):
            raise TypeError(f"bco needs Box observations, not {task.observation_space}")
        self.config = c = config or BCOConfig.for_task(task)
        space = task.action_space
        if isinstance(space, gym.spaces.Box):
            self.low, self.high = np.asarray(space.low, np.float64).ravel(), np.asarray(space.high, np.float64).ravel()
            self.nvec = None
            n_act = self.low.size
        elif isinstance(space, gym.spaces.MultiDiscrete):
            self.nvec = np.asarray(space.nvec).ravel()
            n_act = int(self.nvec.sum())
        else:
            raise TypeError(f"bco acts in Box or MultiDiscrete spaces, not {space}")
        self.shape, self.dtype = space.shape, space.dtype
        low, high = np.asarray(task.observation_space.low, np.float64).ravel(), np.asarray(task.observation_space.high, np.float64).ravel()
        finite = np.isfinite(low) & np.isfinite(high) & (high > low)
        self.centre, self.half = np.where(finite, (high + low) / 2, 0.0), np.where(finite, (high - low) / 2, 1.0)
        rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(zlib.crc32(b"bco"),)))
        n = self.centre.size
        self.inverse = _Ridge(2 * n, n_act, c, rng)
        self.clone = _Ridge(n, n_act, c, rng)
        self.rng = rng
        self.space = copy.deepcopy(space)
        self.space.seed(int(rng.integers(2**31)))
        self.watched: list[np.ndarray] = []
        self.steps = 0

    # -- encodings ------------------------------------------------------------------------

    def _scale(self, obs: Any) -> np.ndarray:
        return (np.asarray(obs, np.float64).reshape(len(obs), -1) - self.centre) / self.half

    def _encode(self, actions: np.ndarray) -> np.ndarray:
        a = np.asarray(actions).reshape(len(actions), -1)
        if self.nvec is None:
            return a.astype(np.float64)
        out = np.zeros((len(a), int(self.nvec.sum())))
        offsets = np.concatenate([[0], np.cumsum(self.nvec)[:-1]])
        for j, off in enumerate(offsets):
            out[np.arange(len(a)), off + a[:, j].astype(int)] = 1.0
        return out

    def _decode(self, y: np.ndarray) -> np.ndarray:
        """Predicted actions, valid for the space."""
        if self.nvec is None:
            return np.clip(y, self.low, self.high).reshape(len(y), *self.shape).astype(self.dtype)
        parts, start = [], 0
        for n in self.nvec:
            parts.append(np.argmax(y[:, start : start + n], axis=1))
            start += n
        return np.stack(parts, axis=1).reshape(len(y), *self.shape).astype(self.dtype)

    # -- the contract ---------------------------------------------------------------------

    def pretrain(self, observations: list[Episode]) -> None:
        """Keep the watched observation sequences (their actions are never shown)."""
        self.watched = [self._scale(ep.observations) for ep in observations if len(ep.observations) > 1]

    def act(self, observation: Any, explore: bool) -> Any:
        if self.clone.beta is None or (explore and self.rng.random() < self.config.explore):
            return self.space.sample()
        return self._decode(self.clone(self._scale(np.asarray(observation)[None])))[0]

    def observe(self, t: Transition) -> None:
        s, s2 = self._scale(np.asarray(t.observation)[None]), self._scale(np.asarray(t.next_observation)[None])
        self.inverse.add(np.concatenate([s, s2 - s], axis=1), self._encode(np.asarray(t.action)[None]))
        self.steps += 1
        c = self.config
        if self.watched and self.steps >= c.random_steps and (self.steps - c.random_steps) % c.fit_every == 0:
            self._refit()

    def _refit(self) -> None:
        """The inverse model from all practice so far, the watched pairs labelled with it,
        and the clone from those labels (refitted from scratch: the labels changed)."""
        self.inverse.fit()
        self.clone.reset()
        for s in self.watched:
            labels = self._encode(self._decode(self.inverse(np.concatenate([s[:-1], s[1:] - s[:-1]], axis=1))))
            self.clone.add(s[:-1], labels)
        self.clone.fit()
