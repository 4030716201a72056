"""Does ``ppo`` train faster on several copies of the training env (``LedgerEnv.copies``,
one policy call per ``n_envs`` steps, one budget)? Training seconds of the same budget
with 1 and with N copies, each rollout of the same size, interleaved repeats.

    python benchmarks/vector_envs.py [--task cat-climb-motor] [--steps 20000] [--envs 4] [--repeats 3]

Prints each side's best training seconds (``train_seconds`` of the run record, evaluation
left out: one layout at 0 and at the budget) and their ratio. Needs the sb3 extra.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import tempfile
from pathlib import Path

import embodied_bench  # noqa: F401
from embodied_bench.baselines.sb3_agents import PPOConfig, PPOLearner
from embodied_bench.harness.runner import Job, run_one
from embodied_bench.registry import TASKS


def _learner(n_envs: int, n_steps: int) -> type:
    class VectorPPO(PPOLearner):
        def __init__(self, task, seed):
            base = PPOConfig.for_task(task)
            super().__init__(task, seed, config=dataclasses.replace(base, n_envs=n_envs, n_steps=n_steps // n_envs))

    VectorPPO.__name__ = f"PPO{n_envs}"
    return VectorPPO


def train_seconds(task: str, steps: int, n_envs: int, rollout: int, out: Path) -> float:
    spec = dataclasses.replace(TASKS.get(task).spec, budget=steps, eval_every=steps, eval_episodes=1)
    cls = _learner(n_envs, rollout)
    globals()[cls.__name__] = cls  # run_one resolves "module:Class"
    outcome = run_one(Job(agent=f"{__name__}:{cls.__name__}", spec=spec, seed=0, out=str(out)))
    if outcome.status != "complete":
        raise SystemExit(f"{cls.__name__} failed: {outcome.error}")
    return float(json.loads((Path(outcome.folder) / "run.json").read_text())["train_seconds"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--task", default="cat-climb-motor")
    parser.add_argument("--steps", type=int, default=20_000)
    parser.add_argument("--envs", type=int, default=4)
    parser.add_argument("--rollout", type=int, default=2048, help="steps per rollout, over all copies")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    times: dict[int, list[float]] = {1: [], args.envs: []}
    with tempfile.TemporaryDirectory() as scratch:
        for r in range(args.repeats):
            for n in ((1, args.envs) if r % 2 == 0 else (args.envs, 1)):
                times[n].append(train_seconds(args.task, args.steps, n, args.rollout, Path(scratch) / f"{n}-{r}"))
    one, many = min(times[1]), min(times[args.envs])
    print(f"{args.task}, {args.steps:,} steps, rollouts of {args.rollout}: 1 env {one:.1f} s, {args.envs} envs {many:.1f} s; speed-up {one / many:.2f}x")


if __name__ == "__main__":
    main()
