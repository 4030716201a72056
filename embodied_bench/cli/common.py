"""What the command modules share: the one-line usage error, plain tables, agent names,
and running jobs with a progress bar."""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Iterable, Mapping
from typing import Any

import click

from embodied_bench.api import contract_of, requirements_of
from embodied_bench.registry import RegistryError, resolve_agent


class InputError(click.ClickException):
    """Bad usage or input: one line, exit code 2."""

    exit_code = 2


def table(headers: list[str], rows: Iterable[list[Any]]) -> str:
    rows = [[str(c) for c in r] for r in rows]
    widths = [max(len(h), *(len(r[i]) for r in rows)) if rows else len(h) for i, h in enumerate(headers)]
    lines = ["  ".join(h.ljust(w) for h, w in zip(headers, widths)).rstrip()]
    lines.append("  ".join("-" * w for w in widths))
    lines += ["  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip() for r in rows]
    return "\n".join(lines)


def resolve_agent_arg(ref: str) -> str:
    """The display name of ``--agent ref``, or an ``InputError`` saying why it cannot run."""
    try:
        name, cls = resolve_agent(ref)
        contract_of(cls)
        requirements_of(cls)
    except (RegistryError, TypeError) as exc:
        raise InputError(f"--agent {ref}: {exc}") from None
    except (Exception, SystemExit) as exc:  # the user's module raised (or exited) while importing
        raise InputError(f"--agent {ref}: importing it raised {type(exc).__name__}: {exc}") from None
    return name


def usable_cores() -> int:
    # The cores this process may run on (Slurm, cgroups and taskset limit them), not the machine's.
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def execute(todo: list, workers: int, run_jobs: Any, Interrupted: type, costs: Mapping[str, float] | None = None) -> tuple[list, bool]:
    """Run ``todo`` with ``run_jobs(todo, workers, on_event)`` behind a progress bar:
    ``(outcomes, interrupted)``. ``costs``: the expected cost of jobs by their outcome's
    key, which weighs them in the time left a log shows (unknown ones: the mean cost; no
    costs: all alike)."""
    if not todo:
        return [], False
    state = {"steps": 0, "done": 0, "failed": 0}
    t0 = time.perf_counter()

    def show(_: Any) -> str:
        rate = state["steps"] / max(time.perf_counter() - t0, 1e-9)
        return f"{rate:,.0f} train steps/s, {state['failed']} failed"

    if not sys.stderr.isatty():
        return _execute_logged(todo, workers, run_jobs, Interrupted, costs or {})
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


class TimeLeft:
    """The time left of ``runs`` runs from the time so far, scaled by the expected cost of
    the runs left over that of the runs completed (a failed run tells nothing of the
    rate). ``costs``: expected cost by run key, of runs among them; a run of unknown cost
    counts as their mean, and without costs, or until a run completes, every run counts
    alike."""

    def __init__(self, runs: int, costs: Mapping[str, float]):
        known = {k: float(c) for k, c in costs.items() if c > 0}
        self.typical = sum(known.values()) / len(known) if known else 1.0
        self.costs = known
        self.runs, self.done = runs, 0
        self.left = sum(known.values()) + self.typical * max(runs - len(known), 0)
        self.completed = 0.0

    def finished(self, key: str, complete: bool) -> None:
        cost = self.costs.get(key, self.typical)
        self.done += 1
        self.left -= cost
        self.completed += cost if complete else 0.0

    def seconds(self, elapsed: float) -> float:
        if self.done >= self.runs:
            return 0.0
        if self.completed <= 0:
            return elapsed / max(self.done, 1) * (self.runs - self.done)
        return elapsed / self.completed * max(self.left, 0.0)


def _execute_logged(todo: list, workers: int, run_jobs: Any, Interrupted: type, costs: Mapping[str, float]) -> tuple[list, bool]:
    """``execute`` into a log (no terminal, where a bar shows nothing until the end): a line
    per finished run with the time left (``TimeLeft``)."""
    t0 = time.perf_counter()
    left = TimeLeft(len(todo), costs)

    def on_event(event: tuple) -> None:
        if event[0] != "done":
            return
        outcome = event[1]
        left.finished(outcome.key, outcome.status == "complete")
        elapsed = time.perf_counter() - t0
        click.echo(f"[{left.done}/{len(todo)}] {outcome.key}: {outcome.status}; {_duration(elapsed)} so far, about {_duration(left.seconds(elapsed))} left", err=True)

    try:
        return run_jobs(todo, workers, on_event), False
    except Interrupted as exc:
        return exc.outcomes, True


def _duration(seconds: float) -> str:
    seconds = int(round(seconds))
    if seconds < 60:
        return f"{seconds} s"
    if seconds < 3600:
        return f"{seconds // 60} min {seconds % 60:02d} s"
    return f"{seconds // 3600} h {seconds % 3600 // 60:02d} min"


def bar_progress(label: str) -> tuple[Any, Any]:
    """``(progress(advance, total), close())`` drawing a progress bar on stderr."""
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


def print_problems(problems: list[str]) -> None:
    for line in problems:
        click.echo(line)
