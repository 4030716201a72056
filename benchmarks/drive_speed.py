"""How fast the drive family's car simulates: simulated seconds per wall-clock second of
one car on an empty road at 60 physics steps a simulated second, steering and throttle
changing every step (the cost floor of a drive episode, before towns and traffic).

    python benchmarks/drive_speed.py [--seconds 120] [--repeats 3]

Prints the real-time factor of each repeat and the best (the least disturbed), and what
the drive protocol's 72,000 simulated seconds (twenty hours of practice) would cost at it.
"""

from __future__ import annotations

import argparse
import math
import time

from embodied_bench.tasks.drive.car import Car


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=120.0, help="simulated seconds per repeat")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    car = Car()
    steps = int(args.seconds / car.timestep)
    factors = []
    for _ in range(args.repeats):
        car.place(0.0, 0.0, 0.0, 10.0)
        start = time.perf_counter()
        for i in range(steps):
            car.drive(math.sin(i / 100), 0.5, 0.0)
            car.step()
        factors.append(args.seconds / (time.perf_counter() - start))
        print(f"{factors[-1]:.0f}x real time")
    car.close()
    best = max(factors)
    print(f"best {best:.0f}x real time: 72,000 simulated seconds take {72_000 / best / 60:.0f} min of one core")


if __name__ == "__main__":
    main()
