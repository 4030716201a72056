"""``embodied-bench datasets``: the watch-phase datasets (Minari), made here, never
downloaded."""

from __future__ import annotations

import click

from embodied_bench.cli import main
from embodied_bench.cli.common import InputError, table
from embodied_bench.datasets import SUITES as DATASET_SUITES

def _tasks(names: tuple[str, ...]) -> list:
    from embodied_bench.registry import SUITES, TASKS, RegistryError

    try:
        chosen = [TASKS.canonical(n) for n in names] if names else [t for s in DATASET_SUITES for t in SUITES.get(s).tasks]
    except RegistryError as exc:
        raise InputError(f"--task: {exc}") from None
    tasks = [TASKS.get(n) for n in dict.fromkeys(chosen)]
    variants = [t.name for t in tasks if t.spec.protocol]
    if variants:
        raise InputError(f"--task {variants[0]}: datasets belong to plain tasks; name {TASKS.get(variants[0]).spec.plain_name}")
    return tasks


@main.group("datasets")
def datasets_cmd() -> None:
    """Watch-phase datasets: episodes of each task's expert, and mixed ones, on training
    layouts, stored as Minari datasets (load them with minari.load_dataset)."""


@datasets_cmd.command("make")
@click.option("--task", "tasks", multiple=True, metavar="T", help=f"Task (repeatable) [default: every task of {' and '.join(DATASET_SUITES)}].")
@click.option("--kind", "kinds", multiple=True, type=click.Choice(["expert", "mixed"]), help="Which datasets (repeatable) [default: both].")
@click.option("--episodes", type=click.IntRange(min=1), default=None, help="Episodes per dataset [default: embodied_bench.datasets.EPISODES].")
@click.option("--replace", is_flag=True, help="Make them again even where they exist.")
def make_cmd(tasks: tuple[str, ...], kinds: tuple[str, ...], episodes: int | None, replace: bool) -> None:
    """Make the datasets (kept where they exist, unless --replace), and print each one's
    id, size, the expert's success and the content hash runs record."""
    from embodied_bench import datasets as D

    chosen = _tasks(tasks)
    rows = []
    for task in chosen:
        try:
            D.expert_class(task)
        except D.DatasetError as exc:
            if tasks:
                raise InputError(str(exc)) from None
            click.echo(f"skipped {task.name}: {exc}", err=True)
            continue
        for kind in kinds or D.KINDS:
            try:
                made = D.make(task.name, kind, episodes or D.EPISODES, replace=replace)
            except D.DatasetError as exc:
                raise InputError(str(exc)) from None
            rows.append([made.dataset_id, made.episodes, made.steps, f"{made.success:.2f}", made.sha256[:16]])
    click.echo(table(["dataset", "episodes", "steps", "success", "content sha256"], rows))


@datasets_cmd.command("list")
def list_cmd() -> None:
    """The datasets the tasks have and whether each is here."""
    from embodied_bench import datasets as D

    rows = []
    for task in _tasks(()):
        for kind in D.KINDS:
            try:
                D.expert_class(task)
            except D.DatasetError as exc:
                rows.append([D.dataset_id(task.spec, kind), f"none: {exc}"])
                continue
            did = D.dataset_id(task.spec, kind)
            try:
                made = D.describe(did)
                rows.append([did, f"here: {made.episodes} episodes, content sha256 {made.sha256[:16]}"])
            except D.DatasetMissing:
                rows.append([did, f"not made: embodied-bench datasets make --task {task.name} --kind {kind}"])
            except D.DatasetError as exc:  # Minari is not installed
                raise InputError(str(exc)) from None
    click.echo(table(["dataset", "status"], rows))
