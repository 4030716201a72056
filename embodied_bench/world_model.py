"""The planning interface to a task's own simulator, for privileged planners.

A task offers one by naming ``"module:function"`` in its registration (``world_model=``),
where ``function(env, threads) -> WorldModel``; a privileged agent gets it through
``PrivilegedView.world_model()`` (``harness.runner.privileged_view`` binds it). Ordinary
agents never see it.

``MujocoRollouts`` is the shared engine for MuJoCo tasks: candidate control sequences from
one start state, batched through ``mujoco.rollout`` on a pool of native threads.
"""

from __future__ import annotations

from typing import Any, Protocol, runtime_checkable

import numpy as np

from embodied_bench.mujoco_gl import mujoco
from mujoco import rollout as _rollout  # noqa: E402  (after mujoco_gl has chosen the GL backend)


@runtime_checkable
class WorldModel(Protocol):
    """What a planner may ask of a task's simulator."""

    def rollout(self, actions: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Simulate candidate action sequences from the state the env is in right now,
        leaving the env untouched.

        Args:
            actions: ``(K, H, *action_shape)``: K candidates of H decisions each, in the
                env's action space.

        Returns:
            ``(returns, costs)``, each ``(K,)``: the sum of the task's rewards and of its
            guardrail costs over each candidate (nothing accrues after the episode would
            have ended).
        """
        ...


_STATE = mujoco.mjtState.mjSTATE_FULLPHYSICS


class MujocoRollouts:
    """Batched open-loop rollouts of one MjModel family on ``threads`` native threads.

    States are MuJoCo's full-physics state vectors; ``qpos`` and ``qvel`` say where the
    positions and velocities sit in them."""

    _pools: dict[int, Any] = {}

    def __init__(self, threads: int = 1) -> None:
        if threads < 1:
            raise ValueError(f"threads must be at least 1, got {threads}")
        self.threads = threads
        self._model: Any = None
        self._datas: list[Any] = []

    @classmethod
    def _pool(cls, threads: int) -> Any:
        # One pool per thread count per process: starting threads per call would cost more
        # than the rollouts of a small model.
        pool = cls._pools.get(threads)
        if pool is None:
            pool = cls._pools[threads] = _rollout.Rollout(nthread=threads if threads > 1 else 0)
        return pool

    def bind(self, model: Any) -> None:
        """Use ``model`` (per-thread scratch data is rebuilt only when it changes)."""
        if model is not self._model:
            self._model = model
            self._datas = [mujoco.MjData(model) for _ in range(self.threads)]
            self.nstate = mujoco.mj_stateSize(model, _STATE)
            # Full-physics order: time, qpos, qvel, act, ... (MuJoCo's mjtState).
            self.qpos = slice(1, 1 + model.nq)
            self.qvel = slice(1 + model.nq, 1 + model.nq + model.nv)

    def state_of(self, data: Any) -> np.ndarray:
        """``(nstate,)``: the full-physics state of ``data``."""
        out = np.empty(self.nstate)
        mujoco.mj_getState(self._model, data, out, _STATE)
        return out

    def run(self, initial: np.ndarray, control: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``initial`` ``(K or 1, nstate)``, ``control`` ``(K, nstep, nu)`` → states
        ``(K, nstep, nstate)`` after each step and sensor data ``(K, nstep, nsensordata)``."""
        datas = self._datas if self.threads > 1 else self._datas[0]
        return self._pool(self.threads).rollout(self._model, datas, initial, control)
