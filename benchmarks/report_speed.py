"""How long `report` takes, and how bootstrap time grows with the number of replicates.

    python benchmarks/report_speed.py [--agents 5] [--tasks 5] [--seeds 10] [--checkpoints 20]

Prints:
1. seconds for `build_report` (default options: 50,000 replicates for the aggregates and
   probability of improvement, 5,000 for the figure bands) over synthetic runs of
   AGENTS x TASKS x SEEDS x CHECKPOINTS, split into the bootstrap and everything else;
2. seconds for `interval_estimates` of an IQM on a 10 x 26 score array by replicates
   [goal: 50,000 well under 2 s], and of a probability of improvement of 10 vs 10 runs.
Synthetic curves are logistic learning curves with per-run noise, so ties are rare.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from embodied_bench.metrics import bootstrap as bootstrap_module
from embodied_bench.metrics import interval_estimates, iqm, probability_of_improvement
from embodied_bench.report import ReportOptions, build_report


def synthetic_runs(agents: int, tasks: int, seeds: int, checkpoints: int, rng: np.random.Generator) -> pd.DataFrame:
    steps = np.linspace(0, 100_000, checkpoints)
    rows = []
    for a in range(agents):
        for t in range(tasks):
            for s in range(seeds):
                midpoint = rng.uniform(0.2, 0.9) * 100_000 / (1 + a)
                curve = 1 / (1 + np.exp(-(steps - midpoint) / 8_000)) + rng.normal(0, 0.03, checkpoints)
                cost = np.cumsum(rng.poisson(0.5, checkpoints)).astype(float)
                for k in range(checkpoints):
                    rows.append((f"task-{t}", f"agent-{a}", s, steps[k], float(np.clip(curve[k], 0, 1)), cost[k], rng.uniform(0, 0.2)))
    df = pd.DataFrame(rows, columns=["task", "agent", "seed", "budget_used", "eval_success", "train_cost", "eval_cost"])
    return df.assign(threshold=0.8, cost_limit=0.1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--agents", type=int, default=5)
    parser.add_argument("--tasks", type=int, default=5)
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--checkpoints", type=int, default=20)
    args = parser.parse_args()
    rng = np.random.default_rng(0)

    df = synthetic_runs(args.agents, args.tasks, args.seeds, args.checkpoints, rng)
    boot = {"seconds": 0.0}
    real = bootstrap_module.interval_estimates

    def timed(*a, **k):
        start = time.perf_counter()
        try:
            return real(*a, **k)
        finally:
            boot["seconds"] += time.perf_counter() - start

    import embodied_bench.metrics.tables as tables_module

    tables_module.interval_estimates = timed
    with tempfile.TemporaryDirectory() as out:
        start = time.perf_counter()
        build_report(df, Path(out), ReportOptions())
        total = time.perf_counter() - start
    tables_module.interval_estimates = real
    print(f"1. report over {args.agents} agents x {args.tasks} tasks x {args.seeds} seeds x {args.checkpoints} checkpoints: {total:.1f} s (bootstrap {boot['seconds']:.1f} s, figures and files {total - boot['seconds']:.1f} s)")

    scores = rng.random((10, 26))
    other = rng.random((10, 26))
    print("2. replicates  IQM 10x26 (s)  P(X>Y) 10 vs 10 runs x 26 tasks (s)")
    for reps in (1_000, 5_000, 10_000, 50_000, 100_000):
        start = time.perf_counter()
        interval_estimates({"x": scores}, iqm, reps=reps)
        t_iqm = time.perf_counter() - start
        start = time.perf_counter()
        interval_estimates({"x>y": (scores, other)}, probability_of_improvement, reps=reps)
        t_poi = time.perf_counter() - start
        print(f"   {reps:>8,}  {t_iqm:>12.3f}  {t_poi:>12.3f}")


if __name__ == "__main__":
    main()
