"""cat-climb speed on one core, and the cost over the raw MuJoCo steps it makes.

    python benchmarks/cat_climb_speed.py [--rooms 10] [--motor-steps 5000] [--repeats 3]

1. skill: decisions per second with the scripted oracle, and the time in env.step over
   the time inside the ``mj_step`` calls it makes (goal <= 1.2); room generation
   (validated in simulation) is timed separately.
2. motor: env steps per second with random joint targets, same ratio (goal <= 1.2).
Best of ``--repeats`` interleaved repeats (the least disturbed), as timeit does.
"""

from __future__ import annotations

import argparse
import time

import gymnasium as gym
import mujoco
import numpy as np
from embodied_bench.tasks.cat_climb import physics as P
from embodied_bench.tasks.cat_climb.oracle import CatClimbOracle
from timing import time_oracle_episodes, time_steps

import embodied_bench  # noqa: F401
from embodied_bench.harness.runner import privileged_view
from embodied_bench.registry import TASKS


def skill(rooms: int) -> tuple[float, float, int]:
    """Seconds in env.step, seconds inside its mj_step calls, decisions."""
    spec = TASKS.get("cat-climb-skill").spec
    env = gym.make(spec.gym_id, layout_split="eval").unwrapped
    view = privileged_view(spec)
    view._switch(env)
    oracle = CatClimbOracle(None, 0, privileged=view)
    return time_oracle_episodes(env, oracle, rooms, P.MAX_DECISIONS, P.mujoco, "mj_step")


def motor(steps: int) -> tuple[float, float]:
    """Seconds per env.step and per step inside its mj_step calls, random joint targets."""
    env = gym.make(TASKS.get("cat-climb-motor").spec.gym_id, layout_split="eval").unwrapped
    env.reset(seed=0, options={"layout": 0})
    rng = np.random.default_rng(0)
    actions = rng.uniform(-1, 1, (steps, env.action_space.shape[0])).astype(np.float32)
    return time_steps(env, actions, P.mujoco, "mj_step")


def rooms_generation(n: int) -> float:
    start = time.perf_counter()
    for seed in range(10_000, 10_000 + n):
        P.room(seed)
    return (time.perf_counter() - start) / n


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rooms", type=int, default=10)
    parser.add_argument("--motor-steps", type=int, default=5_000)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    print(f"mujoco {mujoco.__version__}, one process (one core)")
    skills, motors = [], []
    for _ in range(args.repeats):
        skills.append(skill(args.rooms))
        motors.append(motor(args.motor_steps))
    in_step, raw, decisions = min(skills, key=lambda s: s[0])
    print(
        f"1. skill: {decisions / in_step:,.1f} decisions/s ({in_step / decisions * 1e3:.1f} ms each), "
        f"of which inside mj_step {raw / decisions * 1e3:.1f} ms; ratio {in_step / raw:.3f} (goal <= 1.2)"
    )
    per_env, per_raw = min(motors)
    print(f"2. motor: {1 / per_env:,.0f} steps/s ({per_env * 1e6:.0f} us each), of which inside mj_step {per_raw * 1e6:.0f} us; ratio {per_env / per_raw:.3f} (goal <= 1.2)")
    print(f"3. room generation with simulated validation: {rooms_generation(args.rooms) * 1e3:.0f} ms per room")


if __name__ == "__main__":
    main()
