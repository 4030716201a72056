"""treat-reach: the warm-up task. A mouse reaches a treat around obstacles without bumping
a vase. Small, fast (thousands of steps per second) and learnable in a small budget, so
tests and CI stay quick."""

from embodied_bench.api import Reference, TaskSpec
from embodied_bench.registry import register_task

SPEC = TaskSpec(
    id="treat-reach",
    gym_id="EmbodiedBench/TreatReach-v0",
    version=0,
    family="treat_reach",
    budget=100_000,
    budget_unit="steps",
    eval_every=10_000,
    eval_episodes=20,
    threshold=0.8,
    cost_limit=0.1,
    reference=Reference(
        random_score=0.0,
        oracle_score=1.0,
        animal_budget=4_000,
        animal_source=(
            "a rat: about 20 trials to learn a reward location it cannot see (Morris water maze, "
            "about 4 trials a day over 5 days); 20 episodes of 200 steps here, where the treat is visible"
        ),
    ),
    description="A mouse reaches a treat in a walled arena around 0-3 obstacles without bumping a fragile vase.",
    oracle="embodied_bench.tasks.treat_reach.oracle:TreatReachOracle",
)

register_task(SPEC, "embodied_bench.tasks.treat_reach.env:TreatReachEnv", max_episode_steps=200)
