"""Render the README's table-clear frame with PyBullet's CPU renderer: a held-out
household's table, part-way through the scripted oracle clearing it.

    python docs/render_table_clear.py [--layout 1] [--picks 2] [--out docs/table-clear.png]
"""

from __future__ import annotations

import argparse

import gymnasium as gym
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from embodied_bench.tasks.table_clear.oracle import TableClearOracle  # noqa: E402

import embodied_bench  # noqa: E402,F401
from embodied_bench.api import PrivilegedView  # noqa: E402
from embodied_bench.registry import TASKS  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--layout", type=int, default=1)
    parser.add_argument("--picks", type=int, default=2)
    parser.add_argument("--out", default="docs/table-clear.png")
    args = parser.parse_args()
    env = gym.make("EmbodiedBench/TableClearPrimitive-v0", layout_split="eval", render_mode="rgb_array")
    view = PrivilegedView(TASKS.get("table-clear-primitive"))
    view._switch(env)
    oracle = TableClearOracle(None, 0, privileged=view)
    obs, info = env.reset(seed=args.layout, options={"layout": args.layout})
    for _ in range(args.picks):
        obs, *_ = env.step(oracle.act(obs))
    plt.imsave(args.out, env.render())
    print(f"wrote {args.out} (household {info['household']}, attempt {info['attempt']}, after {args.picks} picks)")


if __name__ == "__main__":
    main()
