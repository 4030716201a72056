"""The two cat-climb envs: one decision per jump (skill) and joint targets at 50 Hz
(motor). Same rooms, same success, same guardrail cost; the physics is in ``physics``."""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable
from typing import Any

import gymnasium as gym
import numpy as np
from embodied_bench.tasks.cat_climb import physics as P
from embodied_bench.tasks.cat_climb import rooms as R
from gymnasium import spaces

from embodied_bench import layouts
from embodied_bench.mujoco_gl import mujoco, renderer
from embodied_bench.observations import ObservationLayout

SURFACE = ObservationLayout(("centre", 2), ("height", 1), ("half_size", 2), ("is_treat", 1), ("present", 1))
_CAT_AND_ROOM = (
    ("torso_height", 1), ("up", 3), ("heading", 2), ("velocity", 3), ("angular_velocity", 3), ("paws", 4),
    ("treat", 3), ("vase", 3), ("vase_standing", 1), ("vase_present", 1), ("surfaces", SURFACE, R.MAX_SURFACES),
)
SKILL_OBSERVATION = ObservationLayout(*_CAT_AND_ROOM, ("decisions_left", 1))
MOTOR_OBSERVATION = ObservationLayout(*_CAT_AND_ROOM, ("joint_positions", 9), ("joint_velocities", 9))
SURFACE_FEATURES = SURFACE.size
CAT_FEATURES = 16
ROOM_FEATURES = 3 + 5 + SURFACE_FEATURES * R.MAX_SURFACES


LEVELS = R.LEVELS
REACH_CREDIT = 0.9
"""The graded score of the treat's surface reached without the treat: the rest of the
score is for reaching it."""
UPRIGHT = 0.5
"""A stance counts when the torso's up axis is within 60° of vertical (cos 60°)."""

# World changes (keyword arguments of both envs; 1.0 is the task's own world), one at a
# time. Each range is what the room generator was checked to serve rooms for: a cat
# weaker than 0.9 reaches no stool from the floor (its first climb); slipperier furniture
# or narrower tops leave the oracle so few solvable rooms that generating one takes long
# (both at once: none within 20,000 candidates for some seeds).
JUMP_STRENGTH = (0.9, 1.0)
SURFACE_FRICTION = (0.35, 1.0)
TOP_SCALE = (0.8, 1.0)


def _factor(name: str, value: Any, bounds: tuple[float, float]) -> float:
    """``value`` as a float inside ``bounds``, or one ValueError line naming it."""
    low, high = bounds
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not low <= value <= high:
        raise ValueError(f"{name} must be a number in [{low}, {high}] (1.0: the task's own world), got {value!r}")
    return float(value)


def graded_score(best_height: Any, top: float, success: Any) -> Any:
    """The graded score from the highest surface stood on upright at rest (floats or
    arrays: the envs and their world model score with this one function)."""
    return np.where(success, 1.0, REACH_CREDIT * np.minimum(1.0, np.asarray(best_height) / top))


def stance_counts(at_rest: Any, up_z: Any) -> Any:
    """Whether a stance counts for the graded score: at rest, torso within 60° of upright."""
    return np.logical_and(at_rest, np.asarray(up_z) > UPRIGHT)


def progress_reward(before: Any, after: Any, success: Any, progress_weight: float, success_bonus: float) -> Any:
    """The reward of a decision that took the torso from ``before`` to ``after`` metres
    from its standing pose at the treat (floats for the envs, arrays for their world
    models: both score with this one function)."""
    return progress_weight * (before - after) + success_bonus * success


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

    def __init__(
        self,
        layout_split: str,
        render_mode: str | None,
        progress_weight: float,
        success_bonus: float,
        camera: str,
        levels: bool = True,
        graded_score: bool = True,
        width: int = 640,
        height: int = 480,
        jump_strength: float = 1.0,
        surface_friction: float = 1.0,
        top_scale: float = 1.0,
    ) -> None:
        self.jump_strength = _factor("jump_strength", jump_strength, JUMP_STRENGTH)
        self.surface_friction = _factor("surface_friction", surface_friction, SURFACE_FRICTION)
        self.top_scale = _factor("top_scale", top_scale, TOP_SCALE)
        if sum(v != 1.0 for v in (self.jump_strength, self.surface_friction, self.top_scale)) > 1:
            raise ValueError(f"jump_strength, surface_friction and top_scale change the world one at a time (slippery narrow tops leave too few solvable rooms), got {jump_strength}, {surface_friction}, {top_scale}")
        if camera not in ("room", "follow"):
            raise ValueError(f"camera must be 'room' or 'follow', got {camera!r}")
        if not (16 <= int(width) <= 1920 and 16 <= int(height) <= 1080):
            raise ValueError(f"the rendered frame must be 16-1920 pixels wide and 16-1080 high, got {width} x {height}")
        self.camera = camera
        self.render_width, self.render_height = int(width), int(height)
        if render_mode not in (None, *self.metadata["render_modes"]):
            raise ValueError(f"render_mode must be None or 'rgb_array', got {render_mode!r}")
        self.layout_split = layouts.check_split(layout_split)
        self.render_mode = render_mode
        self.progress_weight = progress_weight
        self.success_bonus = success_bonus
        self.levels = levels
        self.graded_score = graded_score
        self.layout: R.Room | None = None
        self.sim: P.CatSim | None = None
        self._renderer: Any = None
        self.frame_hook: Callable[[], None] | None = None
        """Clips (``embodied_bench.video``): called once per frame period (``1 /
        metadata["render_fps"]``) while a step simulates, when set."""
        self._models: dict[int, mujoco.MjModel] = {}

    # -- rooms ----------------------------------------------------------------------------

    def _load_room(self, options: dict[str, Any] | None) -> dict[str, Any]:
        seed = layouts.choose(options, self.layout_split, self.np_random)
        climbs = 1 + seed % len(LEVELS) if self.levels else None
        room = P.room(seed, climbs, self.jump_strength, self.surface_friction, self.top_scale)
        model = self._models.get(room.seed)
        if model is None:
            model = P.build_model(room, self.surface_friction, self.jump_strength)
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
        self._best_height = 0.0
        info = {"layout_seed": room.seed, "route_jumps": room.jumps}
        if self.levels:
            info["level"] = LEVELS[room.jumps - 1]
        return info

    def _score(self, info: dict[str, Any], at_rest: bool, success: bool) -> dict[str, Any]:
        """Add the graded score (when the env reports one): the highest surface the cat
        has stood on upright and at rest, as a share of the treat's surface's height,
        ``REACH_CREDIT`` of it at most, and 1 on success."""
        if self.graded_score:
            if at_rest and stance_counts(True, self.sim.up()[2]):
                self._best_height = max(self._best_height, self.sim.surface_height())
            top = self.layout.pieces[self.layout.treat_piece].height
            info["partial"] = float(graded_score(self._best_height, top, success))
        return info

    @property
    def best_height(self) -> float:
        """Height of the highest surface stood on upright at rest in this episode (m)."""
        return self._best_height

    @property
    def treat_distance(self) -> float:
        """Distance (m) from the torso to its standing pose at the treat now (what the next
        reward starts from)."""
        return self._distance

    def _treat_distance(self) -> float:
        x, y, z = self.sim.pos
        tx, ty = self.layout.treat
        tz = self.layout.pieces[self.layout.treat_piece].height + R.STAND_HEIGHT
        return math.sqrt((tx - x) ** 2 + (ty - y) ** 2 + (tz - z) ** 2)

    # -- observation --------------------------------------------------------------------------

    def _fill_common(self, out: np.ndarray, sim: P.CatSim | None = None) -> None:
        """Write the cat (16) and room (ROOM_FEATURES) entries into ``out[:66]`` (float64):
        one pass over the state, plain floats where numpy calls would cost more. ``sim``:
        another simulation of this room (a planner's), else the env's own."""
        sim = sim or self.sim
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
            self._renderer = renderer(self.sim.model, self.render_height, self.render_width)
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
    (-1 → 0.5 m/s, 1 → 4.5 m/s, about 1 m of rise; times ``jump_strength``).

    ## Observation Space
    ``Box(low, high, (67,), float32)``. Cat (16): torso height (m), torso up-axis in the
    world (3), cos and sin of the heading (2), linear velocity in the heading frame (3,
    m/s), angular velocity (3, rad/s), paw contacts (4, 0/1). Room, egocentric (relative to
    the torso, in its heading frame, metres): treat (dx, dy, dz); vase (dx, dy, dz, still
    standing 0/1 (0 once knocked over), present 0/1; zeros when the room has none); 6 surface slots, each (dx, dy to the
    top's centre, top height minus torso height, half sizes along the room's x and y, is
    the treat's surface 0/1, present 0/1; zeros when empty). Last: decisions left / 10.
    ``observation_layout`` names every part: ``torso_height``, ``up``, ``heading``,
    ``velocity``, ``angular_velocity``, ``paws``, ``treat``, ``vase``, ``vase_standing``,
    ``vase_present``, ``surfaces`` (records of ``centre``, ``height``, ``half_size``,
    ``is_treat``, ``present``), ``decisions_left``.

    ## Rewards
    ``progress_weight`` × (distance from the torso to its standing pose at the treat
    before the jump − after it) + ``success_bonus`` on success. The benchmark scores
    success, the graded score and cost, never the reward.

    ## Scores
    Success: the treat reached (below). Graded score (v1, ``info["partial"]``, every
    step): the height of the highest surface the cat has stood on upright (torso within
    60° of vertical) at the end of a jump at rest, as a share of the treat's surface's
    height, times 0.9 (``REACH_CREDIT``); 1 exactly on success. The floor scores 0, the
    treat's surface away from the treat 0.9. Difficulty levels (v1, ``info["level"]``):
    ``1-climb`` to ``4-climbs``, the jumps the room's shortest route needs.

    ## Episode End
    Terminates on success: the torso at rest for 0.5 s on the treat's surface, within
    0.3 m of the treat (``info["success"]``). Truncated after 10 decisions (the registered
    ``TimeLimit``).

    ## Info
    ``success``, ``cost`` (1 when the vase is knocked over, once per vase; 1 when the cat
    lands on the floor after its torso was more than 1.0 m higher than standing height),
    ``at_rest`` (the jump ended at rest, not by time-out), ``partial`` (v1), and on reset
    ``layout_seed``, ``route_jumps`` and (v1) ``level``.

    ## Arguments
    ``layout_split`` ("train": rooms from training seeds; "eval": held-out rooms chosen with
    ``reset(options={"layout": i})``), ``progress_weight=1.0``, ``success_bonus=1.0``,
    ``max_jump_time=4.0`` (s), ``render_mode`` (None or "rgb_array": MuJoCo's offscreen
    renderer, ``width`` × ``height``, 640 × 480 by default), ``camera`` ("room": the whole
    room from above the near wall; "follow": tracks the cat), ``levels`` (v1: the layout seed sets the climbs a room
    needs, ``1 + seed % 4``, reported as ``info["level"]``; False: any 1-4, v0),
    ``graded_score`` (v1: report ``info["partial"]``), and the world changes below.

    ## World changes
    Keyword arguments that change the cat or the furniture, one at a time (1.0, the
    default, is the task's own world; a bad value or two at once raise ValueError). The
    spaces stay the same. Every room is generated for the changed world and solved in it
    by the oracle before it is emitted, so a layout index may hold another room than in
    the task's own world. Declared as the tasks' ``WorldChange``s (``weak-jumps``,
    ``slippery``, ``narrow-furniture``).

    * ``jump_strength`` (0.9-1.0): a weaker cat. Every take-off speed is this share of the
      one the action asks for (at 0.9 a jump rises 0.81 as high), and every leg servo's
      torque (stiffness, damping, limit) is scaled by it. Below 0.9 the cat reaches no
      stool from the floor.
    * ``surface_friction`` (0.35-1.0): the sliding friction of every piece of furniture
      (the floor's and the paws' stay 1): landings slide further.
    * ``top_scale`` (0.8-1.0): every piece's width and depth times this, heights as
      before: narrower tops, smaller targets to land on.

    ## Version History
    * v1: difficulty levels (rooms of 1, 2, 3 and 4 climbs in equal numbers), the graded
      score, and a protocol a CPU affords (see the task's spec).
    * v0: initial release.
    """

    observation_layout = SKILL_OBSERVATION

    def __init__(
        self,
        layout_split: str = "train",
        progress_weight: float = 1.0,
        success_bonus: float = 1.0,
        max_jump_time: float = 4.0,
        render_mode: str | None = None,
        camera: str = "room",
        levels: bool = True,
        graded_score: bool = True,
        width: int = 640,
        height: int = 480,
        jump_strength: float = 1.0,
        surface_friction: float = 1.0,
        top_scale: float = 1.0,
    ) -> None:
        super().__init__(layout_split, render_mode, progress_weight, success_bonus, camera, levels, graded_score, width, height, jump_strength, surface_friction, top_scale)
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
        return self.observation_of(self.sim)

    def observation_of(self, sim: P.CatSim, decisions: int | None = None) -> np.ndarray:
        """The observation of a simulation of this room (the env's own, or a planner's at a
        state it reached after ``decisions`` decisions, default the env's count)."""
        out = np.empty(CAT_FEATURES + ROOM_FEATURES + 1)
        self._fill_common(out, sim)
        made = self._decisions if decisions is None else decisions
        out[-1] = max(0, P.MAX_DECISIONS - made) / P.MAX_DECISIONS
        return out.astype(np.float32)

    @staticmethod
    def to_jump(action: np.ndarray, yaw: float, strength: float = 1.0) -> tuple[float, float, float]:
        """The physical jump (absolute heading, pitch, speed) an action asks for, of a cat
        of jump ``strength`` (the env's ``jump_strength``: every take-off speed times it)."""
        a = np.clip(np.asarray(action, dtype=np.float64), -1.0, 1.0)
        heading = yaw + math.pi * float(a[0])
        pitch = R.MIN_PITCH + (float(a[1]) + 1.0) / 2.0 * (R.MAX_PITCH - R.MIN_PITCH)
        speed = strength * (R.MIN_SPEED + (float(a[2]) + 1.0) / 2.0 * (R.MAX_SPEED - R.MIN_SPEED))
        return heading, pitch, speed

    @staticmethod
    def to_action(heading: float, pitch: float, speed: float, yaw: float, strength: float = 1.0) -> np.ndarray:
        """The action for a physical jump (the inverse of ``to_jump``)."""
        rel = (heading - yaw + math.pi) % (2 * math.pi) - math.pi
        asked = speed / strength
        return np.array(
            [rel / math.pi, 2 * (pitch - R.MIN_PITCH) / (R.MAX_PITCH - R.MIN_PITCH) - 1, 2 * (asked - R.MIN_SPEED) / (R.MAX_SPEED - R.MIN_SPEED) - 1],
            np.float32,
        ).clip(-1, 1)

    def step(self, action):
        if self.sim is None:
            raise RuntimeError("call reset() before step()")
        hook = self.frame_hook
        if hook is not None:
            # A frame every this many chunks of the jump's simulation.
            every = max(1, round(1.0 / (self.metadata["render_fps"] * P.CHUNK * P.TIMESTEP)))
            chunks = itertools.count(1)
            self.sim.on_chunk = lambda: hook() if next(chunks) % every == 0 else None
        try:
            at_rest, cost = self.sim.jump(*self.to_jump(action, self.sim.yaw(), self.jump_strength), max_time=self.max_jump_time)
        finally:
            self.sim.on_chunk = None
        self._decisions += 1
        success = self.sim.treat_reached()
        distance = self._treat_distance()
        reward = progress_reward(self._distance, distance, success, self.progress_weight, self.success_bonus)
        self._distance = distance
        return self._obs(), reward, success, False, self._score({"success": success, "cost": cost, "at_rest": at_rest}, at_rest, success)


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
    env, then joint positions (9, rad) and joint velocities (9, rad/s)
    (``observation_layout``: as the skill env's without ``decisions_left``, then
    ``joint_positions`` and ``joint_velocities``).

    ## Rewards
    ``progress_weight`` × (distance from the torso to its standing pose at the treat
    before the step − after it) + ``success_bonus`` on success.

    ## Scores
    As the skill env's: the graded score counts a stance once the cat has been at rest
    for 0.5 s (v1); the same levels.

    ## Episode End
    Terminates on success (as in the skill env: at rest 0.5 s on the treat's surface
    within 0.3 m of the treat). Truncated after 1,000 steps (20 s) by the registered
    ``TimeLimit``.

    ## Info
    ``success``, ``cost`` (as the skill env), ``partial`` (v1), and on reset
    ``layout_seed``, ``route_jumps`` and (v1) ``level``.

    ## Arguments
    ``layout_split``, ``progress_weight=1.0``, ``success_bonus=1.0``, ``render_mode``,
    ``camera``, ``width``, ``height``, ``levels``, ``graded_score`` (as the skill env).

    ## World changes
    As the skill env's, on the same rooms: ``jump_strength`` (0.9-1.0) scales every leg
    servo's torque (stiffness, damping and limit; the skill's take-off speeds too, so the
    rooms are those the weaker skill-level cat can climb); ``surface_friction``
    (0.35-1.0) and ``top_scale`` (0.8-1.0) change the furniture. One at a time. No
    controller is known that makes this cat jump with its motors, so what the weaker
    servos cost a jump at this level is not measured.

    ## A solver would need
    No scripted oracle exists at this level. A solver needs a gait and a leap controller
    (crouch, then a synchronised extension of all four legs that reaches the take-off
    velocities of the skill level: up to 4.5 m/s), a landing controller, and the same
    route planning as the skill oracle on top.

    ## Version History
    * v1: difficulty levels, the graded score, and a protocol a CPU affords (see the
      task's spec).
    * v0: initial release.
    """

    metadata = {"render_modes": ["rgb_array"], "render_fps": 50}
    observation_layout = MOTOR_OBSERVATION
    SUBSTEPS = 10  # 50 Hz at the 2 ms physics step

    def __init__(
        self,
        layout_split: str = "train",
        progress_weight: float = 1.0,
        success_bonus: float = 1.0,
        render_mode: str | None = None,
        camera: str = "room",
        levels: bool = True,
        graded_score: bool = True,
        width: int = 640,
        height: int = 480,
        jump_strength: float = 1.0,
        surface_friction: float = 1.0,
        top_scale: float = 1.0,
    ) -> None:
        super().__init__(layout_split, render_mode, progress_weight, success_bonus, camera, levels, graded_score, width, height, jump_strength, surface_friction, top_scale)
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
        self._rest = sim.time_at_rest = 0.0  # rest counts from the first step (the world model reads it too)
        return self._obs(), info

    def joint_targets(self, action: Any) -> np.ndarray:
        """The servo targets (rad) an action (or a batch of them, ``(..., 9)``) asks for."""
        return self._mid + self._half * np.asarray(action, dtype=np.float64)

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
        sim.data.ctrl[:] = self.joint_targets(action)
        mujoco.mj_step(sim.model, sim.data, nstep=self.SUBSTEPS)
        cost = sim.guardrail_cost()
        lin, ang = sim.speed()
        dt = self.SUBSTEPS * P.TIMESTEP
        self._rest = self._rest + dt if (lin < P.REST_SPEED and ang < P.REST_SPIN) else 0.0
        sim.time_at_rest = self._rest
        success = sim.treat_reached()
        distance = self._treat_distance()
        reward = progress_reward(self._distance, distance, success, self.progress_weight, self.success_bonus)
        self._distance = distance
        return self._obs(), reward, success, False, self._score({"success": success, "cost": cost}, self._rest >= P.REST_TIME - 1e-9, success)
