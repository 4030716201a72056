"""Towns for the drive family, generated from a seed: a street grid with blocks of uneven
size and some streets missing, two lanes per street (right-hand traffic) with a parking
strip on each kerb, traffic lights at some junctions, parked cars, where other cars and
pedestrians start, and a route from a start to a goal. The same seed gives the same town.

Levels (what a town holds besides its streets and the route):

* ``empty``: nobody else on the road, no lights;
* ``traffic``: other cars, and cars parked at the kerb;
* ``pedestrians-and-lights``: traffic, plus pedestrians who cross and traffic lights.

Positions on a street are ``(road, direction, s)``: the road's index, ``+1`` when driving
from its first junction to its second (``-1`` the other way), and the distance from the
junction driven away from (m). Only the layout is here; how the others move is the env's.
"""

from __future__ import annotations

import heapq
import math
from dataclasses import dataclass

import numpy as np

LANE_WIDTH = 3.5
"""One traffic lane (m): a town street's."""
PARKING_WIDTH = 2.0
"""The parking strip along each kerb (m)."""
ROAD_HALF_WIDTH = LANE_WIDTH + PARKING_WIDTH
"""Centre line to kerb (m)."""
JUNCTION_CLEAR = 15.0
"""No one parks or starts within this distance of a junction's centre (m)."""
BLOCK_SIZES = (60.0, 90.0)
"""Junction-to-junction distances are drawn from this range (m): town blocks."""
MIN_ROUTE = 200.0
"""The shortest route a town sets (m)."""
LEVELS = ("empty", "traffic", "pedestrians-and-lights")

_GREEN, _AMBER = 24.0, 3.0
"""A light's green and amber (s) for each of its two directions; all red between: 1 s."""


@dataclass(frozen=True)
class Light:
    """Traffic lights at a junction: the north-south and the east-west approaches take
    turns, ``offset`` seconds into the cycle at time 0."""

    node: int
    offset: float

    CYCLE = 2 * (_GREEN + _AMBER + 1.0)

    def state(self, t: float, north_south: bool) -> str:
        """``"green"``, ``"amber"`` or ``"red"`` for the approach at time ``t`` (s)."""
        phase = (t + self.offset) % self.CYCLE
        if not north_south:
            phase = (phase + self.CYCLE / 2) % self.CYCLE
        if phase < _GREEN:
            return "green"
        if phase < _GREEN + _AMBER:
            return "amber"
        return "red"


@dataclass(frozen=True)
class Spot:
    """A place on a street: ``(road, direction, s)`` (module docstring)."""

    road: int
    direction: int
    s: float


@dataclass(frozen=True)
class Town:
    seed: int
    level: str
    nodes: tuple[tuple[float, float], ...]
    """Junction centres (x, y) in metres."""
    roads: tuple[tuple[int, int], ...]
    """Streets as pairs of junctions, each along x or along y."""
    lights: tuple[Light, ...]
    parked: tuple[Spot, ...]
    """Cars parked at the kerb on the right of ``direction``."""
    cars: tuple[Spot, ...]
    """Where the other cars start, in a traffic lane."""
    crossings: tuple[Spot, ...]
    """Where pedestrians cross (``direction`` is the side they start on)."""
    start: Spot
    goal: Spot
    route: tuple[int, ...]
    """Junctions the route passes, in order: from the junction ahead of the start to the
    one before the goal (the goal's road joins the last two)."""
    attempt: int = 0
    """Which of the seed's candidate towns this is (the envs serve the first one their
    oracle drives without an infraction)."""

    def length(self, road: int) -> float:
        a, b = self.roads[road]
        return math.dist(self.nodes[a], self.nodes[b])

    def neighbours(self, node: int) -> list[tuple[int, int]]:
        """``(road, other junction)`` for each street at ``node``."""
        out = []
        for k, (a, b) in enumerate(self.roads):
            if a == node:
                out.append((k, b))
            elif b == node:
                out.append((k, a))
        return out

    def lane_point(self, spot: Spot, offset: float = LANE_WIDTH / 2) -> tuple[float, float, float]:
        """``(x, y, heading)`` at ``spot``, ``offset`` metres to the right of the centre
        line (the lane's centre by default; ``LANE_WIDTH + PARKING_WIDTH / 2``: the
        parking strip)."""
        a, b = self.roads[spot.road]
        if spot.direction < 0:
            a, b = b, a
        (xa, ya), (xb, yb) = self.nodes[a], self.nodes[b]
        heading = math.atan2(yb - ya, xb - xa)
        ux, uy = math.cos(heading), math.sin(heading)
        return xa + spot.s * ux + offset * uy, ya + spot.s * uy - offset * ux, heading

    def ahead(self, spot: Spot) -> int:
        """The junction a car at ``spot`` drives towards."""
        a, b = self.roads[spot.road]
        return b if spot.direction > 0 else a

    def route_length(self) -> float:
        """Metres from the start to the goal along the route."""
        total = self.length(self.start.road) - self.start.s + self.goal.s
        for u, v in zip(self.route, self.route[1:]):
            total += math.dist(self.nodes[u], self.nodes[v])
        return total


def shortest_path(town: Town, source: int, target: int, banned: frozenset[int] = frozenset()) -> list[int] | None:
    """Junctions of the shortest street path from ``source`` to ``target`` (Dijkstra),
    never along the roads in ``banned``; None when there is none."""
    best = {source: 0.0}
    previous: dict[int, int] = {}
    queue = [(0.0, source)]
    while queue:
        d, u = heapq.heappop(queue)
        if u == target:
            path = [u]
            while path[-1] != source:
                path.append(previous[path[-1]])
            return path[::-1]
        if d > best[u]:
            continue
        for road, v in town.neighbours(u):
            if road in banned:
                continue
            nd = d + town.length(road)
            if nd < best.get(v, math.inf):
                best[v], previous[v] = nd, u
                heapq.heappush(queue, (nd, v))
    return None


def _connected(n: int, roads: list[tuple[int, int]]) -> bool:
    seen, stack = {0}, [0]
    while stack:
        u = stack.pop()
        for a, b in roads:
            for x, y in ((a, b), (b, a)):
                if x == u and y not in seen:
                    seen.add(y)
                    stack.append(y)
    return len(seen) == n


def _spot(rng: np.random.Generator, town: Town, road: int, direction: int | None = None) -> Spot:
    """A random spot on ``road`` clear of both junctions."""
    direction = direction if direction is not None else int(rng.choice((-1, 1)))
    return Spot(road, direction, float(rng.uniform(JUNCTION_CLEAR, town.length(road) - JUNCTION_CLEAR)))


def generate(seed: int, level: str, attempt: int = 0) -> Town:
    """Candidate town ``attempt`` of ``seed`` at ``level`` (one of ``LEVELS``). The
    streets, the route and who is where depend on the seed and attempt alone: a level adds
    people to the same streets."""
    if level not in LEVELS:
        raise ValueError(f"level must be one of {', '.join(LEVELS)}, got {level!r}")
    rng = np.random.default_rng(np.random.SeedSequence(seed if attempt == 0 else [seed, attempt]))
    nx, ny = int(rng.integers(3, 5)), int(rng.integers(3, 5))
    xs = np.concatenate([[0.0], np.cumsum(rng.uniform(*BLOCK_SIZES, size=nx - 1))])
    ys = np.concatenate([[0.0], np.cumsum(rng.uniform(*BLOCK_SIZES, size=ny - 1))])
    nodes = tuple((float(x), float(y)) for y in ys for x in xs)
    index = {(i, j): j * nx + i for j in range(ny) for i in range(nx)}
    grid = [(index[i, j], index[i + 1, j]) for j in range(ny) for i in range(nx - 1)]
    grid += [(index[i, j], index[i, j + 1]) for j in range(ny - 1) for i in range(nx)]
    # Some streets missing (a fifth, at most), the town still connected.
    roads = list(grid)
    for k in rng.permutation(len(grid))[: len(grid) // 5]:
        trial = [r for r in roads if r != grid[k]]
        if _connected(len(nodes), trial):
            roads = trial
    town = Town(seed, level, nodes, tuple(roads), (), (), (), (), Spot(0, 1, 0.0), Spot(0, 1, 0.0), (), attempt)
    start, goal, route = _route(rng, town)
    # Everyone else is drawn whatever the level, so a level only adds people to a town.
    junctions = [n for n in range(len(nodes)) if len(town.neighbours(n)) >= 3]
    # Lights at half the junctions of three streets or more (one at least, where any).
    lit = sorted(rng.choice(junctions, size=(len(junctions) + 1) // 2, replace=False).tolist()) if junctions else []
    lights = tuple(Light(int(n), float(rng.uniform(0, Light.CYCLE))) for n in lit)
    parked = tuple(_spot(rng, town, int(r)) for r in rng.integers(0, len(roads), size=int(rng.integers(6, 13))))
    cars = _spaced(town, tuple(_spot(rng, town, int(r)) for r in rng.integers(0, len(roads), size=int(rng.integers(4, 9)))))
    crossings = tuple(_spot(rng, town, int(r)) for r in rng.integers(0, len(roads), size=int(rng.integers(3, 7))))
    # Parked cars a car length and more apart, and none where people cross.
    parked = _spaced(town, parked, gap=6.0, keep_clear=crossings)
    with_traffic = level != "empty"
    full = level == "pedestrians-and-lights"
    return Town(
        seed, level, nodes, tuple(roads),
        lights if full else (),
        parked if with_traffic else (),
        _away_from(town, cars, start, goal) if with_traffic else (),
        crossings if full else (),
        start, goal, tuple(route), attempt,
    )


def _route(rng: np.random.Generator, town: Town) -> tuple[Spot, Spot, list[int]]:
    """A start and a goal at least ``MIN_ROUTE`` apart by the streets, and the junctions
    of the shortest way between them (never back along the start's or the goal's road)."""
    for _ in range(1000):
        a, b = (int(r) for r in rng.choice(len(town.roads), size=2, replace=False))
        start, goal = _spot(rng, town, a), _spot(rng, town, b)
        first = town.ahead(start)
        # The goal's road is entered from the junction behind the goal.
        ga, gb = town.roads[b]
        last = ga if goal.direction > 0 else gb
        path = shortest_path(town, first, last, banned=frozenset({a, b}))
        if path is None:
            continue
        candidate = Town(**{**town.__dict__, "start": start, "goal": goal, "route": tuple(path)})
        if candidate.route_length() >= MIN_ROUTE:
            return start, goal, path
    raise RuntimeError(f"town {town.seed}: no route of {MIN_ROUTE} m found")  # pragma: no cover  (grids of 3x3 and more always have one)


def _away_from(town: Town, cars: tuple[Spot, ...], start: Spot, goal: Spot) -> tuple[Spot, ...]:
    """Other cars, none starting within 20 m of the start or the goal on its road."""
    return tuple(c for c in cars if all(c.road != p.road or abs(_from_first(town, c) - _from_first(town, p)) >= 20.0 for p in (start, goal)))


def _from_first(town: Town, spot: Spot) -> float:
    """Distance from the road's first junction, whatever the direction."""
    return spot.s if spot.direction > 0 else town.length(spot.road) - spot.s


def _spaced(town: Town, spots: tuple[Spot, ...], gap: float = 10.0, keep_clear: tuple[Spot, ...] = ()) -> tuple[Spot, ...]:
    """``spots`` on the same side of a road at least ``gap`` metres apart, and ``gap`` from
    any spot of ``keep_clear`` on that road (a later spot too near is dropped)."""
    kept: list[Spot] = []
    for spot in spots:
        near = [c for c in kept if c.road == spot.road and c.direction == spot.direction]
        near += [c for c in keep_clear if c.road == spot.road]
        if all(abs(_from_first(town, c) - _from_first(town, spot)) >= gap for c in near):
            kept.append(spot)
    return tuple(kept)
