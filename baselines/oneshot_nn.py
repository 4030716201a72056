"""``oneshot-nn``: one-shot imitation by nearest neighbour over item attributes. From the
single demonstration of a household it learns where items like each demonstrated one go,
and sends every item on the table to the destination of its nearest demonstrated item."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import gymnasium as gym
import numpy as np
from embodied_bench.tasks.table_clear import households as H
from embodied_bench.baselines.config import BaselineConfig

from embodied_bench.api import Episode, TaskInfo, Transition


@dataclass(frozen=True)
class OneShotNNConfig(BaselineConfig):
    """Distances between item attributes (the same for every task it runs on)."""

    BASELINE: ClassVar[str] = "oneshot-nn"
    """The baseline this configures (the key of its per-task changes)."""

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
        if not isinstance(task.action_space, gym.spaces.MultiDiscrete) or task.observation_layout is None:
            raise TypeError(f"oneshot-nn acts through pick-and-place primitives (table-clear-primitive), not {task.action_space}")
        self.layout = task.observation_layout
        self.categories, self.colours = self.layout.labels("items.category"), self.layout.labels("items.colour")
        self.config = config or OneShotNNConfig.for_task(task)
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
        read = self.layout.read
        obs = np.asarray(observation)
        trays = read(obs, "destinations.position")[:, :2]
        categories, colours = read(obs, "items.category"), read(obs, "items.colour")
        dirty, positions, present = read(obs, "items.dirty")[:, 0], read(obs, "items.position"), read(obs, "items.present")[:, 0]
        for k in range(len(present)):
            if present[k] < 0.5:
                continue  # empty slot
            want = self.predict(self.categories[int(np.argmax(categories[k]))], self.colours[int(np.argmax(colours[k]))], bool(dirty[k] > 0.5))
            distances = np.linalg.norm(trays - positions[k, :2], axis=1)
            at = H.DESTINATIONS[int(np.argmin(distances))] if distances.min() < self.config.placed_radius else None
            if at != want and positions[k, 2] > -0.3:  # not placed right, and not on the floor
                return np.array([k, H.DESTINATIONS.index(want)], np.int64)
        return np.array([len(present) - 1, 0], np.int64)

    def observe(self, transition: Transition) -> None:
        """All it learns comes from the demonstration."""
