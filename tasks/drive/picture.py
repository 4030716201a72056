"""A top-down picture of a drive, following the car, drawn with numpy on the CPU (the
family's town is not a PyBullet scene, so there is nothing for a GL camera to film, and
no GL is needed): streets, the route, lights, parked and moving cars, pedestrians."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from embodied_bench.tasks.drive.others import PEDESTRIAN_RADIUS, _rect
from embodied_bench.tasks.drive.town import LANE_WIDTH, PARKING_WIDTH, ROAD_HALF_WIDTH

SIZE = 400
"""Pixels along each side of the picture."""
SPAN = 70.0
"""Metres along each side: the car sees about as far as it senses (40 m) ahead."""

_GRASS = (118, 150, 96)
_ROAD = (72, 72, 76)
_LINE = (235, 235, 225)
_ROUTE = (120, 170, 235)
_EGO = (215, 45, 40)
_CAR = (55, 95, 190)
_PARKED = (140, 140, 150)
_PEDESTRIAN = (250, 205, 40)
_LIGHTS = {"green": (40, 200, 70), "amber": (245, 170, 30), "red": (230, 40, 40)}


class _Canvas:
    def __init__(self, centre: tuple[float, float], size: int = SIZE, span: float = SPAN) -> None:
        self.image = np.empty((size, size, 3), np.uint8)
        self.image[:] = _GRASS
        self.size, self.scale = size, size / span
        self.cx, self.cy = centre

    def _pixels(self, xy: np.ndarray) -> np.ndarray:
        """World (x, y) -> pixel (column, row), north up."""
        xy = np.asarray(xy, float)
        return np.stack([(xy[..., 0] - self.cx) * self.scale + self.size / 2, self.size / 2 - (xy[..., 1] - self.cy) * self.scale], axis=-1)

    def _box(self, pixels: np.ndarray) -> tuple[int, int, int, int] | None:
        c0, r0 = np.floor(pixels.min(axis=0)).astype(int)
        c1, r1 = np.ceil(pixels.max(axis=0)).astype(int)
        c0, r0, c1, r1 = max(c0, 0), max(r0, 0), min(c1, self.size), min(r1, self.size)
        return (c0, r0, c1, r1) if c0 < c1 and r0 < r1 else None

    def polygon(self, corners: np.ndarray, colour: tuple[int, int, int]) -> None:
        """A convex polygon (corners in order)."""
        p = self._pixels(corners)
        box = self._box(p)
        if box is None:
            return
        c0, r0, c1, r1 = box
        cols, rows = np.meshgrid(np.arange(c0, c1) + 0.5, np.arange(r0, r1) + 0.5)
        # Inside: on the inner side of every edge, whichever way round the corners go.
        turn = 1.0 if float(np.sum(p[:, 0] * np.roll(p[:, 1], -1) - np.roll(p[:, 0], -1) * p[:, 1])) >= 0 else -1.0
        inside = np.ones(cols.shape, bool)
        for i in range(len(p)):
            (ax, ay), (bx, by) = p[i], p[(i + 1) % len(p)]
            inside &= turn * ((bx - ax) * (rows - ay) - (by - ay) * (cols - ax)) >= 0
        self.image[r0:r1, c0:c1][inside] = colour

    def circle(self, centre: np.ndarray, radius: float, colour: tuple[int, int, int]) -> None:
        (c, r), rad = self._pixels(centre), max(radius * self.scale, 1.0)
        box = self._box(np.array([[c - rad, r - rad], [c + rad, r + rad]]))
        if box is None:
            return
        c0, r0, c1, r1 = box
        cols, rows = np.meshgrid(np.arange(c0, c1) + 0.5, np.arange(r0, r1) + 0.5)
        self.image[r0:r1, c0:c1][(cols - c) ** 2 + (rows - r) ** 2 <= rad * rad] = colour

    def rect(self, x0: float, y0: float, x1: float, y1: float, colour: tuple[int, int, int]) -> None:
        self.polygon(np.array([[x0, y0], [x1, y0], [x1, y1], [x0, y1]]), colour)


def draw(trip: Any, size: int = SIZE, span: float = SPAN) -> np.ndarray:
    """``(size, size, 3)`` uint8: the trip's town around the car, north up."""
    town, others = trip.town, trip.others
    x, y, heading = trip.pose()
    canvas = _Canvas((x, y), size, span)
    near = span * 0.75
    for a, b in town.roads:
        (xa, ya), (xb, yb) = town.nodes[a], town.nodes[b]
        if min(xa, xb) - near > x or max(xa, xb) + near < x or min(ya, yb) - near > y or max(ya, yb) + near < y:
            continue
        h = ROAD_HALF_WIDTH
        canvas.rect(min(xa, xb) - h, min(ya, yb) - h, max(xa, xb) + h, max(ya, yb) + h, _ROAD)
    for a, b in town.roads:  # the centre lines, between junctions
        (xa, ya), (xb, yb) = town.nodes[a], town.nodes[b]
        w, h = 0.6 * span / size, ROAD_HALF_WIDTH  # at least a pixel wide
        if ya == yb:
            canvas.rect(min(xa, xb) + h, ya - w, max(xa, xb) - h, ya + w, _LINE)
        else:
            canvas.rect(xa - w, min(ya, yb) + h, xa + w, max(ya, yb) - h, _LINE)
    ahead = trip.path[trip.progress :: 2]
    for point in ahead[np.linalg.norm(ahead - (x, y), axis=1) < near]:
        canvas.circle(point, 0.35, _ROUTE)
    for light in town.lights:
        cx, cy = town.nodes[light.node]
        if abs(cx - x) > near or abs(cy - y) > near:
            continue
        # A lamp at each corner, coloured for the approach whose right-hand kerb it stands on.
        off = ROAD_HALF_WIDTH + 0.8
        for dx, dy, north_south in ((off, -off, True), (-off, off, True), (-off, -off, False), (off, off, False)):
            canvas.circle(np.array([cx + dx, cy + dy]), 0.9, _LIGHTS[light.state(others.t, north_south)])
    for spot in town.parked:
        canvas.polygon(_rect(*town.lane_point(spot, LANE_WIDTH + PARKING_WIDTH / 2)), _PARKED)
    for car in others.cars:
        if not car.done:
            canvas.polygon(_rect(*car.pose()), _CAR)
    for p in others.pedestrians:
        canvas.circle(p.position, PEDESTRIAN_RADIUS * 1.5, _PEDESTRIAN)
    canvas.polygon(_rect(x, y, heading), _EGO)
    # The windscreen, so the picture shows which way the car faces.
    fx, fy = x + 1.0 * math.cos(heading), y + 1.0 * math.sin(heading)
    canvas.polygon(_rect(fx, fy, heading, 0.6, 1.4), _LINE)
    return canvas.image
