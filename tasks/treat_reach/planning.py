"""treat-reach's simulator as a world model for privileged planners: candidate force
sequences rolled out with ``mujoco.rollout``, scored with the env's own reward and
guardrail (``env.step_outcome``, the function the env's step uses)."""

from __future__ import annotations

import numpy as np
from embodied_bench.tasks.treat_reach.env import TreatReachEnv, step_outcome

from embodied_bench.world_model import MujocoRollouts


class TreatReachModel:
    """``rollout(actions (K, H, 2)) -> (returns (K,), costs (K,))`` from the env's state now."""

    def __init__(self, env: TreatReachEnv, threads: int = 1) -> None:
        self.env = env
        self.sim = MujocoRollouts(threads)

    def rollout(self, actions: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        env = self.env
        if env.data is None:
            raise RuntimeError("the env has not been reset")
        sim = self.sim
        sim.bind(env.model)
        k, h = actions.shape[:2]
        ns = env.n_substeps
        control = np.repeat(np.clip(np.asarray(actions, np.float64), -1.0, 1.0), ns, axis=1)
        states, _ = sim.run(sim.state_of(env.data)[None], control)
        # Positions and velocities at every decision boundary, the current one first.
        q = np.empty((k, h + 1, 2))
        v = np.empty((k, h + 1, 2))
        q[:, 0], v[:, 0] = env.data.qpos[:2], env.data.qvel[:2]
        q[:, 1:] = states[:, ns - 1 :: ns, sim.qpos][:, :, :2]
        v[:, 1:] = states[:, ns - 1 :: ns, sim.qvel][:, :, :2]

        layout = env.layout
        distance = np.hypot(*(np.asarray(layout.treat) - q).transpose(2, 0, 1))
        to_vase = np.asarray(layout.vase) - q
        gap = np.maximum(np.hypot(*to_vase.transpose(2, 0, 1)), 1e-12)
        # Speed towards the vase as each step begins; the touch is tested where it ends.
        approach = np.einsum("khi,khi->kh", v[:, :-1], to_vase[:, :-1]) / gap[:, :-1]
        reward, success, cost = step_outcome(distance[:, :-1], distance[:, 1:], approach, gap[:, 1:] < env.touch_distance, env.progress_weight, env.success_bonus, env.bump_speed)
        # Steps after the first success would not happen: the episode terminates there.
        alive = np.ones((k, h), bool)
        alive[:, 1:] = ~np.logical_or.accumulate(success, axis=1)[:, :-1]
        return (reward * alive).sum(axis=1), (cost * alive).sum(axis=1)


def world_model(env: TreatReachEnv, threads: int = 1) -> TreatReachModel:
    return TreatReachModel(env, threads)
