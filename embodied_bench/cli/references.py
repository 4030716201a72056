"""``embodied-bench references``: the official references, every baseline of a suite's
tasks at the full protocol, run where ``embodied-bench run`` runs them (the local pool or
Ray) and resumable."""

from __future__ import annotations

from pathlib import Path

import click

from embodied_bench.cli import main
from embodied_bench.cli.common import InputError, execute, table, usable_cores
from embodied_bench.leaderboard.references import MANIFEST, OFFICIAL, SEEDS, SUITES_MADE


@main.command("references")
@click.option("--suite", "suites", multiple=True, metavar="S", help=f"Suites whose tasks get references (repeatable) [default: {', '.join(SUITES_MADE)}].")
@click.option("--agents", default=None, metavar="A,B,...", help="Only these baselines [default: every baseline each task names].")
@click.option("--tasks", default=None, metavar="T,U,...", help="Only these tasks of the suites (e.g. cat-climb-skill@v1) [default: all of them].")
@click.option("--seeds", type=click.IntRange(min=1), default=SEEDS, show_default=True, help="Seeds 0..N-1 per (task, baseline); a baseline that affords fewer says so (official_seeds).")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), default=Path("leaderboard/baselines") / OFFICIAL, show_default=True, help="Folder of the official references.")
@click.option("--jobs", type=click.IntRange(min=1), default=None, help="Runs in parallel [default: the cores this process may use].")
@click.option("--executor", type=click.Choice(["local", "ray"]), default="local", show_default=True, help="Where runs execute.")
@click.option("--address", default=None, metavar="ADDR", help="--executor ray: the cluster to join.")
@click.option("--resume/--no-resume", default=True, show_default=True, help="Keep the complete runs already in --out and do the rest.")
@click.option("--record-video/--no-record-video", default=True, show_default=True, help="Record seed 0's first evaluation episode at the first and last checkpoints (the clips the leaderboard shows; needs the video extra). Never changes a number.")
@click.option("--plan", "plan_only", is_flag=True, help="Print what would run and exit.")
def references_cmd(suites: tuple[str, ...], agents: str | None, tasks: str | None, seeds: int, out: Path, jobs: int | None, executor: str, address: str | None, resume: bool, record_video: bool, plan_only: bool) -> None:
    """Make (or finish) the official reference runs: every baseline that each task of the
    suites names, on seeds 0..N-1, at the full protocol, on the public held-out layouts.
    Prints progress with an estimate of the time left; rerunning resumes. Writes
    OUT/manifest.json (versions and CPU seconds of every run) as runs complete. Seed 0 of
    every pair records clips, so the board shows what each baseline did."""
    from embodied_bench.executors.local import Interrupted, run_jobs
    from embodied_bench.harness.plan import PlanError
    from embodied_bench.leaderboard import references as REF
    from embodied_bench.registry import AGENTS, SUITES, RegistryError

    suites = suites or REF.SUITES_MADE
    try:
        for suite in suites:
            SUITES.canonical(suite)
    except RegistryError as exc:
        raise InputError(str(exc)) from None
    chosen = None
    if agents is not None:
        chosen = [a.strip() for a in agents.split(",") if a.strip()]
        unknown = [a for a in chosen if a not in AGENTS]
        if not chosen or unknown:
            raise InputError(f"--agents: give registered baselines, e.g. --agents random,ppo (unknown: {', '.join(unknown) or 'none given'})")
    only = None
    if tasks is not None:
        from embodied_bench.registry import TASKS

        named = [t.strip() for t in tasks.split(",") if t.strip()]
        try:
            only = [TASKS.canonical(t) for t in named]
        except RegistryError as exc:
            raise InputError(f"--tasks: {exc}") from None
        if not only:
            raise InputError(f"--tasks: name tasks of {', '.join(suites)}, e.g. --tasks {SUITES.get(suites[0]).tasks[0]}")
    try:
        pairs = REF.plan(list(suites), chosen, only)
    except ValueError as exc:
        raise InputError(f"--tasks: {exc}") from None
    if not pairs:
        raise InputError(f"no baseline runs on the tasks of {', '.join(suites)}" + (f" among {agents}" if agents else "") + (f" on {tasks}" if tasks else ""))
    video = _clips(check=not plan_only) if record_video else None
    try:
        todo, kept = REF.plan_runs(pairs, seeds, out, resume, video)
    except PlanError as exc:
        raise InputError(str(exc)) from None
    bare = [j for j in kept if j.seed == 0 and video is not None and not REF.has_clips(out, j)]
    if bare:
        click.echo(f"note: {len(bare)} complete seed-0 runs kept from before have no clips (--resume does not redo a run to record it; remove its folder to)", err=True)
    click.echo(table(["task", "baseline", "seeds"], [[t, a, REF.seeds_for(a, seeds)] for t, a in pairs]), err=True)
    click.echo(f"{len(todo)} runs to do, {len(kept)} complete runs kept, in {out}/", err=True)
    costs = REF.cpu_costs(out, todo)
    hours, unknown = sum(costs.values()) / 3600, len(todo) - len(costs)
    if todo:
        more = f"; {unknown} runs of pairs with no complete run yet are not in it" if unknown else ""
        click.echo(f"about {hours:.1f} CPU hours to do, from the CPU time of the complete runs of each pair{more}", err=True)
    if plan_only:
        return

    def on_event(event: tuple, forward) -> None:
        forward(event)
        if event[0] == "done":  # a finished run is never lost, and the manifest says so
            REF.write_manifest(out, seeds)

    workers = jobs or usable_cores()
    if executor == "ray":
        from embodied_bench.executors import ray_cluster

        def run(js, w, ev):
            return ray_cluster.run_jobs(js, lambda e: on_event(e, ev), address, w)
    elif address is not None:
        raise InputError("--address names a Ray cluster; add --executor ray")
    else:

        def run(js, w, ev):
            return run_jobs(js, w, lambda e: on_event(e, ev))

    try:
        # The time left weighs each run by its pair's CPU time: a planner's run is not a random one's.
        outcomes, interrupted = execute(todo, workers, run, Interrupted, costs)
    except Exception as exc:  # a cluster that cannot be reached, say
        if type(exc).__name__ == "ClusterUnreachable":
            raise InputError(str(exc)) from None
        raise
    manifest = REF.write_manifest(out, seeds)
    failed = [o for o in outcomes if o.status == "failed"]
    for o in failed:
        click.echo(f"  failed {o.key}: {(o.error or 'no error text').splitlines()[0]}")
    late = sum(o.status == "kept" for o in outcomes)  # another process made them after the plan
    click.echo(f"{sum(o.status == 'complete' for o in outcomes)} runs made, {len(kept) + late} kept; {manifest['complete_cpu_hours']} CPU hours of complete runs in {out / MANIFEST}")
    if interrupted:
        click.echo("interrupted: rerun the same command to finish the rest", err=True)
        raise SystemExit(130)
    unstarted = len(todo) - len(outcomes)
    if unstarted:
        click.echo(f"{unstarted} runs did not start (the worker pool broke); rerun the same command to make them")
    if failed or unstarted:
        raise SystemExit(1)


def _clips(check: bool):
    """The clips seed 0 records; when ``check``, a missing video library stops the command
    before anything runs, with what to install."""
    from embodied_bench import video

    if check:
        try:
            video.require()
        except video.VideoUnavailable as exc:
            raise InputError(f"{exc} (or pass --no-record-video)") from None
    return video.VideoOptions(checkpoints=("first", "last"), episodes=1)
