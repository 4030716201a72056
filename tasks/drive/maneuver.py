"""The maneuver interface's driver: it turns a maneuver (a speed, and the turn to take at
the next junction) into steering, throttle and brake at the control rate.

It keeps to its lane along a plan that runs from where the car is, through the next
junction by the chosen turn, to the far end of the street beyond. The turn can change
until the car's front reaches the junction's stop line; from there the car is committed
until it has left the junction. It obeys nobody: lights, other cars and pedestrians are
the deciding agent's business."""

from __future__ import annotations

import numpy as np
from embodied_bench.tasks.drive.car import Car
from embodied_bench.tasks.drive.route import CORNER, PathFollower, lane_path, route_chain, turn_between
from embodied_bench.tasks.drive.town import ROAD_HALF_WIDTH, Spot, Town

SPEEDS = {"go": 30 / 3.6, "slow": 10 / 3.6, "stop": 0.0}
"""Target speed of each speed maneuver (m/s): town cruising, a walking-pace creep, a stop."""
TURNS = ("left", "straight", "right")
STOP_BRAKE = 0.5
"""Brake pedal of a stop while moving: about 4.4 m/s² on a dry road, firm but no skid."""
_JUNCTION_REACH = ROAD_HALF_WIDTH + CORNER
"""A lane path's curve starts and ends this far from the junction's centre (m)."""


def exit_for(town: Town, behind: int, at: int, turn: str) -> int:
    """The junction to leave ``at`` for, coming from ``behind`` and asking for ``turn``:
    that way where the street goes on; otherwise straight, then right, then left, where
    there is such a street; at a dead end, back."""
    options = {turn_between(town, behind, at, v): v for _, v in town.neighbours(at) if v != behind}
    for wanted in (turn, "straight", "right", "left"):
        if wanted in options:
            return options[wanted]
    return behind


def blind_chance(town: Town) -> float:
    """The chance that a driver who picks each turn at random (left, straight, right
    alike) leaves every junction of the route the way the route goes: the product over
    its junctions of the share of the three turns that ``exit_for`` sends that way. 1 for
    a route with no choice to make; 1/3 for each junction of four streets."""
    chain = route_chain(town)
    chance = 1.0
    for i in range(1, len(chain) - 1):
        chance *= sum(exit_for(town, chain[i - 1], chain[i], t) == chain[i + 1] for t in TURNS) / len(TURNS)
    return chance


class ManeuverDriver:
    """Drives ``car`` in ``town`` starting on the street from junction ``behind`` to
    ``ahead``. ``choose(speed, turn)`` sets the maneuver; ``controls()`` gives the car's
    commands for the next control step."""

    def __init__(self, town: Town, car: Car, behind: int, ahead: int) -> None:
        self.town, self.car = town, car
        self.behind, self.ahead = behind, ahead
        self.turn = "straight"
        self.speed = SPEEDS["go"]
        self.stopping = False
        self._plan()

    def _road(self, a: int, b: int) -> tuple[int, int]:
        """The street joining ``a`` and ``b`` and the direction of driving from ``a``."""
        for k, (u, v) in enumerate(self.town.roads):
            if (u, v) == (a, b):
                return k, 1
            if (u, v) == (b, a):
                return k, -1
        raise ValueError(f"no street joins junctions {a} and {b}")

    def _plan(self) -> None:
        town = self.town
        self.after = exit_for(town, self.behind, self.ahead, self.turn)
        road, direction = self._road(self.behind, self.ahead)
        start = np.asarray(town.nodes[self.behind])
        heading = np.subtract(town.nodes[self.ahead], start)
        length = float(np.linalg.norm(heading))
        # Where the car is along its street (from the lane behind it, never past the curve's start).
        s = float(np.clip((self.car.position - start) @ (heading / length), 0.0, length - _JUNCTION_REACH))
        out_road, out_direction = self._road(self.ahead, self.after)
        far = max(town.length(out_road) - _JUNCTION_REACH, 1.0)
        path, stops = lane_path(town, [self.behind, self.ahead, self.after], Spot(road, direction, s), Spot(out_road, out_direction, far))
        self.stop_line = stops[0][0]
        arc = np.concatenate([[0.0], np.cumsum(np.linalg.norm(np.diff(path, axis=0), axis=1))])
        # The curve ends where the car is a car length past the junction's far edge.
        self.exit_arc = self.stop_line + 2 * _JUNCTION_REACH + self.car.spec.length
        self.arc = arc
        self.follower = PathFollower(path, speed=max(self.speed, 0.1))

    @property
    def committed(self) -> bool:
        """The car's front is at the stop line of the junction ahead (within a metre: the
        line's place on a path resampled every metre)."""
        return float(self.arc[self.follower.progress]) + self.car.spec.length / 2 > self.stop_line - 1.0

    def choose(self, speed: str, turn: str) -> None:
        if speed not in SPEEDS or turn not in TURNS:
            raise ValueError(f"a maneuver is a speed of {tuple(SPEEDS)} and a turn of {TURNS}, got {speed!r}, {turn!r}")
        target = SPEEDS[speed]
        self.stopping = target == 0.0
        replan = turn != self.turn and not self.committed
        if replan:
            self.turn = turn
        if replan or target != self.speed:
            progress = self.follower.progress
            self.speed = target
            if replan:
                self._plan()
            else:
                self.follower = PathFollower(self.follower.path, speed=max(target, 0.1))
                self.follower.progress = progress

    def controls(self) -> tuple[float, float, float]:
        steer, throttle, brake = self.follower.controls(self.car)
        if float(self.arc[self.follower.progress]) > self.exit_arc:
            # Out of the junction: the next street is this one, the next junction its end.
            self.behind, self.ahead = self.ahead, self.after
            self.turn = "straight"
            self._plan()
            steer, throttle, brake = self.follower.controls(self.car)
        if self.stopping:
            moving = abs(self.car.speed) > 0.3
            return steer, 0.0, STOP_BRAKE if moving else 1.0
        return steer, throttle, brake
