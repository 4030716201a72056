"""The ``embodied-bench`` command.

Exit codes: 0 success; 1 a check found a problem (here: a run failed); 2 bad usage or bad
input, always one line naming what is wrong; 130 interrupted (finished runs are kept).
"""

from __future__ import annotations

import dataclasses
import inspect
import math
import os
import sys
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import click

import embodied_bench
from embodied_bench.api import contract_of, is_privileged, requirements_of
from embodied_bench.layouts import SALT_ENV
from embodied_bench.registry import (
    AGENTS,
    OFFICIAL_SUITES,
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
    """List the registered suites (frozen lists of tasks). Leaderboard submissions to an
    official suite must follow its full protocol."""
    click.echo(_table(["suite", "official", "tasks"], [[n, "yes" if n in OFFICIAL_SUITES else "no", ", ".join(SUITES.get(n))] for n in SUITES.names()]))


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
        requirements_of(cls)
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
@click.option("--eval-episodes", type=click.IntRange(min=1), default=None, metavar="N", help="Evaluate on the first N of each task's held-out layouts (faster, noisier: for smoke tests and CI, never for reported results) [default: all].")
@click.option("--jobs", type=click.IntRange(min=1), default=None, help="Runs in parallel in a local process pool [default: the cores this process may use]; with --executor ray and no --address, the CPUs of the local Ray instance.")
@click.option("--resume", is_flag=True, help="Keep complete runs found in --out and redo only the others.")
@click.option("--executor", type=click.Choice(["local", "ray"]), default="local", show_default=True, help="Where runs execute: a local process pool, or Ray (one Ray task per run).")
@click.option("--address", default=None, metavar="ADDR", help="--executor ray: the cluster to join ('auto' or host:port) [default: start a local Ray instance].")
@click.option("--isolate/--no-isolate", default=None, help="Run each agent in a process of its own that sees only what the contract gives it, under the limits below [default: on when EMBODIED_BENCH_EVAL_SALT is set (official runs), else off].")
@click.option("--timeout", "run_timeout", type=click.FloatRange(min=0, min_open=True), default=None, metavar="SECONDS", help="Isolated runs: wall-clock limit of one run [default: none].")
@click.option("--step-timeout", type=click.FloatRange(min=0, min_open=True), default=60.0, show_default=True, metavar="SECONDS", help="Isolated runs: time limit of one call into the agent (act, observe, ...).")
@click.option("--memory-limit", type=click.IntRange(min=64), default=None, metavar="MB", help="Isolated runs: address-space limit of the agent's process in MiB (Linux) [default: none].")
def run_cmd(agents: tuple[str, ...], tasks: tuple[str, ...], suites: tuple[str, ...], seeds: int, first_seed: int, out: Path, budget_scale: float, eval_episodes: int | None, jobs: int | None, resume: bool, executor: str, address: str | None, isolate: bool | None, run_timeout: float | None, step_timeout: float, memory_limit: int | None) -> None:
    """Run agents on tasks for their budgets over several seeds; write one record per run
    to OUT/<task>/<agent>/seed-<k>/ (curve.csv, run.json).

    With the environment variable EMBODIED_BENCH_EVAL_SALT set (a secret of 16 characters
    or more), every task is evaluated on hidden layouts derived from it instead of the
    public ones. The command takes the salt out of its environment before it loads any
    agent; the runs get only their layouts' seeds and record a hash of the salt."""
    from embodied_bench.executors.local import Interrupted, run_jobs
    from embodied_bench.harness.plan import PlanError, plan_jobs

    if not tasks and not suites:
        raise InputError("name at least one --task or --suite (see `embodied-bench tasks` and `embodied-bench suites`)")
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
        names = {ref: _resolve_agent_arg(ref) for ref in agents}
    try:
        specs = resolve_tasks(tasks, suites)
    except RegistryError as exc:
        raise InputError(str(exc)) from None
    try:
        todo, kept = plan_jobs(list(agents), names, specs, range(first_seed, first_seed + seeds), out, budget_scale, resume, eval_episodes, salt, limits, sources)
    except PlanError as exc:
        raise InputError(str(exc)) from None
    if salt is not None:
        from embodied_bench.layouts import salt_id

        click.echo(f"evaluating on hidden layouts (salt id {salt_id(salt)[:12]}, from {SALT_ENV})", err=True)

    workers = jobs or _usable_cores()
    if executor == "ray":
        from embodied_bench.executors import ray_cluster

        where = f"on the Ray cluster at {address}" if address else f"on a local Ray instance with {workers} CPUs"
        click.echo(f"{len(todo)} runs to do, {len(kept)} complete runs kept; {where}", err=True)
        try:
            outcomes, interrupted = _execute(todo, workers, lambda js, _, ev: ray_cluster.run_jobs(js, ev, address, workers), Interrupted)
        except ray_cluster.ClusterUnreachable as exc:
            raise InputError(str(exc)) from None
    else:
        click.echo(f"{len(todo)} runs to do, {len(kept)} complete runs kept; {min(workers, max(1, len(todo)))} at a time", err=True)
        outcomes, interrupted = _execute(todo, workers, run_jobs, Interrupted)
    _final_scores([*todo, *kept], names)
    _summary(outcomes, kept, len(todo), out, interrupted)


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


def _load_for_report(dirs: Iterable[Path]) -> tuple[Any, list[str], list[Path]]:
    """The complete runs below ``dirs`` as one frame, warnings about the runs left out,
    and the run folders used."""
    from embodied_bench.results import RecordError, load_runs
    from embodied_bench.results.load import run_statuses

    dirs = list(dirs)
    try:
        df = load_runs(dirs)
        statuses = run_statuses(dirs)
    except RecordError as exc:
        raise InputError(str(exc)) from None
    if df.empty:
        found = ", ".join(f"{n} {s}" for s, n in sorted(statuses.items())) or "no run records"
        raise InputError(f"no complete runs below {', '.join(map(str, dirs))} ({found}); point at the --out folder of `embodied-bench run`")
    left = {s: n for s, n in statuses.items() if s != "complete"}
    notes = [f"{sum(left.values())} runs left out because they are not complete ({', '.join(f'{n} {s}' for s, n in sorted(left.items()))})"] if left else []
    return df, notes, sorted({Path(d) for d in df["run_dir"]})


def _bar_progress(label: str) -> tuple[Any, Any]:
    state: dict[str, Any] = {"bar": None}

    def progress(advance: int, total: int) -> None:
        if state["bar"] is None:
            state["bar"] = click.progressbar(length=total, label=label, file=sys.stderr)
            state["bar"].__enter__()
        state["bar"].update(advance)

    def close() -> None:
        if state["bar"] is not None:
            state["bar"].__exit__(None, None, None)

    return progress, close


@main.command("report")
@click.argument("dirs", nargs=-1, required=True, type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), required=True, help="Folder for the report (created; files in it are replaced).")
@click.option("--reps", type=click.IntRange(min=100), default=50_000, show_default=True, help="Bootstrap replicates for aggregate intervals and probability of improvement.")
@click.option("--band-reps", type=click.IntRange(min=100), default=5_000, show_default=True, help="Bootstrap replicates for the bands in the figures.")
@click.option("--confidence", type=click.FloatRange(0.5, 1.0, min_open=False, max_open=True), default=0.95, show_default=True, help="Coverage of every interval.")
@click.option("--seed", type=click.IntRange(min=0), default=0, show_default=True, help="Bootstrap seed (same runs and seed: same intervals).")
@click.option("--per-run-lines", is_flag=True, help="Also draw every run as a thin line in the learning curves.")
@click.option("--no-svg", is_flag=True, help="Write the figures as PNG only.")
def report_cmd(dirs: tuple[Path, ...], out: Path, reps: int, band_reps: int, confidence: float, seed: int, per_run_lines: bool, no_svg: bool) -> None:
    """Metrics, intervals and figures for the complete runs below DIRS: per_run.csv,
    aggregates.csv, figures/ (PNG, SVG), report.md and a self-contained report.html."""
    from embodied_bench.metrics.tables import MixedRunsError
    from embodied_bench.report import ReportOptions, build_report
    from embodied_bench.results.load import provenance_table

    df, notes, run_dirs = _load_for_report(dirs)
    options = ReportOptions(reps=reps, band_reps=band_reps, confidence=confidence, seed=seed, per_run_lines=per_run_lines, formats=("png",) if no_svg else ("png", "svg"))
    suites = {name: tuple(SUITES.get(name)) for name in SUITES.names()}
    progress, close = _bar_progress("bootstrap")
    try:
        result = build_report(df, out, options, suites=suites, provenance=provenance_table(run_dirs), notes=notes, progress=progress)
    except MixedRunsError as exc:
        raise InputError(str(exc)) from None
    except OSError as exc:
        raise InputError(f"--out {out}: cannot write the report there ({exc.strerror or exc})") from None
    finally:
        close()
    for w in result.warnings:
        click.echo(f"warning: {w}", err=True)
    click.echo(f"report on {len(result.per_run)} runs written to {out}/: report.html, report.md, per_run.csv, aggregates.csv, figures/")


@main.command("compare")
@click.argument("a")
@click.argument("b")
@click.option("--runs", "runs", multiple=True, type=click.Path(exists=True, file_okay=False, path_type=Path), help="Folder of runs holding both agents: A and B are then agent names in it (repeatable).")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), default=None, help="Folder for the overlaid learning curves [default: compare-A-vs-B].")
@click.option("--reps", type=click.IntRange(min=100), default=50_000, show_default=True, help="Bootstrap replicates.")
@click.option("--confidence", type=click.FloatRange(0.5, 1.0, max_open=True), default=0.95, show_default=True, help="Coverage of the intervals.")
@click.option("--seed", type=click.IntRange(min=0), default=0, show_default=True, help="Bootstrap seed.")
def compare_cmd(a: str, b: str, runs: tuple[Path, ...], out: Path | None, reps: int, confidence: float, seed: int) -> None:
    """Is A more sample-efficient than B? A and B are two run folders (one agent each), or
    two agent names inside the folders given with --runs. Prints the probability of
    improvement and the difference in IQM of normalised AUC with their intervals, a
    verdict, and writes the overlaid learning curves."""
    import pandas as pd

    from embodied_bench.metrics import tables
    from embodied_bench.metrics.compare import compare_agents
    from embodied_bench.report import figures

    if runs:
        df, notes, _ = _load_for_report(runs)
        present = set(df["agent"])
        for name in (a, b):
            if name not in present:
                raise InputError(f"agent {name} has no complete runs in {', '.join(map(str, runs))} (found: {', '.join(sorted(present))})")
        name_a, name_b = a, b
        df = df[df["agent"].isin([a, b])]
    else:
        frames, notes = [], []
        for arg in (a, b):
            folder = Path(arg)
            if not folder.is_dir():
                raise InputError(f"{arg} is not a folder of runs; to compare two agents inside one folder, pass it with --runs")
        if Path(a).resolve() == Path(b).resolve():
            raise InputError(f"A and B are the same folder ({a}); name two different ones")
        for arg in (a, b):
            folder = Path(arg)
            part, n, _ = _load_for_report([folder])
            names = sorted(part["agent"].unique())
            if len(names) > 1:
                raise InputError(f"{arg} holds runs of several agents ({', '.join(names)}): name two of them and pass the folder with --runs")
            frames.append(part)
            notes += n
        overlap = set(frames[0]["run_dir"]) & set(frames[1]["run_dir"])
        if overlap:
            raise InputError(f"{a} and {b} share runs (e.g. {sorted(overlap)[0]}): name two folders that do not contain each other")
        name_a, name_b = frames[0]["agent"].iloc[0], frames[1]["agent"].iloc[0]
        if name_a == name_b:  # the same agent in two folders (e.g. before and after a change)
            name_a, name_b = f"{name_a} ({a})", f"{name_b} ({b})"
            frames[0] = frames[0].assign(agent=name_a)
            frames[1] = frames[1].assign(agent=name_b)
        df = pd.concat(frames, ignore_index=True)
    if name_a == name_b:
        raise InputError(f"A and B are the same agent ({name_a}); name two different ones")
    try:
        df, warnings = tables.check_runs(df)
        per_run = tables.per_run_table(df)
        result = compare_agents(per_run, name_a, name_b, reps=reps, confidence=confidence, seed=seed)
    except tables.MixedRunsError as exc:
        raise InputError(str(exc)) from None
    for w in [*notes, *warnings]:
        click.echo(f"warning: {w}", err=True)
    conf = f"{confidence:.0%}"
    click.echo(f"tasks: {', '.join(result.tasks)}")
    click.echo(
        _table(
            ["statistic", "estimate", f"{conf} CI"],
            [
                [f"P({name_a} > {name_b}) on normalised AUC", f"{result.p_auc:.3f}", f"[{result.p_auc_ci[0]:.3f}, {result.p_auc_ci[1]:.3f}]"],
                [f"IQM AUC({name_a}) - IQM AUC({name_b})", f"{result.iqm_auc_diff:+.3f}", f"[{result.iqm_auc_diff_ci[0]:+.3f}, {result.iqm_auc_diff_ci[1]:+.3f}]"],
                [f"P({name_a} > {name_b}) on final success", f"{result.p_final:.3f}", f"[{result.p_final_ci[0]:.3f}, {result.p_final_ci[1]:.3f}]"],
            ],
        )
    )
    click.echo(result.verdict())
    out = out or Path(f"compare-{_slug(name_a)}-vs-{_slug(name_b)}")
    sub = df[df["task"].isin(result.tasks)]
    bands = tables.curve_table(sub, reps=min(reps, 5_000), confidence=confidence, seed=seed)
    styles = figures.agent_styles(dict(sub.drop_duplicates("agent").set_index("agent")["privileged"].astype(bool)))
    try:
        paths = figures.save(figures.learning_curves(bands, styles, sub, title=f"{name_a} vs {name_b}"), out, "learning-curves")
    except OSError as exc:
        raise InputError(f"--out {out}: cannot write the figure there ({exc.strerror or exc})") from None
    click.echo(f"learning curves: {', '.join(str(p) for p in paths.values())}")


def _print_problems(problems: list[str]) -> None:
    for line in problems:
        click.echo(line)


@main.command("validate")
@click.argument("bundle", type=click.Path(file_okay=False, path_type=Path))
@click.option("--min-seeds", type=click.IntRange(min=1), default=None, metavar="N", help="Seeds each task needs [default: 10; official suites never accept fewer].")
def validate_cmd(bundle: Path, min_seeds: int | None) -> None:
    """Check a submission bundle (BUNDLE: the run records of one agent on one suite plus
    submission.json) the way a maintainer would. Lists every problem, one per line, and
    exits 1 if there is any."""
    from embodied_bench.leaderboard.bundle import UsageError, validate

    if not bundle.is_dir():
        raise InputError(f"{bundle}: no such folder; pass the --out folder of `embodied-bench run` holding submission.json")
    try:
        result = validate(bundle, min_seeds)
    except UsageError as exc:
        raise InputError(str(exc)) from None
    if result.problems:
        _print_problems(result.problems)
        click.echo(f"{bundle}: {len(result.problems)} problem{'s' if len(result.problems) != 1 else ''}; not a valid submission", err=True)
        raise SystemExit(1)
    tasks = sorted({r.task for r in result.runs})
    click.echo(f"{bundle}: a valid submission of {result.agent} on {result.meta.suite} ({len(result.runs)} runs on {len(tasks)} task{'s' if len(tasks) != 1 else ''}, {result.layouts} evaluation layouts)")


@main.command("submit")
@click.argument("bundle", type=click.Path(file_okay=False, path_type=Path))
@click.option("--name", required=True, help="Folder name of the submission in leaderboard/submissions/ (letters, digits, '.', '_', '-').")
@click.option("--root", type=click.Path(file_okay=False, path_type=Path), default=Path("leaderboard"), show_default=True, help="The leaderboard folder.")
@click.option("--replace", is_flag=True, help="Replace an existing submission of that name.")
@click.option("--min-seeds", type=click.IntRange(min=1), default=None, metavar="N", help="Seeds each task needs [default: 10; official suites never accept fewer].")
def submit_cmd(bundle: Path, name: str, root: Path, replace: bool, min_seeds: int | None) -> None:
    """Validate BUNDLE and add it to ROOT/submissions/NAME/. Writes nothing when the
    bundle has a problem; never overwrites a submission without --replace. Then run
    `embodied-bench leaderboard` to regenerate the pages."""
    from embodied_bench.leaderboard.bundle import UsageError
    from embodied_bench.leaderboard.submit import SubmitError, submit

    if not bundle.is_dir():
        raise InputError(f"{bundle}: no such folder; pass the --out folder of `embodied-bench run` holding submission.json")
    try:
        result, target = submit(bundle, name, root, replace=replace, min_seeds=min_seeds)
    except (SubmitError, UsageError) as exc:
        raise InputError(str(exc)) from None
    except OSError as exc:
        raise InputError(f"{root}: cannot write the submission there ({exc.strerror or exc})") from None
    if target is None:
        _print_problems(result.problems)
        click.echo(f"{bundle}: {len(result.problems)} problem{'s' if len(result.problems) != 1 else ''}; nothing was submitted", err=True)
        raise SystemExit(1)
    click.echo(f"submitted {result.agent} on {result.meta.suite} ({len(result.runs)} runs) to {target}/; now run `embodied-bench leaderboard --root {root}`")


@main.command("leaderboard")
@click.option("--root", type=click.Path(file_okay=False, path_type=Path), default=Path("leaderboard"), show_default=True, help="The leaderboard folder: reads submissions/ and baselines/, writes README.md and site/.")
@click.option("--reps", type=click.IntRange(min=100), default=50_000, show_default=True, help="Bootstrap replicates of the intervals and of the probability of improvement.")
@click.option("--check", is_flag=True, help="Write nothing; exit 1 when README.md or a page of site/ is not what the command would generate.")
def leaderboard_cmd(root: Path, reps: int, check: bool) -> None:
    """Regenerate ROOT/README.md (one ranked table per suite and protocol) and the static
    site ROOT/site/ (index and a page per entry) from ROOT/submissions/ and
    ROOT/baselines/ alone. The same inputs give byte-identical files."""
    import shutil
    import tempfile

    from embodied_bench.leaderboard.board import BoardError, build_tables, load_entries
    from embodied_bench.metrics.tables import MixedRunsError
    from embodied_bench.report.site import render
    from embodied_bench.results import RecordError

    if not root.is_dir():
        raise InputError(f"--root {root}: no such folder; run from the embodied-bench checkout or pass the leaderboard folder")
    try:
        entries = load_entries(root)
        tables = build_tables(entries, reps=reps)
    except (BoardError, RecordError, MixedRunsError) as exc:
        raise InputError(str(exc)) from None
    if not check:
        try:
            written = render(root, tables, entries)
        except OSError as exc:
            raise InputError(f"--root {root}: cannot write the leaderboard there ({exc.strerror or exc})") from None
        click.echo(f"leaderboard of {len(entries)} entries ({sum(e.kind == 'submission' for e in entries)} submissions) in {len(tables)} tables: {root / 'README.md'}, {root / 'site'}/ ({len(written) - 1} pages)")
        return
    scratch = Path(tempfile.mkdtemp(prefix="embodied-bench-leaderboard-"))
    try:
        written = render(scratch, tables, entries)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    stale = []
    for rel, text in sorted(written.items()):
        path = root / rel
        if not path.is_file() or path.read_text(encoding="utf-8") != text:
            stale.append(rel)
    site = root / "site"
    extra = sorted(str(p.relative_to(root)) for p in site.rglob("*.html") if str(p.relative_to(root)) not in written) if site.is_dir() else []
    for rel in stale:
        click.echo(f"{root / rel}: not what `embodied-bench leaderboard` generates from the inputs")
    for rel in extra:
        click.echo(f"{root / rel}: a page the inputs no longer produce")
    if stale or extra:
        click.echo(f"the leaderboard is out of date; run `embodied-bench leaderboard --root {root}` and commit the result", err=True)
        raise SystemExit(1)
    click.echo(f"the leaderboard in {root}/ is up to date ({len(written)} files checked)")


def _slug(name: str) -> str:
    return "".join(c if c.isalnum() or c in "-_." else "-" for c in name).strip("-") or "agent"


def _regress_pairs(agents: str | None, tasks: str | None, made: dict[str, dict[str, str]] | None) -> list[tuple[str, str, str]]:
    """``(task, agent name, agent ref)`` to rerun. Baselines run where they have references
    (``REFERENCE_AGENTS``); another agent (``module:Class``, ``file.py:Class``, or a name the
    reference folder's manifest lists) on every chosen task it has references for. Without
    ``--agents``: what the reference folder was made with (``made``), else every baseline."""
    from embodied_bench import regress as R

    def names(option: str, value: str | None) -> list[str] | None:
        if value is None:
            return None
        items = list(dict.fromkeys(v.strip() for v in value.split(",") if v.strip()))
        if not items:
            raise InputError(f"{option}: give comma-separated names, e.g. {option} random,scripted")
        return items

    task_sel = names("--tasks", tasks) or list(R.CI_BUDGETS)
    unknown = [t for t in task_sel if t not in R.CI_BUDGETS]
    if unknown:
        raise InputError(f"--tasks: no CI budget for task {', '.join(unknown)} (tasks with one: {', '.join(R.CI_BUDGETS)})")
    baselines = {a for listed in R.REFERENCE_AGENTS.values() for a in listed}
    made = made or {}
    known = {name: ref for listed in made.values() for name, ref in listed.items()}
    pairs: list[tuple[str, str, str]] = []
    chosen = names("--agents", agents)
    if chosen is None:
        source = made or {t: {a: a for a in listed} for t, listed in R.REFERENCE_AGENTS.items()}
        pairs = [(t, name, ref) for t in task_sel for name, ref in source.get(t, {}).items()]
    for item in chosen or []:
        if item in baselines and item not in known:
            pairs += [(t, item, item) for t in task_sel if item in R.REFERENCE_AGENTS[t]]
        elif item in known:
            pairs += [(t, item, made[t][item]) for t in task_sel if item in made.get(t, {})]
        elif ":" in item:
            name = _resolve_agent_arg(item)
            pairs += [(t, name, item) for t in task_sel]
        else:
            raise InputError(f"--agents: {item} is neither a baseline with references ({', '.join(sorted(baselines))}) nor module:Class or path/to/file.py:Class")
    if not pairs:
        raise InputError(f"no reference runs for agents {agents or 'any'} on tasks {','.join(task_sel)} (see `embodied-bench regress --help`)")
    return sorted(set(pairs), key=lambda p: (task_sel.index(p[0]), p[1]))


@main.command("regress")
@click.option("--agents", default=None, metavar="A,B,...", help="Comma-separated baselines [default: every baseline with reference runs].")
@click.option("--tasks", default=None, metavar="T,U,...", help="Comma-separated tasks [default: every task with reference runs].")
@click.option("--seeds", type=click.IntRange(min=1), default=None, metavar="N", help="Rerun only the first N reference seeds [default: all].")
@click.option("--jobs", type=click.IntRange(min=1), default=None, help="Runs in parallel [default: the cores this process may use].")
@click.option("--reference", type=click.Path(file_okay=False, path_type=Path), default=Path("leaderboard/baselines"), show_default=True, help="Folder of the reference runs.")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), default=None, help="Folder for the new runs [default: a new temporary folder].")
@click.option("--json", "json_path", type=click.Path(dir_okay=False, path_type=Path), default=None, help="Machine-readable result [default: OUT/regress.json].")
@click.option("--reps", type=click.IntRange(min=100), default=20_000, show_default=True, help="Bootstrap replicates of the statistical comparison.")
@click.option("--update", is_flag=True, help="Rerun the chosen baselines and make their runs the new references (nothing is compared).")
def regress_cmd(agents: str | None, tasks: str | None, seeds: int | None, jobs: int | None, reference: Path, out: Path | None, json_path: Path | None, reps: int, update: bool) -> None:
    """Rerun the reference baselines at the CI budget with the reference seeds and compare
    them with the reference runs: exactly for deterministic baselines (same library
    versions), statistically otherwise. Prints a table, writes JSON; exit code 1 on any
    regression. Always on the public evaluation layouts (EMBODIED_BENCH_EVAL_SALT is
    ignored): the references were made on them."""
    import shutil
    import tempfile

    from embodied_bench import regress as R
    from embodied_bench.executors.local import Interrupted, run_jobs
    from embodied_bench.harness.plan import PlanError, plan_jobs
    from embodied_bench.results.records import atomic_write_text, read_run_json, run_dir

    try:
        manifest = R.read_manifest(reference)
    except ValueError as exc:
        raise InputError(str(exc)) from None
    pairs = _regress_pairs(agents, tasks, manifest.get("made") if not update else None)
    task_sel = list(dict.fromkeys(t for t, _, _ in pairs))
    # Compare on the seeds the references were made with; update with the standard ones.
    all_seeds = R.REFERENCE_SEEDS if update else tuple(manifest.get("seeds") or R.REFERENCE_SEEDS)
    run_seeds = all_seeds[: seeds or len(all_seeds)]
    if not update and not reference.is_dir():
        raise InputError(f"--reference {reference}: no such folder; run from the embodied-bench checkout, or pass the folder of the reference runs")
    if not update:
        # A reference that cannot be compared is refused before anything runs.
        for task, agent, _ in pairs:
            for seed in run_seeds:
                folder = run_dir(reference, task, agent, seed)
                if (folder / "run.json").is_file():
                    try:
                        R.check_reference(folder / "run.json", read_run_json(folder))
                    except R.ReferenceRecordError as exc:
                        raise InputError(str(exc)) from None

    if update:
        if out is not None:
            raise InputError("--update writes into --reference; leave out --out")
        reference.mkdir(parents=True, exist_ok=True)
        out = Path(tempfile.mkdtemp(prefix=".staging-", dir=reference))
    elif out is None:
        out = Path(tempfile.mkdtemp(prefix="embodied-bench-regress-"))
    todo = []
    try:
        for task in task_sel:
            refs = {ref: name for t, name, ref in pairs if t == task}
            budget = R.CI_BUDGETS[task]
            spec = resolve_tasks((task,), ())
            todo += plan_jobs(list(refs), refs, spec, run_seeds, out, budget.budget_scale, False, budget.eval_episodes)[0]
    except PlanError as exc:
        raise InputError(str(exc)) from None

    workers = jobs or _usable_cores()
    click.echo(f"{len(todo)} runs of {len(pairs)} (baseline, task) pairs at the CI budget, {min(workers, len(todo))} at a time; new runs in {out}/", err=True)
    t0 = time.perf_counter()
    outcomes, interrupted = _execute(todo, workers, run_jobs, Interrupted)
    wall = time.perf_counter() - t0
    if interrupted:
        click.echo("interrupted: nothing was compared" + (" and the references are unchanged" if update else ""), err=True)
        if update:
            shutil.rmtree(out, ignore_errors=True)
        raise SystemExit(130)
    failed = {(o.key.split("/")[0], o.key.split("/")[1]) for o in outcomes if o.status != "complete"}

    if update:
        _update_references(reference, out, pairs, failed, run_seeds, wall)
        shutil.rmtree(out, ignore_errors=True)
        for o in outcomes:
            if o.status != "complete":
                click.echo(f"  failed {o.key}: {(o.error or 'no error text').splitlines()[0]}")
        click.echo(f"references updated for {len(pairs) - len(failed)} of {len(pairs)} pairs in {wall:.0f} s; in {reference}/")
        if failed:
            raise SystemExit(1)
        return

    verdicts = []
    for task, agent, ref in pairs:
        ref_dirs = {s: run_dir(reference, task, agent, s) for s in run_seeds if (run_dir(reference, task, agent, s) / "run.json").is_file()}
        new_dirs = {s: run_dir(out, task, agent, s) for s in run_seeds}
        deterministic = bool(getattr(resolve_agent(ref)[1], "deterministic", False))
        verdicts.append(R.compare(agent, task, deterministic, ref_dirs, new_dirs, reps=reps))
    click.echo(_table(["agent", "task", "reference", "now", "verdict"], [[v.agent, v.task, v.reference, v.now, v.label] for v in verdicts]))
    for v in verdicts:
        if v.detail:
            click.echo(f"{'  ' if v.passed else '✗ '}{v.agent} on {v.task}: {v.detail}")
    meta = {"reference": str(reference), "runs": str(out), "seeds": list(run_seeds), "wall_seconds": round(wall, 1), "ci_budgets": {t: dataclasses.asdict(R.CI_BUDGETS[t]) for t in task_sel}}
    target = json_path or out / "regress.json"
    atomic_write_text(target, R.verdicts_json(verdicts, meta))
    bad = sum(not v.passed for v in verdicts)
    click.echo(f"{len(verdicts) - bad} of {len(verdicts)} pass in {wall:.0f} s; result in {target}")
    if bad:
        raise SystemExit(1)


def _update_references(reference: Path, staged: Path, pairs: list[tuple[str, str, str]], failed: set[tuple[str, str]], seeds: tuple[int, ...], wall: float) -> None:
    """Swap each (task, agent) folder whose runs all completed into ``reference`` (rename
    the old one aside first, so a crash leaves either the old or the new runs), and
    record what was made, how, and how long it took in ``reference/manifest.json``."""
    import json
    import shutil

    from embodied_bench import regress as R
    from embodied_bench.results import provenance
    from embodied_bench.results.records import atomic_write_text, read_run_json

    manifest = R.read_manifest(reference)
    timings = manifest.get("run_seconds", {})
    made = manifest.get("made", {})
    for task, agent, ref in pairs:
        if (task, agent) in failed:
            continue
        made.setdefault(task, {})[agent] = ref
        new = staged / task / agent
        old = reference / task / agent
        old.parent.mkdir(parents=True, exist_ok=True)
        aside = old.with_name(f".{agent}.old")
        shutil.rmtree(aside, ignore_errors=True)
        if old.exists():
            old.rename(aside)
        new.rename(old)
        shutil.rmtree(aside, ignore_errors=True)
        times = [(read_run_json(old / f"seed-{s}") or {}).get("wall_seconds") or 0.0 for s in seeds]
        timings[f"{task}/{agent}"] = round(sum(times) / len(times), 1)
    manifest.update(
        {
            "command": "embodied-bench regress --update",
            "seeds": list(seeds),
            "ci_budgets": {t: dataclasses.asdict(b) for t, b in R.CI_BUDGETS.items()},
            "made": {t: dict(sorted(a.items())) for t, a in sorted(made.items())},
            "run_seconds": dict(sorted(timings.items())),
            "last_update": {"pairs": [f"{t}/{a}" for t, a, _ in pairs if (t, a) not in failed], "wall_seconds": round(wall, 1), "versions": provenance.versions(), "git": provenance.git_revision()},
        }
    )
    atomic_write_text(reference / R.MANIFEST, json.dumps(manifest, indent=2, sort_keys=True) + "\n")
