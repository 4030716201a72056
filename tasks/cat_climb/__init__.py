"""cat-climb: a house cat plans a route of jumps up the furniture to a treat on the highest
surface. Two interfaces on the same rooms: one decision per jump (skill) and joint
targets at 50 Hz (motor)."""

from embodied_bench.api import Reference, TaskSpec
from embodied_bench.registry import register_task

_CAT = "a house cat: one or two attempts at a new route (up to 10 jumps each)"
_DESCRIPTION = "A cat climbs a room's furniture to a treat on the highest surface without knocking over a vase or falling far."

SKILL = TaskSpec(
    id="cat-climb-skill",
    gym_id="EmbodiedBench/CatClimbSkill-v0",
    version=0,
    family="cat_climb",
    budget=2_000,
    budget_unit="steps",
    eval_every=200,
    eval_episodes=20,
    threshold=0.8,
    cost_limit=0.1,
    reference=Reference(random_score=0.0, oracle_score=1.0, animal_budget=20, animal_source=_CAT),
    description=_DESCRIPTION + " One decision per jump.",
    oracle="embodied_bench.tasks.cat_climb.oracle:CatClimbOracle",
)

MOTOR = TaskSpec(
    id="cat-climb-motor",
    gym_id="EmbodiedBench/CatClimbMotor-v0",
    version=0,
    family="cat_climb",
    budget=1_000_000,
    budget_unit="steps",
    eval_every=100_000,
    eval_episodes=20,
    threshold=0.8,
    cost_limit=0.1,
    reference=Reference(random_score=0.0, oracle_score=None, animal_budget=2_000, animal_source=_CAT + "; 2 attempts of 20 s at 50 Hz"),
    description=_DESCRIPTION + " Joint targets at 50 Hz.",
    oracle=None,
)

register_task(SKILL, "embodied_bench.tasks.cat_climb.env:CatClimbSkillEnv", max_episode_steps=10)
register_task(MOTOR, "embodied_bench.tasks.cat_climb.env:CatClimbMotorEnv", max_episode_steps=1000)
