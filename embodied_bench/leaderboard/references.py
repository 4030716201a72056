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
SUITES_MADE = ("ett-core-v1", "ett-warmup-v1", "ett-core-v3")
"""The suites whose tasks get official references unless told otherwise."""
SEEDS = 10
"""Seeds of every official reference, but where a baseline says it affords fewer
(``official_seeds`` on its class, marked on the board)."""


def seeds_for(agent: str, seeds: int = SEEDS) -> int:
    """How many seeds ``agent``'s official references get: ``seeds``, or fewer where its
    class says it affords no more (``official_seeds``)."""
    return min(seeds, int(getattr(AGENTS.get(agent), "official_seeds", seeds)))


def plan(suites: list[str], agents: list[str] | None = None, tasks: list[str] | None = None) -> list[tuple[str, str]]:
    """``(task, baseline)`` pairs: every baseline each task of the suites names (or only
    ``agents``; only on ``tasks``, versioned names), in suite and task order. ValueError
    for a task of ``tasks`` that none of the suites holds."""
    outside = [t for t in tasks or () if not any(t in SUITES.get(s).tasks for s in suites)]
    if outside:
        raise ValueError(f"not tasks of {', '.join(suites)}: {', '.join(outside)}")
    pairs: list[tuple[str, str]] = []
    for suite in suites:
        for task in SUITES.get(suite).tasks:
            if tasks is not None and task not in tasks:
                continue
            for agent in TASKS.get(task).baselines:
                if (agents is None or agent in agents) and (task, agent) not in pairs:
                    pairs.append((task, agent))
    return pairs


def plan_runs(pairs: list[tuple[str, str]], seeds: int, out: Path, resume: bool, video: Any = None) -> tuple[list, list]:
    """``(to_run, kept)`` jobs of the pairs at the full protocol on their reference seeds
    (``seeds_for``); ``video`` (``VideoOptions``) is recorded on seed 0 only. Raises
    ``PlanError`` where ``out`` holds runs that ``resume`` may not keep."""
    from embodied_bench.harness.plan import plan_jobs

    todo: list = []
    kept: list = []
    for task, agent in pairs:
        spec = TASKS.get(task).spec
        # One clip pair per (task, baseline) is what the board shows; every seed's would
        # only add evaluation time and repository size.
        for seed_range, clips in ((range(1), video), (range(1, seeds_for(agent, seeds)), None)):
            t, k = plan_jobs([agent], {agent: agent}, [spec], seed_range, out, 1.0, resume, video=clips)
            todo += t
            kept += k
    return todo, kept


def has_clips(root: Path, job: Any) -> bool:
    """Whether the complete run of ``job`` in ``root`` recorded clips."""
    from embodied_bench.registry import agent_name
    from embodied_bench.results.records import run_dir

    record = read_run_json(run_dir(root, job.spec.name, agent_name(job.agent), job.seed)) or {}
    return bool((record.get("video") or {}).get("clips"))


def cpu_costs(root: Path, todo: list) -> dict[str, float]:
    """Estimated CPU seconds of each job of ``todo`` whose (task, baseline) pair has complete
    runs in ``root`` (the mean of theirs), by the job's key (``task/agent/seed-N``, as its
    outcome names it); jobs of pairs with none are left out."""
    from embodied_bench.leaderboard.ladder import run_cpu_seconds
    from embodied_bench.registry import agent_name

    cpu = run_cpu_seconds(find_run_dirs([root]) if Path(root).is_dir() else [])
    means = cpu[cpu["status"] == "complete"].groupby(["task", "agent"])["cpu_seconds"].mean().dropna().to_dict()
    costs: dict[str, float] = {}
    for job in todo:
        name = agent_name(job.agent)
        if (job.spec.name, name) in means:
            costs[f"{job.spec.name}/{name}/seed-{job.seed}"] = float(means[(job.spec.name, name)])
    return costs


def write_manifest(root: Path, seeds: int) -> dict[str, Any]:
    """``root/manifest.json`` from the records below ``root``: every complete run's CPU and
    wall seconds, by task and agent, the total CPU hours, and the versions the runs were
    made with; the suites with a task that has runs there and the reference seeds of each
    agent that has (``seeds_for``). All of it comes from the folder, never from the one
    command that wrote it last: references are made suite by suite, and the manifest
    describes them all. Runs not (yet) complete are left out: the manifest describes the
    references, and an unfinished run is redone by the next ``references``. A record
    without CPU seconds adds nothing to the total (never its wall seconds: CPU time is
    what the README's cost paragraphs sum too) and is counted in
    ``runs_without_cpu_seconds``."""
    runs: dict[str, dict[str, dict[str, Any]]] = {}
    versions: dict[str, set] = {}
    cpu, unmeasured = 0.0, 0
    for folder in find_run_dirs([root]) if Path(root).is_dir() else []:
        record = read_run_json(folder) or {}
        if record.get("status") != "complete":
            continue
        task = f"{record.get('task', {}).get('id')}@v{record.get('task', {}).get('version')}"
        agent = (record.get("agent") or {}).get("name")
        runs.setdefault(task, {}).setdefault(str(agent), {})[f"seed-{record.get('seed')}"] = {
            "status": record.get("status"),
            "cpu_seconds": record.get("cpu_seconds"),
            "wall_seconds": record.get("wall_seconds"),
        }
        if record.get("cpu_seconds") is None:
            unmeasured += 1
        else:
            cpu += float(record["cpu_seconds"])
        for name, version in (record.get("versions") or {}).items():
            versions.setdefault(name, set()).add(str(version))
    manifest = {
        "command": "embodied-bench references",
        "suites": sorted(s for s in SUITES if any(t in runs for t in SUITES.get(s).tasks)),
        "seeds": {agent: seeds_for(agent, seeds) for agent in sorted({a for agents in runs.values() for a in agents})},
        "runs": {t: {a: dict(sorted(s.items(), key=lambda kv: int(kv[0].split("-")[1]))) for a, s in sorted(agents.items())} for t, agents in sorted(runs.items())},
        "complete_cpu_hours": round(cpu / 3600, 2),
        "runs_without_cpu_seconds": unmeasured,
        "versions": {name: sorted(v) for name, v in sorted(versions.items())},
        "git": provenance.git_revision(),
    }
    atomic_write_text(Path(root) / MANIFEST, json.dumps(manifest, indent=2, sort_keys=True) + "\n")
    return manifest
