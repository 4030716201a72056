"""``embodied-bench validate | submit | leaderboard``: submission bundles and the
generated leaderboard pages."""

from __future__ import annotations

from pathlib import Path

import click

from embodied_bench.cli import main
from embodied_bench.cli.common import InputError, print_problems
from embodied_bench.registry import OFFICIAL_MIN_SEEDS

MIN_SEEDS_HELP = f"Seeds each task needs [default: {OFFICIAL_MIN_SEEDS}; official suites never accept fewer]."


@main.command("validate")
@click.argument("bundle", type=click.Path(file_okay=False, path_type=Path))
@click.option("--min-seeds", type=click.IntRange(min=1), default=None, metavar="N", help=MIN_SEEDS_HELP)
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
        print_problems(result.problems)
        click.echo(f"{bundle}: {len(result.problems)} problem{'s' if len(result.problems) != 1 else ''}; not a valid submission", err=True)
        raise SystemExit(1)
    tasks = sorted({r.task for r in result.runs})
    click.echo(f"{bundle}: a valid submission of {result.agent} on {result.meta.suite} ({len(result.runs)} runs on {len(tasks)} task{'s' if len(tasks) != 1 else ''}, {result.layouts} evaluation layouts)")


@main.command("submit")
@click.argument("bundle", type=click.Path(file_okay=False, path_type=Path))
@click.option("--name", required=True, help="Folder name of the submission in leaderboard/submissions/ (letters, digits, '.', '_', '-').")
@click.option("--root", type=click.Path(file_okay=False, path_type=Path), default=Path("leaderboard"), show_default=True, help="The leaderboard folder.")
@click.option("--replace", is_flag=True, help="Replace an existing submission of that name.")
@click.option("--min-seeds", type=click.IntRange(min=1), default=None, metavar="N", help=MIN_SEEDS_HELP)
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
        print_problems(result.problems)
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
    from embodied_bench.leaderboard.board import BoardError, build_tables, load_entries
    from embodied_bench.metrics.tables import MixedRunsError
    from embodied_bench.report.site import render, stale_pages
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
    problems = stale_pages(root, tables, entries)
    for line in problems:
        click.echo(line)
    if problems:
        click.echo(f"the leaderboard is out of date; run `embodied-bench leaderboard --root {root}` and commit the result", err=True)
        raise SystemExit(1)
    click.echo(f"the leaderboard in {root}/ is up to date")
