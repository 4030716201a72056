"""How the drive family's traffic behaves and what it costs: towns at the level with
everyone, the other cars and pedestrians moved at 10 Hz for a while.

    python benchmarks/drive_traffic.py [--towns 20] [--seconds 240]

Prints per town the cars, their mean distance driven, the longest any car stood still,
red stop lines crossed, and collisions among the others (cars with cars, cars with
pedestrians); then the time a step took. What the tests assert over 120 s in three towns,
here over more towns and longer.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from embodied_bench.tasks.drive import others as O
from embodied_bench.tasks.drive import town as T


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--towns", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=240.0)
    args = parser.parse_args()
    steps, spent = 0, 0.0
    for seed in range(args.towns):
        town = T.generate(seed, "pedestrians-and-lights")
        others = O.Others(town, np.random.default_rng(seed))
        still, worst, red, hits = [0.0] * len(others.cars), 0.0, 0, 0
        for _ in range(int(args.seconds / 0.1)):
            fronts = [c.s + O.CAR_LENGTH / 2 for c in others.cars]
            lights = {(l.node, ns): l.state(others.t, ns) for l in town.lights for ns in (True, False)}
            start = time.perf_counter()
            others.step(0.1)
            spent += time.perf_counter() - start
            steps += 1
            rects = others.car_rects()
            hits += sum(O.rects_overlap(a, b) for i, a in enumerate(rects) for b in rects[i + 1 :])
            hits += sum(O.circle_touches_rect(p, O.PEDESTRIAN_RADIUS, r) for p in others.pedestrian_positions() for r in rects)
            for k, car in enumerate(others.cars):
                still[k] = still[k] + 0.1 if car.speed < 0.05 else 0.0
                worst = max(worst, still[k])
                red += sum(fronts[k] < stop <= car.s + O.CAR_LENGTH / 2 and lights.get((node, ns)) == "red" for stop, node, ns in car.stops)
        driven = np.mean([c.s for c in others.cars]) if others.cars else 0.0
        print(f"town {seed:3d}: {len(others.cars)} cars, {driven:5.0f} m each, longest stand-still {worst:5.1f} s, red lines crossed {red}, collisions {hits}")
    print(f"{1000 * spent / steps:.2f} ms a step of everyone else")


if __name__ == "__main__":
    main()
