"""Registry-wide env tests (every registered task), then treat-reach specifics."""

from __future__ import annotations

import os
import subprocess
import sys
import warnings

import gymnasium as gym
import numpy as np
import pytest
from embodied_bench.tasks.treat_reach import layout as L
from gymnasium.utils.env_checker import check_env

from embodied_bench.api import PrivilegedView
from embodied_bench.registry import TASKS, load_reference

SPECS = [TASKS.get(n) for n in TASKS.names()]
IDS = [s.id for s in SPECS]


@pytest.mark.parametrize("spec", SPECS, ids=IDS)
@pytest.mark.parametrize("split", ["train", "eval"])
def test_check_env_with_warnings_as_errors(spec, split):
    env = gym.make(spec.gym_id, layout_split=split, **spec.env_kwargs).unwrapped
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        check_env(env, skip_render_check=True)


ROLLOUT_STEPS = {"table-clear-primitive": 6}
"""A primitive is a whole pick-and-place motion: a few make a rollout."""


def _rollout(spec, seed: int) -> list:
    steps = ROLLOUT_STEPS.get(spec.id, 50)
    env = gym.make(spec.gym_id, **spec.env_kwargs)
    env.action_space.seed(seed)
    obs, _ = env.reset(seed=seed)
    out = [obs]
    for _ in range(steps):
        obs, reward, terminated, truncated, info = env.step(env.action_space.sample())
        out.append((obs, reward, terminated, truncated, info["success"], info["cost"]))
        if terminated or truncated:
            obs, _ = env.reset()
            out.append(obs)
    return out


def _equal(a, b) -> bool:
    if isinstance(a, np.ndarray):
        return np.array_equal(a, b)
    if isinstance(a, tuple):
        return len(a) == len(b) and all(_equal(x, y) for x, y in zip(a, b))
    return a == b


@pytest.mark.parametrize("spec", SPECS, ids=IDS)
def test_same_seed_same_rollout(spec):
    a, b = _rollout(spec, 7), _rollout(spec, 7)
    assert len(a) == len(b) and all(_equal(x, y) for x, y in zip(a, b))


@pytest.mark.parametrize("spec", SPECS, ids=IDS)
def test_initial_state_is_randomised(spec):
    env = gym.make(spec.gym_id, **spec.env_kwargs)
    firsts = [env.reset(seed=s)[0] for s in range(5)]
    assert len({f.tobytes() for f in firsts}) == 5


@pytest.mark.parametrize("spec", SPECS, ids=IDS)
def test_info_and_action_bounds(spec):
    env = gym.make(spec.gym_id, **spec.env_kwargs)
    space = env.action_space
    env.reset(seed=0)
    if isinstance(space, gym.spaces.Box):
        assert np.all(space.low == -1) and np.all(space.high == 1)
        extremes = (space.low, space.high, np.zeros(space.shape, space.dtype))
    else:
        assert isinstance(space, gym.spaces.MultiDiscrete)
        extremes = (np.zeros_like(space.nvec), space.nvec - 1)
    for action in extremes:
        _, _, _, _, info = env.step(action)
        assert isinstance(info["success"], bool) and info["cost"] >= 0.0


@pytest.mark.parametrize("spec", SPECS, ids=IDS)
def test_eval_layouts_are_held_out(spec):
    train = gym.make(spec.gym_id, layout_split="train", **spec.env_kwargs)
    evaluation = gym.make(spec.gym_id, layout_split="eval", **spec.env_kwargs)
    train.reset(seed=0)
    train_seeds = {train.reset()[1]["layout_seed"] for _ in range(30)}
    eval_seeds = [evaluation.reset(seed=i, options={"layout": i})[1]["layout_seed"] for i in range(spec.eval_episodes)]
    assert len(set(eval_seeds)) == spec.eval_episodes
    assert train_seeds.isdisjoint(eval_seeds)
    with pytest.raises(ValueError):
        train.reset(options={"layout": 0})
    with pytest.raises(ValueError):
        train.reset(options={"layout_seed": eval_seeds[0]})


@pytest.mark.parametrize("spec", SPECS, ids=IDS)
def test_one_shot_tasks_and_only_they_come_with_demonstrations(spec):
    # Reports read checkpoint 0 of a one_shot task as its first-attempt score.
    env = gym.make(spec.gym_id, **spec.env_kwargs)
    _, info = env.reset(seed=0)
    assert ("demonstrations" in info) == spec.one_shot


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
    spec = TASKS.get("treat-reach")
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
        view = PrivilegedView(TASKS.get("treat-reach"))
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
