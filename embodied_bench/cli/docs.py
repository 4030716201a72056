"""``embodied-bench docs``: the README's tables of tasks and baselines, from the registry."""

from __future__ import annotations

from pathlib import Path

import click

from embodied_bench.cli import main
from embodied_bench.cli.common import InputError


@main.command("docs")
@click.option("--readme", type=click.Path(dir_okay=False, path_type=Path), default=Path("README.md"), show_default=True, help="The file holding the generated tables.")
@click.option("--check", is_flag=True, help="Write nothing; exit 1 when the tables are not what the registry gives.")
def docs_cmd(readme: Path, check: bool) -> None:
    """Regenerate the task and baseline tables in README.md (between their markers) from
    the registered tasks and agents, and the official results from the official references
    beside it (leaderboard/baselines/official/)."""
    from embodied_bench.report import docs
    from embodied_bench.results.records import atomic_write_text

    if not readme.is_file():
        raise InputError(f"--readme {readme}: no such file; run from the embodied-bench checkout or pass the README")
    text = readme.read_text(encoding="utf-8")
    try:
        new = docs.render(text, readme.parent)
    except ValueError as exc:
        raise InputError(f"{readme}: {exc}") from None
    if check:
        if new != text:
            click.echo(f"{readme}: its generated tables are not what the registry gives; run `embodied-bench docs` and commit the result")
            raise SystemExit(1)
        click.echo(f"{readme}: the generated tables are up to date")
        return
    if new != text:
        atomic_write_text(readme, new)
    click.echo(f"{readme}: tables of {len(docs.SECTIONS)} kinds written")
