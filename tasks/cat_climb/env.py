"""The two cat-climb envs: one decision per jump (skill) and joint targets at 50 Hz
(motor). Same rooms, same success, same guardrail cost; the physics is in ``physics``."""

from __future__ import annotations

import math
from typing import Any

import gymnasium as gym
import numpy as np
from embodied_bench.tasks.cat_climb import physics as P
from embodied_bench.tasks.cat_climb import rooms as R
from gymnasium import spaces

from embodied_bench import layouts
from embodied_bench.mujoco_gl import mujoco, renderer

SURFACE_FEATURES = 7
CAT_FEATURES = 16
ROOM_FEATURES = 3 + 5 + SURFACE_FEATURES * R.MAX_SURFACES


def _room_bounds() -> tuple[list[float], list[float]]:
    span = 2 * R.ROOM_HALF + 0.5
    high = [span, span, 2.5]  # treat
    high += [span, span, 2.5, 1.0, 1.0]  # vase
    for _ in range(R.MAX_SURFACES):
        high += [span, span, 2.5, 1.0, 1.0, 1.0, 1.0]
    low = [-span, -span, -2.5, -span, -span, -2.5, 0.0, 0.0]
    for _ in range(R.MAX_SURFACES):
        low += [-span, -span, -2.5, 0.0, 0.0, 0.0, 0.0]
    return low, high


def _cat_bounds() -> tuple[list[float], list[float]]:
    high = [3.0, 1.0, 1.0, 1.0, 1.0, 1.0] + [10.0] * 3 + [30.0] * 3 + [1.0] * 4
    low = [-0.5, -1.0, -1.0, -1.0, -1.0, -1.0] + [-10.0] * 3 + [-30.0] * 3 + [0.0] * 4
    return low, high


class _CatClimbBase(gym.Env):
    metadata = {"render_modes": ["rgb_array"], "render_fps": 25}

    def __init__(self, layout_split: str, render_mode: str | None, progress_weight: float, success_bonus: float, camera: str) -> None:
        if camera not in ("room", "follow"):
            raise ValueError(f"camera must be 'room' or 'follow', got {camera!r}")
        self.camera = camera
        if render_mode not in (None, *self.metadata["render_modes"]):
            raise ValueError(f"render_mode must be None or 'rgb_array', got {render_mode!r}")
        self.layout_split = layouts.check_split(layout_split)
        self.render_mode = render_mode
        self.progress_weight = progress_weight
        self.success_bonus = success_bonus
        self.layout: R.Room | None = None
        self.sim: P.CatSim | None = None
        self._renderer: Any = None
        self._models: dict[int, mujoco.MjModel] = {}

    # -- rooms ----------------------------------------------------------------------------

    def _load_room(self, options: dict[str, Any] | None) -> dict[str, Any]:
        room = P.room(layouts.choose(options, self.layout_split, self.np_random))
        model = self._models.get(room.seed)
        if model is None:
            model = P.build_model(room)
            if self.layout_split == "eval":
                self._models[room.seed] = model  # held-out rooms recur every evaluation
        if self._renderer is not None and (self.sim is None or self.sim.model is not model):
            self._renderer.close()
            self._renderer = None
        self.layout = room
        self.sim = P.CatSim(room, model)
        self.sim.settle(0.3)
        self._prepare_room_obs()
        self._distance = self._treat_distance()
        return {"layout_seed": room.seed, "route_jumps": room.jumps}

    def _treat_distance(self) -> float:
        x, y, z = self.sim.pos
        tx, ty = self.layout.treat
        tz = self.layout.pieces[self.layout.treat_piece].height + R.STAND_HEIGHT
        return math.sqrt((tx - x) ** 2 + (ty - y) ** 2 + (tz - z) ** 2)

    # -- observation --------------------------------------------------------------------------

    def _fill_common(self, out: np.ndarray) -> None:
        """Write the cat (16) and room (ROOM_FEATURES) entries into ``out[:66]`` (float64):
        one pass over the state, plain floats where numpy calls would cost more."""
        sim = self.sim
        data = sim.data
        qw, qx, qy, qz = data.qpos[3:7].tolist()
        yaw = math.atan2(2 * (qw * qz + qx * qy), 1 - 2 * (qy * qy + qz * qz))
        c, s = math.cos(yaw), math.sin(yaw)
        v0, v1, v2, v3, v4, v5 = data.qvel[0:6].tolist()
        up = data.xmat[sim.torso]
        out[0:16] = (
            data.qpos[2], up[2], up[5], up[8], c, s,
            _clip(c * v0 + s * v1, 10.0), _clip(-s * v0 + c * v1, 10.0), _clip(v2, 10.0),
            _clip(v3, 30.0), _clip(v4, 30.0), _clip(v5, 30.0),
            *(data.sensordata[sim.paw_slice] > 0.0).tolist(),
        )
        q = data.qpos
        if sim.vase_adr is not None:
            va = sim.vase_adr
            self._pts[1] = q[va : va + 2]
            self._heights[1] = q[va + 2]
        room = out[CAT_FEATURES : CAT_FEATURES + ROOM_FEATURES]
        room[:] = self._room_static
        room[self._xy_idx] = (self._pts - q[0:2]) @ np.array([[c, -s], [s, c]])
        room[self._z_idx] = self._heights - q[2]
        if sim.vase_broken:
            room[6] = 0.0

    def _prepare_room_obs(self) -> None:
        """Per room: the static entries of the room observation, and where the per-step
        egocentric positions go (one small matrix product per step)."""
        room = self.layout
        static = np.zeros(ROOM_FEATURES, np.float32)
        xy_idx, z_idx, pts, heights = [[0, 1]], [2], [room.treat], [room.pieces[room.treat_piece].height]
        if room.vase is not None:
            static[6:8] = (1.0, 1.0)
            xy_idx.append([3, 4])
            z_idx.append(5)
            pts.append(room.vase)
            heights.append(0.0)
        for k, p in enumerate(room.pieces):
            base = 8 + SURFACE_FEATURES * k
            static[base + 3 : base + 7] = (p.hx, p.hy, float(k == room.treat_piece), 1.0)
            xy_idx.append([base, base + 1])
            z_idx.append(base + 2)
            pts.append((p.cx, p.cy))
            heights.append(p.height)
        self._room_static = static
        self._xy_idx = np.array(xy_idx)
        self._z_idx = np.array(z_idx)
        self._pts = np.array(pts, dtype=np.float64)
        self._heights = np.array(heights, dtype=np.float64)

    # -- rendering ------------------------------------------------------------------------------

    def render(self):
        if self.render_mode != "rgb_array" or self.sim is None:
            return None
        if self._renderer is None:
            self._renderer = renderer(self.sim.model, 480, 640)
        self._renderer.update_scene(self.sim.data, camera=self.camera)
        return self._renderer.render()

    def close(self) -> None:
        if self._renderer is not None:
            self._renderer.close()
            self._renderer = None


def _clip(v: float, limit: float) -> float:
    return limit if v > limit else -limit if v < -limit else v


class CatClimbSkillEnv(_CatClimbBase):
    """A house cat must climb to a treat on the highest surface of a room, one jump per
    decision: plan a route over stools, chairs, tables, counters, dressers and shelves.

    The cat (about 4.2 kg, 0.45 m nose to rump; torso, head, tail, four legs with hip and
    knee hinges under position control) is simulated in MuJoCo. Each decision is a jump:
    the cat gathers itself where it came to rest (it stands up on the surface below it and
    turns to the chosen heading), leaps with the chosen take-off velocity, and the
    simulation runs until it has been at rest for 0.5 s, or 4 s have passed. Rooms (2-6
    pieces of furniture, 0.42-2.0 m high) come from a seed; every room the generator emits
    has been solved in simulation by the scripted oracle, and is labelled with the number
    of climbs its shortest route needs (1-4, ``info["route_jumps"]``).

    ## Action Space
    ``Box(-1, 1, (3,), float32)``: heading relative to the cat's current facing (-1 and 1
    are ±180°), take-off pitch (-1 → 15°, 1 → 80° above horizontal) and take-off speed
    (-1 → 0.5 m/s, 1 → 4.5 m/s, about 1 m of rise).

    ## Observation Space
    ``Box(low, high, (67,), float32)``. Cat (16): torso height (m), torso up-axis in the
    world (3), cos and sin of the heading (2), linear velocity in the heading frame (3,
    m/s), angular velocity (3, rad/s), paw contacts (4, 0/1). Room, egocentric (relative to
    the torso, in its heading frame, metres): treat (dx, dy, dz); vase (dx, dy, dz, still
    standing 0/1 (0 once knocked over), present 0/1; zeros when the room has none); 6 surface slots, each (dx, dy to the
    top's centre, top height minus torso height, half sizes along the room's x and y, is
    the treat's surface 0/1, present 0/1; zeros when empty). Last: decisions left / 10.

    ## Rewards
    ``progress_weight`` × (distance from the torso to its standing pose at the treat
    before the jump − after it) + ``success_bonus`` on success. The benchmark scores only
    success and cost.

    ## Episode End
    Terminates on success: the torso at rest for 0.5 s on the treat's surface, within
    0.3 m of the treat (``info["success"]``). Truncated after 10 decisions (the registered
    ``TimeLimit``).

    ## Info
    ``success``, ``cost`` (1 when the vase is knocked over, once per vase; 1 when the cat
    lands on the floor after its torso was more than 1.0 m higher than standing height),
    ``at_rest`` (the jump ended at rest, not by time-out), and on reset ``layout_seed``
    and ``route_jumps``.

    ## Arguments
    ``layout_split`` ("train": rooms from training seeds; "eval": held-out rooms chosen with
    ``reset(options={"layout": i})``), ``progress_weight=1.0``, ``success_bonus=1.0``,
    ``max_jump_time=4.0`` (s), ``render_mode`` (None or "rgb_array": MuJoCo's offscreen
    renderer, 640 × 480), ``camera`` ("room": the whole room from above the near wall;
    "follow": tracks the cat).

    ## Version History
    * v0: initial release.
    """

    def __init__(
        self,
        layout_split: str = "train",
        progress_weight: float = 1.0,
        success_bonus: float = 1.0,
        max_jump_time: float = 4.0,
        render_mode: str | None = None,
        camera: str = "room",
    ) -> None:
        super().__init__(layout_split, render_mode, progress_weight, success_bonus, camera)
        self.max_jump_time = max_jump_time
        self.action_space = spaces.Box(-1.0, 1.0, (3,), np.float32)
        cl, ch = _cat_bounds()
        rl, rh = _room_bounds()
        self.observation_space = spaces.Box(np.array(cl + rl + [0.0], np.float32), np.array(ch + rh + [1.0], np.float32), dtype=np.float32)
        self._decisions = 0

    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None):
        super().reset(seed=seed)
        info = self._load_room(options)
        self._decisions = 0
        return self._obs(), info

    def _obs(self) -> np.ndarray:
        out = np.empty(CAT_FEATURES + ROOM_FEATURES + 1)
        self._fill_common(out)
        out[-1] = max(0, P.MAX_DECISIONS - self._decisions) / P.MAX_DECISIONS
        return out.astype(np.float32)

    @staticmethod
    def to_jump(action: np.ndarray, yaw: float) -> tuple[float, float, float]:
        """The physical jump (absolute heading, pitch, speed) an action asks for."""
        a = np.clip(np.asarray(action, dtype=np.float64), -1.0, 1.0)
        heading = yaw + math.pi * float(a[0])
        pitch = R.MIN_PITCH + (float(a[1]) + 1.0) / 2.0 * (R.MAX_PITCH - R.MIN_PITCH)
        speed = R.MIN_SPEED + (float(a[2]) + 1.0) / 2.0 * (R.MAX_SPEED - R.MIN_SPEED)
        return heading, pitch, speed

    @staticmethod
    def to_action(heading: float, pitch: float, speed: float, yaw: float) -> np.ndarray:
        """The action for a physical jump (the inverse of ``to_jump``)."""
        rel = (heading - yaw + math.pi) % (2 * math.pi) - math.pi
        return np.array(
            [rel / math.pi, 2 * (pitch - R.MIN_PITCH) / (R.MAX_PITCH - R.MIN_PITCH) - 1, 2 * (speed - R.MIN_SPEED) / (R.MAX_SPEED - R.MIN_SPEED) - 1],
            np.float32,
        ).clip(-1, 1)

    def step(self, action):
        if self.sim is None:
            raise RuntimeError("call reset() before step()")
        at_rest, cost = self.sim.jump(*self.to_jump(action, self.sim.yaw()), max_time=self.max_jump_time)
        self._decisions += 1
        success = self.sim.treat_reached()
        distance = self._treat_distance()
        reward = self.progress_weight * (self._distance - distance) + (self.success_bonus if success else 0.0)
        self._distance = distance
        return self._obs(), reward, success, False, {"success": success, "cost": cost, "at_rest": at_rest}


class CatClimbMotorEnv(_CatClimbBase):
    """The same rooms and the same test as ``CatClimbSkill``, at the level of muscles:
    joint position targets for the cat's nine joints at 50 Hz, for 20 s.

    ## Action Space
    ``Box(-1, 1, (9,), float32)``: position targets for fl_hip, fl_knee, fr_hip, fr_knee,
    hl_hip, hl_knee, hr_hip, hr_knee, tail, each mapped linearly onto its joint range
    (hips ±1.2 rad; front knees -1.8 to 0.2, hind knees -0.2 to 1.8; tail -1.2 to 0.6).
    The actuators are position servos (kp 30 N·m/rad, kv 3, torque limit 12 N·m; tail
    kp 2, limit 1 N·m).

    ## Observation Space
    ``Box(low, high, (84,), float32)``: the cat (16) and room (50) entries of the skill
    env, then joint positions (9, rad) and joint velocities (9, rad/s).

    ## Rewards
    ``progress_weight`` × (distance from the torso to its standing pose at the treat
    before the step − after it) + ``success_bonus`` on success.

    ## Episode End
    Terminates on success (as in the skill env: at rest 0.5 s on the treat's surface
    within 0.3 m of the treat). Truncated after 1,000 steps (20 s) by the registered
    ``TimeLimit``.

    ## Info
    ``success``, ``cost`` (as the skill env), and on reset ``layout_seed``, ``route_jumps``.

    ## Arguments
    ``layout_split``, ``progress_weight=1.0``, ``success_bonus=1.0``, ``render_mode``,
    ``camera`` (as the skill env).

    ## A solver would need
    No scripted oracle exists at this level. A solver needs a gait and a leap controller
    (crouch, then a synchronised extension of all four legs that reaches the take-off
    velocities of the skill level: up to 4.5 m/s), a landing controller, and the same
    route planning as the skill oracle on top.

    ## Version History
    * v0: initial release.
    """

    metadata = {"render_modes": ["rgb_array"], "render_fps": 50}
    SUBSTEPS = 10  # 50 Hz at the 2 ms physics step

    def __init__(
        self,
        layout_split: str = "train",
        progress_weight: float = 1.0,
        success_bonus: float = 1.0,
        render_mode: str | None = None,
        camera: str = "room",
    ) -> None:
        super().__init__(layout_split, render_mode, progress_weight, success_bonus, camera)
        self.action_space = spaces.Box(-1.0, 1.0, (9,), np.float32)
        cl, ch = _cat_bounds()
        rl, rh = _room_bounds()
        jl = [-1.8] * 9 + [-60.0] * 9
        jh = [1.8] * 9 + [60.0] * 9
        self.observation_space = spaces.Box(np.array(cl + rl + jl, np.float32), np.array(ch + rh + jh, np.float32), dtype=np.float32)
        self._joint_low, self._joint_high = np.array(jl), np.array(jh)

    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None):
        super().reset(seed=seed)
        info = self._load_room(options)
        sim = self.sim
        self._mid = (sim.ctrl_high + sim.ctrl_low) / 2
        self._half = (sim.ctrl_high - sim.ctrl_low) / 2
        self._rest = 0.0
        return self._obs(), info

    def _obs(self) -> np.ndarray:
        sim = self.sim
        out = np.empty(CAT_FEATURES + ROOM_FEATURES + 2 * sim.n_joints)
        self._fill_common(out)
        n = CAT_FEATURES + ROOM_FEATURES
        out[n : n + sim.n_joints] = sim.data.qpos[sim.joint_q]
        out[n + sim.n_joints :] = sim.data.qvel[sim.joint_v]
        joints = out[n:]
        np.minimum(np.maximum(joints, self._joint_low, out=joints), self._joint_high, out=joints)
        return out.astype(np.float32)

    def step(self, action):
        sim = self.sim
        if sim is None:
            raise RuntimeError("call reset() before step()")
        sim.data.ctrl[:] = self._mid + self._half * np.asarray(action, dtype=np.float64)
        mujoco.mj_step(sim.model, sim.data, nstep=self.SUBSTEPS)
        cost = sim.guardrail_cost()
        lin, ang = sim.speed()
        dt = self.SUBSTEPS * P.TIMESTEP
        self._rest = self._rest + dt if (lin < P.REST_SPEED and ang < P.REST_SPIN) else 0.0
        sim.time_at_rest = self._rest
        success = sim.treat_reached()
        distance = self._treat_distance()
        reward = self.progress_weight * (self._distance - distance) + (self.success_bonus if success else 0.0)
        self._distance = distance
        return self._obs(), reward, success, False, {"success": success, "cost": cost}
