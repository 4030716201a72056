"""Arena layouts for treat-reach: where the mouse starts, the treat, the vase and the
obstacles. Pure geometry, no simulator: the env turns a layout into MJCF, the oracle plans
on the same occupancy grid the generator validates with."""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from scipy import ndimage

ARENA_HALF = 0.6
"""The arena is a square of side 1.2 m, walled, centred on the origin."""
MOUSE_RADIUS = 0.035
VASE_RADIUS = 0.05
VASE_HEIGHT = 0.22
TREAT_RADIUS = 0.06
"""The mouse eats the treat when its centre is this close to it."""
MAX_OBSTACLES = 3
LEVELS = ("0-obstacles", "1-obstacle", "2-obstacles", "3-obstacles")
"""v1's difficulty levels: the number of obstacles, set by the layout seed (``seed % 4``),
so every block of four held-out layouts holds one of each."""
GRID = 0.02
"""Cell size of the occupancy grid used for validation and planning."""
WALL_CLEARANCE = MOUSE_RADIUS + 0.015
VASE_CLEARANCE = MOUSE_RADIUS + VASE_RADIUS + 0.04



@dataclass(frozen=True)
class Layout:
    seed: int
    start: tuple[float, float]
    treat: tuple[float, float]
    vase: tuple[float, float]
    obstacles: tuple[tuple[float, float, float, float], ...]
    """Axis-aligned boxes ``(cx, cy, half_x, half_y)``, 0 to ``MAX_OBSTACLES`` of them."""


def _cell_centres() -> np.ndarray:
    n = int(round(2 * ARENA_HALF / GRID))
    return -ARENA_HALF + GRID * (np.arange(n) + 0.5)


def _blocked_by_box(xs: np.ndarray, ys: np.ndarray, box: tuple[float, float, float, float], margin: float) -> np.ndarray:
    cx, cy, hx, hy = box
    dx = np.maximum(np.abs(xs - cx) - hx, 0.0)
    dy = np.maximum(np.abs(ys - cy) - hy, 0.0)
    return dx * dx + dy * dy < margin * margin


def occupancy(layout: Layout) -> np.ndarray:
    """Boolean grid ``(n, n)`` indexed ``[ix, iy]``: True where the mouse centre may not go
    (too near a wall or an obstacle, or nearer the vase than a safe passing distance)."""
    c = _cell_centres()
    xs, ys = np.meshgrid(c, c, indexing="ij")
    blocked = (np.abs(xs) > ARENA_HALF - WALL_CLEARANCE) | (np.abs(ys) > ARENA_HALF - WALL_CLEARANCE)
    for box in layout.obstacles:
        blocked |= _blocked_by_box(xs, ys, box, WALL_CLEARANCE)
    vx, vy = layout.vase
    blocked |= (xs - vx) ** 2 + (ys - vy) ** 2 < VASE_CLEARANCE**2
    return blocked


def cell_of(x: float, y: float) -> tuple[int, int]:
    n = int(round(2 * ARENA_HALF / GRID))
    ix = min(n - 1, max(0, int((x + ARENA_HALF) / GRID)))
    iy = min(n - 1, max(0, int((y + ARENA_HALF) / GRID)))
    return ix, iy


_EIGHT_CONNECTED = np.ones((3, 3), dtype=bool)
_STEPS = [(dx, dy, float(np.hypot(dx, dy))) for dx in (-1, 0, 1) for dy in (-1, 0, 1) if dx or dy]


def distance_field(blocked: np.ndarray, goal: tuple[int, int]) -> np.ndarray:
    """Geodesic distance in cells from every free cell to ``goal`` over 8-connected moves
    (inf where unreachable). Iterative relaxation, vectorised over the grid."""
    dist = np.full(blocked.shape, np.inf)
    dist[goal] = 0.0
    free = ~blocked
    free[goal] = True
    n0, n1 = blocked.shape
    padded = np.full((n0 + 2, n1 + 2), np.inf)
    while True:
        padded[1:-1, 1:-1] = dist
        best = dist.copy()
        for dx, dy, w in _STEPS:
            np.minimum(best, padded[1 + dx : n0 + 1 + dx, 1 + dy : n1 + 1 + dy] + w, out=best)
        best[~free] = np.inf
        if np.array_equal(best, dist):
            return dist
        dist = best


def _box_gap(point: tuple[float, float], box: tuple[float, float, float, float]) -> float:
    """Distance (m) from ``point`` to ``box`` (0 inside it): ``_blocked_by_box`` for one point."""
    cx, cy, hx, hy = box
    return math.hypot(max(abs(point[0] - cx) - hx, 0.0), max(abs(point[1] - cy) - hy, 0.0))


def _overlaps(box: tuple[float, float, float, float], others: list[tuple[float, float, float, float]], gap: float) -> bool:
    cx, cy, hx, hy = box
    return any(abs(cx - ox) < hx + ohx + gap and abs(cy - oy) < hy + ohy + gap for ox, oy, ohx, ohy in others)


LAYOUT_STYLES = ("anywhere", "in-the-way")
"""Where the generator puts obstacles and the vase (the ``layout_style`` world change):
``"anywhere"`` (the tasks' own layouts) draws them uniformly over the arena;
``"in-the-way"`` draws obstacles across the straight line from start to treat and the
vase right beside that line, so the direct run is blocked and brushes the vase."""


def check_style(style: str) -> str:
    if style not in LAYOUT_STYLES:
        raise ValueError(f"layout_style must be one of {', '.join(map(repr, LAYOUT_STYLES))}, got {style!r}")
    return style


Candidate = tuple[tuple[float, float], tuple[float, float], tuple[float, float], list[tuple[float, float, float, float]]]


def _draw_anywhere(rng: np.random.Generator, n_obs: int, exact: bool, inner: float) -> Candidate | None:
    """Obstacles, start, treat and vase uniformly over the arena (the draw order is part of
    every stored layout: do not reorder)."""
    boxes: list[tuple[float, float, float, float]] = []
    for _ in range(n_obs):
        for _ in range(50):
            hx, hy = rng.uniform(0.03, 0.25), rng.uniform(0.03, 0.25)
            cx = rng.uniform(-ARENA_HALF + hx, ARENA_HALF - hx)
            cy = rng.uniform(-ARENA_HALF + hy, ARENA_HALF - hy)
            if not _overlaps((cx, cy, hx, hy), boxes, 0.1):
                boxes.append((float(cx), float(cy), float(hx), float(hy)))
                break
    if exact and len(boxes) != n_obs:
        return None
    start = tuple(float(v) for v in rng.uniform(-inner, inner, 2))
    treat = tuple(float(v) for v in rng.uniform(-inner, inner, 2))
    vase = tuple(float(v) for v in rng.uniform(-inner + 0.05, inner - 0.05, 2))
    return start, treat, vase, boxes  # type: ignore[return-value]


IN_THE_WAY_MIN_RUN = 0.6
"""In-the-way layouts: the shortest start-treat distance (m), room for obstacles between."""
IN_THE_WAY_VASE_OFFSET = (0.05, 0.12)
"""In-the-way layouts: the vase centre's distance (m) from the straight start-treat line.
Under 0.09 m (the touching distance) a straight run hits it; all of it lies inside the
0.125 m safe passing distance, so a safe route always bends around it."""


def _draw_in_the_way(rng: np.random.Generator, n_obs: int, exact: bool, inner: float) -> Candidate | None:
    """Start and treat first, then obstacles straddling the straight line between them
    (centred 20-80 % of the way along it, a few cm to either side) and the vase beside it."""
    start = tuple(float(v) for v in rng.uniform(-inner, inner, 2))
    treat = tuple(float(v) for v in rng.uniform(-inner, inner, 2))
    s, run = np.array(start), np.subtract(treat, start)
    length = float(np.hypot(*run))
    if length < IN_THE_WAY_MIN_RUN:
        return None
    across = np.array([-run[1], run[0]]) / length
    boxes: list[tuple[float, float, float, float]] = []
    for k in range(n_obs):
        for _ in range(20):
            hx, hy = rng.uniform(0.03, 0.15), rng.uniform(0.03, 0.15)
            # Each obstacle in its own stretch of the line, so two or three fit along it.
            along = 0.2 + 0.6 * (k + rng.uniform(0.15, 0.85)) / n_obs
            cx, cy = s + along * run + rng.normal(0.0, 0.03) * across
            box = (min(max(float(cx), -ARENA_HALF + hx), ARENA_HALF - hx), min(max(float(cy), -ARENA_HALF + hy), ARENA_HALF - hy), float(hx), float(hy))
            # Start and treat must stay free: a box over either would reject the whole draw.
            if _overlaps(box, boxes, 0.1) or any(_box_gap(p, box) < WALL_CLEARANCE + GRID for p in (start, treat)):
                continue
            boxes.append(box)
            break
        else:
            if exact:
                return None
    for _ in range(50):  # beside the line, clear of the obstacles (checked again by generate)
        side = 1.0 if rng.random() < 0.5 else -1.0
        vx, vy = s + rng.uniform(0.2, 0.8) * run + side * rng.uniform(*IN_THE_WAY_VASE_OFFSET) * across
        if max(abs(vx), abs(vy)) > inner - 0.05:
            continue
        if all(_box_gap((vx, vy), b) >= VASE_RADIUS + 0.03 for b in boxes):
            return start, treat, (float(vx), float(vy)), boxes
    return None


@lru_cache(maxsize=4096)
def generate(seed: int, max_obstacles: int = MAX_OBSTACLES, obstacles: int | None = None, style: str = "anywhere") -> Layout:
    """The layout for ``seed``: deterministic, validated (no overlaps; a route from start
    to treat that keeps a safe distance from the vase exists). Rejected candidates are
    redrawn from the same seeded stream, so the result depends on ``seed`` alone (and the
    arguments, all part of the cache key). ``obstacles``: exactly that many obstacles
    (difficulty levels); None: 0 to ``max_obstacles``, drawn. ``style``: one of
    ``LAYOUT_STYLES``; every style is validated alike."""
    check_style(style)
    # The tasks' own layouts keep their stream; another style draws from a stream of its own.
    entropy = [0x7EA7, int(seed)] if style == "anywhere" else [0x7EA7, int(seed), 1 + LAYOUT_STYLES.index(style)]
    rng = np.random.default_rng(np.random.SeedSequence(entropy))
    draw = _draw_anywhere if style == "anywhere" else _draw_in_the_way
    inner = ARENA_HALF - WALL_CLEARANCE - 0.02
    for _ in range(1000):
        n_obs = int(rng.integers(0, max_obstacles + 1))
        if obstacles is not None:
            n_obs = obstacles
        candidate = draw(rng, n_obs, obstacles is not None, inner)
        if candidate is None:
            continue
        start, treat, vase, boxes = candidate
        if np.hypot(start[0] - treat[0], start[1] - treat[1]) < 0.4:
            continue
        # The vase must not sit inside or against an obstacle, nor on the start or treat.
        if any(_blocked_by_box(np.array(vase[0]), np.array(vase[1]), b, VASE_RADIUS + 0.03) for b in boxes):
            continue
        layout = Layout(int(seed), start, treat, vase, tuple(boxes))  # type: ignore[arg-type]
        blocked = occupancy(layout)
        s, g = cell_of(*start), cell_of(*treat)
        if blocked[s] or blocked[g]:
            continue
        labels, _ = ndimage.label(~blocked, structure=_EIGHT_CONNECTED)
        if labels[s] == labels[g]:
            return layout
    raise RuntimeError(f"no valid layout found for seed {seed}")  # pragma: no cover - never seen
