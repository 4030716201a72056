"""The drive envs: a learner driver takes a small car along a route through town. Two
interfaces on the same towns and the same score: ``DriveControlEnv`` (steering and pedal at
10 Hz) and ``DriveManeuverEnv`` (a speed and the turn at the next junction, once a second).
What a drive is (the town, everyone else, progress, infractions, the observation) is
``trip.Trip``'s; the envs turn actions into its controls."""

from __future__ import annotations

import functools
from typing import Any

import gymnasium as gym
import numpy as np
from embodied_bench.tasks.drive import score as S
from embodied_bench.tasks.drive.car import Car, CarSpec
from embodied_bench.tasks.drive.maneuver import SPEEDS, TURNS, ManeuverDriver, blind_chance
from embodied_bench.tasks.drive.oracle import oracle_completes
from embodied_bench.tasks.drive.picture import draw
from embodied_bench.tasks.drive.town import LEVELS, Town, generate
from embodied_bench.tasks.drive.trip import _HIGH, _LOW, CONTROL_HZ, OBSERVATION, Trip
from gymnasium import spaces

from embodied_bench import layouts


MAX_ATTEMPTS = 20
"""Candidate towns tried for a seed before giving up: the oracle drives nearly all, and
about 60% of candidates have routes that ask for choices (v1), so 20 fail together about
once in 10^8 seeds (the first 300 training seeds needed 7 at most)."""
MAX_BLIND_CHANCE = 0.1
"""v1 serves only routes that a driver picking its turns at random follows to the goal at
most one time in ten (``maneuver.blind_chance``): a route is a test of choosing the way.
v0 served any route of 200 m: on its 24 held-out towns that chance averaged 0.13 (2/3 on
two of them), and its random maneuver agent completed 0.11 of the drives. On v1's it
averages 0.05."""


@functools.lru_cache(maxsize=4096)
def _held_out_town_ok(seed: int, level: str, attempt: int, road: str) -> bool:
    """``oracle_completes`` for a held-out candidate town, remembered: every evaluation
    serves the same few towns."""
    judge = Car(CarSpec(), road=road)
    try:
        return oracle_completes(generate(seed, level, attempt), judge)
    finally:
        judge.close()


def level_of_seed(seed: int) -> str:
    """A town's level from its seed, so every three held-out towns hold one of each (and
    hidden towns keep their index's level: an index's position within its block)."""
    index = (seed - layouts.EVAL_BASE) % layouts.EVAL_COUNT if layouts.is_eval_seed(seed) else seed
    return LEVELS[index % len(LEVELS)]


_DOC_COMMON = """
    The car is a small hatchback in PyBullet (``car``: 4.05 m, 1,150 kg, Ackermann
    steering, rear-wheel drive, brakes that lock on full pedal), on a flat town of streets
    with one lane each way and a parking strip at each kerb (``town``). Every reset draws
    a town from the split's seed range: its streets, a route of 200 m or more from a start
    to a goal that a driver picking its turns at random follows at most one time in ten
    (v1; ``max_blind_chance``), and (by level) parked cars, other cars that keep their distance and take
    junctions in turn on green, pedestrians who cross, and traffic lights (``others``).
    Everyone else moves by the town's seed alone, at 10 Hz, reacting to where the car is;
    they are kinematic, so a collision is scored, not simulated: it ends the drive.

    ## Observation Space
    ``Box(low, high, (84,), float32)``, egocentric: x forward, y to the left of the car,
    metres, m/s, radians.

    | name (``observation_layout``) | size | meaning |
    |---|---|---|
    | ``speed`` | 1 | forward speed |
    | ``steer`` | 1 | the steering command in force, [-1, 1] |
    | ``lane`` | 2 | offset from the route's lane centre (+ left of it) and heading against it |
    | ``path`` | 6 × 2 | the route's lane centre 2, 5, 10, 15, 20 and 30 m ahead (x, y) |
    | ``remaining`` | 1 | route left to drive (m) |
    | ``next_turn`` | 4 | one-hot: the route's turn at the junction ahead or being crossed (left, straight, right), or the goal past the last |
    | ``to_junction`` | 1 | the front bumper to that junction's stop line (m, clipped at 100; negative once past it) |
    | ``light`` | 4 | one-hot: the light at that stop line for the car's approach (none, green, amber, red) |
    | ``cars`` | 6 × 7 | the nearest cars within 40 m, nearest first: centre (x, y), heading (cos, sin), speed, ``parked``, ``present``; zeros where fewer |
    | ``pedestrians`` | 4 × 4 | the nearest pedestrians within 40 m: position (x, y), ``on_road``, ``present`` |

    ## Rewards
    ``progress_weight`` × the share of the route newly driven (the whole route: 10), plus
    ``success_bonus`` on arrival without a serious infraction, minus
    ``infraction_weight`` for every infraction and for leaving the road. The guardrail cost
    is separate (``info["cost"]``).

    ## Scores
    Route completion times each infraction's penalty, the CARLA leaderboard's form
    (``score``): collision with a pedestrian ×0.5, a vehicle ×0.6, a static object (a
    parked car) ×0.65, a red light run ×0.7. Graded score (``info["partial"]``): that
    product so far. Success: the route driven to its end with no infraction (every one
    listed is serious on a driving test), exactly when the graded score is 1. Difficulty
    levels (``info["level"]``): ``empty`` (the streets alone), ``traffic`` (other cars,
    parked cars), ``pedestrians-and-lights`` (traffic, pedestrians, lights), one of each
    in every three towns.

    ## Episode End
    Terminates on arrival (the route's end within 2.5 m), on a collision, on leaving the
    road (a corner of the car past a kerb) and on leaving the route (8 m from its lane
    centre: a wrong turn). Truncated after three simulated minutes by the registered
    ``TimeLimit``.

    ## Info
    Every step: ``success`` (bool), ``partial``, ``cost`` (the guardrail events of the
    step: infractions, leaving the road, and near misses, a pedestrian within 1 m of the
    moving car), ``completion`` (share of the route driven), ``events`` (their names).
    The last step adds ``ended`` (why). ``reset`` gives ``layout_seed``, ``level`` and
    ``route_length`` (m).

    ## Arguments
    * ``layout_split``: ``"train"`` draws towns from the training seed range; ``"eval"``
      serves the held-out towns, chosen with ``reset(options={"layout": i})``.
    * ``road``: ``"dry"`` (tyre friction 0.9) or ``"wet"`` (0.5).
    * ``level``: every town at this level; None (the default): the level the town's seed
      gives.
    * ``progress_weight``, ``success_bonus``, ``infraction_weight``: the reward's terms.
    * ``max_blind_chance``: the highest chance a route may give a driver who picks its
      turns at random (0.1; None: any route, as v0).
    * ``render_mode``: None or ``"rgb_array"`` (a top-down picture following the car,
      drawn on the CPU, no GL needed).
"""


class _DriveEnv(gym.Env):
    metadata = {"render_modes": ["rgb_array"], "render_fps": CONTROL_HZ}
    observation_layout = OBSERVATION

    def __init__(
        self,
        layout_split: str = "train",
        road: str = "dry",
        level: str | None = None,
        progress_weight: float = 10.0,
        success_bonus: float = 1.0,
        infraction_weight: float = 1.0,
        max_blind_chance: float | None = MAX_BLIND_CHANCE,
        render_mode: str | None = None,
    ) -> None:
        if level is not None and level not in LEVELS:
            raise ValueError(f"level must be None or one of {', '.join(LEVELS)}, got {level!r}")
        if max_blind_chance is not None and not 0.0 < max_blind_chance <= 1.0:
            raise ValueError(f"max_blind_chance must be None or in (0, 1], got {max_blind_chance!r}")
        if render_mode not in (None, *self.metadata["render_modes"]):
            raise ValueError(f"render_mode must be None or 'rgb_array', got {render_mode!r}")
        self.layout_split = layouts.check_split(layout_split)
        self.road = road
        self.level = level
        self.progress_weight = progress_weight
        self.success_bonus = success_bonus
        self.infraction_weight = infraction_weight
        self.max_blind_chance = max_blind_chance
        self.render_mode = render_mode
        self.observation_space = spaces.Box(_LOW, _HIGH, dtype=np.float32)
        self.car = Car(CarSpec(), road=road)
        self._judge: Car | None = None
        """The car the oracle checks each training town with, in a world of its own."""
        self.trip: Trip | None = None

    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None):
        super().reset(seed=seed)
        town_seed = layouts.choose(options, self.layout_split, self.np_random)
        level = self.level or level_of_seed(town_seed)
        self.trip = Trip(self.car, self._town(town_seed, level))
        self._started()
        info = {"layout_seed": town_seed, "level": level, "route_length": self.trip.length}
        return self.trip.observe(), info

    def _town(self, seed: int, level: str) -> Town:
        """The first of the seed's candidate towns whose route asks for choices
        (``max_blind_chance``) and that the maneuver oracle drives to the end with no
        infraction (held-out towns, which recur, are checked once a process)."""
        for attempt in range(MAX_ATTEMPTS):
            town = generate(seed, level, attempt)
            if self.max_blind_chance is not None and blind_chance(town) > self.max_blind_chance:
                continue
            if self.layout_split == "eval":
                ok = _held_out_town_ok(seed, level, attempt, self.road)
            else:
                if self._judge is None:
                    self._judge = Car(CarSpec(), road=self.road)
                ok = oracle_completes(town, self._judge)
            if ok:
                return town
        rule = "has a route that asks for choices and " if self.max_blind_chance is not None else ""
        raise RuntimeError(f"town seed {seed} ({level}): none of its {MAX_ATTEMPTS} candidate towns {rule}was driven without an infraction by the oracle")

    def _started(self) -> None:
        """Called once a new trip is set up."""

    def _drive(self, controls_of: Any, steps: int) -> tuple[np.ndarray, float, bool, bool, dict[str, Any]]:
        """Up to ``steps`` control steps, each with the controls ``controls_of()`` gives,
        until the trip ends; one transition for them all."""
        if self.trip is None:
            raise RuntimeError("call reset() before step()")
        trip = self.trip
        before = trip.completion
        events: list[str] = []
        for _ in range(steps):
            events += trip.advance(controls_of())
            if trip.ended is not None:
                break
        success = trip.success
        penalised = sum(1 for e in events if e in S.PENALTY or e == "off_road")
        reward = self.progress_weight * (trip.completion - before) + self.success_bonus * success - self.infraction_weight * penalised
        info: dict[str, Any] = {
            "success": success,
            "partial": float(trip.score),
            "cost": float(len(events)),
            "completion": trip.completion,
            "events": tuple(events),
        }
        if trip.ended is not None:
            info["ended"] = trip.ended
        return trip.observe(), float(reward), trip.ended is not None, False, info

    def render(self):
        if self.render_mode != "rgb_array" or self.trip is None:
            return None
        return draw(self.trip)

    def close(self) -> None:
        self.car.close()
        if self._judge is not None:
            self._judge.close()


class DriveControlEnv(_DriveEnv):
    __doc__ = """A learner driver steers, accelerates and brakes a small car along a route
    through town, ten decisions a simulated second.
""" + _DOC_COMMON.replace("## Observation Space", """## Action Space
    ``Box(-1, 1, (2,), float32)``: steering (positive: left; the outer front wheel turns
    up to 31°) and the pedal (positive: throttle, that share of the drive torque towards
    50 km/h; negative: brake, that share of full braking, which locks the wheels).

    ## Observation Space""", 1) + """
    ## Version History
    * v1: routes ask for choices: one a driver picking turns at random follows at most
      one time in ten (``max_blind_chance``).
    * v0: initial release; any route of 200 m.
    """

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.action_space = spaces.Box(-1.0, 1.0, (2,), np.float32)

    def step(self, action):
        steer, pedal = (float(a) for a in np.clip(np.asarray(action, dtype=np.float64), -1.0, 1.0))
        return self._drive(lambda: (steer, max(pedal, 0.0), max(-pedal, 0.0)), 1)


class DriveManeuverEnv(_DriveEnv):
    __doc__ = """A learner driver chooses maneuvers once a simulated second, and a lane-keeping
    driver carries each out: the decisions of driving (where to turn, when to stop), the
    steering left to the car.
""" + _DOC_COMMON.replace("## Observation Space", """## Action Space
    ``MultiDiscrete([3, 3])``: a speed (0 go: 30 km/h, slowing for curves; 1 slow: 10
    km/h; 2 stop: brake to a standstill and hold) and the turn at the next junction (0
    left, 1 straight on, 2 right). A turn the junction has no street for is taken as
    straight on, else right, else left; the turn can change until the car's front reaches
    the stop line. The driver keeps to its lane and obeys no one: lights, other cars and
    pedestrians are the agent's to heed. A decision lasts ten control steps (1 s).
    Changing lane is not offered: every street has one lane each way, so the only other
    lane is the oncoming one.

    ## Observation Space""", 1).replace("after three simulated minutes", "after 180 decisions (three simulated minutes)") + """
    ## Version History
    * v1: routes ask for choices: one a driver picking turns at random follows at most
      one time in ten (``max_blind_chance``).
    * v0: initial release; any route of 200 m.
    """

    metadata = {**_DriveEnv.metadata, "render_fps": 1}  # a picture a maneuver

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.action_space = spaces.MultiDiscrete([len(SPEEDS), len(TURNS)])
        self.driver: ManeuverDriver | None = None

    def _started(self) -> None:
        trip = self.trip
        assert trip is not None
        self.driver = ManeuverDriver(trip.town, trip.car, trip.chain[0], trip.chain[1])

    def step(self, action):
        if self.driver is None:
            raise RuntimeError("call reset() before step()")
        speed, turn = (int(a) for a in np.asarray(action).reshape(-1)[:2])
        if not (0 <= speed < len(SPEEDS) and 0 <= turn < len(TURNS)):
            raise ValueError(f"a maneuver is (speed 0-{len(SPEEDS) - 1}, turn 0-{len(TURNS) - 1}), got {action!r}")
        self.driver.choose(tuple(SPEEDS)[speed], TURNS[turn])
        return self._drive(self.driver.controls, CONTROL_HZ)
