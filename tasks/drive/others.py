"""Everyone else in a town: other cars and pedestrians, moved by simple rules at the
control rate (kinematics, not physics: they are scenery that behaves, and cheap).

Other cars drive random routes through the lanes (``lane_path``: the route's curves
through junctions), starting from rest. Each keeps its distance with the intelligent
driver model (Treiber et al., 2000): it follows whatever is ahead of it in its lane (a
car, the learner's car, a pedestrian on the road, or the stop line of a red or amber
light it can still stop for), and drives through a junction only while it holds it: cars
take a junction in the order they come near it, on green. Pedestrians wait on the
pavement, step out when no car is near, cross at 1.4 m/s, and later walk back.

Footprints are rectangles (cars) and circles (pedestrians); ``overlaps`` tells whether a
car's rectangle touches any of them."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from embodied_bench.tasks.drive.car import CarSpec
from embodied_bench.tasks.drive.route import CORNER, lane_path
from embodied_bench.tasks.drive.town import LANE_WIDTH, PARKING_WIDTH, ROAD_HALF_WIDTH, Light, Spot, Town

CAR_LENGTH, CAR_WIDTH = CarSpec().length, CarSpec().width
"""Other cars are the learner's model of car."""
PEDESTRIAN_RADIUS = 0.3
WALK = 1.4
"""Walking speed (m/s)."""
DESIRED_SPEED = 30 / 3.6
"""Other cars' cruising speed (m/s)."""
_IDM = dict(accel=1.5, brake=2.0, headway=1.2, gap=2.0)
"""The intelligent driver model's maximum acceleration and comfortable braking (m/s²),
time headway (s) and jam gap (m): town traffic."""
LOOK = 50.0
"""How far ahead along its path a car looks (m)."""
RESERVE = 25.0
"""A car claims a junction this far before its stop line (m)."""
YIELD_BRAKE = 3.0
"""The others leave a junction to the learner's car when it could not stop before the
junction braking at this (m/s²)."""
CLAIM = 6.0
"""The learner's car waiting this near (m) its stop line, on green, is next into the junction."""
_REACH = ROAD_HALF_WIDTH + CORNER
_NEAR = math.hypot(CAR_LENGTH, CAR_WIDTH) + PEDESTRIAN_RADIUS
"""Centres farther apart than this (m) cannot touch: two cars' half-diagonals, and a pedestrian's."""
"""A junction's box: within this of its centre along x and along y (m)."""


def _legs(town: Town, rng: np.random.Generator, spot: Spot, junctions: int) -> list[int]:
    """A random drive from ``spot``: the junctions it passes, never turning back."""
    a, b = town.roads[spot.road]
    prev, at = (a, b) if spot.direction > 0 else (b, a)
    chain = [prev, at]
    for _ in range(junctions):
        options = [v for _, v in town.neighbours(chain[-1]) if v != chain[-2]] or [chain[-2]]
        chain.append(int(options[int(rng.integers(len(options)))]))
    return chain


@dataclass
class OtherCar:
    path: np.ndarray
    stops: list[tuple[float, int, bool]]
    """Each junction on the path: (arc length of its stop line, junction, north-south)."""
    s: float = 0.0
    speed: float = DESIRED_SPEED
    arc: np.ndarray = field(init=False)
    _pose: tuple[float, tuple[float, float, float]] | None = field(default=None, init=False, repr=False)
    """(s, pose at s): everyone asks for every car's pose several times a step."""

    def __post_init__(self) -> None:
        self.arc = np.concatenate([[0.0], np.cumsum(np.linalg.norm(np.diff(self.path, axis=0), axis=1))])

    def pose(self) -> tuple[float, float, float]:
        """(x, y, heading) at the car's centre."""
        if self._pose is not None and self._pose[0] == self.s:
            return self._pose[1]
        i = min(max(int(np.searchsorted(self.arc, self.s)), 1), len(self.arc) - 1)
        (ax, ay), (bx, by) = self.path[i - 1].tolist(), self.path[i].tolist()
        t = (self.s - float(self.arc[i - 1])) / max(float(self.arc[i] - self.arc[i - 1]), 1e-9)
        pose = (ax + t * (bx - ax), ay + t * (by - ay), math.atan2(by - ay, bx - ax))
        self._pose = (self.s, pose)
        return pose

    @property
    def done(self) -> bool:
        return self.s >= self.arc[-1] - 1.0

    def junction_span(self, stop: float) -> tuple[float, float]:
        """The arc lengths between which the car is inside the junction whose stop line is at ``stop``."""
        return stop, stop + 2 * (ROAD_HALF_WIDTH + CORNER) + CAR_LENGTH


@dataclass
class Pedestrian:
    """Crosses the road between pavement points ``a`` and ``b``: waits ``wait`` seconds on
    a pavement (``first_wait`` the first time), then steps out once no car is within
    ``GAP`` metres of the crossing, walks across at ``WALK`` and waits on the other side."""

    a: np.ndarray
    b: np.ndarray
    first_wait: float
    wait: float
    position: np.ndarray = field(init=False)
    target: np.ndarray = field(init=False)
    timer: float = field(init=False)
    crossing: bool = False

    GAP = 20.0

    def __post_init__(self) -> None:
        self.position, self.target, self.timer = self.a.copy(), self.b, self.first_wait

    @property
    def on_road(self) -> bool:
        mid = (self.a + self.b) / 2
        return float(np.linalg.norm(self.position - mid)) < ROAD_HALF_WIDTH + PEDESTRIAN_RADIUS

    def step(self, dt: float, cars: list[np.ndarray]) -> None:
        if not self.crossing:
            self.timer -= dt
            mid = (self.a + self.b) / 2
            if self.timer <= 0 and all(float(np.linalg.norm(c - mid)) > self.GAP for c in cars):
                self.crossing = True
            return
        to_go = self.target - self.position
        d = float(np.linalg.norm(to_go))
        if d <= WALK * dt:
            self.position = self.target.copy()
            self.target = self.a if self.target is self.b else self.b
            self.crossing, self.timer = False, self.wait
        else:
            self.position = self.position + to_go / d * WALK * dt


def _rect(x: float, y: float, heading: float, length: float = CAR_LENGTH, width: float = CAR_WIDTH) -> np.ndarray:
    c, s = math.cos(heading), math.sin(heading)
    half = np.array([[length / 2, width / 2], [length / 2, -width / 2], [-length / 2, -width / 2], [-length / 2, width / 2]])
    return np.array([x, y]) + half @ np.array([[c, s], [-s, c]])


def rects_overlap(a: np.ndarray, b: np.ndarray) -> bool:
    """Whether two convex quadrilaterals (4 corners each, in order) overlap (separating axes)."""
    for poly in (a, b):
        for i in range(4):
            edge = poly[(i + 1) % 4] - poly[i]
            axis = np.array([-edge[1], edge[0]])
            pa, pb = a @ axis, b @ axis
            if pa.max() < pb.min() or pb.max() < pa.min():
                return False
    return True


def circle_touches_rect(centre: np.ndarray, radius: float, rect: np.ndarray) -> bool:
    """Whether a circle touches a rectangle given by its 4 corners in order."""
    origin, u, v = rect[0], rect[1] - rect[0], rect[3] - rect[0]
    lu, lv = float(u @ u), float(v @ v)
    t = np.clip((centre - origin) @ u / lu, 0.0, 1.0)
    w = np.clip((centre - origin) @ v / lv, 0.0, 1.0)
    nearest = origin + t * u + w * v
    return float(np.linalg.norm(centre - nearest)) <= radius


class Others:
    """The other cars and pedestrians of a town (none at level ``empty``), from the run's
    ``rng``. ``step(dt, ego)`` moves them ``dt`` seconds on, with the learner's car at
    ``ego`` = (x, y, heading[, speed]) as a car to keep behind (taken as standing still)
    and to leave a junction to (``claims``)."""

    def __init__(self, town: Town, rng: np.random.Generator) -> None:
        self.town = town
        self.t = 0.0
        self.cars: list[OtherCar] = []
        for spot in town.cars:
            chain = _legs(town, rng, spot, 30)
            path, stops = lane_path(town, chain, spot)
            self.cars.append(OtherCar(path, stops, speed=0.0))
        self.pedestrians: list[Pedestrian] = []
        for spot in town.crossings:
            x, y, heading = town.lane_point(spot, 0.0)
            across = np.array([math.sin(heading), -math.cos(heading)]) * (ROAD_HALF_WIDTH + 1.0)  # on the pavement
            a, b = np.array([x, y]) + spot.direction * across, np.array([x, y]) - spot.direction * across
            self.pedestrians.append(Pedestrian(a, b, float(rng.uniform(0, 30)), float(rng.uniform(15, 40))))
        self._lights = {light.node: light for light in town.lights}
        self._parked = tuple(_rect(*town.lane_point(spot, LANE_WIDTH + PARKING_WIDTH / 2)) for spot in town.parked)
        self.reserved: dict[int, int] = {}
        """Junction -> index of the car that may drive through it now."""
        self.arrived: dict[tuple[int, int], float] = {}
        """(junction, car index) -> when the car came within ``RESERVE`` of its stop line."""

    # -- where everyone is ----------------------------------------------------------------

    def car_rects(self) -> list[np.ndarray]:
        return [_rect(*car.pose()) for car in self.cars if not car.done]

    def pedestrian_positions(self) -> list[np.ndarray]:
        return [p.position.copy() for p in self.pedestrians]

    def parked_rects(self) -> list[np.ndarray]:
        return list(self._parked)

    def overlaps(self, rect: np.ndarray) -> str | None:
        """What a car's rectangle touches: ``"pedestrian"``, ``"vehicle"``, ``"static"``
        (a parked car), or None."""
        centre = rect.mean(axis=0)

        def near(point: Any) -> bool:  # within a car's length: the exact tests are dearer
            return (point[0] - centre[0]) ** 2 + (point[1] - centre[1]) ** 2 < _NEAR * _NEAR

        if any(circle_touches_rect(p.position, PEDESTRIAN_RADIUS, rect) for p in self.pedestrians if near(p.position)):
            return "pedestrian"
        if any(rects_overlap(rect, _rect(*car.pose())) for car in self.cars if not car.done and near(car.pose())):
            return "vehicle"
        if any(rects_overlap(rect, other) for other in self._parked if near(other.mean(axis=0))):
            return "static"
        return None

    def claims(self, node: int, ego: tuple[float, ...]) -> bool:
        """Whether the learner's car at ``ego`` = (x, y, heading[, speed]) has junction
        ``node``, so no one else starts into it: its centre is in the junction's box, or
        it heads into the junction on green (or where there are no lights) and is either
        within ``CLAIM`` of the stop line or too fast to stop before it at ``YIELD_BRAKE``."""
        x, y, heading = ego[:3]
        speed = max(float(ego[3]), 0.0) if len(ego) > 3 else 0.0
        offset = np.subtract(self.town.nodes[node], (x, y))
        box = float(np.abs(offset).max())
        if box < _REACH:
            return True
        distance = float(np.linalg.norm(offset))
        towards = offset @ (math.cos(heading), math.sin(heading)) > 0.7 * distance
        if not towards or not self._allowed(node, abs(math.sin(heading)) > 0.7):
            return False
        return box < _REACH + CAR_LENGTH / 2 + CLAIM + speed * speed / (2 * YIELD_BRAKE)

    def light(self, node: int) -> Light | None:
        """The traffic lights at junction ``node``, if it has any."""
        return self._lights.get(node)

    # -- moving ---------------------------------------------------------------------------

    def _gap_ahead(self, me_index: int, ego: tuple[float, ...] | None) -> tuple[float, float]:
        """(gap in metres, speed of what is there) to the nearest thing ahead in my lane."""
        me = self.cars[me_index]
        gap, lead_speed = math.inf, 0.0
        ahead = (me.arc > me.s) & (me.arc < me.s + LOOK)
        if not ahead.any():
            return gap, lead_speed
        lane = me.path[ahead]
        lane_arc = me.arc[ahead]

        def along(point: np.ndarray, width: float) -> float | None:
            d = np.linalg.norm(lane - point, axis=1)
            k = int(np.argmin(d))
            return float(lane_arc[k] - me.s) if d[k] < width else None

        # Every other car at once: its nearest point of my lane ahead, if it is in the lane.
        others = [k for k, other in enumerate(self.cars) if k != me_index and not other.done]
        if others:
            centres = np.array([self.cars[k].pose()[:2] for k in others])
            d = np.linalg.norm(lane[:, None, :] - centres[None, :, :], axis=2)
            nearest = np.argmin(d, axis=0)
            inside = d[nearest, np.arange(len(others))] < LANE_WIDTH / 2
            if inside.any():
                ds = lane_arc[nearest[inside]] - me.s
                first = int(np.argmin(ds))  # the nearest; the first of equals, as one by one
                gap, lead_speed = float(ds[first]) - CAR_LENGTH, self.cars[np.asarray(others)[inside][first]].speed
        if ego is not None:
            ds = along(np.array(ego[:2]), LANE_WIDTH / 2 + 0.5)
            if ds is not None and ds - CAR_LENGTH < gap:
                gap, lead_speed = ds - CAR_LENGTH, 0.0
        for p in self.pedestrians:
            if p.on_road:  # anywhere on the carriageway: they walk into my lane
                ds = along(p.position, LANE_WIDTH * 1.5 + 0.5)
                if ds is not None and ds - CAR_LENGTH / 2 - 1.0 < gap:
                    gap, lead_speed = ds - CAR_LENGTH / 2 - 1.0, 0.0
        front = me.s + CAR_LENGTH / 2
        for stop, node, north_south in me.stops:
            to_line = stop - front
            if not -1.0 <= to_line < LOOK:  # a junction passed, or too far to matter
                continue
            must_stop = False
            light = self.light(node)
            if light is not None and to_line >= 0:
                state = light.state(self.t, north_south)
                # Amber: stop if it can at comfortable braking, else go on through.
                must_stop = state == "red" or (state == "amber" and me.speed**2 / (2 * _IDM["brake"]) < to_line)
            # Through a junction only while holding it: a wall at the stop line until then.
            if self.reserved.get(node) != me_index and to_line < RESERVE:
                must_stop = True
            if must_stop and max(to_line, 0.0) < gap:
                gap, lead_speed = max(to_line, 0.0), 0.0
        return gap, lead_speed

    def _allowed(self, node: int, north_south: bool) -> bool:
        """Whether an approach may enter junction ``node`` now: green, or no lights."""
        light = self.light(node)
        return light is None or light.state(self.t, north_south) == "green"

    def _reserve(self, ego: tuple[float, ...] | None) -> None:
        """Junctions are taken in the order cars come within ``RESERVE`` metres of their
        stop lines (ties: the nearest its line first), by a car whose light is green (or
        that has none), while the learner's car does not claim it (``claims``); a holder
        keeps it until it has left, or gives it up if its light turns while it is still
        before its line."""
        near: dict[int, list[tuple[float, int, bool, bool, float]]] = {}
        for k, car in enumerate(self.cars):
            if car.done:
                continue
            for stop, node, north_south in car.stops:
                lo, hi = car.junction_span(stop)
                front = car.s + CAR_LENGTH / 2
                if lo - RESERVE <= front and car.s - CAR_LENGTH / 2 <= hi:
                    self.arrived.setdefault((node, k), self.t)
                    near.setdefault(node, []).append((self.arrived[(node, k)], k, north_south, front > stop, stop - front))
        present = {(node, k) for node, waiting in near.items() for _, k, _, _, _ in waiting}
        for key in [key for key in self.arrived if key not in present]:  # gone through
            del self.arrived[key]
        for node, holder in list(self.reserved.items()):
            mine = [w for w in near.get(node, []) if w[1] == holder]
            if not mine or (not mine[0][3] and not self._allowed(node, mine[0][2])):
                del self.reserved[node]
        for node, waiting in near.items():
            if node in self.reserved:
                continue
            if ego is not None and self.claims(node, ego):
                continue
            # Cars that came near together (those that start near) go nearest the line first:
            # one behind another in a lane must not hold the junction the other waits for.
            ready = sorted((t, to_line, k) for t, k, north_south, _, to_line in waiting if self._allowed(node, north_south))
            if ready:
                self.reserved[node] = ready[0][2]

    def step(self, dt: float, ego: tuple[float, ...] | None = None) -> None:
        self._reserve(ego)
        centres = [np.array(c.pose()[:2]) for c in self.cars if not c.done] + ([np.array(ego[:2])] if ego is not None else [])
        for p in self.pedestrians:
            p.step(dt, centres)
        accels = []
        for k, car in enumerate(self.cars):
            if car.done:
                accels.append(0.0)
                continue
            gap, lead = self._gap_ahead(k, ego)
            v = car.speed
            free = 1 - (v / DESIRED_SPEED) ** 4
            if math.isinf(gap):
                accels.append(_IDM["accel"] * free)
                continue
            wanted = _IDM["gap"] + max(0.0, v * _IDM["headway"] + v * (v - lead) / (2 * math.sqrt(_IDM["accel"] * _IDM["brake"])))
            accels.append(_IDM["accel"] * (free - (wanted / max(gap, 0.1)) ** 2))
        for car, a in zip(self.cars, accels):
            # Never backwards, and never braking harder than a car can (8 m/s²).
            a = max(a, -8.0)
            v = max(0.0, car.speed + a * dt)
            car.s += 0.5 * (car.speed + v) * dt
            car.speed = v
        self.t += dt
