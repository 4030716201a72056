"""The uniform random agent: the floor every score is measured against."""

from __future__ import annotations

import copy
from typing import Any

from embodied_bench.api import TaskInfo, Transition


class RandomAgent:
    """Samples every action uniformly from the action space, with its own seeded stream."""

    deterministic = True
    """Same seed: the same actions, so the same curve (checked exactly by ``regress``)."""

    def __init__(self, task: TaskInfo, seed: int) -> None:
        # A private copy of the space, so seeding it touches nothing shared.
        self.space = copy.deepcopy(task.action_space)
        self.space.seed(seed)

    def act(self, observation: Any, explore: bool) -> Any:
        return self.space.sample()

    def observe(self, transition: Transition) -> None:
        """Random does not learn."""
