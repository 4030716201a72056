"""The drive family's privileged oracles: they read the town, the lights and everyone else
from the env, follow the route and obey the rules. ``hazard_gap`` is their shared sense
of how far the car may go before it must have stopped; ``DriveControlOracle`` follows
the route's lane by pure pursuit at a speed that can stop within it, ten times a second;
``DriveManeuverOracle`` picks each second's maneuver (the route's turn, and the fastest
speed that can still stop within it)."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from embodied_bench.tasks.drive.car import Car
from embodied_bench.tasks.drive.maneuver import SPEEDS, TURNS, ManeuverDriver
from embodied_bench.tasks.drive.others import CAR_LENGTH
from embodied_bench.tasks.drive.route import CORNER, PathFollower
from embodied_bench.tasks.drive.town import LANE_WIDTH, ROAD_HALF_WIDTH, Town
from embodied_bench.tasks.drive.trip import CONTROL_HZ, EPISODE_SECONDS, Trip

from embodied_bench.api import PrivilegedView, TaskInfo, Transition

LOOK = 60.0
"""How far ahead along the route the oracles look (m)."""
MARGIN = 2.0
"""Room the oracles leave before whatever they stop for (m)."""
COMFORT = 2.5
"""Braking the control oracle plans with (m/s²)."""
MANEUVER_BRAKE = 4.0
"""Deceleration the maneuver oracle counts on from a stop maneuver (m/s², a little under
what ``maneuver.STOP_BRAKE`` gives on a dry road)."""


def hazard_gap(trip: Trip, wait_for_claim: bool = False) -> float:
    """Metres from the car's front bumper, along the route, to the first place it must
    stop before: the stop line of a junction whose light is red (or amber, when the car
    can stop for it at ``COMFORT``), or that another car is crossing or about to (with
    ``wait_for_claim``: or that the car does not yet claim, ``Others.claims``); the back of a
    car ahead in the lane; a pedestrian crossing the road ahead. Infinite when
    there is none within ``LOOK``."""
    others = trip.others
    front = trip.front_arc()
    speed = max(trip.car.speed, 0.0)
    gap = math.inf
    for stop, node, north_south in trip.stops:
        to_line = stop - front
        if to_line < -0.5:
            continue  # passed: the junction is the car's to cross
        if to_line > LOOK:
            break
        light = others.light(node)
        state = light.state(others.t, north_south) if light is not None else "green"
        must = state == "red" or (state == "amber" and speed * speed / (2 * COMFORT) < to_line)
        # Busy while a car moves in it or towards it holding it. A car standing still is
        # left to the lane check below: it may be waiting for this car to go.
        centre = np.asarray(trip.town.nodes[node])
        holder = others.reserved.get(node)
        busy = holder is not None and others.cars[holder].speed > 0.3
        busy = busy or any(
            car.speed > 0.3 and np.abs(np.asarray(car.pose()[:2]) - centre).max() < ROAD_HALF_WIDTH + CORNER + CAR_LENGTH / 2
            for car in others.cars
            if not car.done
        )
        # Deciding once a second, a car short of its claim on the junction (others may
        # still take it) must be able to stop at its line a second from now.
        unclaimed = wait_for_claim and not others.claims(node, (*trip.pose(), speed))
        if must or busy or unclaimed:
            gap = min(gap, max(to_line, 0.0))
        break  # the next junction alone: it is passed before the one after matters
    lo = trip.progress
    hi = int(np.searchsorted(trip.arc, trip.arc[lo] + LOOK))
    lane, arc = trip.path[lo : hi + 1], trip.arc[lo : hi + 1]
    if len(lane) == 0:
        return gap

    def along(point: np.ndarray, width: float) -> float | None:
        d = np.linalg.norm(lane - point, axis=1)
        k = int(np.argmin(d))
        return float(arc[k]) if d[k] < width else None

    for car in others.cars:
        if car.done:
            continue
        where = along(np.asarray(car.pose()[:2]), LANE_WIDTH / 2 + 0.5)
        if where is not None and where > trip.arc[lo]:
            gap = min(gap, where - front - CAR_LENGTH / 2)
    for p in others.pedestrians:
        if p.on_road or p.crossing:
            # Anywhere on their way across: from the far pavement they walk into the lane.
            where = along(p.position, LANE_WIDTH / 2 + ROAD_HALF_WIDTH + 1.5)
            if where is not None and where > trip.arc[lo] - 1.0:
                gap = min(gap, where - front - 1.0)
    return max(gap, 0.0)


def maneuver_for(trip: Trip) -> tuple[str, str]:
    """The maneuver oracle's choice, ``(speed, turn)``: the route's turn at the junction
    ahead, and the fastest speed after a second of which the car can still stop ``MARGIN``
    short of the nearest hazard (junctions it does not yet claim count as hazards)."""
    _, _, turn = trip.light_ahead()
    gap = hazard_gap(trip, wait_for_claim=True)
    v = max(trip.car.speed, 0.0)
    go, slow = SPEEDS["go"], SPEEDS["slow"]
    # A second at the speed asked for, then a stop: the distance each needs.
    reach_go = min(v + 1.0, go) + min(v + 1.5, go) ** 2 / (2 * MANEUVER_BRAKE)
    reach_slow = slow + slow * slow / (2 * MANEUVER_BRAKE)
    if gap > reach_go + MARGIN:
        speed = "go"
    elif gap > reach_slow + MARGIN:
        speed = "slow"
    else:
        speed = "stop"
    return speed, turn if turn in TURNS else "straight"


def oracle_completes(town: Town, car: Car) -> bool:
    """Whether the maneuver oracle, driving ``car``, takes ``town``'s route to its end with
    no infraction within a drive's time: the check every town the envs serve passes."""
    trip = Trip(car, town)
    driver = ManeuverDriver(town, car, trip.chain[0], trip.chain[1])
    while trip.ended is None and trip.t < EPISODE_SECONDS - 1e-9:
        driver.choose(*maneuver_for(trip))
        for _ in range(CONTROL_HZ):
            trip.advance(driver.controls())
            if trip.ended is not None:
                break
    return trip.success


def _trip(view: PrivilegedView) -> Trip:
    env: Any = view.env
    if env.trip is None:
        raise RuntimeError("the drive env has no trip: reset it first")
    return env.trip


class DriveControlOracle:
    """Follows the route's lane centre by pure pursuit (``route.PathFollower``) at the
    speed that can still stop at ``COMFORT`` braking ``MARGIN`` short of the nearest
    hazard (reference agent, never ranked)."""

    privileged = True

    def __init__(self, task: TaskInfo, seed: int, privileged: PrivilegedView) -> None:
        self.view = privileged
        self._trip: Trip | None = None
        self._follower: PathFollower | None = None

    def act(self, observation: np.ndarray, explore: bool = False) -> np.ndarray:
        trip = _trip(self.view)
        if trip is not self._trip or self._follower is None:
            self._trip, self._follower = trip, PathFollower(trip.path)
        follower = self._follower
        steer, throttle, brake = follower.controls(trip.car)
        gap = hazard_gap(trip) - MARGIN
        allowed = math.sqrt(2 * COMFORT * max(gap, 0.0))
        want = min(float(follower.allowed[min(follower.progress + 1, len(follower.allowed) - 1)]), allowed)
        v = trip.car.speed
        if want < 0.3 and v < 0.5:
            return np.array([steer, -1.0], np.float32)  # hold the car still
        error = want - v
        pedal = float(np.clip(0.6 * error, 0.0, 1.0)) if error >= 0 else -float(np.clip(-0.4 * error, 0.0, 1.0))
        return np.array([steer, pedal], np.float32)

    def observe(self, transition: Transition) -> None:
        """The oracle does not learn."""


class DriveManeuverOracle:
    """Each second: the route's turn at the junction ahead, and the fastest speed
    maneuver after which the car can still stop ``MARGIN`` short of the nearest hazard
    (reference agent, never ranked)."""

    privileged = True

    def __init__(self, task: TaskInfo, seed: int, privileged: PrivilegedView) -> None:
        self.view = privileged

    def act(self, observation: np.ndarray, explore: bool = False) -> np.ndarray:
        speed, turn = maneuver_for(_trip(self.view))
        return np.array([tuple(SPEEDS).index(speed), TURNS.index(turn)], np.int64)

    def observe(self, transition: Transition) -> None:
        """The oracle does not learn."""
