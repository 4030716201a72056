"""table-clear's simulator as a world model for privileged planners: each candidate
sequence of pick-and-place primitives is carried out in the env's own PyBullet scene from
a ``saveState`` snapshot, scored with the env's reward and guardrail, and the scene is put
back with ``restoreState``. Primitives only: planning end-effector velocities at 20 Hz
this way would cost about a second of simulation per candidate step."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import numpy as np
from embodied_bench.tasks.table_clear.env import TableClearPrimitiveEnv


@contextmanager
def _unwatched(env: TableClearPrimitiveEnv) -> Iterator[None]:
    """Simulated candidates are no part of the episode: a clip being recorded
    (``env.frame_hook``) does not see them."""
    hook, env.frame_hook = env.frame_hook, None
    try:
        yield
    finally:
        env.frame_hook = hook


class TableClearPrimitiveModel:
    """``rollout(actions (K, H, 2)) -> (returns (K,), costs (K,))`` from the env's state now,
    and the search model's ``root`` / ``step`` / ``release`` (below). Candidates run one
    after another (PyBullet has one thread per client)."""

    def __init__(self, env: TableClearPrimitiveEnv) -> None:
        self.env = env

    def rollout(self, actions: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        env = self.env
        if env.scene is None:
            raise RuntimeError("the env has not been reset")
        actions = np.asarray(actions)
        k = len(actions)
        returns, costs = np.zeros(k), np.zeros(k)
        # The class's own step: the harness counts calls of the env's (instance) step as
        # interactions, and simulated candidates are not interactions.
        step = type(env).step
        snap = env.snapshot()
        with _unwatched(env):
            try:
                for i, sequence in enumerate(actions):
                    for action in sequence:
                        _, reward, terminated, _, info = step(env, action)
                        returns[i] += reward
                        costs[i] += info["cost"]
                        if terminated:
                            break
                    env.restore(snap)
            finally:
                env.restore(snap)
                env.forget(snap)
        return returns, costs

    # -- as a search model (``baselines.search``) ----------------------------------------------

    def root(self) -> list:
        """The env's state now; every state a search makes is a snapshot this model frees
        (``release``) once the search is done, putting the env back as it was."""
        if self.env.scene is None:
            raise RuntimeError("the env has not been reset")
        self._root = self.env.snapshot()
        self._made = [self._root]
        return [self._root]

    def observations(self, states: list) -> list[np.ndarray]:
        """What the arm would see at each state (for the task's action proposals)."""
        out = []
        for snap in states:
            self.env.restore(snap)
            out.append(self.env._obs())
        return out

    def step(self, states: list, index: np.ndarray, actions: np.ndarray) -> tuple:
        env = self.env
        step = type(env).step  # not the env's instance step: these are no interactions
        out, rewards, costs, done, values = [], [], [], [], []
        with _unwatched(env):
            for i, action in zip(index, actions):
                env.restore(states[int(i)])
                _, reward, terminated, _, info = step(env, action)
                snap = env.snapshot()
                self._made.append(snap)
                out.append(snap)
                rewards.append(reward)
                costs.append(info["cost"])
                done.append(terminated)
                values.append(info["partial"])
        return out, np.array(rewards), np.array(costs), np.array(done), np.array(values)

    def release(self) -> None:
        self.env.restore(self._root)
        for snap in self._made:
            self.env.forget(snap)
        self._made = []


def world_model(env, threads: int = 1) -> TableClearPrimitiveModel:
    if not isinstance(env, TableClearPrimitiveEnv):
        raise ValueError(f"{type(env).__name__} offers no world model for planners: plan with table-clear-primitive")
    return TableClearPrimitiveModel(env)
