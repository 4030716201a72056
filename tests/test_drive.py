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


# -- towns ---------------------------------------------------------------------------------

from embodied_bench.tasks.drive import town as T  # noqa: E402


def _floyd(town: T.Town, banned: set[int]) -> np.ndarray:
    """All-pairs street distances, computed another way than the route's Dijkstra."""
    n = len(town.nodes)
    d = np.full((n, n), np.inf)
    np.fill_diagonal(d, 0.0)
    for k, (a, b) in enumerate(town.roads):
        if k not in banned:
            d[a, b] = d[b, a] = town.length(k)
    for k in range(n):
        d = np.minimum(d, d[:, [k]] + d[[k], :])
    return d


def test_towns_are_their_seeds_and_levels_only_add_people():
    assert T.generate(7, "traffic") == T.generate(7, "traffic")
    assert T.generate(7, "traffic").roads != T.generate(8, "traffic").roads or T.generate(7, "traffic").nodes != T.generate(8, "traffic").nodes
    empty, traffic, full = (T.generate(11, level) for level in T.LEVELS)
    for town in (traffic, full):
        assert (town.nodes, town.roads, town.start, town.goal, town.route) == (empty.nodes, empty.roads, empty.start, empty.goal, empty.route)
    assert (empty.cars, empty.parked, empty.lights, empty.crossings) == ((), (), (), ())
    assert traffic.cars and traffic.parked and traffic.lights == () and traffic.crossings == ()
    assert full.cars == traffic.cars and full.parked == traffic.parked and full.lights and full.crossings


@pytest.mark.parametrize("seed", range(0, 300, 3))
def test_every_town_is_connected_and_its_route_is_the_shortest_way(seed):
    town = T.generate(seed, "pedestrians-and-lights")
    banned = {town.start.road, town.goal.road}
    assert np.isfinite(_floyd(town, set())).all()  # every junction reaches every other
    for a, b in town.roads:  # streets run along x or along y
        (xa, ya), (xb, yb) = town.nodes[a], town.nodes[b]
        assert (xa == xb) != (ya == yb)
        assert T.BLOCK_SIZES[0] <= math.dist((xa, ya), (xb, yb)) <= T.BLOCK_SIZES[1]
    route = town.route
    assert route[0] == town.ahead(town.start)
    ga, gb = town.roads[town.goal.road]
    assert route[-1] == (ga if town.goal.direction > 0 else gb)
    steps = [(u, v) for u, v in zip(route, route[1:])]
    lengths = []
    for u, v in steps:
        joining = [k for k, (a, b) in enumerate(town.roads) if {a, b} == {u, v}]
        assert len(joining) == 1 and joining[0] not in banned
        lengths.append(town.length(joining[0]))
    assert sum(lengths) == pytest.approx(_floyd(town, banned)[route[0], route[-1]])
    assert town.route_length() >= T.MIN_ROUTE
    for spot in (town.start, town.goal, *town.parked, *town.cars, *town.crossings):
        assert T.JUNCTION_CLEAR <= spot.s <= town.length(spot.road) - T.JUNCTION_CLEAR
    for light in town.lights:  # lights stand at junctions of three streets or more
        assert len(town.neighbours(light.node)) >= 3


def test_no_other_car_starts_next_to_the_start_or_the_goal():
    for seed in range(100):
        town = T.generate(seed, "traffic")
        for car in town.cars:
            for spot in (town.start, town.goal):
                if car.road == spot.road:
                    here, there = town.lane_point(car, 0.0), town.lane_point(spot, 0.0)
                    assert math.dist(here[:2], there[:2]) >= 20.0 - 1e-9


def test_lanes_keep_right_and_parking_is_at_the_kerb():
    town = T.generate(5, "traffic")
    for road in range(len(town.roads)):
        for direction in (1, -1):
            spot = T.Spot(road, direction, 30.0)
            cx, cy, heading = town.lane_point(spot, 0.0)
            lx, ly, lane_heading = town.lane_point(spot)
            px, py, _ = town.lane_point(spot, T.LANE_WIDTH + T.PARKING_WIDTH / 2)
            assert lane_heading == heading
            # To the right of the direction of travel: the cross product of heading and offset is negative.
            right = math.cos(heading) * (ly - cy) - math.sin(heading) * (lx - cx)
            assert right == pytest.approx(-T.LANE_WIDTH / 2)
            assert math.dist((px, py), (cx, cy)) == pytest.approx(T.LANE_WIDTH + T.PARKING_WIDTH / 2)
        a, b = town.roads[road]
        assert town.ahead(T.Spot(road, 1, 1.0)) == b and town.ahead(T.Spot(road, -1, 1.0)) == a


def test_lights_alternate_between_the_two_directions():
    light = T.Light(node=0, offset=0.0)
    seen = []
    for t in np.arange(0.0, light.CYCLE, 0.5):
        ns, ew = light.state(t, True), light.state(t, False)
        assert "red" in (ns, ew)  # never green or amber both ways
        seen.append(ns)
    assert seen.count("green") * 0.5 == 24.0 and seen.count("amber") * 0.5 == 3.0
    assert T.Light(0, 10.0).state(0.0, True) == light.state(10.0, True)


def test_an_unknown_level_is_named():
    with pytest.raises(ValueError, match="level must be one of empty, traffic, pedestrians-and-lights, got 'rush-hour'"):
        T.generate(0, "rush-hour")


# -- routes and the path follower -----------------------------------------------------------

from embodied_bench.tasks.drive import route as RT  # noqa: E402


def _l_town() -> T.Town:
    """Three junctions in an L: east along y = 0, then north along x = 100."""
    nodes = ((0.0, 0.0), (100.0, 0.0), (100.0, 100.0))
    bare = T.Town(0, "empty", nodes, ((0, 1), (1, 2)), (), (), (), (), T.Spot(0, 1, 50.0), T.Spot(1, 1, 50.0), (1,))
    return bare


def test_turns_are_named_from_the_drivers_seat():
    town = _l_town()
    assert RT.turn_between(town, 0, 1, 2) == "left" and RT.turn_between(town, 2, 1, 0) == "right"
    assert RT.route_turns(town) == ["left"]
    reverse = T.Town(**{**town.__dict__, "start": T.Spot(1, -1, 50.0), "goal": T.Spot(0, -1, 50.0)})
    assert RT.route_turns(reverse) == ["right"]


def test_the_route_path_runs_in_the_lanes_from_start_to_goal():
    town = _l_town()
    path = RT.route_path(town)
    assert np.allclose(path[0], town.lane_point(town.start)[:2]) and np.allclose(path[-1], town.lane_point(town.goal)[:2])
    steps = np.linalg.norm(np.diff(path, axis=0), axis=1)
    assert steps.max() <= 1.0 + 1e-9
    # Driving east the lane is south of the centre line; driving north, east of it.
    east = path[path[:, 0] < 100 - T.ROAD_HALF_WIDTH - RT.CORNER - 1]
    north = path[path[:, 1] > T.ROAD_HALF_WIDTH + RT.CORNER + 1]
    assert np.allclose(east[:, 1], -T.LANE_WIDTH / 2) and np.allclose(north[:, 0], 100 + T.LANE_WIDTH / 2)
    # A curve the car can drive: tighter than its full lock nowhere.
    assert RT.curvature(path).max() < 1 / 5.0
    for seed in range(50):
        town = T.generate(seed, "empty")
        path = RT.route_path(town)
        length = np.linalg.norm(np.diff(path, axis=0), axis=1).sum()
        assert abs(length - town.route_length()) <= 10.0 * len(town.route)
        assert RT.curvature(path).max() < 1 / 5.0


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_the_path_follower_drives_a_route_in_its_lane(make_car, seed):
    town = T.generate(seed, "empty")
    path = RT.route_path(town)
    follower = RT.PathFollower(path)
    car = make_car()
    RT.place_at_start(car, town)
    worst, seconds = 0.0, 0.0
    while not follower.arrived(car) and seconds < 180:
        car.drive(*follower.controls(car))
        car.step(6)  # 10 Hz control
        seconds += 0.1
        worst = max(worst, RT.lateral_error(path, car.position))
    assert follower.arrived(car)
    assert worst < 0.6  # the car's wheels stay in a 3.5 m lane (0.875 m to spare each side)
    # Calm town driving: between 15 and 30 km/h on average.
    assert 15 / 3.6 <= town.route_length() / seconds <= 30 / 3.6


# -- the score ------------------------------------------------------------------------------

from embodied_bench.tasks.drive import score as S  # noqa: E402


def test_the_score_multiplies_completion_by_each_infractions_penalty():
    assert S.route_score(1.0, ["vehicle", "red_light"]) == pytest.approx(0.42)
    assert S.route_score(0.5, []) == 0.5
    assert S.route_score(1.0, ["pedestrian", "pedestrian"]) == pytest.approx(0.25)
    assert S.route_score(0.8, ["static"]) == pytest.approx(0.52)
    # Every infraction is serious (as on a driving test): success exactly when the score is 1.
    assert S.route_success(1.0, []) and not S.route_success(1.0, ["red_light"]) and not S.route_success(1.0, ["static"]) and not S.route_success(0.99, [])


def test_a_set_of_routes_scores_the_mean_of_their_scores():
    # Mean of (1 * 0.6, 0.5 * 1) = 0.55; the mean completion times the mean penalty would be 0.6.
    assert S.town_set_score([1.0, 0.5], [["vehicle"], []]) == pytest.approx(0.55)


def test_bad_score_input_is_named():
    with pytest.raises(ValueError, match="unknown infraction 'speeding'; the kinds are pedestrian, vehicle, static, red_light"):
        S.route_score(1.0, ["speeding"])
    with pytest.raises(ValueError, match=r"route completion must be in \[0, 1\], got 1.5"):
        S.route_score(1.5, [])
    with pytest.raises(ValueError, match="one completion and one list of infractions per route, got 2 and 1"):
        S.town_set_score([1.0, 1.0], [[]])


# -- everyone else --------------------------------------------------------------------------

from embodied_bench.tasks.drive import others as O  # noqa: E402


def _line_town(light_offset: float | None = None) -> T.Town:
    """Four junctions in a row along x, 80 m apart; a car starts on the first street
    driving east; a light at the second junction when ``light_offset`` is given."""
    nodes = tuple((80.0 * i, 0.0) for i in range(4)) + ((80.0, 80.0),)
    roads = ((0, 1), (1, 2), (2, 3), (1, 4))
    lights = (T.Light(1, light_offset),) if light_offset is not None else ()
    return T.Town(0, "traffic", nodes, roads, lights, (), (T.Spot(0, 1, 20.0),), (), T.Spot(2, 1, 20.0), T.Spot(2, 1, 60.0), (2,))


def test_rectangles_and_circles_touch_as_drawn():
    a = O._rect(0.0, 0.0, 0.0)
    assert O.rects_overlap(a, O._rect(4.0, 0.0, 0.0)) and not O.rects_overlap(a, O._rect(4.1, 0.0, 0.0))
    assert O.rects_overlap(a, O._rect(3.0, 2.0, math.pi / 4)) and not O.rects_overlap(a, O._rect(0.0, 3.0, math.pi / 2 - 0.01))
    assert O.circle_touches_rect(np.array([2.3, 0.0]), 0.3, a) and not O.circle_touches_rect(np.array([2.4, 0.9]), 0.3, a)


def test_a_car_stops_at_a_red_light_and_goes_on_green():
    # With offset 0 north-south starts green, so the east-west approach is red for 28 s.
    town = _line_town(light_offset=0.0)
    others = O.Others(town, np.random.default_rng(0))
    car = others.cars[0]
    stop = car.stops[0][0]
    light = town.lights[0]
    assert light.state(0.0, north_south=False) == "red"
    while light.state(others.t, north_south=False) == "red":
        others.step(0.1)
        assert car.s + O.CAR_LENGTH / 2 <= stop + 0.5  # never past the stop line on red
    assert car.speed < 0.1
    for _ in range(100):
        others.step(0.1)
    assert car.s > stop + 10.0  # through on green


def test_a_car_keeps_behind_the_learners_car():
    town = _line_town()
    others = O.Others(town, np.random.default_rng(0))
    ego = town.lane_point(T.Spot(0, 1, 60.0))  # stopped in the lane, 40 m ahead
    for _ in range(300):
        others.step(0.1, ego)
    x, _, _ = others.cars[0].pose()
    assert 1.5 <= (ego[0] - x) - O.CAR_LENGTH <= 6.0 and others.cars[0].speed < 0.1  # about the jam gap, 2 m


@pytest.mark.parametrize("seed", [1, 2, 11])
def test_no_one_else_collides_runs_a_red_light_or_waits_a_whole_cycle(seed):
    town = T.generate(seed, "pedestrians-and-lights")
    others = O.Others(town, np.random.default_rng(seed))
    still = [0.0] * len(others.cars)
    crossed = [False] * len(others.pedestrians)
    for _ in range(1200):  # 120 s
        was_crossing = [p.crossing for p in others.pedestrians]
        fronts = [c.s + O.CAR_LENGTH / 2 for c in others.cars]
        light_then = {(l.node, ns): l.state(others.t, ns) for l in town.lights for ns in (True, False)}
        others.step(0.1)
        rects = others.car_rects()
        assert not any(O.rects_overlap(a, b) for i, a in enumerate(rects) for b in rects[i + 1 :])
        assert not any(O.circle_touches_rect(p, O.PEDESTRIAN_RADIUS, r) for p in others.pedestrian_positions() for r in rects)
        for k, car in enumerate(others.cars):
            still[k] = still[k] + 0.1 if car.speed < 0.05 else 0.0
            assert still[k] < T.Light.CYCLE  # never stuck: through within one light cycle
            for stop, node, north_south in car.stops:
                if fronts[k] < stop <= car.s + O.CAR_LENGTH / 2:
                    assert light_then.get((node, north_south)) != "red"
        for j, (p, before) in enumerate(zip(others.pedestrians, was_crossing)):
            if p.crossing and not before:  # just stepped out: no car near
                mid = (p.a + p.b) / 2
                assert all(np.linalg.norm(r.mean(axis=0) - mid) > O.Pedestrian.GAP - 1.0 for r in rects)
            crossed[j] |= bool(np.allclose(p.position, p.b))
    assert np.mean([c.s for c in others.cars]) > 300.0  # traffic flows
    assert any(crossed)  # someone made it across


def test_stop_lines_are_met_in_order_once_a_street():
    for seed in range(10):
        town = T.generate(seed, "traffic")
        others = O.Others(town, np.random.default_rng(seed))
        for car in others.cars:
            arcs = [stop for stop, _, _ in car.stops]
            gaps = np.diff(arcs)
            # Consecutive stop lines a street and a junction apart: never the same one twice.
            assert (gaps >= T.BLOCK_SIZES[0] - 2 * T.ROAD_HALF_WIDTH).all(), gaps
            for stop, node, _ in car.stops:  # each on the path, at the junction's edge
                i = int(np.searchsorted(car.arc, stop))
                d = np.abs(car.path[i] - town.nodes[node]).max()
                assert d == pytest.approx(T.ROAD_HALF_WIDTH + RT.CORNER, abs=1.5)


def test_parked_cars_and_crossings_keep_apart():
    for seed in range(100):
        town = T.generate(seed, "pedestrians-and-lights")
        others = O.Others(town, np.random.default_rng(seed))
        parked = others.parked_rects()
        assert not any(O.rects_overlap(a, b) for i, a in enumerate(parked) for b in parked[i + 1 :])
        for p in others.pedestrians:  # waiting on either pavement, clear of parked cars
            for end in (p.a, p.b):
                assert not any(O.circle_touches_rect(end, O.PEDESTRIAN_RADIUS, r) for r in parked)
        for car in town.cars:
            same_lane = [c for c in town.cars if c != car and c.road == car.road and c.direction == car.direction]
            assert all(abs(c.s - car.s) >= 10.0 for c in same_lane)


def test_everyone_else_moves_the_same_from_the_same_seed():
    runs = []
    for _ in range(2):
        others = O.Others(T.generate(3, "pedestrians-and-lights"), np.random.default_rng(7))
        for _ in range(200):
            others.step(0.1)
        runs.append(([c.s for c in others.cars], [tuple(p) for p in others.pedestrian_positions()]))
    assert runs[0] == runs[1]


def test_junctions_go_first_to_the_car_nearest_its_stop_line():
    # Two cars start in one lane before the same junction: the one in front takes it, or
    # the one behind would hold it while waiting for the one in front (a deadlock).
    town = T.Town(0, "traffic", ((0.0, 0.0), (80.0, 0.0), (160.0, 0.0)), ((0, 1), (1, 2)), (), (), (T.Spot(0, 1, 40.0), T.Spot(0, 1, 52.0)), (), T.Spot(1, 1, 20.0), T.Spot(1, 1, 60.0), (1,))
    others = O.Others(town, np.random.default_rng(0))
    others.step(0.1)
    front = max(range(2), key=lambda k: others.cars[k].pose()[0])
    assert others.reserved == {1: front}
    for _ in range(200):
        others.step(0.1)
    assert all(car.s > 60.0 for car in others.cars)  # both went through


def test_the_learners_car_claims_a_junction_it_is_about_to_enter_on_green():
    town = _line_town(light_offset=0.0)  # east-west red for the first 28 s
    others = O.Others(town, np.random.default_rng(0))
    line = 80.0 - T.ROAD_HALF_WIDTH - RT.CORNER  # the stop line driving east into junction 1
    waiting = (line - O.CAR_LENGTH / 2 - 1.0, -T.LANE_WIDTH / 2, 0.0, 0.0)
    assert not others.claims(1, waiting)  # red: the cross traffic may go
    others.t = O.Light.CYCLE / 2  # east-west green
    assert others.claims(1, waiting)
    far = (line - O.CAR_LENGTH / 2 - 20.0, -T.LANE_WIDTH / 2, 0.0)
    assert not others.claims(1, far)  # 20 m short of the line at rest: others may go first
    assert others.claims(1, (*far, 14.0))  # at 50 km/h it could not stop before the junction
    assert not others.claims(1, (*far[:2], math.pi, 14.0))  # driving away from it
    assert others.claims(1, (80.0, 0.0, 1.0))  # in the junction, whichever way


# -- the envs -------------------------------------------------------------------------------

import gymnasium as gym  # noqa: E402
from embodied_bench import layouts  # noqa: E402
from embodied_bench.tasks.drive import env as E  # noqa: E402
from embodied_bench.tasks.drive import maneuver as M  # noqa: E402
from embodied_bench.tasks.drive import oracle as OR  # noqa: E402
from embodied_bench.tasks.drive import picture as P  # noqa: E402
from embodied_bench.tasks.drive import trip as TR  # noqa: E402


class _View:
    """What the harness gives a privileged agent: the env it acts in."""

    def __init__(self, env) -> None:
        self.env = env.unwrapped


def _drive(env, policy, **reset) -> tuple[dict, float, int]:
    obs, _ = env.reset(**reset)
    total, steps, limit = 0.0, 0, int(TR.EPISODE_SECONDS * (1 if isinstance(env, E.DriveManeuverEnv) else TR.CONTROL_HZ))
    while True:
        obs, reward, terminated, _, info = env.step(policy(obs))
        total, steps = total + reward, steps + 1
        if terminated or steps >= limit:
            return info, total, steps


@pytest.fixture
def envs():
    made = []

    def make(kind, **kwargs):
        made.append((E.DriveManeuverEnv if kind == "maneuver" else E.DriveControlEnv)(**kwargs))
        return made[-1]

    yield make
    for env in made:
        env.close()


def test_the_envs_pass_gymnasiums_checker(envs):
    from gymnasium.utils.env_checker import check_env

    for kind in ("maneuver", "control"):
        env = envs(kind, level="empty")
        check_env(env, skip_render_check=True)
        assert E.OBSERVATION.size == env.observation_space.shape[0] == 84


def test_levels_come_from_the_seed_one_of_each_in_every_three_held_out_towns():
    assert [E.level_of_seed(layouts.eval_seed(i)) for i in range(6)] == list(T.LEVELS) * 2
    hidden = layouts.hidden_eval_seed(4, "x" * 16)
    assert E.level_of_seed(hidden) == T.LEVELS[4 % 3]


def test_the_observation_is_the_route_seen_from_the_drivers_seat(envs):
    env = envs("maneuver", layout_split="eval")
    obs, info = env.reset(seed=0, options={"layout": 2})
    layout = E.OBSERVATION
    assert info["level"] == "pedestrians-and-lights" and info["route_length"] == pytest.approx(env.trip.length)
    path = layout.read(obs, "path.x").ravel(), layout.read(obs, "path.y").ravel()
    # Standing in the lane facing along it: the lane runs ahead, at the distances given.
    assert np.allclose(path[0][:3], TR.PATH_AHEAD[:3], atol=0.6) and np.abs(path[1][:3]).max() < 0.5
    assert abs(layout.read(obs, "lane")[0]) < 0.1 and layout.read(obs, "speed")[0] == 0.0
    assert layout.read(obs, "remaining")[0] == pytest.approx(env.trip.length, abs=1.0)
    assert layout.read(obs, "next_turn").sum() == 1.0 and layout.read(obs, "light").sum() == 1.0
    cars = layout.read(obs, "cars")
    present = cars[:, -1] == 1.0
    assert present.any() and (np.hypot(cars[present, 0], cars[present, 1]) <= TR.SENSE).all()
    assert np.all(np.diff(np.hypot(cars[present, 0], cars[present, 1])) >= 0)  # nearest first
    assert obs in env.observation_space


def test_same_town_same_actions_same_drive(envs):
    runs = []
    for _ in range(2):
        env = envs("control")
        env.action_space.seed(4)
        obs, _ = env.reset(seed=11)
        seen = [obs]
        for _ in range(60):
            seen.append(env.step(env.action_space.sample())[0])
        runs.append(np.array(seen))
    assert np.array_equal(runs[0], runs[1])


def test_the_maneuver_oracle_drives_held_out_towns_of_every_level(envs):
    env = envs("maneuver", layout_split="eval")
    oracle = OR.DriveManeuverOracle(None, 0, _View(env))
    for i in range(6):
        info, total, _ = _drive(env, oracle.act, seed=i, options={"layout": i})
        assert info["success"] and info["partial"] == 1.0 and info["ended"] == "arrived", (i, env.trip.events)
        assert total == pytest.approx(env.progress_weight + env.success_bonus)


def test_the_control_oracle_drives_held_out_towns(envs):
    env = envs("control", layout_split="eval")
    oracle = OR.DriveControlOracle(None, 0, _View(env))
    for i in (2, 4):
        info, _, _ = _drive(env, oracle.act, seed=i, options={"layout": i})
        assert info["success"], (i, env.trip.events)


def test_random_maneuvers_seldom_arrive(envs):
    env = envs("maneuver", layout_split="eval")
    env.action_space.seed(0)
    arrived = [_drive(env, lambda _: env.action_space.sample(), seed=i, options={"layout": i})[0]["success"] for i in range(6)]
    assert sum(arrived) <= 1


def test_running_a_red_light_costs_its_penalty_and_the_success():
    # Going on at full speed wherever the route turns, heeding nothing: this town's route
    # meets a red light (measured), and nothing else.
    env = E.DriveManeuverEnv()
    info, total, _ = _drive(env, lambda obs: np.array([0, [0, 1, 2, 1][int(np.argmax(E.OBSERVATION.read(obs, "next_turn")))]]), seed=0, options={"layout_seed": 5})
    assert env.trip.events == ["red_light"] and info["ended"] == "arrived"
    assert info["completion"] == 1.0 and info["partial"] == pytest.approx(S.PENALTY["red_light"]) and not info["success"]
    assert total == pytest.approx(env.progress_weight - env.infraction_weight)
    env.close()


def test_a_collision_ends_the_drive_with_its_penalty(envs):
    env = envs("maneuver", level="pedestrians-and-lights")
    env.reset(seed=0, options={"layout_seed": 2})
    trip = env.trip
    walker = trip.others.pedestrians[0]
    walker.position = trip.path[np.searchsorted(trip.arc, 12.0)].copy()  # in the lane ahead, waiting
    walker.crossing, walker.timer = False, 1e9
    total, steps = 0.0, 0
    while True:
        _, reward, terminated, _, info = env.step(np.array([0, 1]))
        total, steps = total + reward, steps + 1
        if terminated:
            break
    assert info["ended"] == "collision" and info["events"][-1] == "pedestrian" and info["cost"] >= 1.0
    assert info["partial"] == pytest.approx(info["completion"] * S.PENALTY["pedestrian"]) and not info["success"]
    assert total == pytest.approx(env.progress_weight * info["completion"] - env.infraction_weight)


def test_leaving_the_road_ends_the_drive_and_costs(envs):
    env = envs("control", level="empty")
    info, _, steps = _drive(env, lambda _: np.array([-0.6, 1.0]), seed=0, options={"layout_seed": 3})
    assert info["ended"] == "off_road" and "off_road" in info["events"] and info["cost"] >= 1.0
    assert steps < 100 and not info["success"]


def test_a_wrong_turn_leaves_the_route(envs):
    env = envs("maneuver", level="empty")
    env.reset(seed=0, options={"layout_seed": 3})
    wrong = next(t for t in M.TURNS if t != env.trip.turns[0] and M.exit_for(env.trip.town, env.trip.chain[0], env.trip.chain[1], t) != env.trip.chain[2])
    info, _, _ = _drive(env, lambda _: np.array([0, M.TURNS.index(wrong)]), seed=0, options={"layout_seed": 3})
    assert info["ended"] == "off_route" and 0.0 < info["completion"] < 1.0


def test_a_turn_the_junction_lacks_is_taken_straight_then_right_then_left():
    town = _l_town()  # at junction 1, coming from 0: only left (to 2)
    assert M.exit_for(town, 0, 1, "right") == 2 and M.exit_for(town, 0, 1, "straight") == 2
    line = _line_town()  # at junction 1 from 0: straight (2) and left (4)
    assert M.exit_for(line, 0, 1, "right") == 2 and M.exit_for(line, 0, 1, "left") == 4
    dead_end = T.Town(0, "empty", ((0.0, 0.0), (80.0, 0.0)), ((0, 1),), (), (), (), (), T.Spot(0, 1, 20.0), T.Spot(0, -1, 20.0), ())
    assert M.exit_for(dead_end, 0, 1, "left") == 0  # back the way it came


def _choice_town(goal_road: int) -> T.Town:
    """A junction of four streets (1) and, east of it, one of three (2, a street north):
    a start west of 1 driving east, the goal on ``goal_road`` beyond 2."""
    nodes = ((0.0, 0.0), (80.0, 0.0), (160.0, 0.0), (240.0, 0.0), (80.0, 80.0), (80.0, -80.0), (160.0, 80.0))
    roads = ((0, 1), (1, 2), (2, 3), (1, 4), (1, 5), (2, 6))
    return T.Town(0, "empty", nodes, roads, (), (), (), (), T.Spot(0, 1, 20.0), T.Spot(goal_road, 1, 40.0), (1, 2))


def test_a_routes_blind_chance_is_the_product_of_its_junctions_shares_of_turns():
    # At 1 only "straight" goes on east (1/3); at 2 "left" alone goes north (1/3), while
    # east is "straight" and "right", which the junction lacks and takes straight (2/3).
    assert M.blind_chance(_choice_town(goal_road=5)) == pytest.approx(1 / 9)
    assert M.blind_chance(_choice_town(goal_road=2)) == pytest.approx(2 / 9)
    assert M.blind_chance(_l_town()) == 1.0  # the only way on: no choice


def test_v1_serves_only_routes_that_ask_for_choices_and_v0_any(envs, monkeypatch):
    judged = []
    monkeypatch.setattr(E, "oracle_completes", lambda town, car: judged.append(town) or True)
    v1, v0 = envs("maneuver"), envs("maneuver", max_blind_chance=None)
    served = []
    for seed in range(12):
        for env in (v1, v0):
            env.reset(options={"layout_seed": seed})
            served.append(env.trip.town)
    assert all(M.blind_chance(t) <= E.MAX_BLIND_CHANCE for t in served[0::2])
    assert any(t.attempt > 0 for t in served[0::2])  # some first candidates were turned down
    assert all(t.attempt == 0 for t in served[1::2]) and any(M.blind_chance(t) > E.MAX_BLIND_CHANCE for t in served[1::2])
    # The oracle drove only the towns served: those turned down never reached it.
    assert judged == served
    # The registered versions: v0 keeps any route, v1 is the envs' default.
    assert gym.spec("EmbodiedBench/DriveManeuver-v0").kwargs == gym.spec("EmbodiedBench/DriveControl-v0").kwargs == {"max_blind_chance": None}
    v1_registered = gym.make("EmbodiedBench/DriveControl-v1")
    assert v1_registered.unwrapped.max_blind_chance == E.MAX_BLIND_CHANCE == 0.1
    v1_registered.close()


def test_towns_the_oracle_cannot_drive_are_never_served(envs, monkeypatch):
    checked = []

    def judge(town, car):
        checked.append(town.attempt)
        return town.attempt >= 2

    monkeypatch.setattr(E, "oracle_completes", judge)
    E._held_out_town_ok.cache_clear()
    env = envs("maneuver", layout_split="eval", max_blind_chance=None)  # every candidate goes to the oracle
    env.reset(seed=0, options={"layout": 0})
    assert env.trip.town.attempt == 2 and checked == [0, 1, 2]
    assert env.trip.town != T.generate(layouts.eval_seed(0), "empty")
    env.reset(seed=0, options={"layout": 0})  # held-out towns are checked once
    assert checked == [0, 1, 2]
    monkeypatch.setattr(E, "oracle_completes", lambda town, car: False)
    with pytest.raises(RuntimeError, match="none of its 20 candidate towns was driven without an infraction"):
        env.reset(seed=0, options={"layout": 3})
    with pytest.raises(RuntimeError, match="none of its 20 candidate towns has a route that asks for choices and was driven without an infraction"):
        envs("maneuver", layout_split="eval").reset(seed=0, options={"layout": 3})
    E._held_out_town_ok.cache_clear()  # what the fake oracle said is forgotten


def test_the_picture_follows_the_car_from_above(envs):
    env = envs("maneuver", layout_split="eval", render_mode="rgb_array")
    env.reset(seed=0, options={"layout": 2})
    image = env.render()
    assert image.shape == (P.SIZE, P.SIZE, 3) and image.dtype == np.uint8
    assert tuple(image[P.SIZE // 2, P.SIZE // 2 - 3]) == P._EGO  # the car in the middle
    colours = {tuple(c) for c in image.reshape(-1, 3)}
    assert {P._ROAD, P._GRASS, P._ROUTE} <= colours
    assert envs("maneuver").render() is None  # no render mode, no picture


def test_bad_env_arguments_are_named():
    with pytest.raises(ValueError, match="level must be None or one of empty, traffic, pedestrians-and-lights, got 'rush-hour'"):
        E.DriveControlEnv(level="rush-hour")
    with pytest.raises(ValueError, match="render_mode must be None or 'rgb_array', got 'human'"):
        E.DriveControlEnv(render_mode="human")
    with pytest.raises(ValueError, match=r"max_blind_chance must be None or in \(0, 1\], got 0"):
        E.DriveManeuverEnv(max_blind_chance=0)
    env = E.DriveManeuverEnv()
    with pytest.raises(RuntimeError, match="call reset"):
        env.step(np.array([0, 1]))
    env.reset(seed=0)
    with pytest.raises(ValueError, match=r"a maneuver is \(speed 0-2, turn 0-2\)"):
        env.step(np.array([3, 1]))
    env.close()
