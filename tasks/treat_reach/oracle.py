"""The privileged scripted oracle for treat-reach: it reads the layout, plans a geodesic
route on the occupancy grid the generator validated, and follows it at a speed that
cannot bump the vase hard."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from embodied_bench.tasks.treat_reach import layout as L

from embodied_bench.api import PrivilegedView, TaskInfo, Transition

_NEIGHBOURS = [(dx, dy) for dx in (-1, 0, 1) for dy in (-1, 0, 1) if dx or dy]


class TreatReachOracle:
    """Follows the shortest safe route to the treat (reference agent, never ranked)."""

    privileged = True

    cruise_speed: float = 0.4
    """Target speed along the route (m/s); the vase guardrail trips above 0.2 m/s only
    when the mouse touches the vase, which the route never does."""
    gain: float = 4.0
    """Velocity-error gain (fraction of full force per m/s)."""
    lookahead: int = 5
    """How many cells ahead along the route the mouse steers to."""

    def __init__(self, task: TaskInfo, seed: int, privileged: PrivilegedView) -> None:
        self.view = privileged
        self._fields: dict[int, tuple[L.Layout, np.ndarray]] = {}

    def _field(self, layout: L.Layout) -> np.ndarray:
        # Keyed by seed, checked against the layout: one seed makes another layout under
        # another layout_style (an adapt run changes the world under the same oracle).
        cached = self._fields.get(layout.seed)
        if cached is not None and (cached[0] is layout or cached[0] == layout):
            return cached[1]
        field = L.distance_field(L.occupancy(layout), L.cell_of(*layout.treat))
        if len(self._fields) > 256:
            self._fields.clear()
        self._fields[layout.seed] = (layout, field)
        return field

    def _waypoint(self, field: np.ndarray, x: float, y: float) -> tuple[float, float]:
        cell = L.cell_of(x, y)
        n = field.shape[0]
        for _ in range(self.lookahead):
            best, best_d = cell, field[cell]
            for dx, dy in _NEIGHBOURS:
                c = (cell[0] + dx, cell[1] + dy)
                if 0 <= c[0] < n and 0 <= c[1] < n and field[c] < best_d:
                    best, best_d = c, field[c]
            if best == cell:
                break
            cell = best
        return (-L.ARENA_HALF + (cell[0] + 0.5) * L.GRID, -L.ARENA_HALF + (cell[1] + 0.5) * L.GRID)

    def act(self, observation: np.ndarray, explore: bool = False) -> np.ndarray:
        env: Any = self.view.env
        layout = env.layout
        x, y, vx, vy = (float(v) for v in observation[:4])
        tx, ty = layout.treat
        if math.hypot(tx - x, ty - y) < 4 * L.GRID:
            wx, wy = tx, ty
        else:
            field = self._field(layout)
            if not np.isfinite(field[L.cell_of(x, y)]):
                # Jitter or a push left the mouse in an inflated cell: head for the nearest free one.
                wx, wy = self._nearest_free(field, x, y)
            else:
                wx, wy = self._waypoint(field, x, y)
        dx, dy = wx - x, wy - y
        dist = math.hypot(dx, dy) or 1.0
        speed = min(self.cruise_speed, 3.0 * dist + 0.05)
        want_vx, want_vy = speed * dx / dist, speed * dy / dist
        # Feed-forward against damping (top speed = max_force / damping) plus feedback;
        # read from the env, which a world change may make slippery or weak.
        ff = env.damping / env.max_force
        ax = ff * want_vx + self.gain * (want_vx - vx)
        ay = ff * want_vy + self.gain * (want_vy - vy)
        return np.clip(np.array([ax, ay], dtype=np.float32), -1.0, 1.0)

    def _nearest_free(self, field: np.ndarray, x: float, y: float) -> tuple[float, float]:
        free = np.argwhere(np.isfinite(field))
        centres = -L.ARENA_HALF + (free + 0.5) * L.GRID
        k = int(np.argmin((centres[:, 0] - x) ** 2 + (centres[:, 1] - y) ** 2))
        return float(centres[k, 0]), float(centres[k, 1])

    def observe(self, transition: Transition) -> None:
        """The oracle does not learn."""
