"""How well and at what cost cem-sim's beam search plans, for settings of the search, on
a task's layouts: the pilot behind a planner's registered search.

    python benchmarks/planner_search.py --task cat-climb-skill@v1 [--width 6] [--depth 3]
        [--branching 4] [--value-weight 10] [--discount 0.9] [--layouts 20] [--seed 0]
        [--split train]

Settings not given are the task's registered ones (``baseline_config["cem-sim"]``). One
line per layout (level, success, graded score, decisions, guardrail cost), then the mean
success, mean graded score and the CPU seconds the episodes took. ``--split train`` (the
default) plays training layouts 0..N-1 (by layout seed): a search is chosen there, never
on the held-out layouts its official runs are scored on. ``--split eval`` plays the
held-out layouts as an evaluation does: what a checkpoint of ``cem-sim`` scores (it learns
nothing, so every checkpoint scores the same). The pilot for cat-climb-skill@v1 is in the
README (official results).
"""

from __future__ import annotations

import argparse
import dataclasses
import time

import numpy as np

import embodied_bench  # noqa: F401  (registers the tasks)
from embodied_bench.baselines.cem_sim import CEMSim, CEMSimConfig
from embodied_bench.harness.runner import make_env, privileged_view, split_seed, task_info
from embodied_bench.registry import TASKS

_FIELDS = {"depth": "search_depth", "width": "search_width", "branching": "search_branching", "value_weight": "value_weight", "discount": "search_discount"}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--task", required=True)
    for name, kind in (("depth", int), ("width", int), ("branching", int), ("value_weight", float), ("discount", float)):
        parser.add_argument(f"--{name.replace('_', '-')}", type=kind, default=None)
    parser.add_argument("--layouts", type=int, default=None, help="held-out layouts [default: the task's evaluation episodes]")
    parser.add_argument("--seed", type=int, default=0, help="run seed (the planner's stream is its agent seed)")
    parser.add_argument("--split", choices=("train", "eval"), default="train", help="training layouts (to choose a search) or the held-out ones")
    args = parser.parse_args()
    spec = TASKS.get(args.task).spec
    changes = {field: getattr(args, name) for name, field in _FIELDS.items() if getattr(args, name) is not None}
    config = dataclasses.replace(CEMSimConfig.for_task(spec), **changes)
    if config.planner != "beam":
        parser.error(f"{spec.name} plans with {config.planner!r}, not the beam search")
    env = make_env(spec, args.split)
    view = privileged_view(spec)
    view._switch(env)
    agent = CEMSim(task_info(spec, env), split_seed(args.seed)[0], view, config)
    print(f"{spec.name}, {args.split} layouts: depth {config.search_depth}, width {config.search_width}, branching {config.search_branching}, value weight {config.value_weight:g}, discount {config.search_discount:g}")
    start = time.process_time()
    successes, scores = [], []
    for layout in range(args.layouts or spec.eval_episodes):
        options = {"layout": layout} if args.split == "eval" else {"layout_seed": layout}
        obs, info = env.reset(seed=layout, options=options)
        agent.start_episode(False)
        steps, cost, success = 0, 0.0, False
        while True:
            obs, _, terminated, truncated, step = env.step(agent.act(obs, False))
            steps += 1
            cost += float(step.get("cost", 0.0))
            success = success or bool(step.get("success"))
            if terminated or truncated:
                break
        successes.append(success)
        scores.append(float(step.get("partial", success)))
        print(f"layout {layout:3d}  level {info.get('level', '-'):>9}  success {int(success)}  score {scores[-1]:.3f}  decisions {steps:3d}  cost {cost:g}", flush=True)
    env.close()
    print(f"success {np.mean(successes):.3f}  graded score {np.mean(scores):.3f}  cpu {time.process_time() - start:.0f} s")


if __name__ == "__main__":
    main()
