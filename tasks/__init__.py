"""The suite's tasks, one package per family. Importing this package registers every task
with gymnasium and with ``embodied_bench.registry.TASKS``, and defines the suites."""

from embodied_bench.tasks import cat_climb, table_clear, treat_reach  # noqa: F401  (register their tasks)

from embodied_bench.registry import register_suite

# Suites are frozen: a suite's task list never changes; a new list is a new name.
register_suite("ett-warmup-v0", ("treat-reach",))
# The first official suite: planning a route of jumps, and one-shot table clearing, each
# through a skill interface and a motor interface. treat-reach stays a warm-up outside it.
register_suite("ett-core-v0", ("cat-climb-skill", "cat-climb-motor", "table-clear-primitive", "table-clear-ee"), official=True)
