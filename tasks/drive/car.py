"""A small car in PyBullet: a chassis on four wheels that roll on the road with tyre
friction, front wheels steered with Ackermann geometry, rear-wheel drive, brakes on all
four wheels.

Why PyBullet: at the drive protocol's 10 Hz control (6 physics steps of 1/60 s each), a
car on a flat road simulates about two hundred times faster than real time on one core,
and its wheels keep contact through sideways slides; the same car as a MuJoCo model ran
at a similar speed but hopped and rolled when its tyres slid sideways.

Figures are a small hatchback's (the class of a learner's first car): 4.05 m long,
1.75 m wide, 1,150 kg, wheelbase 2.55 m, track 1.48 m, wheels of 0.30 m radius, the
outer front wheel at most 31° and the inner at most 43° (Ackermann) for a turning
circle near 10 m. Tyres are stiff springs (300 kN/m each: without them a rigid car on
four rigid wheels rests on any two diagonal wheels, as the solver likes). Tyre-road
friction is 0.9 on a dry road and 0.5 on a wet one; full brakes lock all four wheels
(no ABS), so a full stop from speed ``v`` takes about ``v² / (2 μ g)``. Published braking distances from 50 km/h are 10-15 m dry and 17-25 m
wet; small cars turn in 9.5-11 m kerb to kerb (``tests/test_drive.py`` checks both).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pybullet as pb


@dataclass(frozen=True)
class CarSpec:
    """The car's dimensions, masses and limits (SI units)."""

    length: float = 4.05
    """Bumper to bumper."""
    width: float = 1.75
    """Body width, mirrors folded."""
    body_height: float = 0.55
    """Height of the box that stands for the body (its collision shape)."""
    mass: float = 1150.0
    """Kerb mass with a driver: chassis and wheels together."""
    wheelbase: float = 2.55
    """Front axle to rear axle."""
    track: float = 1.48
    """Between the centres of the left and right tyres."""
    wheel_radius: float = 0.30
    wheel_width: float = 0.19
    wheel_mass: float = 15.0
    ground_clearance: float = 0.15
    """Road to the underside of the body."""
    max_outer_steer: float = math.radians(31.0)
    """Largest angle of the outer front wheel at full lock; the inner follows Ackermann."""
    max_drive_torque: float = 1200.0
    """At the driven (rear) wheels together, through the gearbox (N m): about 0.35 g."""
    max_brake_torque: float = 6000.0
    """At all four wheels together (N m): enough to lock them all on a dry road, the
    front ones loaded by the weight braking moves forward."""
    tyre_stiffness: float = 3.0e5
    """Vertical stiffness of one tyre (N/m)."""
    tyre_damping: float = 2.0e4
    """Vertical damping of one tyre (N s/m): about critical for a quarter of the car."""
    max_speed: float = 50.0 / 3.6
    """Top speed the throttle drives to (m/s): town driving, 50 km/h."""
    drag_area: float = 0.65
    """Drag coefficient times frontal area (m²): about 0.32 × 2.0 for a small hatchback."""
    rolling_resistance: float = 0.012
    """Rolling resistance coefficient of car tyres on asphalt."""

    @property
    def max_inner_steer(self) -> float:
        return ackermann(self.max_outer_steer, self.wheelbase, self.track)[0]


def ackermann(outer: float, wheelbase: float, track: float) -> tuple[float, float]:
    """The inner and outer front-wheel angles (rad) that roll without scrubbing about one
    centre on the rear axle's line, given the outer wheel's angle (``outer`` ≥ 0)."""
    if outer <= 0:
        return 0.0, 0.0
    centre = wheelbase / math.tan(outer) - track / 2  # rear-axle midpoint to the turn centre
    return math.atan(wheelbase / (centre - track / 2)), outer


def steer_angles(steer: float, spec: CarSpec) -> tuple[float, float]:
    """Left and right front-wheel angles for a steering command in [-1, 1] (positive:
    left): the outer wheel turns ``|steer| × max_outer_steer``, the inner by Ackermann."""
    steer = float(np.clip(steer, -1.0, 1.0))
    inner, outer = ackermann(abs(steer) * spec.max_outer_steer, spec.wheelbase, spec.track)
    if steer >= 0:  # turning left: the left wheel is inside
        return inner, outer
    return -outer, -inner


_Z_TO_Y = pb.getQuaternionFromEuler((math.pi / 2, 0.0, 0.0))
"""A cylinder's axis (z) turned onto the wheel's axle (y)."""

AIR_DENSITY = 1.2
"""kg/m³ at sea level, 20 °C."""

FRICTION = {"dry": 0.9, "wet": 0.5}
"""Tyre-road friction coefficient by road surface."""


class Car:
    """One car on a flat road, in its own PyBullet client (``road``: ``"dry"`` or
    ``"wet"``). ``drive(steer, throttle, brake)`` sets the controls, each in its range
    (steer [-1, 1], throttle and brake [0, 1]); ``step()`` advances one physics step of
    ``timestep`` seconds."""

    def __init__(self, spec: CarSpec = CarSpec(), road: str = "dry", timestep: float = 1.0 / 60.0) -> None:
        if road not in FRICTION:
            raise ValueError(f"road must be one of {sorted(FRICTION)}, got {road!r}")
        self.spec = spec
        self.road = road
        self.timestep = timestep
        self.client = pb.connect(pb.DIRECT)
        self._build()

    def _build(self) -> None:
        c, s = self.client, self.spec
        pb.resetSimulation(physicsClientId=c)
        pb.setGravity(0, 0, -9.81, physicsClientId=c)
        pb.setTimeStep(self.timestep, physicsClientId=c)
        plane = pb.createCollisionShape(pb.GEOM_PLANE, physicsClientId=c)
        self.ground = pb.createMultiBody(0, plane, physicsClientId=c)
        # Bullet multiplies the two surfaces' friction: the road carries the tyre's.
        pb.changeDynamics(self.ground, -1, lateralFriction=FRICTION[self.road], physicsClientId=c)

        body_mass = s.mass - 4 * s.wheel_mass
        half = (s.length / 2, s.width / 2, s.body_height / 2)
        body = pb.createCollisionShape(pb.GEOM_BOX, halfExtents=half, physicsClientId=c)
        # A cylinder's axis is its z: turned onto the axle (y), so the wheel rolls.
        wheel = pb.createCollisionShape(pb.GEOM_CYLINDER, radius=s.wheel_radius, height=s.wheel_width, collisionFrameOrientation=_Z_TO_Y, physicsClientId=c)
        hub = pb.createCollisionShape(pb.GEOM_SPHERE, radius=0.01, physicsClientId=c)
        # The body's centre: its underside at the ground clearance, wheels on the road.
        z_body = s.ground_clearance + s.body_height / 2
        axle_z = s.wheel_radius - z_body
        front, rear, side = s.wheelbase / 2, -s.wheelbase / 2, s.track / 2
        # Links in PyBullet's depth-first order: 0 the left front steering knuckle, 1 its
        # wheel, 2 the right front knuckle, 3 its wheel, 4 and 5 the rear wheels (left,
        # right). Parents count from 1 (0 is the body).
        links = dict(
            linkMasses=[1.0, s.wheel_mass, 1.0, s.wheel_mass, s.wheel_mass, s.wheel_mass],
            linkCollisionShapeIndices=[hub, wheel, hub, wheel, wheel, wheel],
            linkVisualShapeIndices=[-1] * 6,
            linkPositions=[(front, side, axle_z), (0, 0, 0), (front, -side, axle_z), (0, 0, 0), (rear, side, axle_z), (rear, -side, axle_z)],
            linkOrientations=[(0, 0, 0, 1)] * 6,
            linkInertialFramePositions=[(0, 0, 0)] * 6,
            linkInertialFrameOrientations=[(0, 0, 0, 1)] * 6,
            linkParentIndices=[0, 1, 0, 3, 0, 0],
            linkJointTypes=[pb.JOINT_REVOLUTE] * 6,
            linkJointAxis=[(0, 0, 1), (0, 1, 0), (0, 0, 1), (0, 1, 0), (0, 1, 0), (0, 1, 0)],
        )
        self.body = pb.createMultiBody(
            baseMass=body_mass,
            baseCollisionShapeIndex=body,
            basePosition=(0, 0, z_body),
            physicsClientId=c,
            **links,
        )
        self.steering = (0, 2)
        self.wheels = (1, 3, 4, 5)
        self.driven = (4, 5)
        for link in (-1, *range(6)):
            # Bullet damps every link by default with a term quadratic in its speed (about
            # 0.6 g at 50 km/h): the car's losses are modelled in ``step`` instead.
            pb.changeDynamics(self.body, link, linearDamping=0.0, angularDamping=0.0, physicsClientId=c)
        # A solid disc's inertia (the axle is the link's y axis), not Bullet's box estimate.
        spin = 0.5 * s.wheel_mass * s.wheel_radius**2
        tilt = s.wheel_mass * (3 * s.wheel_radius**2 + s.wheel_width**2) / 12
        for link in self.wheels:
            # The tyre's own friction is 1: the road's coefficient is the pair's.
            pb.changeDynamics(
                self.body, link, lateralFriction=1.0, rollingFriction=0.0, spinningFriction=0.0,
                contactStiffness=s.tyre_stiffness, contactDamping=s.tyre_damping, localInertiaDiagonal=(tilt, spin, tilt),
                physicsClientId=c,
            )
        for joint in range(6):  # PyBullet's default velocity motors would act as brakes
            pb.setJointMotorControl2(self.body, joint, pb.VELOCITY_CONTROL, force=0.0, physicsClientId=c)
        self.controls = (0.0, 0.0, 0.0)
        self.drive(0.0, 0.0, 0.0)

    def reset(self) -> None:
        """The car and its world built afresh (a few milliseconds), so what it does next
        cannot depend on anything it did before (the solver keeps state between steps)."""
        self._build()

    def close(self) -> None:
        if self.client >= 0:
            pb.disconnect(physicsClientId=self.client)
            self.client = -1

    def __del__(self) -> None:  # a car dropped without close() frees its client
        try:
            self.close()
        except Exception:  # interpreter shutdown: pybullet may be gone
            pass

    # -- state ----------------------------------------------------------------------------

    def place(self, x: float, y: float, heading: float, speed: float = 0.0) -> None:
        """Put the car at (x, y) facing ``heading`` (rad), rolling forward at ``speed``
        (m/s) with its wheels turning to match, wheels straight."""
        c, s = self.client, self.spec
        z_body = s.ground_clearance + s.body_height / 2
        pb.resetBasePositionAndOrientation(self.body, (x, y, z_body), pb.getQuaternionFromEuler((0, 0, heading)), physicsClientId=c)
        pb.resetBaseVelocity(self.body, (speed * math.cos(heading), speed * math.sin(heading), 0.0), (0, 0, 0), physicsClientId=c)
        for joint in self.steering:
            pb.resetJointState(self.body, joint, 0.0, 0.0, physicsClientId=c)
        for joint in self.wheels:
            pb.resetJointState(self.body, joint, 0.0, speed / s.wheel_radius, physicsClientId=c)

    @property
    def position(self) -> np.ndarray:
        """(x, y) of the body's centre."""
        return np.array(pb.getBasePositionAndOrientation(self.body, physicsClientId=self.client)[0][:2])

    @property
    def heading(self) -> float:
        quat = pb.getBasePositionAndOrientation(self.body, physicsClientId=self.client)[1]
        return float(pb.getEulerFromQuaternion(quat)[2])

    @property
    def velocity(self) -> np.ndarray:
        """(vx, vy) of the body in the world frame."""
        return np.array(pb.getBaseVelocity(self.body, physicsClientId=self.client)[0][:2])

    @property
    def speed(self) -> float:
        """Forward speed (m/s; negative when rolling backwards)."""
        h = self.heading
        return float(self.velocity @ (math.cos(h), math.sin(h)))

    def corner(self, front: bool = True, left: bool = True) -> np.ndarray:
        """(x, y) of a corner of the body (the front-left by default)."""
        s, h = self.spec, self.heading
        dx = s.length / 2 * (1 if front else -1)
        dy = s.width / 2 * (1 if left else -1)
        return self.position + np.array([dx * math.cos(h) - dy * math.sin(h), dx * math.sin(h) + dy * math.cos(h)])

    def wheel_position(self, link: int) -> np.ndarray:
        """(x, y) of a wheel's centre (links: 1 front left, 3 front right, 4 rear left, 5
        rear right)."""
        return np.array(pb.getLinkState(self.body, link, physicsClientId=self.client)[0][:2])

    def wheel_spins(self) -> list[float]:
        """Each wheel's spin about its axle (rad/s; links 1, 3, 4, 5)."""
        return [float(pb.getJointState(self.body, j, physicsClientId=self.client)[1]) for j in self.wheels]

    def wheel_loads(self) -> list[float]:
        """The road's normal force on each wheel (N; links 1, 3, 4, 5)."""
        c = self.client
        return [float(sum(p[9] for p in pb.getContactPoints(self.body, self.ground, j, -1, physicsClientId=c))) for j in self.wheels]

    # -- controls -------------------------------------------------------------------------

    def drive(self, steer: float, throttle: float, brake: float) -> None:
        """Steering in [-1, 1] (positive: left), throttle and brake in [0, 1]. Braking
        overrides the throttle; the throttle drives the rear wheels towards top speed."""
        c, s = self.client, self.spec
        steer, throttle, brake = float(np.clip(steer, -1, 1)), float(np.clip(throttle, 0, 1)), float(np.clip(brake, 0, 1))
        self.controls = (steer, throttle, brake)
        left, right = steer_angles(steer, s)
        for joint, angle in zip(self.steering, (left, right)):
            pb.setJointMotorControl2(self.body, joint, pb.POSITION_CONTROL, targetPosition=angle, force=5000.0, physicsClientId=c)
        if brake > 0:
            # A brake is a motor held at zero spin, as strong as the pedal is pressed.
            for joint in self.wheels:
                pb.setJointMotorControl2(self.body, joint, pb.VELOCITY_CONTROL, targetVelocity=0.0, force=brake * s.max_brake_torque / 4, physicsClientId=c)
            return
        for joint in self.wheels:
            driven = joint in self.driven
            pb.setJointMotorControl2(
                self.body, joint, pb.VELOCITY_CONTROL,
                targetVelocity=s.max_speed / s.wheel_radius if driven else 0.0,
                force=throttle * s.max_drive_torque / 2 if driven else 0.0,
                physicsClientId=c,
            )

    def step(self, n: int = 1) -> None:
        """``n`` physics steps, each with air drag and rolling resistance against the
        body's motion."""
        c, s = self.client, self.spec
        for _ in range(n):
            v = self.velocity
            speed = float(np.hypot(*v))
            if speed > 1e-6:
                resist = 0.5 * AIR_DENSITY * s.drag_area * speed * speed + s.rolling_resistance * s.mass * 9.81
                resist = min(resist, s.mass * speed / self.timestep)  # stops the car, never reverses it
                force = (-resist * v[0] / speed, -resist * v[1] / speed, 0.0)
                where = pb.getBasePositionAndOrientation(self.body, physicsClientId=c)[0]
                pb.applyExternalForce(self.body, -1, force, where, pb.WORLD_FRAME, physicsClientId=c)
            pb.stepSimulation(physicsClientId=c)
