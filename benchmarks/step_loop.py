"""The harness's step loop against the physics it drives, per task, and what isolation
costs. Measured in one run, so the ratios compare like with like on a noisy machine.

    python benchmarks/step_loop.py [--steps 5000] [--repeats 3] [--tasks a,b] [--no-isolation]

For each task, with the `random` agent and no evaluation in the timed part:
* harness: training env steps per second inside `run_one` (the real loop, ledger, checks);
* physics: env steps per second of the physics calls alone (the time spent inside
  `mujoco.mj_step` / `pybullet.stepSimulation`, counted while the harness runs);
* ratio: harness time per step / physics time per step (1.0 = no overhead at all);
* isolated: steps per second with the agent in its own process, and its cost.
Best of --repeats for each number.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import tempfile
import time
from pathlib import Path

import mujoco
import pybullet

import embodied_bench  # noqa: F401
from embodied_bench.harness.isolation import Limits
from embodied_bench.harness.runner import Job, run_one
from embodied_bench.registry import TASKS



class PhysicsClock:
    """Wraps the physics entry points and adds up the time spent inside them."""

    def __init__(self) -> None:
        self.seconds = 0.0
        self._saved = []

    def _wrap(self, module, name):
        real = getattr(module, name)
        clock = self

        def timed(*args, **kwargs):
            t = time.perf_counter()
            try:
                return real(*args, **kwargs)
            finally:
                clock.seconds += time.perf_counter() - t

        self._saved.append((module, name, real))
        setattr(module, name, timed)

    def __enter__(self):
        self._wrap(mujoco, "mj_step")
        self._wrap(pybullet, "stepSimulation")
        return self

    def __exit__(self, *exc):
        for module, name, real in self._saved:
            setattr(module, name, real)


def one_run(task: str, steps: int, isolated: bool) -> tuple[int, float, float]:
    """(env steps, training seconds, physics seconds) of one harness run."""
    spec = TASKS.get(task).spec
    budget = steps if spec.budget_unit == "steps" else max(1, steps // 200)
    spec = dataclasses.replace(spec, budget=budget, eval_every=budget, eval_episodes=1)
    with tempfile.TemporaryDirectory() as out, PhysicsClock() as clock:
        outcome = run_one(Job(agent="random", spec=spec, seed=0, out=out, isolation=Limits() if isolated else None))
        record = json.loads((Path(outcome.folder) / "run.json").read_text())
        assert record["status"] == "complete", record["error"]
        # Evaluation steps physics too: take its share out in proportion to its steps.
        eval_share = record["eval_seconds"] / record["wall_seconds"]
        return record["ledger"]["env_steps"], record["train_seconds"], clock.seconds * (1 - eval_share)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--steps", type=int, default=5000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--tasks", default=",".join(TASKS.ids()), help="Comma-separated tasks [default: the newest version of every registered task].")
    parser.add_argument("--no-isolation", action="store_true")
    args = parser.parse_args()
    print(f"{'task':<22} {'harness steps/s':>16} {'physics steps/s':>16} {'ratio':>7} {'isolated steps/s':>17} {'isolation cost':>15}")
    for task in args.tasks.split(","):
        best = None
        best_iso = None
        for _ in range(args.repeats):
            n, train, phys = one_run(task, args.steps, False)
            if best is None or train < best[1]:
                best = (n, train, phys)
            if not args.no_isolation:
                n_i, train_i, _ = one_run(task, args.steps, True)
                if best_iso is None or train_i < best_iso[1]:
                    best_iso = (n_i, train_i)
        n, train, phys = best
        line = f"{task:<22} {n / train:>16,.0f} {n / phys:>16,.0f} {train / phys:>7.2f}"
        if best_iso is not None:
            iso_rate = best_iso[0] / best_iso[1]
            line += f" {iso_rate:>17,.0f} {1 - iso_rate / (n / train):>14.0%}"
        print(line, flush=True)


if __name__ == "__main__":
    main()
