"""The official references: every baseline that runs on a task of a suite, at the task's
full protocol, on the reference seeds, in ``leaderboard/baselines/official/`` (apart from
the CI-budget references of ``regress``). ``embodied-bench references`` plans and runs
them (resuming what is there) and keeps ``manifest.json``: what was made, with which
versions, and the CPU seconds of every run."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from embodied_bench.registry import AGENTS, SUITES, TASKS
from embodied_bench.results import provenance
from embodied_bench.results.load import find_run_dirs
from embodied_bench.results.records import atomic_write_text, read_run_json

OFFICIAL = "official"
"""The folder of the official references below the baselines' folder."""
MANIFEST = "manifest.json"
SEEDS = 10
"""Seeds of every official reference, but where a baseline says it affords fewer
(``official_seeds`` on its class, marked on the board)."""


def seeds_for(agent: str, seeds: int = SEEDS) -> int:
    """How many seeds ``agent``'s official references get: ``seeds``, or fewer where its
    class says it affords no more (``official_seeds``)."""
    return min(seeds, int(getattr(AGENTS.get(agent), "official_seeds", seeds)))


def plan(suites: list[str], agents: list[str] | None = None) -> list[tuple[str, str]]:
    """``(task, baseline)`` pairs: every baseline each task of the suites names (or only
    ``agents``), in suite and task order."""
    pairs: list[tuple[str, str]] = []
    for suite in suites:
        for task in SUITES.get(suite).tasks:
            for agent in TASKS.get(task).baselines:
                if (agents is None or agent in agents) and (task, agent) not in pairs:
                    pairs.append((task, agent))
    return pairs


def write_manifest(root: Path, suites: list[str], seeds: int) -> dict[str, Any]:
    """``root/manifest.json`` from the records below ``root``: every run's status, CPU and
    wall seconds, by task and agent, the totals, and the versions the runs were made with."""
    runs: dict[str, dict[str, dict[str, Any]]] = {}
    versions: dict[str, set] = {}
    cpu = 0.0
    for folder in find_run_dirs([root]) if Path(root).is_dir() else []:
        record = read_run_json(folder) or {}
        task = f"{record.get('task', {}).get('id')}@v{record.get('task', {}).get('version')}"
        agent = (record.get("agent") or {}).get("name")
        seconds = record.get("cpu_seconds") or record.get("wall_seconds") or 0.0
        runs.setdefault(task, {}).setdefault(str(agent), {})[f"seed-{record.get('seed')}"] = {
            "status": record.get("status"),
            "cpu_seconds": record.get("cpu_seconds"),
            "wall_seconds": record.get("wall_seconds"),
        }
        if record.get("status") == "complete":
            cpu += float(seconds)
            for name, version in (record.get("versions") or {}).items():
                versions.setdefault(name, set()).add(str(version))
    manifest = {
        "command": "embodied-bench references",
        "suites": suites,
        "seeds": {agent: seeds_for(agent, seeds) for agent in sorted({a for _, a in plan(suites)})},
        "runs": {t: {a: dict(sorted(s.items(), key=lambda kv: int(kv[0].split("-")[1]))) for a, s in sorted(agents.items())} for t, agents in sorted(runs.items())},
        "complete_cpu_hours": round(cpu / 3600, 2),
        "versions": {name: sorted(v) for name, v in sorted(versions.items())},
        "git": provenance.git_revision(),
    }
    atomic_write_text(Path(root) / MANIFEST, json.dumps(manifest, indent=2, sort_keys=True) + "\n")
    return manifest
