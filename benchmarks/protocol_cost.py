"""What one run of each agent on each task costs at the official protocol, from the run
records of runs made at it (``embodied-bench run --agent A --suite ett-core-v1 --seeds 1
--jobs 1 --out DIR``): CPU and wall minutes per run, the share spent evaluating, and each
agent's total over the suite.

    python benchmarks/protocol_cost.py DIR... [--suite ett-core-v1]

CPU time is the harness process's (``cpu_seconds`` in run.json: what a run costs on a
machine whose other cores are busy); runs at a reduced budget are refused, since their
cost says nothing about the protocol's.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import embodied_bench  # noqa: F401
from embodied_bench.registry import SUITES, TASKS
from embodied_bench.results.load import find_run_dirs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("dirs", nargs="+", type=Path)
    parser.add_argument("--suite", default="ett-core-v1")
    args = parser.parse_args()
    tasks = SUITES.get(args.suite).tasks
    cost: dict[tuple[str, str], list[dict]] = {}
    for folder in find_run_dirs(args.dirs):
        record = json.loads((folder / "run.json").read_text())
        task = f"{record['task']['id']}@v{record['task']['version']}"
        if task not in tasks or record["status"] != "complete":
            continue
        budget = record["budget"]
        if budget.get("scale", 1.0) != 1.0 or budget.get("eval_reduced"):
            raise SystemExit(f"{folder}: made at a reduced budget; measure runs at the official protocol")
        cost.setdefault((task, record["agent"]["name"]), []).append(record)
    agents = sorted({a for _, a in cost})
    print(f"| agent | {' | '.join(tasks)} | suite total |")
    print(f"|---|{'---|' * len(tasks)}---|")
    for agent in agents:
        cells, total, complete = [], 0.0, True
        for task in tasks:
            runs = cost.get((task, agent))
            if agent not in TASKS.get(task).baselines:
                cells.append("does not run here")
                continue
            if not runs:
                cells.append("not measured")
                complete = False
                continue
            cpu = sum(r.get("cpu_seconds") or r["wall_seconds"] for r in runs) / len(runs) / 60
            wall = sum(r["wall_seconds"] for r in runs) / len(runs) / 60
            evaluating = sum(r["eval_seconds"] for r in runs) / sum(r["wall_seconds"] for r in runs)
            total += cpu
            cells.append(f"{cpu:.1f} min CPU ({wall:.1f} wall, {evaluating:.0%} evaluating)")
        print(f"| {agent} | {' | '.join(cells)} | {f'{total:.1f} min CPU' if complete else f'≥ {total:.1f} min CPU (not every task measured)'} |")


if __name__ == "__main__":
    main()
