"""The drive family's score: route completion times a penalty for every infraction, the
multiplicative form of the CARLA leaderboard's driving score (its coefficients).

    score = completion × Π over infractions of PENALTY[kind]

``completion`` is the share of the route driven, in [0, 1]. A route driven to the end
without a serious infraction (``SERIOUS``: any of them) is a success, and scores 1
exactly then. A set of routes scores the mean of the routes' scores, never the mean
completion times the mean penalty (they differ as soon as one route goes worse than
another)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np

PENALTY = {
    "pedestrian": 0.50,
    "vehicle": 0.60,
    "static": 0.65,
    "red_light": 0.70,
}
"""The factor each infraction multiplies the score by: a collision with a pedestrian, a
vehicle or a static object (a parked car, the kerb's furniture), and running a red light."""
SERIOUS = frozenset(PENALTY)
"""Infractions that make a completed route no success: every one, as on a driving test
(running a red light fails one as surely as a collision), so a route succeeds exactly
when it scores 1."""


def route_score(completion: float, infractions: Iterable[str]) -> float:
    """One route's score (``infractions``: the kind of each, repeats counted). A kind not
    in ``PENALTY`` is a ValueError naming the kinds there are."""
    if not 0.0 <= completion <= 1.0:
        raise ValueError(f"route completion must be in [0, 1], got {completion}")
    factor = 1.0
    for kind in infractions:
        if kind not in PENALTY:
            raise ValueError(f"unknown infraction {kind!r}; the kinds are {', '.join(PENALTY)}")
        factor *= PENALTY[kind]
    return completion * factor


def route_success(completion: float, infractions: Iterable[str]) -> bool:
    """The route driven to its end with no serious infraction."""
    return completion >= 1.0 and not any(kind in SERIOUS for kind in infractions)


def town_set_score(completions: Sequence[float], infractions: Sequence[Iterable[str]]) -> float:
    """The mean over routes of each route's score (``completions`` and ``infractions``:
    one entry per route)."""
    if len(completions) != len(infractions) or not completions:
        raise ValueError(f"one completion and one list of infractions per route, got {len(completions)} and {len(infractions)}")
    return float(np.mean([route_score(c, i) for c, i in zip(completions, infractions)]))
