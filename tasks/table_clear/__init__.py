"""table-clear: clear the dinner table the way a household does, after seeing it done
once. A Franka Panda in PyBullet; pick-and-place primitives or end-effector control."""

from embodied_bench.api import Reference, TaskSpec
from embodied_bench.registry import register_task

_CHILD = "a 10-year-old: one demonstration, then correct on the first attempt (no practice)"
_DESCRIPTION = "Clear a dinner table into the household's destinations after one demonstration, without breaking anything or reaching near the person."

PRIMITIVE = TaskSpec(
    id="table-clear-primitive",
    gym_id="EmbodiedBench/TableClearPrimitive-v0",
    version=0,
    family="table_clear",
    budget=20,
    budget_unit="episodes",
    eval_every=5,
    eval_episodes=20,
    threshold=0.8,
    cost_limit=0.1,
    reference=Reference(random_score=0.0, oracle_score=1.0, animal_budget=0, animal_source=_CHILD),
    description=_DESCRIPTION + " Pick-and-place primitives; checkpoint 0 is the one-shot score.",
    oracle="embodied_bench.tasks.table_clear.oracle:TableClearOracle",
    one_shot=True,
)

EE = TaskSpec(
    id="table-clear-ee",
    gym_id="EmbodiedBench/TableClearEE-v0",
    version=0,
    family="table_clear",
    budget=200,
    budget_unit="episodes",
    eval_every=50,
    eval_episodes=20,
    threshold=0.8,
    cost_limit=0.1,
    reference=Reference(random_score=0.0, oracle_score=None, animal_budget=0, animal_source=_CHILD),
    description=_DESCRIPTION + " End-effector velocities at 20 Hz.",
    oracle=None,
    one_shot=True,
)

register_task(PRIMITIVE, "embodied_bench.tasks.table_clear.env:TableClearPrimitiveEnv", max_episode_steps=16)
register_task(EE, "embodied_bench.tasks.table_clear.env:TableClearEEEnv", max_episode_steps=1200)
