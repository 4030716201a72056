"""The drive family's car against published figures for a small car, and its controls.

Published figures: braking distance from 50 km/h 10-15 m on a dry road and 17-25 m on a
wet one (driving-test tables give 12.5-14 m dry, 20 m wet); turning circle of small
hatchbacks 9.5-11 m kerb to kerb; 0-50 km/h in about 4-6 s; coasting from 50 km/h loses
0.1-0.4 m/s² to air and tyres."""

from __future__ import annotations

import math

import numpy as np
import pytest
from embodied_bench.tasks.drive.car import FRICTION, Car, CarSpec, ackermann, steer_angles

KMH50 = 50 / 3.6


@pytest.fixture
def make_car():
    cars: list[Car] = []

    def make(**kwargs) -> Car:
        cars.append(Car(**kwargs))
        return cars[-1]

    yield make
    for car in cars:
        car.close()


def _circle_diameter(points: list[np.ndarray]) -> float:
    """Least-squares circle through ``points`` (x, y): its diameter."""
    p = np.asarray(points)
    a = np.c_[2 * p, np.ones(len(p))]
    cx, cy, k = np.linalg.lstsq(a, (p**2).sum(axis=1), rcond=None)[0]
    return 2 * math.sqrt(k + cx * cx + cy * cy)


def _braking(car: Car) -> tuple[float, list[float]]:
    """Distance to a stop from 50 km/h at full brake, and the wheels' spin half a second in."""
    car.place(0.0, 0.0, 0.0, KMH50)
    car.drive(0.0, 0.0, 1.0)
    start = car.position.copy()
    spins: list[float] = []
    for i in range(600):  # 10 s
        car.step()
        if i == 30:
            spins = car.wheel_spins()
        if car.speed < 0.05:
            break
    return float(np.linalg.norm(car.position - start)), spins


@pytest.mark.parametrize(("road", "low", "high"), [("dry", 10.0, 15.0), ("wet", 17.0, 25.0)])
def test_braking_distance_from_50_kmh(make_car, road, low, high):
    car = make_car(road=road)
    distance, spins = _braking(car)
    assert low <= distance <= high, distance
    # Full brakes lock every wheel (no ABS): the car slides on friction alone, so the
    # distance is the sliding one, v^2 / (2 mu g), less a little for air and tyres.
    assert max(abs(w) for w in spins) < 0.5, spins
    sliding = KMH50**2 / (2 * FRICTION[road] * 9.81)
    assert 0.9 * sliding <= distance <= sliding, (distance, sliding)


def test_the_weight_rests_on_all_four_wheels(make_car):
    car = make_car()
    car.place(0.0, 0.0, 0.0, 0.0)
    car.step(120)
    loads = np.array(car.wheel_loads())
    assert loads.sum() == pytest.approx(car.spec.mass * 9.81, rel=0.01)
    assert np.allclose(loads, loads.mean(), rtol=0.02), loads


def _kerb_to_kerb(car: Car, steer: float) -> float:
    """The circle the outer front tyre's outside edge draws at full lock, at walking pace."""
    car.place(0.0, 0.0, 0.3, 0.0)
    outer = 3 if steer > 0 else 1  # turning left, the right front wheel is outside
    path = []
    for i in range(60 * 20):
        car.drive(steer, float(np.clip(2.0 * (1.5 - car.speed), 0.0, 1.0)), 0.0)
        car.step()
        if i >= 300:
            path.append(car.wheel_position(outer))
    assert 1.4 <= car.speed <= 1.6  # walking pace held
    return _circle_diameter(path) + car.spec.wheel_width


def test_turning_circle_at_full_lock(make_car):
    left, right = _kerb_to_kerb(make_car(), 1.0), _kerb_to_kerb(make_car(), -1.0)
    assert 9.5 <= left <= 11.0, left
    assert right == pytest.approx(left, rel=0.01)  # mirror images


def test_left_and_right_turns_at_speed_are_mirror_images(make_car):
    radii = []
    for steer in (0.3, -0.3):
        car = make_car()
        car.place(0.0, 0.0, 0.0, 30 / 3.6)
        path = []
        for i in range(60 * 8):
            car.drive(steer, float(np.clip(0.5 * (30 / 3.6 - car.speed), 0.0, 1.0)), 0.0)
            car.step()
            if i >= 120:
                path.append(car.position.copy())
        radii.append(_circle_diameter(path) / 2)
    assert radii[0] == pytest.approx(radii[1], rel=0.01), radii


def test_accelerating_and_coasting(make_car):
    car = make_car()
    car.place(0.0, 0.0, 0.0, 0.0)
    car.drive(0.0, 1.0, 0.0)
    steps = 0
    while car.speed < KMH50 * 0.98 and steps < 60 * 15:
        car.step()
        steps += 1
    assert 3.0 <= steps / 60 <= 7.0, steps / 60
    car.drive(0.0, 0.0, 0.0)
    before = car.speed
    car.step(60)
    assert 0.1 <= before - car.speed <= 0.4
    # Straight ahead, it stays straight.
    assert abs(car.heading) < 0.01 and abs(car.position[1]) < 0.05


def test_ackermann_wheels_turn_about_one_centre():
    spec = CarSpec()
    left, right = steer_angles(1.0, spec)
    assert left > right > 0 and right == pytest.approx(spec.max_outer_steer)
    # Each front wheel's axle line meets the rear axle's line at the same point.
    centre_left = spec.wheelbase / math.tan(left) + spec.track / 2
    centre_right = spec.wheelbase / math.tan(right) - spec.track / 2
    assert centre_left == pytest.approx(centre_right)
    assert steer_angles(-1.0, spec) == (-right, -left)
    assert steer_angles(0.0, spec) == (0.0, 0.0) and ackermann(0.0, 2.5, 1.5) == (0.0, 0.0)
    assert steer_angles(7.0, spec) == steer_angles(1.0, spec)  # clipped to full lock


def test_same_controls_same_trajectory(make_car):
    paths = []
    for _ in range(2):
        car = make_car()
        car.place(1.0, 2.0, 0.5, 5.0)
        path = []
        for i in range(300):
            car.drive(math.sin(i / 40), 0.6, 1.0 if 200 <= i < 240 else 0.0)
            car.step()
            path.append((*car.position, car.heading))
        paths.append(np.array(path))
    assert np.array_equal(paths[0], paths[1])


def test_an_unknown_road_is_named():
    with pytest.raises(ValueError, match=r"road must be one of \['dry', 'wet'\], got 'icy'"):
        Car(road="icy")
