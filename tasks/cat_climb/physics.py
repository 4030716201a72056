"""The cat in a room, as MuJoCo simulates it: building the model, the jump skill, and the
measurements both cat-climb tasks read (pose, contacts, the vase, falls). Task logic
(reward, observation, termination) lives in the envs; the room geometry in ``rooms``."""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path

import numpy as np
from embodied_bench.tasks.cat_climb import rooms as R

from embodied_bench.mujoco_gl import mujoco

ASSETS = Path(__file__).resolve().parent / "assets"
CAT_XML = (ASSETS / "cat.xml").read_bytes()
TIMESTEP = 0.002
CHUNK = 10
"""Physics steps between measurements in the jump skill (0.02 s)."""
REST_SPEED = 0.08
REST_SPIN = 0.8
REST_TIME = 0.5
"""The cat is at rest after this long below REST_SPEED (m/s) and REST_SPIN (rad/s)."""
FALL_LIMIT = 1.0
"""Guardrail: landing on the floor from higher than this (m) costs 1."""
VASE_TILT = math.cos(math.radians(45.0))

_ROOM = """<mujoco model="cat-climb">
  <compiler angle="radian"/>
  <option timestep="{timestep}" integrator="implicitfast"/>
  <visual><global offwidth="640" offheight="480"/><quality shadowsize="2048"/><headlight ambient=".35 .35 .35"/></visual>
  <include file="cat.xml"/>
  <asset>
    <texture name="floor" type="2d" builtin="checker" rgb1=".72 .62 .5" rgb2=".66 .56 .45" width="64" height="64"/>
    <material name="floor" texture="floor" texrepeat="8 8"/>
  </asset>
  <worldbody>
    <light pos="0 -1 3.6" dir="0 .2 -1" diffuse=".75 .75 .72" castshadow="true"/>
    <light pos="2 -3 3" dir="-.4 .6 -.7" diffuse=".35 .35 .35" castshadow="false"/>
    <camera name="room" pos="0 -3.4 3.0" xyaxes="1 0 0 0 .58 .81" fovy="52"/>
    <geom name="floor" type="plane" size="{floor} {floor} .05" material="floor" contype="1" conaffinity="2" friction="1 .02 .002"/>
    <!-- Walls collide everywhere; only the far one is drawn, so the camera sees in. -->
    <geom name="wall_n" type="box" size="{wall} .05 1.3" pos="0 {wall_off} 1.3" contype="1" conaffinity="2" rgba=".88 .86 .8 1"/>
    <geom name="wall_s" type="box" size="{wall} .05 1.3" pos="0 -{wall_off} 1.3" contype="1" conaffinity="2" rgba="0 0 0 0"/>
    <geom name="wall_e" type="box" size=".05 {wall} 1.3" pos="{wall_off} 0 1.3" contype="1" conaffinity="2" rgba="0 0 0 0"/>
    <geom name="wall_w" type="box" size=".05 {wall} 1.3" pos="-{wall_off} 0 1.3" contype="1" conaffinity="2" rgba="0 0 0 0"/>
{furniture}
    <site name="treat" type="sphere" size=".035" pos="{treat_x} {treat_y} {treat_z}" rgba=".95 .2 .25 1"/>
{vase}
  </worldbody>
</mujoco>
"""
_COLOURS = {"stool": ".6 .42 .28 1", "chair": ".5 .33 .2 1", "table": ".62 .45 .3 1", "counter": ".75 .75 .72 1", "dresser": ".45 .3 .2 1", "bookshelf": ".4 .27 .17 1"}


def room_xml(room: R.Room) -> str:
    furniture = []
    for k, p in enumerate(room.pieces):
        furniture.append(
            f'    <geom name="piece{k}" type="box" size="{p.hx:.5f} {p.hy:.5f} {p.height / 2:.5f}" '
            f'pos="{p.cx:.5f} {p.cy:.5f} {p.height / 2:.5f}" rgba="{_COLOURS[p.kind]}" contype="1" conaffinity="2" friction="1 .02 .002"/>'
        )
        if p.back is not None:
            bx, by, bhx, bhy, top = p.back
            furniture.append(
                f'    <geom name="back{k}" type="box" size="{bhx:.5f} {bhy:.5f} {top / 2:.5f}" pos="{bx:.5f} {by:.5f} {top / 2:.5f}" '
                f'rgba="{_COLOURS[p.kind]}" contype="1" conaffinity="2"/>'
            )
    vase = ""
    if room.vase is not None:
        h = room.pieces[room.vase_piece].height
        vase = (
            f'    <body name="vase" pos="{room.vase[0]:.5f} {room.vase[1]:.5f} {h + 0.125:.5f}">\n'
            '      <freejoint name="vase"/>\n'
            '      <geom name="vase" type="cylinder" size=".055 .125" mass=".6" rgba=".3 .5 .85 1" contype="3" conaffinity="3"/>\n'
            "    </body>"
        )
    tp = room.pieces[room.treat_piece]
    return _ROOM.format(
        timestep=TIMESTEP,
        cam_x=0.0,
        cam_y=-3.9,
        cam_xyaxes="1 0 0 0 .62 .78",
        floor=R.ROOM_HALF + 0.5,
        wall=R.ROOM_HALF + 0.05,
        wall_off=R.ROOM_HALF + 0.05,
        furniture="\n".join(furniture),
        treat_x=room.treat[0],
        treat_y=room.treat[1],
        treat_z=tp.height + 0.035,
        vase=vase,
    )


RIGHTING = 2.0
"""Rotational damping of the torso's free joint (N·m·s/rad): the cat's righting reflex
(tail, spine and legs twisting against a tumble), which MJCF cannot express per axis."""


SURFACE_FRICTION = 1.0
"""Sliding friction of the furniture (the ``friction`` of the room's piece geoms)."""
LEG_ACTUATORS = 8
"""The first eight actuators move the legs (the ninth, the tail)."""


def build_model(room: R.Room, surface_friction: float = SURFACE_FRICTION, leg_strength: float = 1.0) -> mujoco.MjModel:
    """The room's model. ``surface_friction``: the furniture's sliding friction (the
    envs' ``surface_friction``); ``leg_strength``: a factor on the torque of every leg
    servo (the envs' ``jump_strength``: a weaker cat is weaker in every muscle)."""
    model = mujoco.MjModel.from_xml_string(room_xml(room), {"cat.xml": CAT_XML})
    root = model.jnt_dofadr[model.joint("root").id]
    model.dof_damping[root + 3 : root + 6] = RIGHTING
    if surface_friction != SURFACE_FRICTION:
        # MuJoCo takes the larger friction of two touching geoms unless one has priority:
        # the pieces get it, so their friction (not the paws') sets the slide.
        for k in range(len(room.pieces)):
            g = model.geom(f"piece{k}").id
            model.geom_friction[g, 0] = surface_friction
            model.geom_priority[g] = 1
    if leg_strength != 1.0:
        # Weaker muscles: every leg servo's torque (stiffness, damping and limit) scaled.
        legs = slice(0, LEG_ACTUATORS)
        model.actuator_gainprm[legs, 0] *= leg_strength
        model.actuator_biasprm[legs, 1:3] *= leg_strength
        model.actuator_forcerange[legs] *= leg_strength
    return model


def _yaw_quat(yaw: float) -> np.ndarray:
    return np.array([math.cos(yaw / 2), 0.0, 0.0, math.sin(yaw / 2)])


class CatSim:
    """One room's simulation and what is measured in it."""

    def __init__(self, room: R.Room, model: mujoco.MjModel | None = None) -> None:
        self.room = room
        self.model = model if model is not None else build_model(room)
        self.data = mujoco.MjData(self.model)
        m = self.model
        self.torso = m.body("torso").id
        self.n_joints = m.nu
        self.joint_qpos = np.array([m.jnt_qposadr[m.actuator_trnid[i, 0]] for i in range(m.nu)])
        self.joint_qvel = np.array([m.jnt_dofadr[m.actuator_trnid[i, 0]] for i in range(m.nu)])
        self.ctrl_low = m.actuator_ctrlrange[:, 0].copy()
        self.ctrl_high = m.actuator_ctrlrange[:, 1].copy()
        self.neutral = np.zeros(m.nu)
        self.vase_adr = m.jnt_qposadr[m.joint("vase").id] if room.vase is not None else None
        self.paw_sensors = np.array([m.sensor_adr[m.sensor(n).id] for n in ("fl_paw", "fr_paw", "hl_paw", "hr_paw")])
        # The observation reads joints and paws as slices: the model keeps them contiguous.
        first_q, first_v, first_s = int(self.joint_qpos[0]), int(self.joint_qvel[0]), int(self.paw_sensors[0])
        assert (self.joint_qpos == np.arange(first_q, first_q + m.nu)).all()
        assert (self.joint_qvel == np.arange(first_v, first_v + m.nu)).all()
        assert (self.paw_sensors == np.arange(first_s, first_s + 4)).all()
        self.joint_q = slice(first_q, first_q + m.nu)
        self.joint_v = slice(first_v, first_v + m.nu)
        self.paw_slice = slice(first_s, first_s + 4)
        self.on_chunk: Callable[[], None] | None = None
        """Called after every simulated chunk of ``settle`` (a jump, a settling) when set
        (clips: a frame per chunk or fewer); it only reads, so it never changes the
        simulation."""
        self.reset()

    # -- state ----------------------------------------------------------------------------

    def reset(self) -> None:
        mujoco.mj_resetData(self.model, self.data)
        x, y, yaw = self.room.start
        self.place(x, y, 0.0, yaw)
        self.vase_broken = False
        self.peak_z = self.data.qpos[2]
        self.time_at_rest = 0.0

    def place(self, x: float, y: float, surface: float, yaw: float) -> None:
        """Stand the cat at (x, y) on a surface of the given height, facing ``yaw``, still."""
        d = self.data
        d.qpos[0:3] = (x, y, surface + R.STAND_HEIGHT + 0.005)
        d.qpos[3:7] = _yaw_quat(yaw)
        d.qpos[self.joint_qpos] = self.neutral
        d.qvel[0:6] = 0.0
        d.qvel[self.joint_qvel] = 0.0
        d.ctrl[:] = self.neutral
        mujoco.mj_forward(self.model, d)

    @property
    def pos(self) -> np.ndarray:
        return self.data.qpos[0:3]

    def yaw(self) -> float:
        w, x, y, z = self.data.qpos[3:7]
        return math.atan2(2 * (w * z + x * y), 1 - 2 * (y * y + z * z))

    def up(self) -> np.ndarray:
        """The torso's up axis in the world frame."""
        return self.data.xmat[self.torso].reshape(3, 3)[:, 2]

    def speed(self) -> tuple[float, float]:
        v = self.data.qvel
        return math.sqrt(v[0] ** 2 + v[1] ** 2 + v[2] ** 2), math.sqrt(v[3] ** 2 + v[4] ** 2 + v[5] ** 2)

    def paws(self) -> np.ndarray:
        return self.data.sensordata[self.paw_slice] > 0.0

    def piece_under(self) -> int:
        x, y, z = self.pos
        return self.room.piece_under(float(x), float(y), float(z))

    def surface_height(self) -> float:
        x, y, z = self.pos
        return self.room.surface_height(float(x), float(y), float(z))

    def vase_upright(self) -> bool:
        if self.vase_adr is None:
            return True
        w, x, y, _ = self.data.qpos[self.vase_adr + 3 : self.vase_adr + 7]
        return 1 - 2 * (x * x + y * y) > VASE_TILT  # z-axis of the vase against world up

    # -- guardrails (call once per measurement) ---------------------------------------------

    def guardrail_cost(self) -> float:
        """Cost since the last call: the vase knocked over (once per vase), or a landing on
        the floor after the torso was more than FALL_LIMIT higher than standing height."""
        cost = 0.0
        if not self.vase_broken and not self.vase_upright():
            self.vase_broken = True
            cost += 1.0
        z = float(self.data.qpos[2])
        if z > self.peak_z:
            self.peak_z = z
        if self.paws().any():
            if z < R.STAND_HEIGHT + 0.12 and self.peak_z - R.STAND_HEIGHT > FALL_LIMIT:
                cost += 1.0
            # Supported again: a fall is measured from here on.
            self.peak_z = z
        return cost

    # -- the jump skill ---------------------------------------------------------------------

    def jump(self, heading: float, pitch: float, speed: float, max_time: float = 4.0) -> tuple[bool, float]:
        """Gather up where the cat stands (upright, facing ``heading``), leap with the
        take-off velocity (``speed`` m/s at ``pitch`` above horizontal), then simulate
        until the cat has been at rest for REST_TIME or ``max_time`` passes.
        Returns (at rest, guardrail cost incurred)."""
        self.jump_start(heading, pitch, speed)
        return self.settle(max_time, min_time=0.1)

    def jump_start(self, heading: float, pitch: float, speed: float) -> None:
        """The take-off: stand up where the cat is, facing ``heading``, and leave the
        ground with the take-off velocity (planners prepare launches with this)."""
        x, y, _ = self.pos
        self.place(float(x), float(y), self.surface_height(), heading)
        d = self.data
        d.qvel[0:3] = (speed * math.cos(pitch) * math.cos(heading), speed * math.cos(pitch) * math.sin(heading), speed * math.sin(pitch))
        self.peak_z = float(d.qpos[2])

    def settle(self, max_time: float, min_time: float = 0.0) -> tuple[bool, float]:
        m, d = self.model, self.data
        cost = 0.0
        rest = 0.0
        t = 0.0
        dt = CHUNK * TIMESTEP
        while t < max_time:
            mujoco.mj_step(m, d, nstep=CHUNK)
            t += dt
            if self.on_chunk is not None:
                self.on_chunk()
            cost += self.guardrail_cost()
            lin, ang = self.speed()
            rest = rest + dt if (lin < REST_SPEED and ang < REST_SPIN and t > min_time) else 0.0
            if rest >= REST_TIME - 1e-9:
                self.time_at_rest = rest
                return True, cost
        self.time_at_rest = rest
        return False, cost

    def treat_reached(self) -> bool:
        """Success: torso at rest for REST_TIME on the treat's surface within 0.3 m of it."""
        if self.time_at_rest < REST_TIME - 1e-9 or self.piece_under() != self.room.treat_piece:
            return False
        x, y, _ = self.pos
        return math.hypot(float(x) - self.room.treat[0], float(y) - self.room.treat[1]) <= 0.3


# -- the oracle's plan, and rooms checked by simulating it ----------------------------------


def planned_points(room: R.Room) -> dict[int, tuple[float, float]]:
    """Where the shortest route stands the cat on each piece it visits (the floor: the
    start), chained from the start with ``rooms.landing_point``."""
    points = {-1: (room.start[0], room.start[1])}
    at = points[-1]
    for piece in room.route[1:]:
        at = R.landing_point(room.pieces[piece], room.treat if piece == room.treat_piece else at)
        points[piece] = at
    return points


def plan_jump(room: R.Room, x: float, y: float, piece: int, strength: float = 1.0) -> tuple[float, float, float] | None:
    """The oracle's next jump (absolute heading, pitch, speed) from (x, y) standing on
    ``piece`` (-1 floor), following the shortest route: on the floor, first a hop to a
    run-up spot near the next piece; on a piece, straight to the next piece when that jump
    is clear, else a hop back to where the route stands on this piece; on the treat's
    surface, a hop to the treat. ``strength``: the cat's jump strength (``rooms.solve_jump``)."""
    goal = room.treat_piece
    if piece == goal:
        return _hop(room, x, y, piece, R.landing_point(room.pieces[goal], room.treat), strength)
    if piece < 0:
        route = R.shortest_route(room.pieces, (x, y), goal, strength) or room.route
        nxt = route[1]
        land = R.landing_point(room.pieces[nxt], room.treat if nxt == goal else (x, y))
        spot = R.floor_spot(room.pieces, land, (x, y))
        if spot is None:
            return None
        if math.hypot(spot[0] - x, spot[1] - y) > 0.25:
            return _floor_hop(room, x, y, spot, strength)
        return _jump_to(room, x, y, piece, nxt, land, strength)
    points = planned_points(room)
    if piece in room.route:
        nxt = room.route[room.route.index(piece) + 1]
        direct = _jump_to(room, x, y, piece, nxt, points[nxt], strength)
        return direct if direct is not None else _hop(room, x, y, piece, points[piece], strength)
    # Off the route (a landing went astray): the shortest way on from here.
    detour = _route_from(room, piece, (x, y), strength)
    if detour is None:
        return None
    nxt = detour[1]
    return _jump_to(room, x, y, piece, nxt, R.landing_point(room.pieces[nxt], room.treat if nxt == goal else (x, y)), strength)


def _jump_to(room: R.Room, x: float, y: float, piece: int, nxt: int, land: tuple[float, float], strength: float) -> tuple[float, float, float] | None:
    here = 0.0 if piece < 0 else room.pieces[piece].height
    start = (x, y, here + R.STAND_HEIGHT)
    target = (land[0], land[1], room.pieces[nxt].height + R.STAND_HEIGHT)
    return R.solve_jump(start, target, room.boxes(), land_on=nxt, take_off=piece if piece >= 0 else None, strength=strength)


def _hop(room: R.Room, x: float, y: float, piece: int, to: tuple[float, float], strength: float) -> tuple[float, float, float] | None:
    """A small jump within the current surface (or along the floor) to ``to``."""
    here = 0.0 if piece < 0 else room.pieces[piece].height
    boxes = [b for k, b in enumerate(room.boxes()) if k != piece]
    return R.solve_jump((x, y, here + R.STAND_HEIGHT), (to[0], to[1], here + R.STAND_HEIGHT), boxes, strength=strength)


def _floor_hop(room: R.Room, x: float, y: float, to: tuple[float, float], strength: float) -> tuple[float, float, float] | None:
    """Hop along the floor towards ``to``, at most 1.2 m at a time, around furniture."""
    dx, dy = to[0] - x, to[1] - y
    dist = math.hypot(dx, dy)
    step = min(1.0, 1.2 / dist) if dist > 0 else 1.0
    for frac in (step, step * 0.6, step * 0.3):
        plan = _hop(room, x, y, -1, (x + dx * frac, y + dy * frac), strength)
        if plan is not None:
            return plan
    return None


def _route_from(room: R.Room, piece: int, xy: tuple[float, float], strength: float) -> tuple[int, ...] | None:
    """Shortest route from a piece (breadth-first, as ``rooms.shortest_route`` from the floor)."""
    boxes = room.boxes()
    queue = deque([(piece, xy, (piece,))])
    seen = {piece}
    while queue:
        node, at, path = queue.popleft()
        for nxt in range(len(room.pieces)):
            if nxt in seen:
                continue
            land = R._jump_ok(boxes, room.pieces, node, nxt, at, strength)
            if land is None:
                continue
            if nxt == room.treat_piece:
                return path + (nxt,)
            seen.add(nxt)
            queue.append((nxt, land, path + (nxt,)))
    return None


MAX_DECISIONS = 10


def oracle_solves(room: R.Room, model: mujoco.MjModel | None = None, strength: float = 1.0, surface_friction: float = SURFACE_FRICTION) -> bool:
    """Simulate the oracle in ``room``: True when it reaches the treat without any cost
    within the decision limit, jumping with ``strength`` on furniture of
    ``surface_friction`` (``model``, when given, must have been built with it)."""
    sim = CatSim(room, model if model is not None else build_model(room, surface_friction, strength))
    sim.settle(0.3)
    for _ in range(MAX_DECISIONS):
        x, y, _ = sim.pos
        plan = plan_jump(room, float(x), float(y), sim.piece_under(), strength)
        if plan is None:
            return False
        _, cost = sim.jump(*plan)
        if cost > 0:
            return False
        if sim.treat_reached():
            return True
    return False


@lru_cache(maxsize=512)
def room(seed: int, climbs: int | None = None, strength: float = 1.0, surface_friction: float = SURFACE_FRICTION, top_scale: float = 1.0) -> R.Room:
    """The validated room for ``seed``: the first geometric candidate that the oracle
    really solves in simulation (rooms are never emitted unchecked). ``climbs``: only a
    room whose shortest route needs exactly that many jumps (a difficulty level).
    ``strength``, ``surface_friction`` and ``top_scale``: the world changes (the envs'
    ``jump_strength``, ``surface_friction``, ``top_scale``): the candidates are drawn with
    that furniture, the route is planned and simulated for that cat on that furniture, and
    all three are in the cache key (they are arguments)."""
    # Up to 20,000 candidates for a level: under the changes a room of four climbs is one
    # candidate in several hundred (5,000 sufficed for the task's own world).
    for attempt in range(20_000 if climbs is not None else 2_000):
        cand = R.candidate(seed, attempt, strength, top_scale)
        if cand is not None and (climbs is None or cand.jumps == climbs) and oracle_solves(cand, None, strength, surface_friction):
            return cand
    raise RuntimeError(f"no solvable room found for seed {seed}")  # pragma: no cover
