"""The ``embodied-bench`` command: thin, one module per command group. What a command
computes lives in the library (``harness``, ``report``, ``leaderboard``, ``regress``), so
it can be called from Python and tested without click.

Exit codes: 0 success; 1 a check found a problem (a run failed, a regression, an invalid
submission, a stale page); 2 bad usage or bad input, always one line naming what is wrong;
130 interrupted (finished runs are kept).
"""

from __future__ import annotations

import click

import embodied_bench


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(embodied_bench.__version__, prog_name="embodied-bench")
def main() -> None:
    """embodied-bench: animal-inspired physical tasks, sample-efficiency metrics and a
    leaderboard harness for the embodied Turing test."""


from embodied_bench.cli import datasets, docs, leaderboard, listing, media, references, regress, report, run  # noqa: E402,F401  (register the commands)
