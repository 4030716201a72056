"""``embodied-bench report`` and ``embodied-bench compare``: metrics, intervals and
figures over finished runs."""

from __future__ import annotations

from pathlib import Path

import click

from embodied_bench.cli import main
from embodied_bench.cli.common import InputError, bar_progress, table
from embodied_bench.registry import SUITES


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
    from embodied_bench.results.load import RecordError, load_adapt_runs, load_clips, load_complete, load_levels, provenance_table

    try:
        df, notes, run_dirs = load_complete(dirs)
    except RecordError as exc:
        raise InputError(str(exc)) from None
    clips, clip_notes = load_clips(run_dirs)
    try:
        adapt = load_adapt_runs(run_dirs)
    except RecordError as exc:
        raise InputError(str(exc)) from None
    notes = [*notes, *clip_notes]
    options = ReportOptions(reps=reps, band_reps=band_reps, confidence=confidence, seed=seed, per_run_lines=per_run_lines, formats=("png",) if no_svg else ("png", "svg"))
    suites = {name: SUITES.get(name).tasks for name in SUITES.names()}
    progress, close = bar_progress("bootstrap")
    try:
        result = build_report(df, out, options, suites=suites, provenance=provenance_table(run_dirs), notes=notes, progress=progress, levels=load_levels(run_dirs), clips=clips, adapt=adapt)
    except (MixedRunsError, RecordError) as exc:
        raise InputError(str(exc)) from None
    except OSError as exc:
        raise InputError(f"--out {out}: cannot write the report there ({exc.strerror or exc})") from None
    finally:
        close()
    for w in result.warnings:
        click.echo(f"warning: {w}", err=True)
    click.echo(f"report on {len(result.per_run)} runs written to {out}/: report.html, report.md, per_run.csv, aggregates.csv{', levels.csv' if (out / 'levels.csv').exists() else ''}{', adaptation.csv' if (out / 'adaptation.csv').exists() else ''}, figures/{', videos/' if (out / 'videos').exists() else ''}")


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
    from embodied_bench.metrics.tables import MixedRunsError
    from embodied_bench.report.compare import CompareError, compare_runs
    from embodied_bench.results.load import RecordError

    try:
        compared = compare_runs(a, b, runs, out, reps=reps, confidence=confidence, seed=seed)
    except (CompareError, MixedRunsError, RecordError) as exc:
        raise InputError(str(exc)) from None
    except OSError as exc:
        raise InputError(f"--out {out}: cannot write the figure there ({exc.strerror or exc})") from None
    result = compared.result
    for w in compared.warnings:
        click.echo(f"warning: {w}", err=True)
    conf = f"{confidence:.0%}"
    click.echo(f"tasks: {', '.join(result.tasks)}")
    click.echo(
        table(
            ["statistic", "estimate", f"{conf} CI"],
            [
                [f"P({result.a} > {result.b}) on normalised AUC", f"{result.p_auc:.3f}", f"[{result.p_auc_ci[0]:.3f}, {result.p_auc_ci[1]:.3f}]"],
                [f"IQM AUC({result.a}) - IQM AUC({result.b})", f"{result.iqm_auc_diff:+.3f}", f"[{result.iqm_auc_diff_ci[0]:+.3f}, {result.iqm_auc_diff_ci[1]:+.3f}]"],
                [f"P({result.a} > {result.b}) on final success", f"{result.p_final:.3f}", f"[{result.p_final_ci[0]:.3f}, {result.p_final_ci[1]:.3f}]"],
            ],
        )
    )
    click.echo(result.verdict())
    gain = compared.gain
    if gain is not None:
        click.echo(f"gain from {gain.protocol}ing (graded score, {gain.runs_with} runs with, {gain.runs_without} without):")
        click.echo(
            table(
                ["statistic", "estimate", f"{conf} CI"],
                [
                    ["IQM AUC with - without", f"{gain.iqm_diff:+.3f}", f"[{gain.iqm_diff_ci[0]:+.3f}, {gain.iqm_diff_ci[1]:+.3f}]"],
                    ["steps to threshold with - without (share of budget)", f"{gain.steps_diff:+.3f}", f"[{gain.steps_diff_ci[0]:+.3f}, {gain.steps_diff_ci[1]:+.3f}]"],
                    ["P(with > without)", f"{gain.p:.3f}", f"[{gain.p_ci[0]:.3f}, {gain.p_ci[1]:.3f}]"],
                ],
            )
        )
    click.echo(f"learning curves: {', '.join(str(p) for p in compared.figures.values())}")
