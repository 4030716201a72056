"""drive: a learner driver takes a small car along a route through town, the skill a
17-year-old learns in about twenty hours of practice. Two interfaces on the same towns:
one maneuver a second (a speed and the turn at the next junction; the steering is done
for it) and steering and pedal at 10 Hz.

* ``car``: a small hatchback in PyBullet, its turning circle and braking distances
  checked against published figures;
* ``town``: street grids from a seed with lanes, parking, traffic lights, parked cars,
  other cars, crossing pedestrians and a route, at three levels;
* ``route``: the route as a path through the lanes, and a pure-pursuit path follower;
* ``others``: the other cars and pedestrians, moved by simple rules;
* ``trip``: one drive (progress, infractions, guardrail events, the observation);
* ``maneuver``: the lane-keeping driver that carries out a maneuver;
* ``env``: the two gymnasium envs; every town they serve is one the maneuver oracle
  drives to its end without an infraction;
* ``oracle``: the privileged oracles, for both interfaces;
* ``score``: route completion times the penalty of each infraction (CARLA's form);
* ``picture``: a top-down picture following the car, for clips.

Versions: v1 serves only routes whose turns must be chosen (``env.MAX_BLIND_CHANCE``);
v0, any route of 200 m, stays registered.

Protocol (README: what a run costs): two hours of practice, a tenth of the learner
driver's twenty. A ``random`` run at it cost 5.4 CPU minutes (maneuver) and 8.3
(control), measured on v0; at twenty hours its training part alone would be ten times as
much, about half an hour a run, where the core suite's tasks cost a few minutes."""

import dataclasses

from embodied_bench.api import CIBudget, Reference, TaskSpec
from embodied_bench.registry import register_task
from embodied_bench.tasks.drive.town import LEVELS

_LEARNER = "a 17-year-old learner driver: about 20 hours of practice before passing a driving test"
_DESCRIPTION = "A car drives a route through town, past parked and moving cars, crossing pedestrians and traffic lights, without an infraction."
_DESCRIPTION_V1 = "A car drives a route through town whose turns must be chosen, past parked and moving cars, crossing pedestrians and traffic lights, without an infraction."
_GRADED = "route completion times the penalty of every infraction (pedestrian 0.5, vehicle 0.6, static object 0.65, red light 0.7; CARLA's form); 1 exactly on success"
_NO_MODEL = "no world model of a drive yet: planning would copy the car's PyBullet world and everyone else at every decision"
_LEFT_OUT = {
    "cem-sim": _NO_MODEL,
    "cem-learned": _NO_MODEL,
    "oneshot-nn": "acts through table-clear's pick-and-place primitives only",
}

MANEUVER = TaskSpec(
    id="drive-maneuver",
    gym_id="EmbodiedBench/DriveManeuver-v0",
    version=0,
    family="drive",
    # 7,200 maneuvers of a second: two hours of practice, a tenth of the learner driver's.
    budget=7_200,
    budget_unit="steps",
    eval_every=1_440,
    eval_episodes=24,
    threshold=0.8,
    cost_limit=0.1,
    # random_score: 13 of 144 held-out drives (a random run's six checkpoints; it learns nothing).
    reference=Reference(random_score=0.09, oracle_score=1.0, animal_budget=72_000, animal_source=_LEARNER + " (72,000 s, one maneuver a second)"),
    description=_DESCRIPTION + " One maneuver a second: a speed and the turn at the next junction.",
    oracle="embodied_bench.tasks.drive.oracle:DriveManeuverOracle",
    levels=LEVELS,
    graded_score=_GRADED,
)
CONTROL = TaskSpec(
    id="drive-control",
    gym_id="EmbodiedBench/DriveControl-v0",
    version=0,
    family="drive",
    # 72,000 steps of 10 Hz control: the same two hours.
    budget=72_000,
    budget_unit="steps",
    eval_every=14_400,
    eval_episodes=24,
    threshold=0.8,
    cost_limit=0.1,
    reference=Reference(random_score=0.0, oracle_score=1.0, animal_budget=720_000, animal_source=_LEARNER + " (72,000 s at 10 Hz)"),
    description=_DESCRIPTION + " Steering and pedal at 10 Hz.",
    oracle="embodied_bench.tasks.drive.oracle:DriveControlOracle",
    levels=LEVELS,
    graded_score=_GRADED,
)

_V0_ENV = {"max_blind_chance": None}
"""v0's routes: any of 200 m (the envs' defaults are v1's)."""

# v1: routes ask for choices (env.MAX_BLIND_CHANCE). On v0's held-out towns a random
# maneuver agent completed 0.11 of its drives over three official seeds. v1 draws towns
# the same way and turns down those whose route fails the rule (a seed's next candidate is
# served instead); protocol and baselines' configs are v0's.
MANEUVER_V1 = dataclasses.replace(
    MANEUVER,
    gym_id="EmbodiedBench/DriveManeuver-v1",
    version=1,
    # random_score: 7 of 432 held-out drives, uniform random maneuvers over six rounds of
    # the 24 towns with three action seeds (1, 1 and 5 of 144), measured before any run.
    reference=dataclasses.replace(MANEUVER.reference, random_score=0.02),
    description=_DESCRIPTION_V1 + " One maneuver a second: a speed and the turn at the next junction.",
)
CONTROL_V1 = dataclasses.replace(
    CONTROL,
    gym_id="EmbodiedBench/DriveControl-v1",
    version=1,
    description=_DESCRIPTION_V1 + " Steering and pedal at 10 Hz.",
)

_MANEUVER_FACTS = dict(
    max_episode_steps=180,
    # 360 maneuvers; one held-out town of each level.
    ci_budget=CIBudget(budget_scale=0.05, eval_episodes=3),
    baselines=("random", "scripted", "ppo"),
    left_out={**_LEFT_OUT, "sac": "acts in continuous (Box) action spaces only; maneuvers are discrete"},
    tags=("skill", "driving", "planning"),
    baseline_config={
        # Four towns side by side, rollouts of 4 x 45 maneuvers: 40 updates in the budget,
        # where 2,048 would give three. A faster step and a shorter horizon (a drive is a
        # minute or two of maneuvers). Picked before any official run, on one pilot seed
        # and 12 held-out towns of v0, from four configs: final success 0.42, against
        # 0-0.17 for one env with rollouts of 120-180 and 0.13 (24 towns) for rollouts of
        # 360 at SB3's rates. v1 keeps it.
        "ppo": {"n_envs": 4, "n_steps": 45, "batch_size": 60, "learning_rate": 1e-3, "gamma": 0.95},
    },
)
_CONTROL_FACTS = dict(
    max_episode_steps=1_800,
    # 3,600 steps; one held-out town of each level.
    ci_budget=CIBudget(budget_scale=0.05, eval_episodes=3),
    baselines=("random", "scripted", "ppo", "sac"),
    left_out=_LEFT_OUT,
    tags=("motor", "driving"),
)

_MANEUVER_ENV = "embodied_bench.tasks.drive.env:DriveManeuverEnv"
_CONTROL_ENV = "embodied_bench.tasks.drive.env:DriveControlEnv"
register_task(MANEUVER, _MANEUVER_ENV, **_MANEUVER_FACTS, env_defaults=_V0_ENV)
register_task(CONTROL, _CONTROL_ENV, **_CONTROL_FACTS, env_defaults=_V0_ENV)
register_task(MANEUVER_V1, _MANEUVER_ENV, **_MANEUVER_FACTS)
register_task(CONTROL_V1, _CONTROL_ENV, **_CONTROL_FACTS)
