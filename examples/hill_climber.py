"""An agent written the way a user writes one: a file of their own, outside the package,
run with ``embodied-bench run --agent examples/hill_climber.py:HillClimber``.

Hill climbing on a linear policy ``action = tanh(W @ observation + b)`` for tasks with a
continuous (Box) action space: each training episode tries the best policy so far plus
Gaussian noise and keeps it when its return beats the best return seen. Evaluation uses
the best policy without noise. Plain NumPy; its only randomness is the seed it is given.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from gymnasium import spaces

from embodied_bench.api import TaskInfo, Transition


@dataclass(frozen=True)
class HillClimberConfig:
    noise: float = 0.3
    """Standard deviation of the perturbation added to the weights for each trial."""
    decay: float = 0.995
    """The noise shrinks by this factor after every kept improvement."""


class HillClimber:
    """Hill climbing on a linear policy: keep a perturbation when its episode returns more."""

    def __init__(self, task: TaskInfo, seed: int, config: HillClimberConfig = HillClimberConfig()) -> None:
        if not isinstance(task.action_space, spaces.Box):
            raise TypeError(f"HillClimber needs a Box action space; {task.task_id} has {task.action_space}")
        self.config = config
        self.rng = np.random.default_rng(seed)
        self.obs_dim = int(np.prod(task.observation_space.shape))
        self.low, self.high = task.action_space.low, task.action_space.high
        shape = (int(np.prod(task.action_space.shape)), self.obs_dim + 1)
        self.best = np.zeros(shape)
        self.best_return = -np.inf
        self.noise = config.noise
        self.trial = self.best.copy()
        self.episode_return = 0.0

    def _policy(self, weights: np.ndarray, observation) -> np.ndarray:
        x = np.append(np.asarray(observation, dtype=float).ravel(), 1.0)
        unit = np.tanh(weights @ x)
        return (self.low + (unit + 1.0) * 0.5 * (self.high - self.low)).astype(np.float32)

    def start_episode(self, explore: bool) -> None:
        if explore:
            self.trial = self.best + self.noise * self.rng.standard_normal(self.best.shape)
            self.episode_return = 0.0

    def act(self, observation, explore: bool):
        return self._policy(self.trial if explore else self.best, observation)

    def observe(self, transition: Transition) -> None:
        self.episode_return += float(transition.reward)
        if transition.terminated or transition.truncated:
            if self.episode_return > self.best_return:
                self.best, self.best_return = self.trial, self.episode_return
                self.noise *= self.config.decay
