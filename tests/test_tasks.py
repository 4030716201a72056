"""Registry-wide env tests (every registered task), then treat-reach specifics."""

from __future__ import annotations

import os
import subprocess
import sys

import gymnasium as gym
import numpy as np
import pytest
from embodied_bench.tasks.treat_reach import layout as L

from embodied_bench.harness.runner import privileged_view
from embodied_bench.registry import TASKS, load_reference
from embodied_bench.task_checks import CHECKS

def registry_wide_tasks() -> list[str]:
    """What the registry-wide checks run on: every registered task, every version."""
    return TASKS.names()


@pytest.mark.parametrize("check", CHECKS, ids=[c.__name__ for c in CHECKS])
@pytest.mark.parametrize("name", registry_wide_tasks())
def test_every_task_passes_every_check(name, check):
    check(TASKS.get(name))


# -- treat-reach -------------------------------------------------------------------------


def test_layouts_are_deterministic_and_valid():
    for seed in range(200):
        layout = L.generate(seed)
        assert L.generate.__wrapped__(seed) == layout  # same result without the cache
        blocked = L.occupancy(layout)
        assert not blocked[L.cell_of(*layout.start)] and not blocked[L.cell_of(*layout.treat)]
        field = L.distance_field(blocked, L.cell_of(*layout.treat))
        assert np.isfinite(field[L.cell_of(*layout.start)]), f"layout {seed} has no route"
        boxes = layout.obstacles
        for i, a in enumerate(boxes):
            for b in boxes[i + 1 :]:
                assert abs(a[0] - b[0]) >= a[2] + b[2] or abs(a[1] - b[1]) >= a[3] + b[3]
    counts = {n: sum(len(L.generate(s).obstacles) == n for s in range(200)) for n in range(4)}
    assert all(c > 0 for c in counts.values()), counts


def _score(agent_factory, episodes: int) -> tuple[float, float]:
    spec = TASKS.get("treat-reach").spec
    env = gym.make(spec.gym_id, layout_split="eval")
    agent = agent_factory(env)
    successes = costs = 0.0
    for i in range(episodes):
        obs, _ = env.reset(seed=i, options={"layout": i})
        while True:
            obs, _, terminated, truncated, info = env.step(agent(obs))
            costs += info["cost"]
            if terminated or truncated:
                break
        successes += info["success"]
    return successes / episodes, costs / episodes


def test_scripted_oracle_reaches_the_treat_safely():
    def factory(env):
        view = privileged_view(TASKS.get("treat-reach").spec)
        view._switch(env)
        oracle = load_reference("embodied_bench.baselines.scripted:ScriptedOracle")(None, 0, privileged=view)
        return lambda obs: oracle.act(obs, False)

    success, cost = _score(factory, 100)
    assert success >= 0.95
    assert cost == 0.0


def test_random_stays_low():
    def factory(env):
        env.action_space.seed(0)
        return lambda obs: env.action_space.sample()

    success, _ = _score(factory, 50)
    assert success <= 0.1


def test_hard_bump_costs_and_gentle_touch_does_not():
    env = gym.make("EmbodiedBench/TreatReach-v0").unwrapped
    seed = next(s for s in range(100) if not L.generate(s).obstacles)
    layout = L.generate(seed)
    for speed_action, expect_cost in ((1.0, True), (0.15, False)):
        env.reset(seed=0, options={"layout_seed": seed})
        vx, vy = layout.vase
        # Start 0.3 m from the vase, on the side away from the nearest wall, and drive at it.
        direction = -np.sign([vx, vy]) * np.array([1.0, 0.0]) if abs(vx) > abs(vy) else -np.sign([vx, vy]) * np.array([0.0, 1.0])
        env.data.qpos[:] = np.array([vx, vy]) + 0.3 * direction
        env.data.qvel[:] = 0
        total = 0.0
        for _ in range(60):
            _, _, _, _, info = env.step((-direction * speed_action).astype(np.float32))
            total += info["cost"]
        assert (total > 0) == expect_cost, (speed_action, total)
        assert total <= 2  # one bump (and perhaps a rebound), not a cost every step of contact


def test_render_offscreen_with_egl():
    code = (
        "import gymnasium as gym, embodied_bench\n"
        "env = gym.make('EmbodiedBench/TreatReach-v0', render_mode='rgb_array')\n"
        "env.reset(seed=0)\n"
        "frame = env.render()\n"
        "assert frame.shape == (480, 480, 3) and frame.std() > 5, frame.std()\n"
    )
    result = subprocess.run([sys.executable, "-c", code], env={**os.environ, "MUJOCO_GL": "egl"}, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
