"""Candidate jumps from what the cat sees, for planners (``Task.action_proposals``): no
privilege, only the observation and the ballistics any jumper knows of its own body.

For each surface in view: jumps whose flight passes through a standing pose on its top
(aimed at its centre and at its near half, at four pitches), and hops towards it along
the level the cat stands on (a run-up, as a cat gathers itself before a high leap); jumps
onto the treat itself, from wherever the cat stands (the last jump of a route, and the
short hop to the treat once on its surface: from the piece before the treat's, in the
15 rooms of 2-4 climbs among the first 20 held-out v1 rooms, 2 of the 25 centre-aimed
jumps that came to rest on the treat's surface ended more than the 0.3 m of success
from the treat, up to 0.51 m); hops
towards the treat; a hop in place. The planner's model decides which of them work:
which clear the furniture, land at rest, climb. The ballistics are the task's own
cat's: under the ``weak-jumps`` change every proposed jump flies short of its aim."""

from __future__ import annotations

import math

import numpy as np
from embodied_bench.tasks.cat_climb import rooms as R
from embodied_bench.tasks.cat_climb.env import SKILL_OBSERVATION

_PITCHES = np.radians([35.0, 50.0, 65.0, 78.0])
_HOP_PITCHES = np.radians([40.0, 65.0])
RUN_UP = 0.7
"""How far from a surface a run-up hop lands (m)."""


def _action(heading: float, pitch: float, speed: float) -> np.ndarray:
    return np.array(
        [heading / math.pi, 2 * (pitch - R.MIN_PITCH) / (R.MAX_PITCH - R.MIN_PITCH) - 1, 2 * (speed - R.MIN_SPEED) / (R.MAX_SPEED - R.MIN_SPEED) - 1],
        np.float32,
    ).clip(-1, 1)


def _ballistic(dx: float, dy: float, rise: float, pitches: np.ndarray) -> list[np.ndarray]:
    """Jumps that carry the torso ``(dx, dy)`` ahead (heading frame) and ``rise`` up."""
    d = math.hypot(dx, dy)
    if d < 0.05:
        return []
    heading = math.atan2(dy, dx)
    out = []
    for th in pitches:
        denom = 2.0 * math.cos(th) ** 2 * (d * math.tan(th) - rise)
        if denom <= 0:
            continue
        v = math.sqrt(R.G * d * d / denom)
        if R.MIN_SPEED <= v <= R.MAX_SPEED:
            out.append(_action(heading, float(th), v))
    return out


def jump_proposals(observation: np.ndarray) -> np.ndarray:
    """``(K, 3)`` candidate actions of ``CatClimbSkill`` from one observation."""
    obs = np.asarray(observation, np.float64)
    read = SKILL_OBSERVATION.read
    surfaces = read(obs, "surfaces")
    centres, heights = read(obs, "surfaces.centre"), read(obs, "surfaces.height")[:, 0]
    halves, present = read(obs, "surfaces.half_size"), read(obs, "surfaces.present")[:, 0]
    treat = read(obs, "treat")
    out: list[np.ndarray] = [_action(0.0, R.MAX_PITCH, R.MIN_SPEED)]  # a hop in place
    for k in range(len(surfaces)):
        if present[k] < 0.5:
            continue
        cx, cy = centres[k]
        rise = heights[k] + R.STAND_HEIGHT  # the torso standing on its top
        d = math.hypot(cx, cy)
        near = max(0.0, d - 0.5 * float(min(halves[k])))
        for aim in {d, near}:
            if aim > 0.05:
                out += _ballistic(cx * aim / d, cy * aim / d, rise, _PITCHES)
        if d > RUN_UP + 0.3:
            out += _ballistic(cx * (d - RUN_UP) / d, cy * (d - RUN_UP) / d, 0.0, _HOP_PITCHES)
    tx, ty = treat[0], treat[1]
    out += _ballistic(tx, ty, treat[2] + R.STAND_HEIGHT, _PITCHES)
    for share in (0.3, 0.6):
        out += _ballistic(tx * share, ty * share, 0.0, _HOP_PITCHES)
    return np.stack(out)
