"""The ``embodied-bench`` command.

Exit codes: 0 success; 1 a check found a problem (here: a run failed); 2 bad usage or bad
input, always one line naming what is wrong; 130 interrupted (finished runs are kept).
"""

from __future__ import annotations

import inspect
import math
import os
import sys
import time
from pathlib import Path
from typing import Any, Iterable

import click

import embodied_bench
from embodied_bench.api import contract_of, is_privileged
from embodied_bench.registry import (
    AGENTS,
    SUITES,
    TASKS,
    RegistryError,
    resolve_agent,
    resolve_tasks,
)


class InputError(click.ClickException):
    """Bad usage or input: one line, exit code 2."""

    exit_code = 2


def _table(headers: list[str], rows: Iterable[list[Any]]) -> str:
    rows = [[str(c) for c in r] for r in rows]
    widths = [max(len(h), *(len(r[i]) for r in rows)) if rows else len(h) for i, h in enumerate(headers)]
    lines = ["  ".join(h.ljust(w) for h, w in zip(headers, widths)).rstrip()]
    lines.append("  ".join("-" * w for w in widths))
    lines += ["  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip() for r in rows]
    return "\n".join(lines)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(embodied_bench.__version__, prog_name="embodied-bench")
def main() -> None:
    """embodied-bench: animal-inspired physical tasks, sample-efficiency metrics and a
    leaderboard harness for the embodied Turing test."""


@main.command("tasks")
def tasks_cmd() -> None:
    """List the registered tasks and their protocols."""
    rows = []
    for name in TASKS.names():
        s = TASKS.get(name)
        rows.append([s.id, s.gym_id, f"{s.budget:,} {s.budget_unit}", f"{s.eval_every:,}", s.eval_episodes, s.threshold, s.description])
    click.echo(_table(["task", "gymnasium id", "budget", "eval every", "eval episodes", "threshold", "description"], rows))


@main.command("suites")
def suites_cmd() -> None:
    """List the registered suites (frozen lists of tasks)."""
    click.echo(_table(["suite", "tasks"], [[n, ", ".join(SUITES.get(n))] for n in SUITES.names()]))


@main.command("agents")
def agents_cmd() -> None:
    """List the registered agents."""
    rows = []
    for name in AGENTS.names():
        cls = AGENTS.get(name)
        doc = (inspect.getdoc(cls) or "").splitlines()
        rows.append([name, contract_of(cls), "yes" if is_privileged(cls) else "no", doc[0] if doc else ""])
    click.echo(_table(["agent", "contract", "privileged", "description"], rows))


def _resolve_agent_arg(ref: str) -> str:
    try:
        name, cls = resolve_agent(ref)
        contract_of(cls)
    except RegistryError as exc:
        raise InputError(f"--agent {ref}: {exc}") from None
    except TypeError as exc:
        raise InputError(f"--agent {ref}: {exc}") from None
    except (Exception, SystemExit) as exc:  # the user's module raised (or exited) while importing
        raise InputError(f"--agent {ref}: importing it raised {type(exc).__name__}: {exc}") from None
    return name


@main.command("run")
@click.option("--agent", "agents", multiple=True, required=True, metavar="A", help="Registered name, module:Class or path/to/file.py:Class (repeatable).")
@click.option("--task", "tasks", multiple=True, metavar="T", help="Task short name or gymnasium id (repeatable).")
@click.option("--suite", "suites", multiple=True, metavar="S", help="Run every task of this suite (repeatable).")
@click.option("--seeds", type=click.IntRange(min=1), default=3, show_default=True, help="Number of seeds per (agent, task).")
@click.option("--first-seed", type=click.IntRange(min=0), default=0, show_default=True, help="Seeds are FIRST-SEED .. FIRST-SEED+SEEDS-1.")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), required=True, help="Folder for the run records.")
@click.option("--budget-scale", type=click.FloatRange(min=0, min_open=True), default=1.0, show_default=True, help="Multiply each task's budget and evaluation interval (same number of checkpoints).")
@click.option("--jobs", type=click.IntRange(min=1), default=None, help="Runs in parallel in a local process pool [default: the cores this process may use].")
@click.option("--resume", is_flag=True, help="Keep complete runs found in --out and redo only the others.")
def run_cmd(agents: tuple[str, ...], tasks: tuple[str, ...], suites: tuple[str, ...], seeds: int, first_seed: int, out: Path, budget_scale: float, jobs: int | None, resume: bool) -> None:
    """Run agents on tasks for their budgets over several seeds; write one record per run
    to OUT/<task>/<agent>/seed-<k>/ (curve.csv, run.json)."""
    from embodied_bench.executors.local import Interrupted, run_jobs
    from embodied_bench.harness.plan import PlanError, plan_jobs

    if not tasks and not suites:
        raise InputError("name at least one --task or --suite (see `embodied-bench tasks` and `embodied-bench suites`)")
    if not math.isfinite(budget_scale):
        raise InputError(f"--budget-scale must be a finite positive number, got {budget_scale}")
    names = {ref: _resolve_agent_arg(ref) for ref in agents}
    try:
        specs = resolve_tasks(tasks, suites)
    except RegistryError as exc:
        raise InputError(str(exc)) from None
    try:
        todo, kept = plan_jobs(list(agents), names, specs, range(first_seed, first_seed + seeds), out, budget_scale, resume)
    except PlanError as exc:
        raise InputError(str(exc)) from None

    workers = jobs or _usable_cores()
    click.echo(f"{len(todo)} runs to do, {len(kept)} complete runs kept; {min(workers, max(1, len(todo)))} at a time", err=True)
    outcomes, interrupted = _execute(todo, workers, run_jobs, Interrupted)
    _final_scores([*todo, *kept], names)
    _summary(outcomes, kept, len(todo), out, interrupted)


def _usable_cores() -> int:
    # The cores this process may run on (Slurm, cgroups and taskset limit them), not the machine's.
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def _execute(todo: list, workers: int, run_jobs: Any, Interrupted: type) -> tuple[list, bool]:
    if not todo:
        return [], False
    state = {"steps": 0, "done": 0, "failed": 0}
    t0 = time.perf_counter()

    def show(_: Any) -> str:
        rate = state["steps"] / max(time.perf_counter() - t0, 1e-9)
        return f"{rate:,.0f} train steps/s, {state['failed']} failed"

    with click.progressbar(length=len(todo), label="runs", item_show_func=show, file=sys.stderr) as bar:

        def on_event(event: tuple) -> None:
            if event[0] == "steps":
                state["steps"] += event[2]
                bar.update(0, None)
            elif event[0] == "done":
                state["failed"] += event[1].status == "failed"
                bar.update(1, None)

        try:
            return run_jobs(todo, workers, on_event), False
        except Interrupted as exc:
            return exc.outcomes, True


def _final_scores(jobs: list, names: dict[str, str]) -> None:
    """Final evaluation success of every complete run planned here, per task and agent: a
    first look only (n seeds, min and max); `report` gives intervals."""
    from embodied_bench.results import load_runs, run_dir

    folders = [run_dir(Path(j.out), j.spec.id, names[j.agent], j.seed) for j in jobs]
    frames = load_runs([f for f in folders if (f / "run.json").exists()])
    if frames.empty:
        return
    final = frames.sort_values("checkpoint").groupby(["task", "agent", "seed"]).tail(1)
    rows = []
    for (task, agent), group in final.groupby(["task", "agent"], sort=True):
        s = group["eval_success"]
        rows.append([task, agent, len(s), f"{s.mean():.3f}", f"{s.min():.3f}", f"{s.max():.3f}", f"{group['train_cost'].mean():.1f}"])
    click.echo(_table(["task", "agent", "seeds", "final success (mean)", "min", "max", "training cost (mean)"], rows))


def _summary(outcomes: list, kept: list, planned: int, out: Path, interrupted: bool) -> None:
    counts: dict[str, int] = {}
    for o in outcomes:
        counts[o.status] = counts.get(o.status, 0) + 1
    not_started = planned - len(outcomes)
    parts = [f"{n} {s}" for s, n in sorted(counts.items())]
    if kept:
        parts.append(f"{len(kept)} kept from before")
    if not_started:
        parts.append(f"{not_started} not started")
    click.echo(f"runs: {', '.join(parts) or 'nothing to do'}; records in {out}/")
    for o in outcomes:
        if o.status == "failed":
            click.echo(f"  failed {o.key}: {(o.error or '').splitlines()[0] if o.error else 'no error text'}")
    if interrupted:
        click.echo(f"interrupted: rerun the same command with --resume to finish the {planned - counts.get('complete', 0)} unfinished runs", err=True)
        raise SystemExit(130)
    if counts.get("failed"):
        raise SystemExit(1)
