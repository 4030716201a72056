"""One drive: the car in a town, everyone else, the route, and the bookkeeping of what
happened (progress, infractions, guardrail events) and of what the driver sees. The drive
envs act on a ``Trip``; the oracles read one."""

from __future__ import annotations

import math

import numpy as np
from embodied_bench.tasks.drive import score as S
from embodied_bench.tasks.drive.car import Car
from embodied_bench.tasks.drive.others import PEDESTRIAN_RADIUS, Others, _rect, circle_touches_rect
from embodied_bench.tasks.drive.route import ARRIVED, CORNER, lane_path, route_chain, route_turns
from embodied_bench.tasks.drive.town import LANE_WIDTH, PARKING_WIDTH, ROAD_HALF_WIDTH, Town

from embodied_bench.observations import ObservationLayout

CONTROL_HZ = 10
"""Decisions of DriveControl a simulated second (and the rate everyone else moves at)."""
PHYSICS_STEPS = 6
"""Physics steps of 1/60 s per control step."""
DT = 1.0 / CONTROL_HZ
EPISODE_SECONDS = 180.0
"""A drive ends after three simulated minutes (the oracle's longest held-out drive takes
about a minute and a half, lights included)."""
OFF_ROUTE = 8.0
"""A car this far (m) from the route's lane line has left the route: a wrong turn."""
NEAR_MISS = 1.0
"""A pedestrian this close (m) to the moving car, untouched, is a near miss."""
SENSE = 40.0
"""Others farther than this (m) are not observed."""
PATH_AHEAD = (2.0, 5.0, 10.0, 15.0, 20.0, 30.0)
"""Distances ahead along the route (m) at which the observation gives the lane's centre."""
CAR_SLOTS, PEDESTRIAN_SLOTS = 6, 4
MAX_JUNCTION = 100.0
"""Distance to the next stop line is clipped to this (m)."""
JUNCTION_SPAN = 2 * (ROAD_HALF_WIDTH + CORNER)
"""From a stop line to the junction's far edge (m): the junction is the one ahead until
the front bumper is past it."""

POINT = ObservationLayout(("x", 1), ("y", 1))
CAR = ObservationLayout(("x", 1), ("y", 1), ("heading", 2), ("speed", 1), ("parked", 1), ("present", 1))
PEDESTRIAN = ObservationLayout(("x", 1), ("y", 1), ("on_road", 1), ("present", 1))
OBSERVATION = ObservationLayout(
    ("speed", 1),
    ("steer", 1),
    ("lane", 2),
    ("path", POINT, len(PATH_AHEAD)),
    ("remaining", 1),
    ("next_turn", ("left", "straight", "right", "goal")),
    ("to_junction", 1),
    ("light", ("none", "green", "amber", "red")),
    ("cars", CAR, CAR_SLOTS),
    ("pedestrians", PEDESTRIAN, PEDESTRIAN_SLOTS),
)
"""The observation's named parts (``env.observation_layout``), all in the car's frame
(x forward, y left, metres and m/s)."""


def _bounds() -> tuple[np.ndarray, np.ndarray]:
    far = SENSE + 10.0
    low = [-5.0, -1.0, -OFF_ROUTE - 2, -math.pi] + [-far, -far] * len(PATH_AHEAD) + [0.0] + [0.0] * 4 + [-JUNCTION_SPAN] + [0.0] * 4
    high = [20.0, 1.0, OFF_ROUTE + 2, math.pi] + [far, far] * len(PATH_AHEAD) + [5000.0] + [1.0] * 4 + [MAX_JUNCTION] + [1.0] * 4
    low += [-far, -far, -1.0, -1.0, 0.0, 0.0, 0.0] * CAR_SLOTS + [-far, -far, 0.0, 0.0] * PEDESTRIAN_SLOTS
    high += [far, far, 1.0, 1.0, 20.0, 1.0, 1.0] * CAR_SLOTS + [far, far, 1.0, 1.0] * PEDESTRIAN_SLOTS
    return np.array(low, np.float32), np.array(high, np.float32)


_LOW, _HIGH = _bounds()


def carriageway(town: Town) -> np.ndarray:
    """``(streets, 4)``: each street's kerb to kerb as x0, y0, x1, y1 (streets run along x
    or y; each covers its junctions' squares)."""
    boxes = []
    for a, b in town.roads:
        (xa, ya), (xb, yb) = town.nodes[a], town.nodes[b]
        boxes.append((min(xa, xb) - ROAD_HALF_WIDTH, min(ya, yb) - ROAD_HALF_WIDTH, max(xa, xb) + ROAD_HALF_WIDTH, max(ya, yb) + ROAD_HALF_WIDTH))
    return np.array(boxes)


def on_carriageway(boxes: np.ndarray, points: np.ndarray) -> np.ndarray:
    """Whether each of ``points`` (``(N, 2)``) lies on a street or in a junction
    (``boxes``: ``carriageway(town)``)."""
    x, y = points[:, 0, None], points[:, 1, None]
    return ((x >= boxes[:, 0]) & (x <= boxes[:, 2]) & (y >= boxes[:, 1]) & (y <= boxes[:, 3])).any(axis=1)


class Trip:
    """One drive: ``car`` in ``town``, everyone else, the route and what happened so far.
    Everyone else moves by the town alone (and the car's place), and the car's world is
    built afresh, so a town drives the same for the same controls."""

    def __init__(self, car: Car, town: Town) -> None:
        self.car = car
        self.town = town
        self.others = Others(town, np.random.default_rng(np.random.SeedSequence([town.seed, town.attempt, 1])))
        self.chain = route_chain(town)
        self.path, self.stops = lane_path(town, self.chain, town.start, town.goal)
        self.arc = np.concatenate([[0.0], np.cumsum(np.linalg.norm(np.diff(self.path, axis=0), axis=1))])
        self.length = float(self.arc[-1])
        self.kerbs = carriageway(town)
        self.turns = route_turns(town)
        car.reset()
        x, y, heading = town.lane_point(town.start)
        car.place(x, y, heading)
        self.progress = 0
        self.completion = 0.0
        self.infractions: list[str] = []
        self.events: list[str] = []
        """Every guardrail event so far, infractions and the rest (``"near_miss"``, ``"off_road"``)."""
        self.touching: str | None = None
        self.near: set[int] = set()
        self.t = 0.0
        self.ended: str | None = None
        """Why the drive ended: ``"arrived"``, ``"collision"``, ``"off_road"``, ``"off_route"``."""

    # -- where the car is --------------------------------------------------------------

    def pose(self) -> tuple[float, float, float]:
        x, y = self.car.position
        return float(x), float(y), self.car.heading

    def rect(self) -> np.ndarray:
        return _rect(*self.pose())

    def front_arc(self) -> float:
        return float(self.arc[self.progress]) + self.car.spec.length / 2

    def light_ahead(self) -> tuple[str, float, str]:
        """The junction of the route the car is coming to or crossing (until its front is
        past the junction's far edge): the light's state for the car's approach there
        (``"none"`` where it has no lights), the distance from the front bumper to its stop
        line (negative once past it, clipped), and the route's turn there (``"goal"``
        past the last junction)."""
        front = self.front_arc()
        for k, (stop, node, north_south) in enumerate(self.stops):
            if front < stop + JUNCTION_SPAN:
                light = self.others.light(node)
                state = light.state(self.others.t, north_south) if light is not None else "none"
                return state, min(stop - front, MAX_JUNCTION), self.turns[k]
        return "none", MAX_JUNCTION, "goal"

    # -- a step ------------------------------------------------------------------------

    def advance(self, controls: tuple[float, float, float]) -> list[str]:
        """Drive one control step with ``controls`` (steer, throttle, brake), move
        everyone else, and return the guardrail events of the step."""
        front_before = self.front_arc()
        light_states = {(node, ns): (self.others.light(node).state(self.others.t, ns) if self.others.light(node) else "none") for _, node, ns in self.stops}
        self.car.drive(*controls)
        self.car.step(PHYSICS_STEPS)
        self.others.step(DT, (*self.pose(), self.car.speed))
        self.t += DT
        pos = self.car.position
        window = slice(max(0, self.progress - 5), self.progress + 60)
        distances = np.linalg.norm(self.path[window] - pos, axis=1)
        nearest = int(np.argmin(distances)) + window.start
        off_route = float(distances.min()) > OFF_ROUTE
        if not off_route:
            self.progress = max(self.progress, nearest)
        self.completion = min(1.0, float(self.arc[self.progress]) / self.length)
        events: list[str] = []
        front = self.front_arc()
        for stop, node, north_south in self.stops:
            if front_before < stop <= front and light_states[(node, north_south)] == "red":
                events.append("red_light")
        rect = self.rect()
        touching = self.others.overlaps(rect)
        if touching is not None and touching != self.touching:
            events.append(touching)
        self.touching = touching
        moving = abs(self.car.speed) > 1.0
        for k, p in enumerate(self.others.pedestrians):
            close = moving and touching != "pedestrian" and circle_touches_rect(p.position, PEDESTRIAN_RADIUS + NEAR_MISS, rect)
            if close and k not in self.near:
                events.append("near_miss")
            (self.near.add if close else self.near.discard)(k)
        off_road = not on_carriageway(self.kerbs, rect).all()
        if off_road:
            events.append("off_road")
        self.infractions += [e for e in events if e in S.PENALTY]
        self.events += events
        if self.length - float(self.arc[self.progress]) <= ARRIVED:
            self.completion, self.ended = 1.0, "arrived"
        elif touching is not None:
            self.ended = "collision"  # the others are not physical: a crash ends the drive
        elif off_road:
            self.ended = "off_road"
        elif off_route:
            self.ended = "off_route"
        return events

    @property
    def score(self) -> float:
        return S.route_score(self.completion, self.infractions)

    @property
    def success(self) -> bool:
        return S.route_success(self.completion, self.infractions)

    # -- what the driver sees -------------------------------------------------------------

    def observe(self) -> np.ndarray:
        x, y, heading = self.pose()
        c, s = math.cos(heading), math.sin(heading)
        to_car = np.array([[c, s], [-s, c]])  # world offsets -> car frame (x forward, y left)
        here = np.array([x, y])
        obs = np.zeros(OBSERVATION.size, np.float32)
        obs[0] = self.car.speed
        obs[1] = self.car.controls[0]
        i = self.progress
        seg = self.path[min(i + 1, len(self.path) - 1)] - self.path[max(i - 1, 0)]
        lane_heading = math.atan2(seg[1], seg[0])
        normal = np.array([-math.sin(lane_heading), math.cos(lane_heading)])
        obs[2] = float((here - self.path[i]) @ normal)
        obs[3] = (heading - lane_heading + math.pi) % (2 * math.pi) - math.pi
        at = self.arc[i] + np.asarray(PATH_AHEAD)  # past the goal: the goal
        ahead = np.column_stack([np.interp(at, self.arc, self.path[:, 0]), np.interp(at, self.arc, self.path[:, 1])])
        points = (ahead - here) @ to_car.T
        obs[OBSERVATION["path"]] = points.ravel()
        obs[OBSERVATION["remaining"]] = self.length - float(self.arc[i])
        state, to_line, turn = self.light_ahead()
        obs[OBSERVATION["next_turn"].start + ("left", "straight", "right", "goal").index(turn)] = 1.0
        obs[OBSERVATION["to_junction"]] = to_line
        obs[OBSERVATION["light"].start + ("none", "green", "amber", "red").index(state)] = 1.0
        cars = [(*car.pose(), car.speed, 0.0) for car in self.others.cars if not car.done]
        cars += [(*self.town.lane_point(spot, LANE_WIDTH + PARKING_WIDTH / 2), 0.0, 1.0) for spot in self.town.parked]
        rows = []
        for cx, cy, ch, speed, parked in cars:
            rel = to_car @ (np.array([cx, cy]) - here)
            if rel @ rel <= SENSE * SENSE:
                rows.append((float(rel @ rel), [rel[0], rel[1], math.cos(ch - heading), math.sin(ch - heading), speed, parked, 1.0]))
        rows.sort(key=lambda r: r[0])
        block = np.zeros((CAR_SLOTS, CAR.size), np.float32)
        for k, (_, row) in enumerate(rows[:CAR_SLOTS]):
            block[k] = row
        obs[OBSERVATION["cars"]] = block.ravel()
        rows = []
        for p in self.others.pedestrians:
            rel = to_car @ (p.position - here)
            if rel @ rel <= SENSE * SENSE:
                rows.append((float(rel @ rel), [rel[0], rel[1], float(p.on_road), 1.0]))
        rows.sort(key=lambda r: r[0])
        block = np.zeros((PEDESTRIAN_SLOTS, PEDESTRIAN.size), np.float32)
        for k, (_, row) in enumerate(rows[:PEDESTRIAN_SLOTS]):
            block[k] = row
        obs[OBSERVATION["pedestrians"]] = block.ravel()
        return np.clip(obs, _LOW, _HIGH)
