"""How much the harness costs on top of the simulation, measured in one run.

    python benchmarks/harness_overhead.py [--steps 20000] [--repeats 5] [--skip-jobs]

Prints three ratios (goals in brackets):
1. bare gymnasium loop steps/s ÷ harness training steps/s, same agent, treat-reach [<= 1.10]
2. treat-reach env.step time ÷ the raw mujoco.mj_step calls it makes               [<= 1.2]
3. `embodied-bench run --jobs 1` time ÷ `--jobs 2` time, 4 seeds                    [>= 1.7 on 2 cores]
Timings are interleaved repeats, so background load hits both sides; the ratios use the
best repeat of each side (the least disturbed), as timeit does, and 1. also prints the
median of the paired ratios. On a shared machine use --repeats 10 or more.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import gymnasium as gym
import mujoco
import numpy as np

import embodied_bench  # noqa: F401
from embodied_bench.harness.runner import Job, run_one, split_seed, task_info
from embodied_bench.registry import TASKS, resolve_agent


def bare_loop(agent_ref: str, steps: int) -> float:
    """Steps/s of the plain gymnasium loop a user would write, with the same agent."""
    spec = TASKS.get("treat-reach").spec
    env = gym.make(spec.gym_id, layout_split="train")
    agent_seed, env_seed = split_seed(0)
    agent = resolve_agent(agent_ref)[1](task_info(spec, env), agent_seed)
    obs, _ = env.reset(seed=env_seed)
    t = time.perf_counter()
    for _ in range(steps):
        action = agent.act(obs, True)
        obs, reward, terminated, truncated, info = env.step(action)
        if terminated or truncated:
            obs, _ = env.reset()
    return steps / (time.perf_counter() - t)


def harness_loop(agent_ref: str, steps: int, out: Path) -> float:
    """Training steps/s inside the harness (evaluation time excluded: it is extra work)."""
    spec = dataclasses.replace(TASKS.get("treat-reach").spec, budget=steps, eval_every=steps, eval_episodes=1)
    outcome = run_one(Job(agent=agent_ref, spec=spec, seed=0, out=str(out)))
    record = json.loads((Path(outcome.folder) / "run.json").read_text())
    assert record["status"] == "complete", record["error"]
    return steps / record["train_seconds"]


def env_vs_mj_step(steps: int) -> tuple[float, float, float]:
    """Seconds per step: env.step through gym.make's wrappers, unwrapped env.step, and the
    raw mj_step calls (same model, same number of substeps, same actions)."""
    rng = np.random.default_rng(0)
    actions = rng.uniform(-1, 1, (steps, 2)).astype(np.float32)

    def timed_env(env: gym.Env) -> float:
        env.reset(seed=0)
        t = time.perf_counter()
        for a in actions:
            _, _, terminated, truncated, _ = env.step(a)
            if terminated or truncated:
                # Reset is not part of the step cost: take it out of the clock.
                t0 = time.perf_counter()
                env.reset()
                t += time.perf_counter() - t0
        return (time.perf_counter() - t) / steps

    wrapped = gym.make("EmbodiedBench/TreatReach-v0")
    per_wrapped = timed_env(wrapped)
    per_unwrapped = timed_env(gym.make("EmbodiedBench/TreatReach-v0").unwrapped)

    raw = gym.make("EmbodiedBench/TreatReach-v0").unwrapped
    raw.reset(seed=0)
    model, data, n = raw.model, raw.data, raw.n_substeps
    t = time.perf_counter()
    for a in actions:
        data.ctrl[:] = a
        mujoco.mj_step(model, data, nstep=n)
    per_raw = (time.perf_counter() - t) / steps
    return per_wrapped, per_unwrapped, per_raw


def jobs_speedup(scale: float) -> tuple[float, float]:
    times = {}
    for jobs in ("1", "2"):
        with tempfile.TemporaryDirectory() as out:
            cmd = [sys.executable, "-m", "embodied_bench", "run", "--agent", "random", "--task", "treat-reach", "--seeds", "4", "--budget-scale", str(scale), "--out", out, "--jobs", jobs]
            t = time.perf_counter()
            subprocess.run(cmd, check=True, capture_output=True)
            times[jobs] = time.perf_counter() - t
    return times["1"], times["2"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--steps", type=int, default=20_000)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--jobs-scale", type=float, default=0.05, help="budget scale for the --jobs comparison")
    parser.add_argument("--skip-jobs", action="store_true")
    args = parser.parse_args()
    print(f"cores: {os.cpu_count()}, mujoco {mujoco.__version__}, numpy {np.__version__}")

    agents = {"random": "random", "constant (zero action)": "benchmarks/agents.py:ZeroAgent"}
    with tempfile.TemporaryDirectory() as tmp:
        for label, ref in agents.items():
            bare, harness = [], []
            for r in range(args.repeats):
                bare.append(bare_loop(ref, args.steps))
                harness.append(harness_loop(ref, args.steps, Path(tmp) / f"{label}-{r}"))
            b, h = max(bare), max(harness)
            paired = statistics.median(x / y for x, y in zip(bare, harness))
            print(
                f"1. agent {label}: best of {args.repeats}: bare loop {b:,.0f} steps/s, harness {h:,.0f} steps/s, "
                f"ratio {b / h:.3f}; median of paired ratios {paired:.3f} (goal <= 1.10)"
            )

    samples = [env_vs_mj_step(args.steps // 2) for _ in range(args.repeats)]
    wrapped, unwrapped, raw = (min(s[i] for s in samples) for i in range(3))
    print(
        f"2. best of {args.repeats}: env.step {unwrapped * 1e6:.1f} us unwrapped, {wrapped * 1e6:.1f} us through gym.make's wrappers; "
        f"raw mj_step calls {raw * 1e6:.1f} us; ratios {unwrapped / raw:.3f} and {wrapped / raw:.3f} (goal <= 1.2)"
    )

    if not args.skip_jobs:
        one, two = jobs_speedup(args.jobs_scale)
        print(f"3. run 4 seeds --budget-scale {args.jobs_scale}: --jobs 1 {one:.1f} s, --jobs 2 {two:.1f} s, speed-up {one / two:.2f}x (goal >= 1.7)")


if __name__ == "__main__":
    main()
