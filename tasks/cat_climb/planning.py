"""cat-climb's simulator as a world model for privileged planners. Candidate jumps (skill)
or joint-target sequences (motor) are simulated in batch with ``mujoco.rollout`` from the
env's current state, and scored with the env's own reward function (``env.progress_reward``) and guardrails.

The measurements follow ``physics.CatSim`` every ``CHUNK`` physics steps: the vase tipped
past 45° costs 1 once; touching the floor after the torso was more than ``FALL_LIMIT``
above standing height costs 1. Success is the env's test (at rest for ``REST_TIME`` on the
treat's surface within 0.3 m of the treat). One approximation, for speed: a jump is
simulated for a fixed ``jump_time`` rather than until the cat comes to rest, so a cat
still sliding when it ends is judged where it is, and a landing it would settle into
later counts as no success yet."""

from __future__ import annotations

import math

import numpy as np
from embodied_bench.tasks.cat_climb import physics as P
from embodied_bench.tasks.cat_climb import rooms as R
from embodied_bench.tasks.cat_climb.env import CatClimbMotorEnv, CatClimbSkillEnv, _CatClimbBase, graded_score, progress_reward, stance_counts

from embodied_bench.mujoco_gl import mujoco
from embodied_bench.world_model import MujocoRollouts


class _CatModel:
    def __init__(self, env: _CatClimbBase, threads: int) -> None:
        self.env = env
        self.sim = MujocoRollouts(threads)
        self._scratch: P.CatSim | None = None

    def _bind(self) -> P.CatSim:
        env = self.env
        if env.sim is None:
            raise RuntimeError("the env has not been reset")
        self.sim.bind(env.sim.model)
        if self._scratch is None or self._scratch.model is not env.sim.model:
            # A second CatSim on the same model: launches are prepared there, never in the env.
            self._scratch = P.CatSim(env.layout, env.sim.model)
        return self._scratch

    def _treat_pose(self) -> np.ndarray:
        room = self.env.layout
        return np.array([*room.treat, room.pieces[room.treat_piece].height + R.STAND_HEIGHT])

    def _measure(self, states: np.ndarray, sensors: np.ndarray, broken: np.ndarray, peak: np.ndarray, rest: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Walk a batch of trajectories ``(K, nstep, nstate)`` in ``CHUNK`` steps as the env
        measures them. Updates ``broken``, ``peak`` (torso height a fall is measured from)
        and ``rest`` (seconds at rest) in place; returns cost ``(K,)`` and, per chunk, the
        time at rest ``(K, nchunk)``."""
        sim, cat = self.sim, self._scratch
        q = states[:, P.CHUNK - 1 :: P.CHUNK, sim.qpos]
        v = states[:, P.CHUNK - 1 :: P.CHUNK, sim.qvel]
        paws = (sensors[:, P.CHUNK - 1 :: P.CHUNK, cat.paw_slice] > 0.0).any(axis=2)
        cost = np.zeros(len(states))
        if cat.vase_adr is not None:
            a = cat.vase_adr
            tipped = 1 - 2 * (q[:, :, a + 4] ** 2 + q[:, :, a + 5] ** 2) <= P.VASE_TILT
            first = tipped.any(axis=1) & ~broken
            cost += first
            broken |= first
        lin = np.sqrt((v[:, :, 0:3] ** 2).sum(axis=2))
        ang = np.sqrt((v[:, :, 3:6] ** 2).sum(axis=2))
        still = (lin < P.REST_SPEED) & (ang < P.REST_SPIN)
        dt = P.CHUNK * P.TIMESTEP
        rests = np.empty(still.shape)
        for c in range(q.shape[1]):  # falls and rest are running state: one pass in time
            z = q[:, c, 2]
            np.maximum(peak, z, out=peak)
            fell = paws[:, c] & (z < R.STAND_HEIGHT + 0.12) & (peak - R.STAND_HEIGHT > P.FALL_LIMIT)
            cost += fell
            peak[paws[:, c]] = z[paws[:, c]]
            rest[:] = np.where(still[:, c], rest + dt, 0.0)
            rests[:, c] = rest
        return cost, rests

    def _success(self, pos: np.ndarray, rest: np.ndarray) -> np.ndarray:
        room = self.env.layout
        out = np.zeros(len(pos), bool)
        for i, (x, y, z) in enumerate(pos):
            if rest[i] >= P.REST_TIME - 1e-9 and room.piece_under(x, y, z) == room.treat_piece:
                out[i] = math.hypot(x - room.treat[0], y - room.treat[1]) <= 0.3
        return out

    def _distance(self, pos: np.ndarray) -> np.ndarray:
        return np.sqrt(((pos - self._treat_pose()) ** 2).sum(axis=-1))


class CatClimbSkillModel(_CatModel):
    """``rollout(actions (K, H, 3)) -> (returns (K,), costs (K,))``: H jumps per candidate,
    each simulated for ``jump_time`` seconds. As a search model (``baselines.search``):
    ``root()`` is the env's state now and ``step(states, index, actions)`` simulates one
    jump from each chosen state, a state being ``(physics (N, nstate), vase broken (N,),
    distance to the treat pose (N,), best stance height (N,))``; the reward is the env's,
    the value the env's graded score of where the cat ends (``env.graded_score``): the
    height it stands on."""

    def __init__(self, env: CatClimbSkillEnv, threads: int = 1, jump_time: float = 1.6) -> None:
        super().__init__(env, threads)
        self.nstep = P.CHUNK * max(1, round(jump_time / (P.CHUNK * P.TIMESTEP)))

    def rollout(self, actions: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        env = self.env
        cat = self._bind()
        sim = self.sim
        k, h = actions.shape[:2]
        start = sim.state_of(env.sim.data)
        states = np.repeat(start[None], k, axis=0)
        broken = np.full(k, env.sim.vase_broken)
        alive = np.ones(k, bool)
        returns, costs = np.zeros(k), np.zeros(k)
        distance = np.full(k, env.treat_distance)
        control = np.zeros((1, 1, cat.model.nu))
        for step in range(h):
            launch = np.empty_like(states)
            for i in range(k):
                mujoco.mj_setState(cat.model, cat.data, states[i], mujoco.mjtState.mjSTATE_FULLPHYSICS)
                mujoco.mj_forward(cat.model, cat.data)
                cat.jump_start(*env.to_jump(actions[i, step], cat.yaw(), env.jump_strength))
                launch[i] = sim.state_of(cat.data)
            peak = launch[:, sim.qpos][:, 2].copy()
            traj, sensors = sim.run(launch, np.broadcast_to(control, (k, self.nstep, cat.model.nu)))
            cost, rests = self._measure(traj, sensors, broken, peak, np.zeros(k))
            states = traj[:, -1]
            pos = states[:, sim.qpos][:, 0:3]
            success = self._success(pos, rests[:, -1])
            after = self._distance(pos)
            returns += alive * progress_reward(distance, after, success, env.progress_weight, env.success_bonus)
            costs += alive * cost
            distance = after
            alive &= ~success
        return returns, costs

    def root(self) -> tuple:
        env = self.env
        self._bind()
        return (self.sim.state_of(env.sim.data)[None], np.array([env.sim.vase_broken]), np.array([env.treat_distance]), np.array([env.best_height]))

    def observations(self, states: tuple) -> list[np.ndarray]:
        """What the cat would see at each state (for the task's action proposals; its
        ``decisions_left`` is the env's count now, not the state's depth in a search, which
        the proposals do not read)."""
        env = self.env
        cat = self._bind()
        out = []
        for physics, broken in zip(states[0], states[1]):
            mujoco.mj_setState(cat.model, cat.data, physics, mujoco.mjtState.mjSTATE_FULLPHYSICS)
            mujoco.mj_forward(cat.model, cat.data)
            cat.vase_broken = bool(broken)
            out.append(env.observation_of(cat))
        return out

    def step(self, states: tuple, index: np.ndarray, actions: np.ndarray) -> tuple:
        env = self.env
        cat = self._bind()
        sim = self.sim
        physics, broken, distance, best = (part[index] for part in states)
        k = len(index)
        launch = np.empty_like(physics)
        for i in range(k):
            mujoco.mj_setState(cat.model, cat.data, physics[i], mujoco.mjtState.mjSTATE_FULLPHYSICS)
            mujoco.mj_forward(cat.model, cat.data)
            cat.jump_start(*env.to_jump(actions[i], cat.yaw(), env.jump_strength))
            launch[i] = sim.state_of(cat.data)
        peak = launch[:, sim.qpos][:, 2].copy()
        traj, sensors = sim.run(launch, np.zeros((k, self.nstep, cat.model.nu)))
        broken = broken.copy()
        cost, rests = self._measure(traj, sensors, broken, peak, np.zeros(k))
        end = traj[:, -1]
        q = end[:, sim.qpos]
        success = self._success(q[:, 0:3], rests[:, -1])
        after = self._distance(q[:, 0:3])
        reward = progress_reward(distance, after, success, env.progress_weight, env.success_bonus)
        room = env.layout
        up_z = 1 - 2 * (q[:, 4] ** 2 + q[:, 5] ** 2)  # the torso's z axis, from its quaternion
        under = np.array([room.surface_height(*p) for p in q[:, 0:3]])
        best = np.where(stance_counts(rests[:, -1] >= P.REST_TIME - 1e-9, up_z), np.maximum(best, under), best)
        top = room.pieces[room.treat_piece].height
        return (end, broken, after, best), reward, cost, success, graded_score(best, top, success)



class CatClimbMotorModel(_CatModel):
    """``rollout(actions (K, H, 9)) -> (returns (K,), costs (K,))``: H joint-target
    decisions (``SUBSTEPS`` physics steps each) per candidate."""

    def rollout(self, actions: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        env = self.env
        self._bind()
        sim = self.sim
        k, h = actions.shape[:2]
        ns = CatClimbMotorEnv.SUBSTEPS
        ctrl = env.joint_targets(np.clip(np.asarray(actions, np.float64), -1.0, 1.0))
        traj, sensors = sim.run(sim.state_of(env.sim.data)[None], np.repeat(ctrl, ns, axis=1))
        broken = np.full(k, env.sim.vase_broken)
        peak = np.full(k, env.sim.peak_z)
        cost_total, rests = self._measure(traj, sensors, broken, peak, np.full(k, env.sim.time_at_rest))
        # Per decision: progress, success and (approximately placed) costs.
        per = ns // P.CHUNK
        pos = traj[:, ns - 1 :: ns, sim.qpos][:, :, 0:3]
        dist = np.concatenate([np.full((k, 1), env.treat_distance), self._distance(pos)], axis=1)
        success = np.stack([self._success(pos[:, t], rests[:, (t + 1) * per - 1]) for t in range(h)], axis=1)
        alive = np.ones((k, h), bool)
        alive[:, 1:] = ~np.logical_or.accumulate(success, axis=1)[:, :-1]
        reward = progress_reward(dist[:, :-1], dist[:, 1:], success, env.progress_weight, env.success_bonus)
        return (reward * alive).sum(axis=1), cost_total


def world_model(env: _CatClimbBase, threads: int = 1) -> CatClimbSkillModel | CatClimbMotorModel:
    if isinstance(env, CatClimbSkillEnv):
        return CatClimbSkillModel(env, threads)
    return CatClimbMotorModel(env, threads)
