"""``oneshot-nn``: one-shot imitation by nearest neighbour over item attributes. From the
single demonstration of a household it learns where items like each demonstrated one go,
and sends every item on the table to the destination of its nearest demonstrated item."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import gymnasium as gym
import numpy as np
from embodied_bench.tasks.table_clear import households as H
from embodied_bench.baselines.config import BaselineConfig
from embodied_bench.tasks.table_clear.env import SLOT_FEATURES

from embodied_bench.api import Episode, TaskInfo, Transition


@dataclass(frozen=True)
class OneShotNNConfig(BaselineConfig):
    """Distances between item attributes (the same for every task it runs on)."""

    category_weight: float = 4.0
    """Distance for a different category (the attribute most rules key on)."""
    dirty_weight: float = 2.0
    """Distance for a different clean/dirty state."""
    colour_weight: float = 1.0
    """Distance for a different colour."""
    placed_radius: float = 0.25
    """An item this close (m) to a destination's centre counts as placed there (a tray's
    corner is 0.24 m from its centre)."""


class OneShotNN:
    """Nearest neighbour over (category, colour, dirty) to the demonstrated items; the
    demonstration of the current household replaces the previous one."""

    deterministic = True
    """Same seed: the same curve (checked exactly by ``regress``)."""
    config_class = OneShotNNConfig

    def __init__(self, task: TaskInfo, seed: int, config: OneShotNNConfig | None = None) -> None:
        if not isinstance(task.action_space, gym.spaces.MultiDiscrete):
            raise TypeError(f"oneshot-nn acts through pick-and-place primitives (table-clear-primitive), not {task.action_space}")
        self.config = config or OneShotNNConfig()
        self.rng = np.random.default_rng(seed)
        self.examples: list[dict[str, Any]] = []

    def demonstrate(self, demos: list[Episode]) -> None:
        self.examples = [dict(item) for demo in demos for item in demo.meta["items"]]

    def predict(self, category: str, colour: str, dirty: bool) -> str:
        if not self.examples:
            return H.DESTINATIONS[int(self.rng.integers(len(H.DESTINATIONS)))]
        c = self.config

        def distance(ex: dict[str, Any]) -> float:
            return c.category_weight * (ex["category"] != category) + c.colour_weight * (ex["colour"] != colour) + c.dirty_weight * (ex["dirty"] != dirty)

        return min(self.examples, key=distance)["destination"]

    def act(self, observation: np.ndarray, explore: bool) -> np.ndarray:
        obs = np.asarray(observation)
        dest_base = H.MAX_ITEMS * SLOT_FEATURES + 6
        trays = obs[dest_base : dest_base + 3 * len(H.DESTINATIONS)].reshape(-1, 3)[:, :2]
        for k in range(H.MAX_ITEMS):
            slot = obs[k * SLOT_FEATURES : (k + 1) * SLOT_FEATURES]
            f = len(H.CATEGORIES) + len(H.COLOURS)
            if slot[f + 5] < 0.5:
                continue  # empty slot
            category = H.CATEGORIES[int(np.argmax(slot[: len(H.CATEGORIES)]))]
            colour = H.COLOURS[int(np.argmax(slot[len(H.CATEGORIES) : f]))]
            dirty = bool(slot[f] > 0.5)
            want = self.predict(category, colour, dirty)
            xy = slot[f + 2 : f + 4]
            distances = np.linalg.norm(trays - xy, axis=1)
            at = H.DESTINATIONS[int(np.argmin(distances))] if distances.min() < self.config.placed_radius else None
            if at != want and slot[f + 4] > -0.3:  # not placed right, and not on the floor
                return np.array([k, H.DESTINATIONS.index(want)], np.int64)
        return np.array([H.MAX_ITEMS - 1, 0], np.int64)

    def observe(self, transition: Transition) -> None:
        """All it learns comes from the demonstration."""
