"""Turns (agents, tasks, seeds) into jobs, deciding what an output folder already holds.

A finished result is never lost: without ``resume``, a folder that already holds records
for a planned run is refused; with it, complete runs are kept only when they were made
under the same task version, task code, budget and agent source (otherwise mixing them
would compare different things), and every other run is redone."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from pathlib import Path

from embodied_bench.api import TaskSpec
from embodied_bench.harness.isolation import Limits
from embodied_bench.harness.runner import HiddenLayouts, Job, evaluation_record
from embodied_bench.registry import resolve_agent
from embodied_bench.results import provenance
from embodied_bench.results.records import read_run_json, run_dir
from embodied_bench.video import VideoOptions


class PlanError(ValueError):
    """The output folder conflicts with the requested runs (one line for users)."""


def plan_jobs(
    agent_refs: list[str],
    agent_names: dict[str, str],
    specs: list[TaskSpec],
    seeds: Iterable[int],
    out: Path,
    budget_scale: float,
    resume: bool,
    eval_episodes: int | None = None,
    eval_salt: str | None = None,
    isolation: Limits | None = None,
    source_hashes: dict[str, str | None] | None = None,
    video: VideoOptions | None = None,
) -> tuple[list[Job], list[Job]]:
    """``(to_run, kept)``; raises PlanError on a conflict. ``eval_episodes`` evaluates on
    the first that many of each task's held-out layouts instead of all of them;
    ``eval_salt`` on the hidden layouts it selects instead of the public ones (the jobs
    carry those layouts' seeds and the salt's id, not the salt). ``isolation`` runs each
    agent in a process of its own; then no agent is imported here, and ``source_hashes``
    (agent reference -> hash of its source file) stands in for the classes when deciding
    whether a complete run may be kept. ``video``: record clips of evaluation episodes."""
    for parent in (Path(out), *Path(out).parents):
        if parent.exists():
            if not parent.is_dir():
                raise PlanError(f"--out {out}: {parent} is a file, not a folder")
            break
    if len(set(agent_names.values())) != len(agent_names):
        raise PlanError("two --agent values share a name and would write to the same folders; run them with separate --out folders")
    todo: list[Job] = []
    kept: list[Job] = []
    seeds = list(seeds)
    for spec in specs:
        scaled = spec.scaled(budget_scale)
        last = len(scaled.checkpoints()) - 1
        late = [c for c in (video.checkpoints if video is not None else ()) if c.isdigit() and int(c) > last]
        if late:
            raise PlanError(f"--video-checkpoints {','.join(late)}: task {spec.name} has checkpoints 0 to {last}")
        reduced = eval_episodes is not None and eval_episodes < spec.eval_episodes
        if eval_episodes is not None:
            if eval_episodes > spec.eval_episodes:
                raise PlanError(f"--eval-episodes {eval_episodes}: task {spec.id} has {spec.eval_episodes} held-out layouts; choose at most that many")
            scaled = dataclasses.replace(scaled, eval_episodes=eval_episodes)
        hidden = HiddenLayouts.from_salt(eval_salt, scaled.eval_episodes) if eval_salt is not None else None
        watched = _watched_dataset(spec)
        for ref in agent_refs:
            source = source_hashes[ref] if source_hashes is not None and ref in source_hashes else provenance.source_hash(resolve_agent(ref)[1])
            for seed in seeds:
                job = Job(agent=ref, spec=scaled, seed=seed, out=str(out), budget_scale=budget_scale, eval_reduced=reduced, hidden_layouts=hidden, isolation=isolation, video=video)
                folder = run_dir(out, spec.name, agent_names[ref], seed)
                if folder.exists() and not folder.is_dir():
                    raise PlanError(f"{folder} is a file, not a folder; choose another --out")
                record = read_run_json(folder)
                if record is None:
                    leftovers = [n for n in ("run.json", "curve.csv") if (folder / n).exists()]
                    if leftovers and not resume:
                        raise PlanError(f"{folder} holds {' and '.join(leftovers)} but no readable record; pass --resume to redo that run, or choose another --out")
                    todo.append(job)
                    continue
                if not resume:
                    raise PlanError(
                        f"{folder} already holds a run ({record.get('status')}); pass --resume to keep complete runs "
                        "and redo the rest, or choose another --out"
                    )
                if record.get("status") != "complete":
                    todo.append(job)
                    continue
                problem = _mismatch(record, scaled, source, hidden.salt_id if hidden else None, watched)
                if problem:
                    raise PlanError(f"{folder}: the complete run there was made with {problem}; --resume would mix them, so use another --out")
                kept.append(job)
    return todo, kept


def _watched_dataset(spec: TaskSpec) -> str | None:
    """The content hash of the dataset a watch variant shows (None for other tasks); a
    missing dataset, or one too short, stops the plan with the command that makes it."""
    if spec.protocol != "watch":
        return None
    from embodied_bench import datasets

    did = datasets.dataset_id(spec, spec.watch_dataset)
    try:
        made = datasets.describe(did)
    except datasets.DatasetMissing:
        raise PlanError(f"task {spec.name} watches dataset {did}, which is not here: make it with `embodied-bench datasets make --task {spec.plain_name}`") from None
    except datasets.DatasetError as exc:  # Minari is not installed
        raise PlanError(f"task {spec.name} watches dataset {did}: {exc}") from None
    if made.episodes < spec.watch_episodes:
        raise PlanError(f"task {spec.name} watches {spec.watch_episodes} episodes of dataset {did}, which holds {made.episodes}: remake it with `embodied-bench datasets make --task {spec.plain_name} --replace`")
    return made.sha256


def _mismatch(record: dict, spec: TaskSpec, source: str | None, salt_id: str | None, watched: str | None = None) -> str | None:
    task = record.get("task", {})
    made = record.get("evaluation") or evaluation_record(None)
    wanted = evaluation_record(salt_id)
    if made != wanted:
        def words(e: dict) -> str:
            return "public evaluation layouts" if e.get("layouts") == "public" else f"hidden evaluation layouts (salt {str(e.get('salt_id'))[:12]})"

        return f"{words(made)}, not {words(wanted)}"
    if task.get("version") != spec.version:
        return f"task version {task.get('version')}, not {spec.version}"
    if task.get("hash") != provenance.task_hash(spec):
        return "different task code or assets"
    budget = record.get("budget", {})
    if budget.get("amount") != spec.budget or budget.get("eval_every") != spec.eval_every:
        return f"budget {budget.get('amount')} (eval every {budget.get('eval_every')}), not {spec.budget} (eval every {spec.eval_every})"
    if budget.get("eval_episodes") != spec.eval_episodes:
        return f"{budget.get('eval_episodes')} evaluation layouts, not {spec.eval_episodes}"
    if source is not None and record.get("agent", {}).get("source_hash") != source:
        return "a different version of the agent's source file"
    if watched is not None and (record.get("watch") or {}).get("sha256") != watched:
        return f"another watch dataset (content hash {str((record.get('watch') or {}).get('sha256'))[:12]}, here {watched[:12]})"
    return None
