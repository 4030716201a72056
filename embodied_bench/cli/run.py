"""``embodied-bench run``: agents on tasks for their budgets over several seeds."""

from __future__ import annotations

import math
import os
from pathlib import Path
from typing import Any

import click

from embodied_bench.cli import main
from embodied_bench.cli.common import InputError, execute, resolve_agent_arg, table, usable_cores
from embodied_bench.layouts import SALT_ENV
from embodied_bench.registry import RegistryError, resolve_tasks


@main.command("run")
@click.option("--agent", "agents", multiple=True, required=True, metavar="A", help="Registered name, module:Class or path/to/file.py:Class (repeatable).")
@click.option("--task", "tasks", multiple=True, metavar="T", help="Task: short name (its newest version), versioned name (treat-reach@v0) or gymnasium id (repeatable).")
@click.option("--suite", "suites", multiple=True, metavar="S", help="Run every task of this suite (repeatable).")
@click.option("--seeds", type=click.IntRange(min=1), default=3, show_default=True, help="Number of seeds per (agent, task).")
@click.option("--first-seed", type=click.IntRange(min=0), default=0, show_default=True, help="Seeds are FIRST-SEED .. FIRST-SEED+SEEDS-1.")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), required=True, help="Folder for the run records.")
@click.option("--budget-scale", type=click.FloatRange(min=0, min_open=True), default=1.0, show_default=True, help="Multiply each task's budget and evaluation interval (same number of checkpoints).")
@click.option("--eval-episodes", type=click.IntRange(min=1), default=None, metavar="N", help="Evaluate on the first N of each task's held-out layouts (faster, noisier: for smoke tests and CI, never for reported results) [default: all].")
@click.option("--jobs", type=click.IntRange(min=1), default=None, help="Runs in parallel in a local process pool [default: the cores this process may use]; with --executor ray and no --address, the CPUs of the local Ray instance.")
@click.option("--resume", is_flag=True, help="Keep complete runs found in --out and redo only the others.")
@click.option("--executor", type=click.Choice(["local", "ray"]), default="local", show_default=True, help="Where runs execute: a local process pool, or Ray (one Ray task per run).")
@click.option("--address", default=None, metavar="ADDR", help="--executor ray: the cluster to join ('auto' or host:port) [default: start a local Ray instance].")
@click.option("--isolate/--no-isolate", default=None, help="Run each agent in a process of its own that sees only what the contract gives it, under the limits below [default: on when EMBODIED_BENCH_EVAL_SALT is set (official runs), else off].")
@click.option("--timeout", "run_timeout", type=click.FloatRange(min=0, min_open=True), default=None, metavar="SECONDS", help="Isolated runs: wall-clock limit of one run [default: none].")
@click.option("--step-timeout", type=click.FloatRange(min=0, min_open=True), default=60.0, show_default=True, metavar="SECONDS", help="Isolated runs: time limit of one call into the agent (act, observe, ...).")
@click.option("--memory-limit", type=click.IntRange(min=64), default=None, metavar="MB", help="Isolated runs: address-space limit of the agent's process in MiB (Linux) [default: none].")
@click.option("--phases", default=None, metavar="CHANGE:START,...", help="Change each --task's world at these budget positions, unannounced (an adapt run; see `embodied-bench tasks --changes`), e.g. slippery@v0:50000,weak-jumps@v0:100000.")
@click.option("--record-video", is_flag=True, help="Record clips of evaluation episodes into each run's videos/ folder (MP4 and a poster frame; needs the video extra). Never changes a number.")
@click.option("--video-checkpoints", default="first,last", show_default=True, metavar="C,D,...", help="--record-video: at which checkpoints: first, last, all, or checkpoint numbers (0, 1, ...).")
@click.option("--video-episodes", type=click.IntRange(min=1), default=1, show_default=True, help="--record-video: the first N evaluation layouts at each chosen checkpoint.")
@click.option("--video-fps", type=click.IntRange(min=1, max=30), default=15, show_default=True, help="--record-video: frames per second of the clips (simulated time is kept).")
def run_cmd(agents: tuple[str, ...], tasks: tuple[str, ...], suites: tuple[str, ...], seeds: int, first_seed: int, out: Path, budget_scale: float, eval_episodes: int | None, jobs: int | None, resume: bool, executor: str, address: str | None, isolate: bool | None, run_timeout: float | None, step_timeout: float, memory_limit: int | None, phases: str | None, record_video: bool, video_checkpoints: str, video_episodes: int, video_fps: int) -> None:
    """Run agents on tasks for their budgets over several seeds; write one record per run
    to OUT/<task>@v<N>/<agent>/seed-<k>/ (curve.csv, run.json, and levels.csv for tasks with difficulty levels).

    With the environment variable EMBODIED_BENCH_EVAL_SALT set (a secret of 16 characters
    or more), every task is evaluated on hidden layouts derived from it instead of the
    public ones. The command takes the salt out of its environment before it loads any
    agent; the runs get only their layouts' seeds and record a hash of the salt."""
    from embodied_bench.executors.local import Interrupted, run_jobs
    from embodied_bench.harness.plan import PlanError, plan_jobs

    if not tasks and not suites:
        raise InputError("name at least one --task or --suite (see `embodied-bench tasks` and `embodied-bench suites`)")
    video = _video_options(record_video, video_checkpoints, video_episodes, video_fps)
    if not math.isfinite(budget_scale):
        raise InputError(f"--budget-scale must be a finite positive number, got {budget_scale}")
    if executor == "ray":
        from embodied_bench.executors.ray_cluster import INSTALL

        try:
            import ray  # noqa: F401
        except ImportError:
            raise InputError(INSTALL) from None
    elif address is not None:
        raise InputError("--address names a Ray cluster; add --executor ray")
    salt = _eval_salt()  # before any agent module is imported
    if isolate is None:
        isolate = salt is not None
    limits, sources = None, None
    if isolate:
        from embodied_bench.harness.isolation import Limits

        limits = Limits(run_seconds=run_timeout, call_seconds=step_timeout, memory_mb=memory_limit)
        found = {ref: _describe_isolated(ref) for ref in agents}
        names = {ref: d["name"] for ref, d in found.items()}
        sources = {ref: d["source_hash"] for ref, d in found.items()}
    else:
        if run_timeout is not None or memory_limit is not None:
            raise InputError("--timeout and --memory-limit apply to isolated runs; add --isolate")
        names = {ref: resolve_agent_arg(ref) for ref in agents}
    try:
        specs = resolve_tasks(tasks, suites)
        if phases is not None:
            if suites:
                raise InputError("--phases changes the world of the --task tasks; a suite's tasks keep their own protocols (run it without --phases)")
            from embodied_bench.registry import custom_adapt

            specs = [custom_adapt(spec.name, phases) for spec in specs]
    except RegistryError as exc:
        raise InputError(str(exc)) from None
    try:
        todo, kept = plan_jobs(list(agents), names, specs, range(first_seed, first_seed + seeds), out, budget_scale, resume, eval_episodes, salt, limits, sources, video)
    except PlanError as exc:
        raise InputError(str(exc)) from None
    if salt is not None:
        from embodied_bench.layouts import salt_id

        click.echo(f"evaluating on hidden layouts (salt id {salt_id(salt)[:12]}, from {SALT_ENV})", err=True)

    workers = jobs or usable_cores()
    if executor == "ray":
        from embodied_bench.executors import ray_cluster

        where = f"on the Ray cluster at {address}" if address else f"on a local Ray instance with {workers} CPUs"
        click.echo(f"{len(todo)} runs to do, {len(kept)} complete runs kept; {where}", err=True)
        try:
            outcomes, interrupted = execute(todo, workers, lambda js, _, ev: ray_cluster.run_jobs(js, ev, address, workers), Interrupted)
        except ray_cluster.ClusterUnreachable as exc:
            raise InputError(str(exc)) from None
    else:
        click.echo(f"{len(todo)} runs to do, {len(kept)} complete runs kept; {min(workers, max(1, len(todo)))} at a time", err=True)
        outcomes, interrupted = execute(todo, workers, run_jobs, Interrupted)
    _final_scores([*todo, *kept], names)
    _video_notes(todo, names)
    if video is not None and kept:
        click.echo(f"note: the {len(kept)} complete runs kept from before keep the clips they were made with (--resume does not redo a run to record it)", err=True)
    _summary(outcomes, kept, len(todo), out, interrupted)


def _video_options(record: bool, checkpoints: str, episodes: int, fps: int) -> Any:
    """The clips to record (None without --record-video); a missing video library stops
    the command before anything runs, with what to install."""
    from click.core import ParameterSource

    ctx = click.get_current_context()
    given = [f"--{n.replace('_', '-')}" for n in ("video_checkpoints", "video_episodes", "video_fps") if ctx.get_parameter_source(n) is not ParameterSource.DEFAULT]
    if not record:
        if given:
            raise InputError(f"{', '.join(given)} shape the clips of --record-video; add --record-video")
        return None
    from embodied_bench import video

    try:
        options = video.VideoOptions.parse(checkpoints, episodes, fps)
        video.require()
    except ValueError as exc:
        raise InputError(f"--video-checkpoints {checkpoints}: {exc}") from None
    except video.VideoUnavailable as exc:
        raise InputError(str(exc)) from None
    return options


def _describe_isolated(ref: str) -> dict[str, Any]:
    """What an agent to run isolated is, found without importing it here."""
    from embodied_bench.harness.isolation import describe

    try:
        found = describe(ref)
    except ValueError as exc:
        raise InputError(f"--agent {ref}: {exc}") from None
    if found["privileged"]:
        raise InputError(f"--agent {ref}: a privileged agent needs the simulator, so it cannot run isolated; use --no-isolate")
    return found


def _eval_salt() -> str | None:
    """The hidden-layout salt (None when unset or empty), taken out of the environment so
    that neither agent code nor worker processes can read it there."""
    from embodied_bench.layouts import check_salt

    salt = os.environ.pop(SALT_ENV, None) or None
    if salt is not None:
        try:
            check_salt(salt)
        except ValueError as exc:
            raise InputError(str(exc)) from None
    return salt


def _final_scores(jobs: list, names: dict[str, str]) -> None:
    """Final evaluation success of every complete run planned here, per task and agent: a
    first look only (n seeds, min and max); `report` gives intervals."""
    from embodied_bench.results import load_runs, run_dir

    folders = [run_dir(Path(j.out), j.spec.name, names[j.agent], j.seed) for j in jobs]
    frames = load_runs([f for f in folders if (f / "run.json").exists()])
    if frames.empty:
        return
    final = frames.sort_values("checkpoint").groupby(["task", "agent", "seed"]).tail(1)
    rows = []
    for (task, agent), group in final.groupby(["task", "agent"], sort=True):
        s = group["eval_success"]
        rows.append([task, agent, len(s), f"{s.mean():.3f}", f"{s.min():.3f}", f"{s.max():.3f}", f"{group['train_cost'].mean():.1f}"])
    click.echo(table(["task", "agent", "seeds", "final success (mean)", "min", "max", "training cost (mean)"], rows))


def _video_notes(jobs: list, names: dict[str, str]) -> None:
    """Why runs that were to record clips have none (each distinct reason once)."""
    from embodied_bench.results import run_dir
    from embodied_bench.results.records import read_run_json

    reasons: dict[str, list[str]] = {}
    for j in jobs:
        if j.video is None:
            continue
        record = read_run_json(run_dir(Path(j.out), j.spec.name, names[j.agent], j.seed)) or {}
        found = (record.get("video") or {}).get("error")
        if found:
            reasons.setdefault(found, []).append(str(record.get("status")))
    for reason, statuses in reasons.items():
        complete = statuses.count("complete")
        click.echo(f"warning: {reason} ({len(statuses)} runs without clips, {complete} of them complete)", err=True)


def _summary(outcomes: list, kept: list, planned: int, out: Path, interrupted: bool) -> None:
    counts: dict[str, int] = {}
    for o in outcomes:
        counts[o.status] = counts.get(o.status, 0) + 1
    not_started = planned - len(outcomes)
    # "kept" here means another process completed the run after this one planned it.
    parts = [f"{n} {'kept (another process made them after the plan)' if s == 'kept' else s}" for s, n in sorted(counts.items())]
    if kept:
        parts.append(f"{len(kept)} kept from before")
    if not_started:
        parts.append(f"{not_started} not started")
    click.echo(f"runs: {', '.join(parts) or 'nothing to do'}; records in {out}/")
    for o in outcomes:
        if o.status == "failed":
            click.echo(f"  failed {o.key}: {(o.error or '').splitlines()[0] if o.error else 'no error text'}")
    if interrupted:
        click.echo(f"interrupted: rerun the same command with --resume to finish the {planned - counts.get('complete', 0) - counts.get('kept', 0)} unfinished runs", err=True)
        raise SystemExit(130)
    if counts.get("failed"):
        raise SystemExit(1)
