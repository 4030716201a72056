"""A town's route as a path to drive, and a controller that drives a path.

``route_path`` is the lane centre from the start to the goal: straight along each street,
through each junction on a curve (a quadratic Bézier from the end of the lane coming in to
the start of the lane going out, through the point where the two lane lines cross: tight
for a right turn, wide for a left, straight on a straight). ``PathFollower`` steers the
car along a path by pure pursuit and holds a speed, slowing before curves so the tyres
keep their grip: the driving of the family's oracle, before it obeys anyone else."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from embodied_bench.tasks.drive.car import Car
from embodied_bench.tasks.drive.town import BLOCK_SIZES, LANE_WIDTH, ROAD_HALF_WIDTH, Spot, Town

CORNER = 4.0
"""Turns begin this far before the junction's edge (m), so a right turn's tightest radius
(about 5.5 m) is one the car can steer (about 4.3 m at full lock)."""
ARRIVED = 2.5
"""A car stopped within this distance of the goal has arrived (m)."""


def _unit(a: tuple[float, float], b: tuple[float, float]) -> np.ndarray:
    d = np.subtract(b, a)
    return d / np.linalg.norm(d)


def turn_between(town: Town, before: int, at: int, after: int) -> str:
    """``"left"``, ``"straight"`` or ``"right"``: the turn at junction ``at`` coming from
    ``before`` and leaving for ``after``."""
    u, v = _unit(town.nodes[before], town.nodes[at]), _unit(town.nodes[at], town.nodes[after])
    cross = u[0] * v[1] - u[1] * v[0]
    if abs(cross) < 0.5:
        return "straight"
    return "left" if cross > 0 else "right"


def route_chain(town: Town) -> list[int]:
    """The route's junctions with the one behind the start before them and the one the
    goal's street leads to after them."""
    a, b = town.roads[town.start.road]
    came = a if town.start.direction > 0 else b
    ga, gb = town.roads[town.goal.road]
    leave = gb if town.goal.direction > 0 else ga
    return [came, *town.route, leave]


def route_turns(town: Town) -> list[str]:
    """The turn at each junction of the route, in order."""
    chain = route_chain(town)
    return [turn_between(town, chain[i - 1], chain[i], chain[i + 1]) for i in range(1, len(chain) - 1)]


def _lane_line(town: Town, u: int, v: int) -> tuple[np.ndarray, np.ndarray]:
    """A point on the lane from junction ``u`` to ``v``, and its direction."""
    d = _unit(town.nodes[u], town.nodes[v])
    right = np.array([d[1], -d[0]])
    return np.asarray(town.nodes[u]) + right * LANE_WIDTH / 2, d


def junction_curve(town: Town, before: int, at: int, after: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Driving from ``before`` through junction ``at`` to ``after``: the point where the
    lane coming in meets the turn (its stop line), the points of the curve through the
    junction, and the point where the turn meets the lane going out. A turn back (``after
    == before``, a dead end) curves through the junction's centre."""
    p_in, d_in = _lane_line(town, before, at)
    p_out, d_out = _lane_line(town, at, after)
    centre = np.asarray(town.nodes[at])
    entry = p_in + d_in * ((centre - p_in) @ d_in - ROAD_HALF_WIDTH - CORNER)
    exit_ = p_out + d_out * ((centre - p_out) @ d_out + ROAD_HALF_WIDTH + CORNER)
    if after == before:
        control = centre
    elif turn_between(town, before, at, after) == "straight":
        control = (entry + exit_) / 2
    else:  # where the two lane lines cross
        t = np.linalg.solve(np.column_stack([d_in, -d_out]), p_out - p_in)[0]
        control = p_in + t * d_in
    s = np.linspace(0.0, 1.0, 12)[1:-1, None]
    return entry, (1 - s) ** 2 * entry + 2 * s * (1 - s) * control + s**2 * exit_, exit_


def lane_path(town: Town, chain: list[int], start: Spot, end: Spot | None = None, spacing: float = 1.0) -> tuple[np.ndarray, list[tuple[float, int, bool]]]:
    """The lane path from ``start`` through the junctions ``chain[1:-1]`` (``chain[0]``:
    the junction behind the start) to ``end`` (or to the last curve's end), as ``(N, 2)``
    points about ``spacing`` metres apart; and each junction's stop line on it: ``(arc
    length, junction, whether the approach runs north-south)``."""
    points: list[np.ndarray] = [np.array(town.lane_point(start)[:2])]
    entries: list[tuple[np.ndarray, int, bool]] = []
    for i in range(1, len(chain) - 1):
        entry, curve, exit_ = junction_curve(town, chain[i - 1], chain[i], chain[i + 1])
        d_in = _unit(town.nodes[chain[i - 1]], town.nodes[chain[i]])
        entries.append((entry, chain[i], abs(float(d_in[1])) > 0.5))
        points += [entry, *curve, exit_]
    if end is not None:
        points.append(np.array(town.lane_point(end)[:2]))
    path = _resample(np.array(points), spacing)
    arc = np.concatenate([[0.0], np.cumsum(np.linalg.norm(np.diff(path, axis=0), axis=1))])
    # Stop lines measured on the path as resampled (chords in curves are shorter). Each is
    # looked for within a street and a junction of the one before: a path that comes
    # back the same way passes the same stop line again, later.
    stops, k = [], 0
    window = int((BLOCK_SIZES[1] + 2 * (ROAD_HALF_WIDTH + CORNER) + 10) / spacing)
    for entry, node, north_south in entries:
        k += int(np.argmin(np.linalg.norm(path[k : k + window] - entry, axis=1)))
        stops.append((float(arc[k]), node, north_south))
    return path, stops


def route_path(town: Town, spacing: float = 1.0) -> np.ndarray:
    """``(N, 2)`` points about ``spacing`` metres apart along the route's lane centres."""
    return lane_path(town, route_chain(town), town.start, town.goal, spacing)[0]


def _resample(points: np.ndarray, spacing: float) -> np.ndarray:
    seg = np.linalg.norm(np.diff(points, axis=0), axis=1)
    keep = np.concatenate([[True], seg > 1e-9])
    points, seg = points[keep], seg[seg > 1e-9]
    s = np.concatenate([[0.0], np.cumsum(seg)])
    n = max(2, int(math.ceil(s[-1] / spacing)) + 1)
    at = np.linspace(0.0, s[-1], n)
    return np.column_stack([np.interp(at, s, points[:, 0]), np.interp(at, s, points[:, 1])])


def curvature(path: np.ndarray) -> np.ndarray:
    """Unsigned curvature (1/m) at each point of a path (0 at its ends)."""
    out = np.zeros(len(path))
    a, b, c = path[:-2], path[1:-1], path[2:]
    ab, bc, ca = (np.linalg.norm(x, axis=1) for x in (b - a, c - b, a - c))
    cross = np.abs((b - a)[:, 0] * (c - a)[:, 1] - (b - a)[:, 1] * (c - a)[:, 0])
    out[1:-1] = 2 * cross / np.maximum(ab * bc * ca, 1e-12)
    return out


@dataclass
class PathFollower:
    """Pure-pursuit steering along ``path`` and a speed held by throttle and brake:
    ``controls(car) -> (steer, throttle, brake)``, the car's own commands. Speed is capped
    so the sideways acceleration in curves ahead stays under ``lateral_accel``, and falls
    to a stop at the path's end. ``progress`` is the index of the nearest path point
    reached."""

    path: np.ndarray
    speed: float = 30 / 3.6
    """Cruising speed (m/s): 30 km/h in town."""
    lateral_accel: float = 2.0
    """m/s² in curves: a calm driver's."""
    braking: float = 3.0
    """m/s² when slowing for a curve or the end: a calm driver's."""
    progress: int = 0

    def __post_init__(self) -> None:
        self._arc = np.concatenate([[0.0], np.cumsum(np.linalg.norm(np.diff(self.path, axis=0), axis=1))])
        kappa = curvature(self.path)
        # The speed each point allows, then what braking at ``braking`` allows before it.
        allowed = np.minimum(self.speed, np.sqrt(self.lateral_accel / np.maximum(kappa, 1e-6)))
        allowed[-1] = 0.0
        for i in range(len(allowed) - 2, -1, -1):
            ds = self._arc[i + 1] - self._arc[i]
            allowed[i] = min(allowed[i], math.sqrt(allowed[i + 1] ** 2 + 2 * self.braking * ds))
        self.allowed = allowed

    def arrived(self, car: Car) -> bool:
        """Stopped within ``ARRIVED`` of the path's end."""
        return abs(car.speed) < 0.3 and float(np.linalg.norm(car.position - self.path[-1])) <= ARRIVED

    def controls(self, car: Car) -> tuple[float, float, float]:
        pos, heading, v = car.position, car.heading, car.speed
        window = self.path[self.progress : self.progress + 40]
        self.progress += int(np.argmin(np.linalg.norm(window - pos, axis=1)))
        lookahead = max(4.0, 0.8 * abs(v))
        ahead = int(np.searchsorted(self._arc, self._arc[self.progress] + lookahead))
        target = self.path[min(ahead, len(self.path) - 1)]
        # The angle to the target seen from the rear axle, where pure pursuit steers from.
        rear = pos - car.spec.wheelbase / 2 * np.array([math.cos(heading), math.sin(heading)])
        alpha = math.atan2(target[1] - rear[1], target[0] - rear[0]) - heading
        alpha = (alpha + math.pi) % (2 * math.pi) - math.pi
        distance = max(float(np.linalg.norm(target - rear)), 1e-3)
        angle = math.atan2(2 * car.spec.wheelbase * math.sin(alpha), distance)
        # That is the angle of a wheel on the car's centre line; the command sets the
        # outer front wheel's, which turns less (Ackermann).
        if abs(angle) > 1e-6:
            wheelbase = car.spec.wheelbase
            outer = math.atan(wheelbase / (wheelbase / math.tan(abs(angle)) + car.spec.track / 2))
            angle = math.copysign(outer, angle)
        steer = float(np.clip(angle / car.spec.max_outer_steer, -1.0, 1.0))
        want = float(self.allowed[min(self.progress + 1, len(self.allowed) - 1)])
        error = want - v
        if error >= 0:
            return steer, float(np.clip(0.6 * error, 0.0, 1.0)), 0.0
        return steer, 0.0, float(np.clip(-0.4 * error, 0.0, 1.0))


def lateral_error(path: np.ndarray, point: np.ndarray) -> float:
    """Distance from ``point`` to the nearest segment of ``path`` (m)."""
    a, b = path[:-1], path[1:]
    ab = b - a
    t = np.clip(((point - a) * ab).sum(axis=1) / np.maximum((ab * ab).sum(axis=1), 1e-12), 0.0, 1.0)
    return float(np.min(np.linalg.norm(a + t[:, None] * ab - point, axis=1)))


def place_at_start(car: Car, town: Town, speed: float = 0.0) -> None:
    """The car in the start's lane, facing along it."""
    x, y, heading = town.lane_point(town.start)
    car.place(x, y, heading, speed)


