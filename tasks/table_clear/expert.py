"""The expert for table-clear-ee's datasets: the primitive oracle's choice of item and
destination, carried out with the scripted motion that records the demonstrations. It is
privileged (it reads the household's rule and the scene) and exists to make watch
datasets; it is no baseline."""

from __future__ import annotations

from collections import deque
from typing import Any

import numpy as np
from embodied_bench.tasks.table_clear import households as H
from embodied_bench.tasks.table_clear import scene as S
from embodied_bench.tasks.table_clear.oracle import next_primitive

from embodied_bench.api import PrivilegedView, TaskInfo, Transition

_IDLE = np.array([0.0, 0.0, 0.0, 0.0, -1.0], np.float32)
"""Nothing left to move: hold still with the gripper open."""


class TableClearEEExpert:
    """Plans one pick-and-place at a time on a snapshot of the scene (the scripted motion,
    simulated and then undone), then sends the end-effector commands it recorded. The
    physics is deterministic, so the commands replayed from the same state do the same."""

    privileged = True

    def __init__(self, task: TaskInfo, seed: int, privileged: PrivilegedView) -> None:
        self.view = privileged
        self.queue: deque[np.ndarray] = deque()

    def start_episode(self, explore: bool) -> None:
        self.queue.clear()

    def act(self, observation: Any, explore: bool = False) -> np.ndarray:
        if not self.queue:
            self.queue.extend(self._plan())
        return self.queue.popleft() if self.queue else _IDLE.copy()

    def _plan(self) -> list[np.ndarray]:
        env: Any = self.view.env
        choice = next_primitive(env.scene, env.household, env.layout)
        if choice is None:
            return []
        snap = env.snapshot()
        try:
            actions, _ = S.pick_and_place(env.scene, int(choice[0]), H.DESTINATIONS[int(choice[1])])
        finally:
            env.restore(snap)
            env.forget(snap)
        return [np.asarray(a, np.float32) for a in actions]

    def observe(self, transition: Transition) -> None:
        """The expert does not learn."""
