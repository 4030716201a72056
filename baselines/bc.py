"""``bc``: behaviour cloning from the demonstrations a task gives (table-clear's
end-effector interface: the expert's velocity commands, one demonstration per household).
Every demonstration it is shown, in practice and before an evaluation attempt alike, adds
its (observation, action) pairs to a ridge regression on random Fourier features of the
observation, refitted in closed form; it acts with the regression's prediction. Its own
practice adds nothing (it clones, it does not reinforce): its curve moves as it sees more
households' demonstrations."""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from typing import Any, ClassVar

import gymnasium as gym
import numpy as np
from embodied_bench.baselines.config import BaselineConfig

from embodied_bench.api import Episode, TaskInfo, Transition


@dataclass(frozen=True)
class BCConfig(BaselineConfig):
    """The regression that clones the expert."""

    features: int = 512
    """Random Fourier features of the scaled observation."""
    bandwidth: float = 2.0
    """Length scale of the features, in scaled-observation units (the observation space's
    bounds scaled to [-1, 1])."""
    ridge: float = 1e-3
    """Ridge penalty relative to each feature's mean square in the data."""

    BASELINE: ClassVar[str] = "bc"
    """The baseline this configures (the key of its per-task changes)."""

    def __post_init__(self) -> None:
        if self.features < 1 or self.bandwidth <= 0 or self.ridge < 0:
            raise ValueError("bc needs features >= 1, bandwidth > 0 and ridge >= 0")


class BehaviourCloning:
    """Ridge regression from observations to the demonstrated actions."""

    config_class = BCConfig
    deterministic = True
    """NumPy only: the same seed, the same curve (with the same NumPy build)."""

    def __init__(self, task: TaskInfo, seed: int, config: BCConfig | None = None) -> None:
        if not isinstance(task.action_space, gym.spaces.Box) or not isinstance(task.observation_space, gym.spaces.Box):
            raise TypeError(f"bc clones Box actions from Box observations, not {task.action_space}")
        self.config = c = config or BCConfig.for_task(task)
        low, high = np.asarray(task.observation_space.low, np.float64), np.asarray(task.observation_space.high, np.float64)
        finite = np.isfinite(low) & np.isfinite(high) & (high > low)
        self.centre = np.where(finite, (high + low) / 2, 0.0)
        self.half = np.where(finite, (high - low) / 2, 1.0)
        self.low, self.high = np.asarray(task.action_space.low, np.float64), np.asarray(task.action_space.high, np.float64)
        rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(zlib.crc32(b"bc"),)))
        n = self.centre.size
        self.W = rng.standard_normal((n, c.features)) / c.bandwidth
        self.b = rng.uniform(0, 2 * np.pi, c.features)
        d = n + 1 + c.features
        self.G = np.zeros((d, d))
        self.H = np.zeros((d, self.low.size))
        self.beta: np.ndarray | None = None
        self.seen: set[tuple] = set()

    def _features(self, obs: np.ndarray) -> np.ndarray:
        s = (np.asarray(obs, np.float64).reshape(len(obs), -1) - self.centre) / self.half
        rff = np.cos(s @ self.W + self.b) * np.sqrt(2.0 / self.config.features)
        return np.concatenate([s, np.ones((len(s), 1)), rff], axis=1)

    def demonstrate(self, demos: list[Episode]) -> None:
        added = False
        for demo in demos:
            key = (demo.meta.get("household"), demo.meta.get("layout"))
            if key in self.seen or demo.actions is None or len(demo.actions) == 0:
                continue  # a household's demonstration comes with each of its attempts
            self.seen.add(key)
            phi = self._features(demo.observations[: len(demo.actions)])
            self.G += phi.T @ phi
            self.H += phi.T @ np.asarray(demo.actions, np.float64).reshape(len(phi), -1)
            added = True
        if added:
            diag = np.diag(self.G)
            penalty = self.config.ridge * diag + 1e-9 * (diag.max() + 1.0)
            self.beta = np.linalg.solve(self.G + np.diag(penalty), self.H)

    def act(self, observation: Any, explore: bool) -> np.ndarray:
        if self.beta is None:
            return np.zeros(self.low.shape, np.float32)
        action = self._features(np.asarray(observation)[None]) @ self.beta
        return np.clip(action[0].reshape(self.low.shape), self.low, self.high).astype(np.float32)

    def observe(self, transition: Transition) -> None:
        """It clones demonstrations; its own practice teaches it nothing."""
