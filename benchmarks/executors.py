"""Wall-clock time of the same short job on the local process pool and on a local Ray
instance (start-up included: each is the full `embodied-bench run` command, timed from
outside), and of isolated against in-process agents. Measured in one run so the ratios
compare like with like on a noisy machine.

    python benchmarks/executors.py [--runs 8] [--jobs 2] [--budget-scale 0.05] [--repeats 2]

Needs the ray extra for the Ray rows (pip install -e '.[ray]').
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time


def timed(args: list[str]) -> float:
    with tempfile.TemporaryDirectory() as out:
        start = time.perf_counter()
        done = subprocess.run([sys.executable, "-m", "embodied_bench", "run", *args, "--out", out], capture_output=True, text=True)
        seconds = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"failed: embodied-bench run {' '.join(args)}\n{done.stdout}\n{done.stderr}")
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=8, help="seeds of random on treat-reach")
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--budget-scale", type=float, default=0.05)
    parser.add_argument("--repeats", type=int, default=2)
    args = parser.parse_args()
    job = ["--agent", "random", "--task", "treat-reach", "--seeds", str(args.runs), "--budget-scale", str(args.budget_scale), "--eval-episodes", "2", "--jobs", str(args.jobs)]
    variants = {
        "local pool": job,
        "ray (local)": [*job, "--executor", "ray"],
        "local pool, isolated": [*job, "--isolate"],
    }
    best: dict[str, float] = {}
    for _ in range(args.repeats):
        for name, variant in variants.items():  # interleaved: drift hits every variant alike
            seconds = timed(variant)
            best[name] = min(best.get(name, seconds), seconds)
    base = best["local pool"]
    print(f"{args.runs} runs of random on treat-reach, --budget-scale {args.budget_scale}, --jobs {args.jobs}; best of {args.repeats}")
    for name, seconds in best.items():
        print(f"{name:<22} {seconds:>7.1f} s  {seconds / base - 1:>+6.0%}")


if __name__ == "__main__":
    main()
