"""How fast cem-sim's world model simulates candidates: ``mujoco.rollout`` on native
threads against a Python loop of ``mj_step``, from one start state.

    python benchmarks/cem_rollout_speed.py [--candidates 64] [--repeats 5] [--threads 1,2]

For each model (treat-reach's mouse, cat-climb's cat in a room, and gymnasium's Ant when
gymnasium's MuJoCo assets are installed) it prints candidate rollouts per second of the
Python loop and of ``mujoco.rollout`` with each thread count, and the ratio to the loop
[goal: >= 2x with two threads on 2 cores]. Candidates use the planner's horizons: 10
decisions of 25 steps (treat-reach), one 1.6 s jump of 800 steps (cat), 100 steps (Ant).
Timings interleave the methods and keep the best of the repeats (the least disturbed).
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

import gymnasium as gym
import numpy as np

import embodied_bench  # noqa: F401  (registers the tasks)
from embodied_bench.mujoco_gl import mujoco
from embodied_bench.world_model import MujocoRollouts

STATE = mujoco.mjtState.mjSTATE_FULLPHYSICS


def treat_reach() -> tuple[object, object, int]:
    env = gym.make("EmbodiedBench/TreatReach-v0", layout_split="eval").unwrapped
    env.reset(seed=0, options={"layout": 0})
    return env.model, env.data, 10 * env.n_substeps


def cat() -> tuple[object, object, int]:
    env = gym.make("EmbodiedBench/CatClimbSkill-v0", layout_split="eval").unwrapped
    env.reset(seed=0, options={"layout": 0})
    env.sim.jump_start(env.sim.yaw(), 0.8, 3.0)  # mid-leap: contacts come on landing
    return env.sim.model, env.sim.data, 800


def ant() -> tuple[object, object, int] | None:
    path = Path(gym.__file__).parent / "envs" / "mujoco" / "assets" / "ant.xml"
    if not path.is_file():
        return None
    model = mujoco.MjModel.from_xml_path(str(path))
    data = mujoco.MjData(model)
    mujoco.mj_forward(model, data)
    return model, data, 100


def python_loop(model, data, start: np.ndarray, control: np.ndarray) -> None:
    for k in range(len(control)):
        mujoco.mj_setState(model, data, start, STATE)
        for u in control[k]:
            data.ctrl[:] = u
            mujoco.mj_step(model, data)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--candidates", type=int, default=64)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--threads", default="1,2", help="comma-separated thread counts for mujoco.rollout")
    args = parser.parse_args()
    threads = [int(t) for t in args.threads.split(",")]
    print(f"{os.cpu_count()} cores; {args.candidates} candidates per call; best of {args.repeats}")
    for name, make in (("treat-reach", treat_reach), ("cat-climb", cat), ("gymnasium Ant", ant)):
        made = make()
        if made is None:
            print(f"{name}: skipped (gymnasium's MuJoCo assets are not installed)")
            continue
        model, data, nstep = made
        rng = np.random.default_rng(0)
        lo, hi = model.actuator_ctrlrange[:, 0], model.actuator_ctrlrange[:, 1]
        control = rng.uniform(lo, hi, (args.candidates, nstep, model.nu))
        engines = {t: MujocoRollouts(t) for t in threads}
        for engine in engines.values():
            engine.bind(model)
        start = engines[threads[0]].state_of(data)
        scratch = mujoco.MjData(model)
        best = {"loop": np.inf, **{t: np.inf for t in threads}}
        for _ in range(args.repeats):
            t0 = time.perf_counter()
            python_loop(model, scratch, start, control)
            best["loop"] = min(best["loop"], time.perf_counter() - t0)
            for t, engine in engines.items():
                t0 = time.perf_counter()
                engine.run(start[None], control)
                best[t] = min(best[t], time.perf_counter() - t0)
        rate = {k: args.candidates / v for k, v in best.items()}
        parts = [f"loop {rate['loop']:.0f}/s ({rate['loop'] * nstep:,.0f} steps/s)"]
        parts += [f"rollout x{t} {rate[t]:.0f}/s = {rate[t] / rate['loop']:.2f}x" for t in threads]
        print(f"{name} ({nstep} steps per candidate): " + "; ".join(parts))


if __name__ == "__main__":
    main()
