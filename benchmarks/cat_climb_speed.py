"""cat-climb speed on one core, and the cost over the raw MuJoCo steps it makes.

    python benchmarks/cat_climb_speed.py [--rooms 10] [--motor-steps 5000] [--repeats 3]

1. skill: decisions per second with the scripted oracle, and the time per decision over
   the time of the same number of raw ``mj_step`` calls on the same model (goal <= 1.2);
   room generation (simulated validation) is timed separately.
2. motor: env steps per second with random joint targets, and env.step over the raw
   ``mj_step(nstep=10)`` it makes (goal <= 1.2).
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

import embodied_bench  # noqa: F401
from embodied_bench.api import PrivilegedView
from embodied_bench.registry import TASKS


def skill(rooms: int) -> tuple[float, float, int]:
    """Seconds in env.step, seconds of the raw mj_step calls those decisions made, decisions."""
    env = gym.make("EmbodiedBench/CatClimbSkill-v0", layout_split="eval").unwrapped
    view = PrivilegedView(TASKS.get("cat-climb-skill"))
    view._switch(env)
    oracle = CatClimbOracle(None, 0, privileged=view)
    in_step = raw = 0.0
    decisions = 0
    for i in range(rooms):
        obs, _ = env.reset(seed=i, options={"layout": i})
        done = False
        while not done:
            action = oracle.act(obs)
            t0 = env.sim.data.time
            start = time.perf_counter()
            obs, _, terminated, truncated, _ = env.step(action)
            in_step += time.perf_counter() - start
            steps = round((env.sim.data.time - t0) / P.TIMESTEP)
            decisions += 1
            done = terminated or truncated or decisions % P.MAX_DECISIONS == 0
            raw += _raw_time(env.sim, steps)
    return in_step, raw, decisions


def _raw_time(sim: P.CatSim, steps: int) -> float:
    """Time of ``steps`` raw mj_step calls on a copy of the current state."""
    data = mujoco.MjData(sim.model)
    data.qpos[:] = sim.data.qpos
    data.qvel[:] = sim.data.qvel
    start = time.perf_counter()
    mujoco.mj_step(sim.model, data, nstep=steps)
    return time.perf_counter() - start


def motor(steps: int) -> tuple[float, float]:
    env = gym.make("EmbodiedBench/CatClimbMotor-v0", layout_split="eval").unwrapped
    env.reset(seed=0, options={"layout": 0})
    rng = np.random.default_rng(0)
    actions = rng.uniform(-1, 1, (steps, env.action_space.shape[0])).astype(np.float32)
    start = time.perf_counter()
    for a in actions:
        env.step(a)
    per_env = (time.perf_counter() - start) / steps
    env.reset(seed=0, options={"layout": 0})
    model, data = env.sim.model, env.sim.data
    start = time.perf_counter()
    for a in actions:
        data.ctrl[:] = env._mid + env._half * a
        mujoco.mj_step(model, data, nstep=env.SUBSTEPS)
    per_raw = (time.perf_counter() - start) / steps
    return per_env, per_raw


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
        f"raw mj_step {raw / decisions * 1e3:.1f} ms per decision; ratio {in_step / raw:.3f} (goal <= 1.2)"
    )
    per_env, per_raw = min(motors)
    print(f"2. motor: {1 / per_env:,.0f} steps/s ({per_env * 1e6:.0f} us each), raw mj_step x10 {per_raw * 1e6:.0f} us; ratio {per_env / per_raw:.3f} (goal <= 1.2)")
    print(f"3. room generation with simulated validation: {rooms_generation(args.rooms) * 1e3:.0f} ms per room")


if __name__ == "__main__":
    main()
