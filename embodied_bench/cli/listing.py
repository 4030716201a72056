"""``embodied-bench tasks | suites | agents``: what is registered."""

from __future__ import annotations

import inspect

import click

from embodied_bench.api import contract_of, is_privileged
from embodied_bench.cli import main
from embodied_bench.cli.common import InputError, table
from embodied_bench.registry import AGENTS, OFFICIAL_SUITES, SUITES, TASKS


@main.command("tasks")
@click.option("--tag", "tags", multiple=True, metavar="TAG", help="Only tasks with this tag (repeatable: all of them), e.g. one-shot.")
@click.option("--changes", is_flag=True, help="List the changes of its world each task declares instead (for adapt runs: `run --phases`).")
def tasks_cmd(tags: tuple[str, ...], changes: bool) -> None:
    """List the registered tasks (every version; a bare name means the newest) and their
    protocols."""
    known = sorted({t for name in TASKS.names() for t in TASKS.get(name).tags})
    unknown = [t for t in tags if t not in known]
    if unknown:
        raise InputError(f"--tag {unknown[0]}: no task has this tag (tags: {', '.join(known)})")
    if changes:
        from embodied_bench.registry import declared_changes

        found = [[", ".join(t for t in tasks if set(tags) <= set(TASKS.get(t).tags)), c.name, ", ".join(f"{k}={v!r}" for k, v in c.env_kwargs.items()), c.description] for _, c, tasks in declared_changes()]
        found = [row for row in found if row[0]]
        click.echo(table(["tasks", "change", "env keyword arguments", "what changes"], found) if found else "no task declares a change of its world")
        return
    rows = []
    for name in TASKS.names():
        task = TASKS.get(name)
        if not set(tags) <= set(task.tags):
            continue
        s = task.spec
        newest = "" if TASKS.is_newest(name) else " (old)"
        before = {
            "watch": f"watch {s.watch_episodes} {s.watch_dataset} episodes",
            "play": f"play {s.play_budget:,} {s.budget_unit}",
            "adapt": "changes at " + ", ".join(f"{p.start:,}" for p in s.phases[1:]) if len(s.phases) > 1 else f"in {s.phases[0].label}" if s.phases else "-",
            "": "-",
        }[s.protocol]
        rows.append([name + newest, s.gym_id, before, f"{s.budget:,} {s.budget_unit}", f"{s.eval_every:,}", s.eval_episodes, s.threshold, ", ".join(task.tags), s.description])
    click.echo(table(["task", "gymnasium id", "before the budget", "budget", "eval every", "eval episodes", "threshold", "tags", "description"], rows))


@main.command("suites")
def suites_cmd() -> None:
    """List the registered suites (frozen lists of task versions). Leaderboard submissions
    to an official suite must follow its full protocol."""
    rows = [[n, "yes" if n in OFFICIAL_SUITES else "no", SUITES.get(n).ranks_by, ", ".join(SUITES.get(n).tasks)] for n in SUITES.names()]
    click.echo(table(["suite", "official", "ranked by", "tasks"], rows))


@main.command("agents")
def agents_cmd() -> None:
    """List the registered agents."""
    rows = []
    for name in AGENTS.names():
        cls = AGENTS.get(name)
        doc = (inspect.getdoc(cls) or "").splitlines()
        rows.append([name, contract_of(cls), "yes" if is_privileged(cls) else "no", doc[0] if doc else ""])
    click.echo(table(["agent", "contract", "privileged", "description"], rows))
