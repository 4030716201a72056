"""Rooms for cat-climb: furniture, treat and vase from a seed, plus the jump ballistics
and route search the oracle and the generator share. Pure geometry; the simulator check
that every emitted room is really solvable lives in ``physics.validate``."""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass

import numpy as np

ROOM_HALF = 2.0
"""Rooms are 4 m × 4 m, walled."""
G = 9.81
STAND_HEIGHT = 0.26
"""Torso centre above the surface when the cat stands."""
CAT_HALF_LENGTH = 0.24
"""Half the nose-to-rump length: the cat needs this much room around its torso centre."""
MAX_SPEED = 4.5
"""Fastest take-off (m/s): about 1 m of rise, a reliable leap for a house cat."""
MIN_SPEED = 0.5
MIN_PITCH = math.radians(15.0)
MAX_PITCH = math.radians(80.0)
LANDING_INSET = 0.22
"""The oracle aims this far inside a surface's near edge (or at the centre of a small
surface), leaving room to slide after touching down."""
PLAN_MARGIN = 0.04
"""Route planning keeps 4% of the top speed and 2 cm of clearance in reserve."""
MAX_SURFACES = 6
LEVELS = ("1-climb", "2-climbs", "3-climbs", "4-climbs")
"""v1's difficulty levels: the jumps the room's shortest route needs, set by the layout
seed (``1 + seed % 4``), so every block of four held-out rooms holds one of each."""

# (name, height range, footprint side ranges (m)): household furniture with real sizes.
FURNITURE: tuple[tuple[str, tuple[float, float], tuple[float, float], tuple[float, float]], ...] = (
    ("stool", (0.42, 0.50), (0.32, 0.40), (0.32, 0.40)),
    ("chair", (0.43, 0.48), (0.42, 0.46), (0.42, 0.46)),
    ("table", (0.72, 0.78), (0.80, 1.40), (0.60, 0.90)),
    ("counter", (0.88, 0.95), (1.00, 1.60), (0.55, 0.65)),
    ("dresser", (0.95, 1.25), (0.80, 1.20), (0.45, 0.55)),
    ("bookshelf", (1.70, 2.00), (0.60, 1.00), (0.30, 0.38)),
)
CHAIR_BACK = (0.04, 0.45)
"""A chair's back: thickness and height above the seat (an obstacle, not a surface)."""


@dataclass(frozen=True)
class Piece:
    kind: str
    cx: float
    cy: float
    hx: float
    hy: float
    height: float
    back: tuple[float, float, float, float, float] | None = None
    """A chair's back as a box (cx, cy, hx, hy, top height), or None."""

    def contains(self, x: float, y: float, inset: float = 0.0) -> bool:
        return abs(x - self.cx) <= self.hx - inset and abs(y - self.cy) <= self.hy - inset


@dataclass(frozen=True)
class Room:
    seed: int
    pieces: tuple[Piece, ...]
    start: tuple[float, float, float]
    """Cat's start on the floor: x, y, yaw."""
    treat_piece: int
    treat: tuple[float, float]
    vase_piece: int | None
    vase: tuple[float, float] | None
    route: tuple[int, ...]
    """Shortest route as piece indices (the floor is -1, first): one jump per hop."""

    @property
    def jumps(self) -> int:
        return len(self.route) - 1

    def piece_under(self, x: float, y: float, z: float) -> int:
        """The piece whose top is under a torso centre at (x, y, z), or -1 (the floor). The
        torso is at least 0.03 m above what it rests on, standing or lying."""
        best, best_h = -1, 0.0
        for i, p in enumerate(self.pieces):
            if p.contains(x, y) and best_h < p.height <= z - 0.03:
                best, best_h = i, p.height
        return best

    def surface_height(self, x: float, y: float, z: float) -> float:
        i = self.piece_under(x, y, z)
        return 0.0 if i < 0 else self.pieces[i].height

    def boxes(self) -> list[tuple[float, float, float, float, float]]:
        """Every solid box (cx, cy, hx, hy, top): furniture and chair backs."""
        out = [(p.cx, p.cy, p.hx, p.hy, p.height) for p in self.pieces]
        out += [p.back for p in self.pieces if p.back is not None]
        return out


# -- ballistics ---------------------------------------------------------------------------


def landing_point(piece: Piece, from_xy: tuple[float, float]) -> tuple[float, float]:
    """Where to aim on ``piece`` when jumping from ``from_xy``: the point of the surface
    nearest the take-off, moved ``LANDING_INSET`` inside (the centre on small surfaces)."""
    ix, iy = max(piece.hx - LANDING_INSET, 0.0), max(piece.hy - LANDING_INSET, 0.0)
    x = min(max(from_xy[0], piece.cx - ix), piece.cx + ix)
    y = min(max(from_xy[1], piece.cy - iy), piece.cy + iy)
    return x, y


_PITCHES = np.radians(np.arange(15.0, 80.5, 1.0))


def solve_jump(
    start: tuple[float, float, float],
    target: tuple[float, float, float],
    boxes: list[tuple[float, float, float, float, float]],
    land_on: int | None = None,
    take_off: int | None = None,
    margin: float = 0.0,
    strength: float = 1.0,
) -> tuple[float, float, float] | None:
    """Take-off ``(heading, pitch, speed)`` for the torso to fly from ``start`` to
    ``target`` (both torso-centre positions) without its body (a 0.24 m sphere around the
    torso centre, feet 0.26 m below) touching any box on the way: the take-off box
    (``take_off``) only counts if the feet dip below its top, the landing box
    (``land_on``) only before the last 15% of the flight. Lowest speed wins; None when no
    pitch in range works within MAX_SPEED. ``margin`` (0 to 1) asks for that much spare
    speed and proportionally more clearance: route planning uses a margin so that the
    jumps it promises stay feasible from a landing a little off the planned point.
    ``strength`` scales the take-off speeds the cat has (MIN_SPEED to MAX_SPEED): a weaker
    cat's jumps (``jump_strength`` of the envs)."""
    dx, dy = target[0] - start[0], target[1] - start[1]
    d = math.hypot(dx, dy)
    dh = target[2] - start[2]
    heading = math.atan2(dy, dx)
    if d < 1e-3:
        return None
    th = _PITCHES
    denom = 2.0 * np.cos(th) ** 2 * (d * np.tan(th) - dh)
    with np.errstate(divide="ignore", invalid="ignore"):
        v2 = np.where(denom > 0, G * d * d / denom, np.inf)
    v = np.sqrt(v2)
    ok = (v <= MAX_SPEED * strength * (0.97 - margin)) & (v >= MIN_SPEED * strength)
    extra = 0.5 * margin
    if not ok.any():
        return None
    # Sample each candidate trajectory and check it against the furniture.
    s = np.linspace(0.0, 1.0, 41)[None, :]
    xs = start[0] + dx * s
    ys = start[1] + dy * s
    horiz = d * s
    with np.errstate(invalid="ignore", over="ignore"):
        zs = start[2] + horiz * np.tan(th)[:, None] - G * horiz**2 / (2 * v2[:, None] * np.cos(th)[:, None] ** 2)
    clear = ok.copy()
    for k, (cx, cy, hx, hy, top) in enumerate(boxes):
        inside = (np.abs(xs - cx) < hx + 0.12 + extra) & (np.abs(ys - cy) < hy + 0.12 + extra)
        if k == land_on:
            hit = inside & ((zs - 0.26 < top + 0.03 + extra) & (s < 0.85))
        elif k == take_off:
            hit = inside & (zs - 0.26 < top - 0.03)
        else:
            hit = inside & (zs - 0.30 - extra < top)
        clear &= ~hit.any(axis=1)
    clear &= (zs.min(axis=1) > 0.2) | (dh < -0.2)
    if not clear.any():
        return None
    # The slowest horizontal arrival (the longest flight) lands surest on a small top.
    best = int(np.argmin(np.where(clear, v * np.cos(th), np.inf)))
    return heading, float(th[best]), float(v[best])


FLOOR_RUN_UP = 0.7
"""From the floor the cat first hops to a spot this far from where it will land."""


def floor_spot(pieces: tuple[Piece, ...], land: tuple[float, float], toward: tuple[float, float]) -> tuple[float, float] | None:
    """A free floor spot FLOOR_RUN_UP from ``land``, as near the direction of ``toward`` as
    the furniture allows (None when the floor around is all taken)."""
    base = math.atan2(toward[1] - land[1], toward[0] - land[0])
    for turn in (0, 1, -1, 2, -2, 3, -3, 4, -4, 5, -5, 6):
        a = base + turn * math.pi / 6
        x, y = land[0] + FLOOR_RUN_UP * math.cos(a), land[1] + FLOOR_RUN_UP * math.sin(a)
        if abs(x) > ROOM_HALF - 0.3 or abs(y) > ROOM_HALF - 0.3:
            continue
        if all(not p.contains(x, y, -0.3) for p in pieces):
            return x, y
    return None


def _jump_ok(room_boxes: list, pieces: tuple[Piece, ...], a: int, b: int, from_xy: tuple[float, float], strength: float = 1.0) -> tuple[float, float] | None:
    """Can the cat standing at ``from_xy`` on piece ``a`` (-1: floor, where it first hops to
    a run-up spot) land on piece ``b``? Returns the landing point, or None."""
    pb = pieces[b]
    ha = 0.0 if a < 0 else pieces[a].height
    land = landing_point(pb, from_xy)
    if a < 0:
        spot = floor_spot(pieces, land, from_xy)
        if spot is None:
            return None
        from_xy = spot
    start = (from_xy[0], from_xy[1], ha + STAND_HEIGHT)
    target = (land[0], land[1], pb.height + STAND_HEIGHT)
    plan = solve_jump(start, target, room_boxes, land_on=b, take_off=a if a >= 0 else None, margin=PLAN_MARGIN, strength=strength)
    return land if plan is not None else None


def shortest_route(pieces: tuple[Piece, ...], start_xy: tuple[float, float], goal: int, strength: float = 1.0) -> tuple[int, ...] | None:
    """Fewest jumps from the floor at ``start_xy`` to piece ``goal``, with the oracle's
    landing points (breadth-first search; each hop checked with ``solve_jump`` for a cat
    of jump ``strength``)."""
    boxes = [(p.cx, p.cy, p.hx, p.hy, p.height) for p in pieces] + [p.back for p in pieces if p.back is not None]
    queue: deque[tuple[int, tuple[float, float], tuple[int, ...]]] = deque([(-1, start_xy, (-1,))])
    seen = {-1}
    while queue:
        node, xy, path = queue.popleft()
        for nxt in range(len(pieces)):
            if nxt in seen:
                continue
            land = _jump_ok(boxes, pieces, node, nxt, xy, strength)
            if land is None:
                continue
            route = path + (nxt,)
            if nxt == goal:
                return route
            seen.add(nxt)
            queue.append((nxt, land, route))
    return None


# -- rooms ---------------------------------------------------------------------------------


def _place(rng: np.random.Generator, kind_index: int, placed: list[Piece], top_scale: float = 1.0) -> Piece | None:
    name, (h0, h1), (a0, a1), (b0, b1) = FURNITURE[kind_index]
    for _ in range(40):
        sx, sy = rng.uniform(a0, a1) / 2 * top_scale, rng.uniform(b0, b1) / 2 * top_scale
        if rng.random() < 0.5:
            sx, sy = sy, sx
        height = float(rng.uniform(h0, h1))
        # Tall, shallow pieces stand against a wall half the time, as in real rooms.
        if name in ("bookshelf", "dresser", "counter") and rng.random() < 0.5:
            side = int(rng.integers(4))
            long_half, short_half = max(sx, sy), min(sx, sy)
            along = float(rng.uniform(-ROOM_HALF + long_half, ROOM_HALF - long_half))
            if side < 2:
                sx, sy = long_half, short_half
                cx, cy = along, (ROOM_HALF - sy) * (1 if side == 0 else -1)
            else:
                sx, sy = short_half, long_half
                cx, cy = (ROOM_HALF - sx) * (1 if side == 2 else -1), along
        else:
            cx = float(rng.uniform(-ROOM_HALF + sx + 0.3, ROOM_HALF - sx - 0.3))
            cy = float(rng.uniform(-ROOM_HALF + sy + 0.3, ROOM_HALF - sy - 0.3))
        # Gaps of at least 0.25 m between pieces: a cat-sized space, so no piece is reached by walking.
        if any(abs(cx - p.cx) < sx + p.hx + 0.25 and abs(cy - p.cy) < sy + p.hy + 0.25 for p in placed):
            continue
        back = None
        if name == "chair":
            t, bh = CHAIR_BACK
            back = (cx - sx + t / 2, cy, t / 2, sy, height + bh)
        return Piece(name, float(cx), float(cy), float(sx), float(sy), height, back)
    return None


def candidate(seed: int, attempt: int, strength: float = 1.0, top_scale: float = 1.0) -> Room | None:
    """One geometric candidate for ``seed`` (no simulation); None when rejected, also when
    a cat of jump ``strength`` (``solve_jump``) has no route of 1-4 jumps. ``top_scale``:
    every piece's width and depth times this (narrower furniture, same heights)."""
    rng = np.random.default_rng(np.random.SeedSequence([0xCA7, int(seed), int(attempt)]))
    n = int(rng.integers(2, MAX_SURFACES + 1))
    kinds = rng.choice(len(FURNITURE), size=n, p=[0.2, 0.15, 0.2, 0.15, 0.15, 0.15])
    pieces: list[Piece] = []
    for k in kinds:
        piece = _place(rng, int(k), pieces, top_scale)
        if piece is not None:
            pieces.append(piece)
    if len(pieces) < 2:
        return None
    heights = [p.height for p in pieces]
    top = int(np.argmax(heights))
    if sorted(heights)[-1] - sorted(heights)[-2] < 0.02:
        return None  # the treat's surface must be the highest without doubt
    # Start: a free floor spot, away from furniture.
    for _ in range(50):
        x, y = rng.uniform(-ROOM_HALF + 0.4, ROOM_HALF - 0.4, 2)
        if all(not p.contains(x, y, -0.45) for p in pieces):
            break
    else:
        return None
    yaw = float(rng.uniform(-math.pi, math.pi))
    tp = pieces[top]
    treat = (float(tp.cx + rng.uniform(-0.4, 0.4) * tp.hx), float(tp.cy + rng.uniform(-0.4, 0.4) * tp.hy))
    route = shortest_route(tuple(pieces), (float(x), float(y)), top, strength)
    if route is None or not 1 <= len(route) - 1 <= 4:
        return None
    # The vase stands on a piece off the shortest route (when there is one wide enough), so
    # the route never forces a landing next to it; other agents can still knock it over.
    vase_piece, vase = None, None
    others = [i for i in range(len(pieces)) if i not in route and pieces[i].hx > 0.2 and pieces[i].hy > 0.2]
    if others and rng.random() < 0.7:
        vase_piece = int(rng.choice(others))
        vp = pieces[vase_piece]
        vase = (float(vp.cx + rng.uniform(-0.5, 0.5) * (vp.hx - 0.1)), float(vp.cy + rng.uniform(-0.5, 0.5) * (vp.hy - 0.1)))
    return Room(int(seed), tuple(pieces), (float(x), float(y), yaw), top, treat, vase_piece, vase, route)
