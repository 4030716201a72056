"""``scripted``: each task's privileged oracle under one name (a reference, never ranked)."""

from __future__ import annotations

from typing import Any

from embodied_bench.api import PrivilegedView, TaskInfo, Transition
from embodied_bench.registry import load_reference


class ScriptedOracle:
    """Delegates to the oracle named by the task's ``TaskSpec.oracle``."""

    privileged = True
    deterministic = True
    """The oracles have no randomness: the same curve every time (checked exactly)."""

    def __init__(self, task: TaskInfo, seed: int, privileged: PrivilegedView) -> None:
        spec = privileged.spec
        if spec.oracle is None:
            raise ValueError(f"task {task.task_id} has no scripted oracle")
        self.oracle = load_reference(spec.oracle)(task, seed, privileged=privileged)

    def act(self, observation: Any, explore: bool) -> Any:
        return self.oracle.act(observation, explore)

    def observe(self, transition: Transition) -> None:
        self.oracle.observe(transition)
