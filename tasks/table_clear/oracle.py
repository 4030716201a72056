"""The privileged scripted oracle for table-clear-primitive: it knows the household's rule
and sends each item that is not yet where the rule puts it (retrying failed placements;
items on the floor are lost)."""

from __future__ import annotations

from typing import Any

import numpy as np
from embodied_bench.tasks.table_clear import households as H

from embodied_bench.api import PrivilegedView, TaskInfo, Transition


def next_primitive(scene: Any, household: H.Household, items: tuple[H.Item, ...]) -> np.ndarray | None:
    """The oracle's next (slot, destination): the first item not where the rule puts it
    and not on the floor; None when there is none (the generator validates tables with it)."""
    positions = scene.item_positions()
    for k, item in enumerate(items):
        where = scene.location(k, positions[k])
        dest = household.destination(item)
        if where != dest and where != "floor":
            return np.array([k, H.DESTINATIONS.index(dest)], np.int64)
    return None


class TableClearOracle:
    """Reads the rule; one pick-and-place per misplaced item."""

    privileged = True

    def __init__(self, task: TaskInfo, seed: int, privileged: PrivilegedView) -> None:
        self.view = privileged

    def act(self, observation: Any, explore: bool = False) -> np.ndarray:
        env: Any = self.view.env
        action = next_primitive(env.scene, env.household, env.layout)
        return action if action is not None else np.array([H.MAX_ITEMS - 1, 0], np.int64)  # nothing left to do: an empty slot

    def observe(self, transition: Transition) -> None:
        """The oracle does not learn."""
