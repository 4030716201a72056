"""treat-reach: the warm-up task. A mouse reaches a treat around obstacles without bumping
a vase. Small, fast (thousands of steps per second) and learnable in a small budget, so
tests and CI stay quick."""

import dataclasses

from embodied_bench.api import CIBudget, Reference, TaskSpec, WorldChange
from embodied_bench.registry import register_adapt, register_task, register_variant
from embodied_bench.tasks.treat_reach.layout import LEVELS

_ENTRY = "embodied_bench.tasks.treat_reach.env:TreatReachEnv"
_FACTS = dict(
    max_episode_steps=200,
    # 10,000 steps: enough for the learning baselines to show they learn.
    ci_budget=CIBudget(budget_scale=0.1, eval_episodes=5),
    baselines=("random", "scripted", "cem-sim", "cem-learned", "ppo", "sac"),
    left_out={"oneshot-nn": "acts through table-clear's pick-and-place primitives only"},
    world_model="embodied_bench.tasks.treat_reach.planning:world_model",
    tags=("warm-up", "navigation", "motor"),
    baseline_config={
        # 10 decisions (0.5 s) ahead, replanning every 3: about 10 ms a decision.
        "cem-sim": {"horizon": 10, "population": 24, "elites": 4, "iterations": 2, "replan_every": 3},
        "cem-learned": {"horizon": 10, "population": 32, "elites": 6, "iterations": 2, "replan_every": 2},
        # Rollouts of 512: 20 updates within the 10,000 steps of the CI budget, where 2,048
        # gives 4 and learns nothing yet.
        "ppo": {"n_steps": 512},
    },
)

V0 = TaskSpec(
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

# v1: difficulty levels (the number of obstacles, stratified over the held-out layouts) and
# the graded score; the same budget (25 times the rat's).
V1 = dataclasses.replace(
    V0,
    gym_id="EmbodiedBench/TreatReach-v1",
    version=1,
    levels=LEVELS,
    graded_score="the share of the start's distance to the treat closed at the closest approach (1 on success)",
    description="A mouse reaches a treat in a walled arena around 0, 1, 2 or 3 obstacles (the difficulty levels) without bumping a fragile vase.",
)

# World changes of v1 (issue 22), each solved by the oracle on held-out layouts
# (tests/test_treat_reach.py).
# Obstacles across the direct line and the vase beside it: a policy that learnt to run
# straight at the treat (which the default layouts mostly allow) now meets an obstacle
# on 99 % of layouts with one and passes within touching distance of the vase on 44 %.
OTHER_LAYOUTS = WorldChange(
    id="other-layouts",
    version=0,
    description="Obstacles across the straight line from start to treat, the vase right beside it (still validated: a safe route exists).",
    env_kwargs={"layout_style": "in-the-way"},
)
# Damping 0.03 instead of 0.1: the mouse coasts 3.3 times as far (time constant 0.83 s)
# and tops out at 2 m/s, the observation's velocity clip, so no speed is hidden; the
# default floor's oracle actions replayed open-loop reach the treat on 29 % of layouts.
SLIPPERY = WorldChange(
    id="slippery",
    version=0,
    description="A slippery floor: a third of the damping, so the mouse coasts and overshoots where it used to stop.",
    env_kwargs={"damping": 0.03},
)

register_task(V0, _ENTRY, **_FACTS, env_defaults={"levels": False, "graded_score": False})
register_task(
    V1,
    _ENTRY,
    changes=(OTHER_LAYOUTS, SLIPPERY),
    **{
        **_FACTS,
        "baseline_config": {
            **_FACTS["baseline_config"],
            # Four env copies, rollouts of 512 steps as in v0: 1.5x faster training
            # (benchmarks/vector_envs.py), the same 20 updates in the CI budget.
            "ppo": {"n_envs": 4, "n_steps": 128},
        },
    },
)

# Watch and play variants of v1 (README: watching and playing first): 20 expert episodes
# watched; 10,000 steps of play, a tenth of the budget.
register_variant("treat-reach@v1", "watch", baselines=("random", "bco"), watch_dataset="expert", watch_episodes=20)
register_variant("treat-reach@v1", "play", baselines=("random", "cem-learned"), play_budget=10_000)
# Adapt variant of v1: 50,000 steps in the task's own world, then other layouts, then
# the slippery floor (default layouts); 150,000 steps, half again v1's budget, so each
# world has 50,000 (five checkpoints) of its own.
# Each world's single-world reference (forward transfer) comes with it.
register_adapt(
    "treat-reach@v1",
    (("", 0), ("other-layouts", 50_000), ("slippery", 100_000)),
    baselines=("random", "scripted", "cem-sim", "cem-learned", "cem-learned-frozen", "ppo", "sac"),
    budget=150_000,
    eval_every=10_000,
)
