"""Render the README's cat-climb frame: a held-out room from the room camera and the
following camera, side by side, part-way up the scripted oracle's route.

    MUJOCO_GL=egl python docs/render_cat_climb.py [--room 3] [--jumps 1] [--out docs/cat-climb.png]
"""

from __future__ import annotations

import argparse

import gymnasium as gym
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from embodied_bench.tasks.cat_climb.oracle import CatClimbOracle  # noqa: E402

import embodied_bench  # noqa: E402,F401
from embodied_bench.api import PrivilegedView  # noqa: E402
from embodied_bench.registry import TASKS  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--room", type=int, default=3)
    parser.add_argument("--jumps", type=int, default=1)
    parser.add_argument("--out", default="docs/cat-climb.png")
    args = parser.parse_args()
    frames = []
    for camera in ("room", "follow"):
        env = gym.make("EmbodiedBench/CatClimbSkill-v0", layout_split="eval", render_mode="rgb_array", camera=camera)
        view = PrivilegedView(TASKS.get("cat-climb-skill"))
        view._switch(env)
        oracle = CatClimbOracle(None, 0, privileged=view)
        obs, info = env.reset(seed=args.room, options={"layout": args.room})
        for _ in range(args.jumps):
            obs, *_ = env.step(oracle.act(obs))
        frames.append(env.render())
        env.close()
    plt.imsave(args.out, np.concatenate(frames, axis=1))
    print(f"wrote {args.out} (room {args.room}, {info['route_jumps']}-climb route, after {args.jumps} jumps)")


if __name__ == "__main__":
    main()
