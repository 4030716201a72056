"""``embodied-bench regress``: rerun the reference baselines at their tasks' CI budgets and
compare them with the reference runs."""

from __future__ import annotations

import dataclasses
import shutil
import tempfile
import time
from pathlib import Path

import click

from embodied_bench.cli import main
from embodied_bench.cli.common import InputError, execute, resolve_agent_arg, table, usable_cores
from embodied_bench.regress.plan import CI_SUBSET, CI_SUBSET_OLD


@main.command("regress")
@click.option("--agents", default=None, metavar="A,B,...", help="Comma-separated baselines or module:Class / file.py:Class agents [default: everything the reference folder holds].")
@click.option("--ci-subset", is_flag=True, help=f"What the project's own CI reruns: the cheap, deterministic baselines {', '.join(CI_SUBSET)} on the newest version of each task, {', '.join(CI_SUBSET_OLD)} on older versions.")
@click.option("--tasks", default=None, metavar="T,U,...", help="Comma-separated tasks (a bare name is its newest version) [default: every task with reference runs].")
@click.option("--seeds", type=click.IntRange(min=1), default=None, metavar="N", help="Rerun only the first N reference seeds [default: all].")
@click.option("--jobs", type=click.IntRange(min=1), default=None, help="Runs in parallel [default: the cores this process may use].")
@click.option("--reference", type=click.Path(file_okay=False, path_type=Path), default=Path("leaderboard/baselines"), show_default=True, help="Folder of the reference runs.")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), default=None, help="Folder for the new runs [default: a new temporary folder].")
@click.option("--json", "json_path", type=click.Path(dir_okay=False, path_type=Path), default=None, help="Machine-readable result [default: OUT/regress.json].")
@click.option("--reps", type=click.IntRange(min=100), default=20_000, show_default=True, help="Bootstrap replicates of the statistical comparison.")
@click.option("--update", is_flag=True, help="Rerun the chosen baselines and make their runs the new references (nothing is compared).")
def regress_cmd(agents: str | None, ci_subset: bool, tasks: str | None, seeds: int | None, jobs: int | None, reference: Path, out: Path | None, json_path: Path | None, reps: int, update: bool) -> None:
    """Rerun the reference baselines at each task's CI budget with the reference seeds and
    compare them with the reference runs: exactly for deterministic baselines (same
    versions of what their numbers depend on), statistically otherwise. Prints a table,
    writes JSON; exit code 1 on any regression. Always on the public evaluation layouts
    (EMBODIED_BENCH_EVAL_SALT is ignored): the references were made on them."""
    from embodied_bench import regress as R
    from embodied_bench.executors.local import Interrupted, run_jobs
    from embodied_bench.harness.plan import PlanError, plan_jobs
    from embodied_bench.registry import TASKS, resolve_agent
    from embodied_bench.results.records import atomic_write_text, read_run_json, run_dir

    if ci_subset and agents is not None:
        raise InputError("--ci-subset chooses the agents; leave out --agents")
    try:
        manifest = R.read_manifest(reference)
    except ValueError as exc:
        raise InputError(str(exc)) from None
    made = manifest.get("made") if not update else None
    try:
        pairs = R.ci_pairs(tasks, made) if ci_subset else R.select_pairs(agents, tasks, made)
    except R.SelectionError as exc:
        raise InputError(str(exc)) from None
    for ref in {ref for _, _, ref in pairs if ":" in ref}:
        resolve_agent_arg(ref)
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
            budget = TASKS.get(task).ci_budget
            todo += plan_jobs(list(refs), refs, [TASKS.get(task).spec], run_seeds, out, budget.budget_scale, False, budget.eval_episodes)[0]
    except PlanError as exc:
        raise InputError(str(exc)) from None

    workers = jobs or usable_cores()
    click.echo(f"{len(todo)} runs of {len(pairs)} (baseline, task) pairs at the CI budget, {min(workers, len(todo))} at a time; new runs in {out}/", err=True)
    t0 = time.perf_counter()
    outcomes, interrupted = execute(todo, workers, run_jobs, Interrupted)
    wall = time.perf_counter() - t0
    if interrupted:
        click.echo("interrupted: nothing was compared" + (" and the references are unchanged" if update else ""), err=True)
        if update:
            shutil.rmtree(out, ignore_errors=True)
        raise SystemExit(130)
    failed = {(o.key.split("/")[0], o.key.split("/")[1]) for o in outcomes if o.status != "complete"}

    if update:
        R.update_references(reference, out, pairs, failed, run_seeds, wall)
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
    click.echo(table(["agent", "task", "reference", "now", "verdict"], [[v.agent, v.task, v.reference, v.now, v.label] for v in verdicts]))
    for v in verdicts:
        if v.detail:
            click.echo(f"{'  ' if v.passed else '✗ '}{v.agent} on {v.task}: {v.detail}")
    meta = {"reference": str(reference), "runs": str(out), "seeds": list(run_seeds), "wall_seconds": round(wall, 1), "ci_budgets": {t: dataclasses.asdict(TASKS.get(t).ci_budget) for t in task_sel}}
    target = json_path or out / "regress.json"
    atomic_write_text(target, R.verdicts_json(verdicts, meta))
    bad = sum(not v.passed for v in verdicts)
    click.echo(f"{len(verdicts) - bad} of {len(verdicts)} pass in {wall:.0f} s; result in {target}")
    if bad:
        raise SystemExit(1)
