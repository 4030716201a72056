"""The uniform random agent: the floor every score is measured against."""

from __future__ import annotations

import copy
from typing import Any

import gymnasium as gym
import numpy as np

from embodied_bench.api import TaskInfo, Transition


class RandomAgent:
    """Samples every action uniformly from the action space, with its own seeded stream."""

    deterministic = True
    """Same seed: the same actions, so the same curve (checked exactly by ``regress``)."""

    def __init__(self, task: TaskInfo, seed: int) -> None:
        # A private copy of the space, so seeding it touches nothing shared.
        self.space = copy.deepcopy(task.action_space)
        self.space.seed(seed)
        self._uniform = None
        space = self.space
        if isinstance(space, gym.spaces.Box) and space.dtype.kind == "f" and space.is_bounded("both"):
            # What Box.sample draws for a bounded float box (the same numbers from the same
            # stream), without its per-call masks: a third of a MuJoCo step saved per action.
            # Generator.uniform computes low + (high - low) * U[0, 1), as done here.
            low = space.low.ravel().astype(np.float64)
            self._uniform = (space.np_random, low, space.high.ravel().astype(np.float64) - low, space.shape, space.dtype)

    def act(self, observation: Any, explore: bool) -> Any:
        if self._uniform is not None:
            rng, low, span, shape, dtype = self._uniform
            return (low + span * rng.random(low.shape)).reshape(shape).astype(dtype)
        return self.space.sample()

    def observe(self, transition: Transition) -> None:
        """Random does not learn."""
