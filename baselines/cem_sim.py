"""``cem-sim``: the objective-driven planner with a perfect world model. The cross-entropy
method over action sequences, scored by the task's own simulator (a privileged view:
``mujoco.rollout`` in batch on MuJoCo tasks, ``saveState``/``restoreState`` on PyBullet),
with plans that incur guardrail cost penalised out of contention. It does not learn: it is
the reference for what planning with a perfect model achieves at any budget."""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
from embodied_bench.baselines.cem import CEMConfig, CEMPlanner
from embodied_bench.baselines.config import BaselineConfig

from embodied_bench.api import PrivilegedView, TaskInfo, Transition


@dataclass(frozen=True)
class CEMSimConfig(CEMConfig, BaselineConfig):
    """The planner's search (``CEMConfig``) and how the simulator runs. Per task, chosen so
    a decision costs well under a second on one core:

    * treat-reach: horizon 10 (0.5 s), 24 candidates, 2 iterations, replanning every 3
      (about 10 ms a decision).
    * cat-climb-skill: horizon 1 jump, 32 candidates, 2 iterations, starting wide (about
      1 s a decision: each candidate jump is 1.6 s of simulated time).
    * cat-climb-motor: horizon 10 (0.2 s), 32 candidates, 2 iterations, replanning every 5.
    * table-clear-primitive: horizon 1, 6 candidates, 1 iteration (a primitive takes
      about 0.4 s to simulate; identical candidates are simulated once).
    """

    threads: int = 1
    """Native threads for ``mujoco.rollout`` (1 keeps parallel runs, ``--jobs``, from
    competing for cores; the rollouts are identical for any count)."""

    PER_TASK: ClassVar[dict[str, dict[str, Any]]] = {
        "treat-reach": {"horizon": 10, "population": 24, "elites": 4, "iterations": 2, "replan_every": 3},
        "cat-climb-skill": {"horizon": 1, "population": 32, "elites": 4, "iterations": 2, "init_std": 1.0},
        "cat-climb-motor": {"horizon": 10, "population": 32, "elites": 6, "iterations": 2, "replan_every": 5},
        "table-clear-primitive": {"horizon": 1, "population": 6, "elites": 2, "iterations": 1},
    }


class CEMSim:
    """CEM model-predictive control with the task's simulator as world model (privileged:
    a reference, never ranked)."""

    privileged = True
    config_class = CEMSimConfig
    deterministic = True
    """Same seed, same library versions: the same curve, exactly."""

    def __init__(self, task: TaskInfo, seed: int, privileged: PrivilegedView, config: CEMSimConfig | None = None) -> None:
        self.config = config or CEMSimConfig.for_task(task.task_id)
        self.view = privileged
        # The planner's stream is the run's agent seed, and this agent's name keeps it apart
        # from any other agent given the same seed.
        rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(zlib.crc32(b"cem-sim"),)))
        self.planner = CEMPlanner(task.action_space, self.config, rng)
        self._models: dict[int, Any] = {}

    def start_episode(self, explore: bool) -> None:
        self.planner.reset()

    def _model(self) -> Any:
        env = self.view.env
        model = self._models.get(id(env))
        if model is None or model.env is not env:
            model = self._models[id(env)] = self.view.world_model(self.config.threads)
        return model

    def act(self, observation: Any, explore: bool) -> np.ndarray:
        return self.planner.act(self._model().rollout)

    def observe(self, transition: Transition) -> None:
        """Planning with a perfect model leaves nothing to learn."""
