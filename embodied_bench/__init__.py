"""embodied-bench: a benchmark suite for the embodied Turing test.

``import embodied_bench`` registers the suite's tasks with gymnasium
(``gymnasium.make("EmbodiedBench/TreatReach-v0")``) and the reference agents by name."""

__version__ = "0.1.0"

from embodied_bench import baselines, tasks  # noqa: E402,F401  (registration only)
