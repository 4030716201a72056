"""table-clear's simulator as a world model for privileged planners: each candidate
sequence of pick-and-place primitives is carried out in the env's own PyBullet scene from
a ``saveState`` snapshot, scored with the env's reward and guardrail, and the scene is put
back with ``restoreState``. Primitives only: planning end-effector velocities at 20 Hz
this way would cost about a second of simulation per candidate step."""

from __future__ import annotations

import numpy as np
from embodied_bench.tasks.table_clear.env import TableClearPrimitiveEnv


class TableClearPrimitiveModel:
    """``rollout(actions (K, H, 2)) -> (returns (K,), costs (K,))`` from the env's state now.
    Candidates run one after another (PyBullet has one thread per client)."""

    def __init__(self, env: TableClearPrimitiveEnv) -> None:
        self.env = env

    def rollout(self, actions: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        env = self.env
        if env.scene is None:
            raise RuntimeError("the env has not been reset")
        actions = np.asarray(actions)
        k = len(actions)
        returns, costs = np.zeros(k), np.zeros(k)
        correct = env._correct
        # The class's own step: the harness counts calls of the env's (instance) step as
        # interactions, and simulated candidates are not interactions.
        step = type(env).step
        snap = env.scene.snapshot()
        try:
            for i, sequence in enumerate(actions):
                for action in sequence:
                    _, reward, terminated, _, info = step(env, action)
                    returns[i] += reward
                    costs[i] += info["cost"]
                    if terminated:
                        break
                env.scene.restore(snap)
                env._correct = correct
        finally:
            env.scene.restore(snap)
            env._correct = correct
            env.scene.forget(snap)
        return returns, costs


def world_model(env, threads: int = 1) -> TableClearPrimitiveModel:
    if not isinstance(env, TableClearPrimitiveEnv):
        raise ValueError(f"{type(env).__name__} offers no world model for planners: plan with table-clear-primitive")
    return TableClearPrimitiveModel(env)
