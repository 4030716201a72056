"""table-clear speed on one core, and the cost over the raw PyBullet steps it makes.

    python benchmarks/table_clear_speed.py [--layouts 4] [--ee-steps 600]

1. primitive: decisions per second (scripted oracle), time in env.step over the time
   inside its ``stepSimulation`` calls (goal <= 1.2);
2. end effector: steps per second with random commands, same ratio (goal <= 1.2);
3. a full one-shot evaluation (every held-out layout, four per household, one
   demonstration recorded per household) with the oracle and with oneshot-nn, wall seconds.
"""

from __future__ import annotations

import argparse
import time

import gymnasium as gym
import numpy as np
import pybullet
from embodied_bench.tasks.table_clear import env as E
from embodied_bench.tasks.table_clear import scene as S
from embodied_bench.tasks.table_clear.oracle import TableClearOracle
from timing import time_oracle_episodes, time_steps

import embodied_bench  # noqa: F401
from embodied_bench.harness.runner import privileged_view
from embodied_bench.harness.ledger import ActionChecker
from embodied_bench.harness.runner import evaluate, make_envs, task_info
from embodied_bench.registry import TASKS, load_reference


def primitive(layouts: int) -> tuple[float, float, int]:
    """Seconds in env.step, seconds inside its stepSimulation calls, decisions."""
    task = TASKS.get("table-clear-primitive")
    env = gym.make(task.spec.gym_id, layout_split="eval").unwrapped
    view = privileged_view(task.spec)
    view._switch(env)
    oracle = TableClearOracle(None, 0, privileged=view)
    return time_oracle_episodes(env, oracle, layouts, task.max_episode_steps, S.pb, "stepSimulation")


def end_effector(steps: int) -> tuple[float, float]:
    env = gym.make(TASKS.get("table-clear-ee").spec.gym_id, layout_split="eval").unwrapped
    env.reset(seed=0, options={"layout": 0})
    actions = np.random.default_rng(0).uniform(-1, 1, (steps, 5)).astype(np.float32)
    return time_steps(env, actions, S.pb, "stepSimulation")


def one_shot_evaluation(agent_ref: str) -> float:
    spec = TASKS.get("table-clear-primitive").spec
    E._demonstration.cache_clear()
    _, eval_env = make_envs(spec)
    cls = load_reference(agent_ref)
    info = task_info(spec, eval_env)
    if getattr(cls, "privileged", False):
        view = privileged_view(spec)
        view._switch(eval_env)
        agent = cls(info, 0, privileged=view)
    else:
        agent = cls(info, 0)
    start = time.perf_counter()
    scores, _ = evaluate(agent, eval_env, spec, ActionChecker(eval_env.action_space), "benchmark")
    seconds = time.perf_counter() - start
    print(f"   {agent_ref.rsplit(':', 1)[1]}: success {scores['eval_success']:.2f}, items right {scores['eval_partial']:.2f}, cost {scores['eval_cost']:.2f}")
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--layouts", type=int, default=4)
    parser.add_argument("--ee-steps", type=int, default=600)
    args = parser.parse_args()
    print(f"pybullet {pybullet.__version__ if hasattr(pybullet, '__version__') else ''}, one process (one core)")
    in_step, sim, decisions = primitive(args.layouts)
    print(f"1. primitive: {decisions / in_step:.2f} decisions/s ({in_step / decisions:.2f} s each), inside stepSimulation {sim / decisions:.2f} s; ratio {in_step / sim:.3f} (goal <= 1.2)")
    per_step, per_sim = end_effector(args.ee_steps)
    print(f"2. end effector: {1 / per_step:,.0f} steps/s ({per_step * 1e3:.2f} ms each), inside stepSimulation {per_sim * 1e3:.2f} ms; ratio {per_step / per_sim:.3f} (goal <= 1.2)")
    print("3. full one-shot evaluation, 20 layouts of 5 households, demonstrations recorded:")
    for ref in ("embodied_bench.tasks.table_clear.oracle:TableClearOracle", "embodied_bench.baselines.oneshot_nn:OneShotNN"):
        print(f"   {ref.rsplit(':', 1)[1]}: {one_shot_evaluation(ref):.1f} s")


if __name__ == "__main__":
    main()
