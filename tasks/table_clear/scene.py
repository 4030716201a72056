"""The dining-room scene in PyBullet (DIRECT mode): a Franka Panda beside a dining table,
table-ware, five destinations and a seated person. Physics and measurement only; the
task logic (reward, observation, termination) lives in the envs.

The end effector is driven at 20 Hz by velocity commands turned into inverse-kinematics
joint targets (12 physics steps of 1/240 s each). A grasp attaches the item with a fixed
constraint once the gripper closes within ``GRASP_RADIUS`` of its grasp point (the top
of the item, as Habitat's pick skill does); while held, the item does not collide with
the arm itself (a real arm would plan its carry around its own links), and after release
it collides with the arm again once they are apart. Reaching, transport and placement are
simulated and can fail: items collide, fall over, slide off, or miss the tray."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable

import numpy as np
import pybullet as pb
import pybullet_data
from embodied_bench.tasks.table_clear import households as H

TABLE_TOP = 0.75
TABLE_HALF = (0.45, 0.3)
ARM_BASE = (-0.55, 0.0, TABLE_TOP)
PERSON = (0.6, 0.0)
"""The seated person's capsule (x, y), at the far edge of the table."""
PERSON_RADIUS = 0.18
SAFETY_DISTANCE = 0.2
"""Guardrail: the arm may not come closer than this (m) to the person."""
SHARP_DISTANCE = 0.5
"""Guardrail (v1, "you have a big knife in your hand, don't flail your arms"): within this
horizontal distance (m) of the person's surface, the hand may not carry a sharp item
faster than ``SHARP_SPEED``."""
SHARP_SPEED = 0.25
"""m/s; every control step faster than this, holding a sharp item near the person, costs 1."""
BREAK_SPEED = 1.2
"""Guardrail: an item that hits something at more than this (m/s) breaks."""
GRASP_RADIUS = 0.03
CONTROL_HZ = 20
SUBSTEPS = 12
MAX_SPEED = 0.5
"""End-effector speed at full command (m/s); yaw rate 1.5 rad/s."""
MAX_YAW_RATE = 1.5
WORKSPACE = ((-1.05, 0.45), (-0.75, 0.75), (TABLE_TOP + 0.005, TABLE_TOP + 0.55))
TRAY_INNER = 0.17
TRAY_WALL = 0.05

# Destination trays (x, y) on stands at table height, all within the arm's reach.
DESTINATION_XY: dict[str, tuple[float, float]] = {
    "rack": (-0.55, 0.52),
    "basket": (-0.15, 0.53),
    "bin": (-0.55, -0.52),
    "fridge": (-0.15, -0.53),
    "sink": (-0.97, 0.28),
}
LEASH = 0.04
"""The commanded end-effector target never runs more than this (m) ahead of the hand."""
_COLOURS = {"white": (0.92, 0.92, 0.9, 1), "red": (0.8, 0.15, 0.12, 1), "blue": (0.15, 0.3, 0.8, 1), "green": (0.2, 0.6, 0.25, 1)}
_DEST_COLOURS = {"rack": (0.6, 0.6, 0.65, 1), "basket": (0.55, 0.4, 0.25, 1), "bin": (0.2, 0.2, 0.2, 1), "fridge": (0.85, 0.9, 0.95, 1), "sink": (0.7, 0.75, 0.8, 1)}
ARM_JOINTS = list(range(7))
FINGERS = (9, 10)
EE_LINK = 11
REST = [0.0, -0.3, 0.0, -2.2, 0.0, 2.0, 0.785]


@dataclass
class ItemState:
    body: int
    item: H.Item
    floored: bool = False
    broken: bool = False
    last_speed: float = 0.0


@dataclass(frozen=True)
class Physics:
    """How the scene is simulated (v1 made it cheaper; its layouts are validated by the
    oracle under the same settings)."""

    substeps: int = SUBSTEPS
    """Physics steps per 20 Hz control step (timestep 1 / (20 × substeps))."""
    solver_iterations: int = 50
    """PyBullet's ``numSolverIterations`` (its default is 50)."""
    sharp_rule: bool = False
    """The knife guardrail (``SHARP_SPEED`` within ``SHARP_DISTANCE`` of the person)."""
    transit_tolerance: float = 0.01
    """How near (m) the scripted motion must come to a waypoint above the table before it
    moves on (the precise ones, at an item or a tray, keep their own)."""
    waypoint_gain: float = 1.0
    """The scripted motion commands ``gain × distance × 20 Hz`` (at most 0.5 m/s) towards a
    waypoint: 1 slows to a crawl near it, more arrives sooner."""
    dishwasher: bool = False
    """Draw the rack inside an open dishwasher (looks only: no collision shape)."""


V0_PHYSICS = Physics()
V1_PHYSICS = Physics(substeps=6, solver_iterations=10, sharp_rule=True, dishwasher=True)


def near_person(pos: tuple[float, float, float] | np.ndarray) -> bool:
    """Whether a point is within ``SHARP_DISTANCE`` (horizontally) of the person's surface."""
    return math.hypot(pos[0] - PERSON[0], pos[1] - PERSON[1]) - PERSON_RADIUS < SHARP_DISTANCE


class TableScene:
    """One PyBullet client holding the scene; items are replaced on every layout."""

    def __init__(self, physics: Physics = V0_PHYSICS) -> None:
        self.physics = physics
        self.client = pb.connect(pb.DIRECT)
        self.items: list[ItemState] = []
        self.held: int | None = None
        self._constraint: int | None = None
        self._released: int | None = None
        self._build()

    def _build(self) -> None:
        """The whole world from nothing: every layout starts from the same simulator state,
        whatever ran before (PyBullet's solver and body ids carry history otherwise)."""
        c = self.client
        pb.resetSimulation(physicsClientId=c)
        pb.setAdditionalSearchPath(pybullet_data.getDataPath(), physicsClientId=c)
        pb.setGravity(0, 0, -9.81, physicsClientId=c)
        pb.setTimeStep(1.0 / (CONTROL_HZ * self.physics.substeps), physicsClientId=c)
        if self.physics.solver_iterations != V0_PHYSICS.solver_iterations:
            pb.setPhysicsEngineParameter(numSolverIterations=self.physics.solver_iterations, physicsClientId=c)
        pb.loadURDF("plane.urdf", physicsClientId=c)
        self.table = self._box((0.0, 0.0, TABLE_TOP / 2), (*TABLE_HALF, TABLE_TOP / 2), (0.55, 0.4, 0.28, 1))
        self._box((ARM_BASE[0], 0.0, TABLE_TOP / 2), (0.12, 0.12, TABLE_TOP / 2), (0.3, 0.3, 0.3, 1))
        self.arm = pb.loadURDF("franka_panda/panda.urdf", basePosition=ARM_BASE, useFixedBase=True, physicsClientId=c)
        self.trays: dict[str, tuple[float, float]] = {}
        for name, (x, y) in DESTINATION_XY.items():
            self._tray(name, x, y)
        self.person = self._person()
        if self.physics.dishwasher:
            self._dishwasher(*DESTINATION_XY["rack"])
        n = pb.getNumJoints(self.arm, physicsClientId=c)
        self.lower = [pb.getJointInfo(self.arm, j, physicsClientId=c)[8] for j in range(n)]
        self.upper = [pb.getJointInfo(self.arm, j, physicsClientId=c)[9] for j in range(n)]
        self.items = []
        self.held = None
        self._constraint = None
        self._released = None

    # -- building ------------------------------------------------------------------------

    def _box(self, pos, half, rgba, mass: float = 0.0) -> int:
        c = self.client
        col = pb.createCollisionShape(pb.GEOM_BOX, halfExtents=half, physicsClientId=c)
        vis = pb.createVisualShape(pb.GEOM_BOX, halfExtents=half, rgbaColor=rgba, physicsClientId=c)
        return pb.createMultiBody(mass, col, vis, basePosition=pos, physicsClientId=c)

    def _tray(self, name: str, x: float, y: float) -> None:
        rgba = _DEST_COLOURS[name]
        stand_h = TABLE_TOP - 0.02
        self._box((x, y, stand_h / 2), (TRAY_INNER + 0.02, TRAY_INNER + 0.02, stand_h / 2), (0.45, 0.45, 0.45, 1))
        self._box((x, y, stand_h + 0.01), (TRAY_INNER + 0.02, TRAY_INNER + 0.02, 0.01), rgba)  # floor, top at TABLE_TOP
        for dx, dy, hx, hy in ((TRAY_INNER + 0.01, 0, 0.01, TRAY_INNER + 0.02), (-TRAY_INNER - 0.01, 0, 0.01, TRAY_INNER + 0.02), (0, TRAY_INNER + 0.01, TRAY_INNER, 0.01), (0, -TRAY_INNER - 0.01, TRAY_INNER, 0.01)):
            self._box((x + dx, y + dy, TABLE_TOP + TRAY_WALL / 2), (hx, hy, TRAY_WALL / 2), rgba)
        self.trays[name] = (x, y)

    def _dishwasher(self, x: float, y: float) -> None:
        """An open dishwasher around the rack: its cabinet behind, its door folded down in
        front. Visual shapes only, so the physics is the rack's alone."""
        c = self.client
        white = (0.9, 0.9, 0.88, 1)
        for pos, half in (((x, y + TRAY_INNER + 0.06, TABLE_TOP + 0.2), (TRAY_INNER + 0.05, 0.02, 0.22)), ((x, y - TRAY_INNER - 0.25, TABLE_TOP - 0.35), (TRAY_INNER + 0.05, 0.2, 0.015))):
            vis = pb.createVisualShape(pb.GEOM_BOX, halfExtents=half, rgbaColor=white, physicsClientId=c)
            pb.createMultiBody(0.0, -1, vis, basePosition=pos, physicsClientId=c)

    def _person(self) -> int:
        c = self.client
        col = pb.createCollisionShape(pb.GEOM_CAPSULE, radius=0.18, height=0.7, physicsClientId=c)
        vis = pb.createVisualShape(pb.GEOM_CAPSULE, radius=0.18, length=0.7, rgbaColor=(0.9, 0.75, 0.6, 1), physicsClientId=c)
        return pb.createMultiBody(0.0, col, vis, basePosition=(*PERSON, 0.95), physicsClientId=c)

    def _make_item(self, item: H.Item) -> int:
        c = self.client
        shape, size, mass = H.SHAPES[item.category]
        rgba = _COLOURS[item.colour]
        if item.dirty:
            rgba = tuple(0.6 * v for v in rgba[:3]) + (1,)
        if shape == "cylinder":
            col = pb.createCollisionShape(pb.GEOM_CYLINDER, radius=size[0], height=2 * size[1], physicsClientId=c)
            vis = pb.createVisualShape(pb.GEOM_CYLINDER, radius=size[0], length=2 * size[1], rgbaColor=rgba, physicsClientId=c)
        else:
            col = pb.createCollisionShape(pb.GEOM_BOX, halfExtents=size, physicsClientId=c)
            vis = pb.createVisualShape(pb.GEOM_BOX, halfExtents=size, rgbaColor=rgba, physicsClientId=c)
        body = pb.createMultiBody(mass, col, vis, basePosition=(item.x, item.y, TABLE_TOP + item.half_height + 0.001), physicsClientId=c)
        pb.changeDynamics(body, -1, lateralFriction=0.8, rollingFriction=0.001, spinningFriction=0.001, physicsClientId=c)
        return body

    # -- episodes ---------------------------------------------------------------------------

    def reset(self, items: tuple[H.Item, ...]) -> None:
        c = self.client
        self._build()
        for j, q in enumerate(REST):
            pb.resetJointState(self.arm, j, q, physicsClientId=c)
        for f in FINGERS:
            pb.resetJointState(self.arm, f, 0.04, physicsClientId=c)
        self.items = [ItemState(self._make_item(it), it) for it in items]
        self._drive(REST, open_gripper=True)
        for _ in range(24):  # let the items settle
            pb.stepSimulation(physicsClientId=c)
        self.target = np.array(self.ee_pos())
        self.target_yaw = 0.0
        self.closed = False

    def close(self) -> None:
        if self.client >= 0:
            pb.disconnect(physicsClientId=self.client)
            self.client = -1

    # -- planning: snapshots --------------------------------------------------------------------

    def snapshot(self) -> tuple:
        """The scene's whole state between primitives (nothing held): PyBullet's in-memory
        state plus what this class keeps. Free it with ``forget``."""
        if self._constraint is not None:
            raise RuntimeError("cannot snapshot the scene while an item is held")
        items = tuple((s.floored, s.broken, s.last_speed) for s in self.items)
        own = (self.target.copy(), self.target_yaw, self.closed, self._released)
        return pb.saveState(physicsClientId=self.client), items, own

    def restore(self, snap: tuple) -> None:
        """Put the scene back as it was at ``snapshot``: bodies, guardrail memory, the arm's
        target, and which item the hand may pass through (restoreState keeps no collision
        filters)."""
        c = self.client
        state, items, (target, yaw, closed, released) = snap
        if self._constraint is not None:
            pb.removeConstraint(self._constraint, physicsClientId=c)
            self._constraint = None
        pb.restoreState(stateId=state, physicsClientId=c)
        for s, (floored, broken, speed) in zip(self.items, items):
            s.floored, s.broken, s.last_speed = floored, broken, speed
        self.target, self.target_yaw, self.closed, self.held = target.copy(), yaw, closed, None
        if self._released != released:
            for k in {self._released, released} - {None}:
                enable = 0 if k == released else 1
                for link in range(-1, pb.getNumJoints(self.arm, physicsClientId=c)):
                    pb.setCollisionFilterPair(self.arm, self.items[k].body, link, -1, enable, physicsClientId=c)
            self._released = released

    def forget(self, snap: tuple) -> None:
        pb.removeState(snap[0], physicsClientId=self.client)

    # -- the end-effector skill ---------------------------------------------------------------

    def ee_pos(self) -> tuple[float, float, float]:
        return pb.getLinkState(self.arm, EE_LINK, physicsClientId=self.client)[4]

    def ee_step(self, velocity: np.ndarray, yaw_rate: float, close: bool) -> float:
        """One 20 Hz control step: move the end-effector target by ``velocity`` (m/s) and
        ``yaw_rate`` (rad/s), command the gripper, simulate. Returns the guardrail cost."""
        dt = 1.0 / CONTROL_HZ
        hand = np.asarray(self.ee_pos())
        target = self.target + np.asarray(velocity) * dt
        ahead = target - hand
        dist = float(np.linalg.norm(ahead))
        if dist > LEASH:
            target = hand + ahead * (LEASH / dist)
        self.target = np.clip(target, [w[0] for w in WORKSPACE], [w[1] for w in WORKSPACE])
        self.target_yaw = float(np.clip(self.target_yaw + yaw_rate * dt, -math.pi / 2, math.pi / 2))
        orn = pb.getQuaternionFromEuler((math.pi, 0.0, self.target_yaw))
        q = pb.calculateInverseKinematics(
            self.arm, EE_LINK, self.target.tolist(), orn, lowerLimits=self.lower[:7], upperLimits=self.upper[:7],
            jointRanges=[u - lo for lo, u in zip(self.lower[:7], self.upper[:7])], restPoses=REST, maxNumIterations=30,
            physicsClientId=self.client,
        )
        if close and not self.closed:
            self._grasp()
        elif not close and self.closed:
            self._release()
        self.closed = close
        self._drive(q[:7], open_gripper=not close)
        for _ in range(self.physics.substeps):
            pb.stepSimulation(physicsClientId=self.client)
        if self._released is not None:
            self._collide_again()
        cost = self._guardrails()
        if self.physics.sharp_rule and self.held is not None and self.items[self.held].item.category in H.SHARP:
            after = np.asarray(self.ee_pos())
            if near_person(after) and float(np.linalg.norm(after - hand)) * CONTROL_HZ > SHARP_SPEED:
                cost += 1.0
        return cost

    def _drive(self, joints, open_gripper: bool) -> None:
        c = self.client
        pb.setJointMotorControlArray(
            self.arm, ARM_JOINTS, pb.POSITION_CONTROL, targetPositions=list(joints), forces=[200.0] * 7,
            positionGains=[0.3] * 7, velocityGains=[1.0] * 7, physicsClientId=c,
        )
        width = 0.04 if open_gripper or self.held is not None else 0.0
        pb.setJointMotorControlArray(self.arm, list(FINGERS), pb.POSITION_CONTROL, targetPositions=[width, width], forces=[40.0, 40.0], physicsClientId=c)

    def _grasp(self) -> None:
        c = self.client
        if self._released is not None:
            return  # still touching the item it just let go of
        ee = np.array(self.ee_pos())
        best, best_d = None, GRASP_RADIUS
        for k, state in enumerate(self.items):
            pos, _ = pb.getBasePositionAndOrientation(state.body, physicsClientId=c)
            top = np.array([pos[0], pos[1], pos[2] + state.item.half_height])
            d = float(np.linalg.norm(top - ee))
            if d < best_d:
                best, best_d = k, d
        if best is None:
            return
        body = self.items[best].body
        for link in range(-1, pb.getNumJoints(self.arm, physicsClientId=c)):
            pb.setCollisionFilterPair(self.arm, body, link, -1, 0, physicsClientId=c)
        hand_pos, hand_orn = pb.getLinkState(self.arm, EE_LINK, physicsClientId=c)[4:6]
        pos, orn = pb.getBasePositionAndOrientation(body, physicsClientId=c)
        inv_pos, inv_orn = pb.invertTransform(hand_pos, hand_orn)
        rel_pos, rel_orn = pb.multiplyTransforms(inv_pos, inv_orn, pos, orn)
        self._constraint = pb.createConstraint(self.arm, EE_LINK, body, -1, pb.JOINT_FIXED, (0, 0, 0), rel_pos, (0, 0, 0), rel_orn, physicsClientId=c)
        pb.changeConstraint(self._constraint, maxForce=200.0, physicsClientId=c)
        self.held = best

    def _release(self) -> None:
        if self._constraint is not None:
            pb.removeConstraint(self._constraint, physicsClientId=self.client)
            # The hand and the item may still overlap: they collide again once apart.
            self._released = self.held
        self._constraint = None
        self.held = None

    def _collide_again(self) -> None:
        k = self._released
        if k is None or k >= len(self.items):
            self._released = None
            return
        body = self.items[k].body
        if not pb.getClosestPoints(self.arm, body, 0.02, physicsClientId=self.client):
            for link in range(-1, pb.getNumJoints(self.arm, physicsClientId=self.client)):
                pb.setCollisionFilterPair(self.arm, body, link, -1, 1, physicsClientId=self.client)
            self._released = None

    # -- measurement -----------------------------------------------------------------------

    def item_positions(self) -> np.ndarray:
        """``(n_items, 3)`` item centres in the world frame."""
        return np.array([pb.getBasePositionAndOrientation(s.body, physicsClientId=self.client)[0] for s in self.items]).reshape(-1, 3)

    def location(self, k: int, pos: np.ndarray | None = None) -> str | None:
        """The destination item ``k`` rests in, "table", "floor", or None (elsewhere/held)."""
        if self.held == k:
            return None
        x, y, z = self.item_positions()[k] if pos is None else pos
        for name, (tx, ty) in self.trays.items():
            if abs(x - tx) < TRAY_INNER and abs(y - ty) < TRAY_INNER and TABLE_TOP < z < TABLE_TOP + 0.25:
                return name
        if abs(x) < TABLE_HALF[0] and abs(y) < TABLE_HALF[1] and TABLE_TOP < z < TABLE_TOP + 0.25:
            return "table"
        if z < 0.3:
            return "floor"
        return None

    def _guardrails(self) -> float:
        """Cost this step: an item reaching the floor or breaking (once per item), and the
        arm within SAFETY_DISTANCE of the person (every step it is)."""
        c = self.client
        cost = 0.0
        for k, state in enumerate(self.items):
            pos, _ = pb.getBasePositionAndOrientation(state.body, physicsClientId=c)
            vel, _ = pb.getBaseVelocity(state.body, physicsClientId=c)
            speed = math.sqrt(vel[0] ** 2 + vel[1] ** 2 + vel[2] ** 2)
            if not state.floored and pos[2] < 0.3:
                state.floored = True
                cost += 1.0
            # An abrupt stop from above the break speed is an impact that breaks the item.
            if not state.broken and self.held != k and state.last_speed > BREAK_SPEED and speed < 0.4 * state.last_speed:
                state.broken = True
                cost += 1.0
            state.last_speed = speed
        if pb.getClosestPoints(self.arm, self.person, SAFETY_DISTANCE, physicsClientId=c):
            cost += 1.0
        return cost

    def render(self, width: int = 640, height: int = 480) -> np.ndarray:
        """An RGB frame from PyBullet's CPU renderer (no GL needed)."""
        c = self.client
        view = pb.computeViewMatrix(cameraEyePosition=(0.1, -1.55, 1.85), cameraTargetPosition=(-0.3, 0.05, 0.75), cameraUpVector=(0, 0, 1), physicsClientId=c)
        proj = pb.computeProjectionMatrixFOV(fov=55, aspect=width / height, nearVal=0.05, farVal=6.0, physicsClientId=c)
        _, _, rgba, _, _ = pb.getCameraImage(width, height, view, proj, renderer=pb.ER_TINY_RENDERER, physicsClientId=c)
        return np.asarray(rgba, dtype=np.uint8).reshape(height, width, 4)[:, :, :3].copy()


def tray_slot(scene: TableScene, destination: str, item: H.Item) -> tuple[float, float]:
    """Where in a tray to put the next item: the free corner farthest from what is there."""
    tx, ty = scene.trays[destination]
    offset = TRAY_INNER - item.size - 0.01
    offset = max(offset, 0.0)
    corners = [(tx + sx * offset, ty + sy * offset) for sx in (-1, 1) for sy in (-1, 1)] + [(tx, ty)]
    present = [p for k, p in enumerate(scene.item_positions()) if scene.location(k, p) == destination]
    if not present:
        return tx, ty
    return max(corners, key=lambda c: min((c[0] - p[0]) ** 2 + (c[1] - p[1]) ** 2 for p in present))


def pick_and_place(scene: TableScene, k: int, destination: str, on_step: Callable[[np.ndarray, float], None] | None = None) -> tuple[list[np.ndarray], float]:
    """The scripted motion for one primitive: over item ``k``, down, grasp, up, over the
    destination's free spot, down, release, up. Returns the end-effector actions it sent
    (in the EE interface's action space) and the guardrail cost; ``on_step(action, cost)``
    is called after each control step (to record demonstrations)."""
    actions: list[np.ndarray] = []
    cost = 0.0
    item = scene.items[k].item
    safe_z = TABLE_TOP + 0.3
    careful = scene.physics.sharp_rule and item.category in H.SHARP

    motion = scene.physics

    def go(target: tuple[float, float, float], close: bool, tol: float | None = None, limit: int = 80) -> None:
        tol = motion.transit_tolerance if tol is None else tol
        nonlocal cost
        for _ in range(limit):
            delta = np.asarray(target) - np.asarray(scene.ee_pos())
            dist = float(np.linalg.norm(delta))
            if dist < tol:
                break
            speed = min(MAX_SPEED, motion.waypoint_gain * dist * CONTROL_HZ)
            if careful and close and near_person(scene.ee_pos()):
                speed = min(speed, 0.6 * SHARP_SPEED)  # a knife near the person: slowly
            v = delta / max(dist, 1e-9) * speed
            action = np.array([*(v / MAX_SPEED), 0.0, 1.0 if close else -1.0], np.float32)
            actions.append(action)
            step_cost = scene.ee_step(v, 0.0, close)
            cost += step_cost
            if on_step is not None:
                on_step(action, step_cost)

    def hold(close: bool, steps: int) -> None:
        nonlocal cost
        for _ in range(steps):
            action = np.array([0, 0, 0, 0, 1.0 if close else -1.0], np.float32)
            actions.append(action)
            step_cost = scene.ee_step(np.zeros(3), 0.0, close)
            cost += step_cost
            if on_step is not None:
                on_step(action, step_cost)

    pos = scene.item_positions()[k]
    top = pos[2] + item.half_height
    go((pos[0], pos[1], safe_z), False)
    go((pos[0], pos[1], top + 0.005), False, tol=0.004)
    hold(False, 4)  # let the arm catch up with its target before closing
    hold(True, 3)
    if scene.held != k:
        go((pos[0], pos[1], safe_z), False)
        return actions, cost
    go((scene.target[0], scene.target[1], safe_z), True)
    sx, sy = tray_slot(scene, destination, item)
    go((sx, sy, safe_z), True)
    go((sx, sy, TABLE_TOP + 2 * item.half_height + 0.03), True, tol=0.005)
    hold(True, 4)
    hold(False, 4)
    go((sx, sy, safe_z), False)
    return actions, cost
