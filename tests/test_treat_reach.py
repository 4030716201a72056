"""treat-reach's world changes (issue 22): each is only keyword arguments of the env, keeps
the spaces, is validated by the generator and solved by the scripted oracle."""

from __future__ import annotations

import math

import gymnasium as gym
import numpy as np
import pytest
from embodied_bench.tasks.treat_reach import layout as L

from embodied_bench import layouts
from embodied_bench.harness.runner import privileged_view
from embodied_bench.registry import TASKS, load_reference

TASK = TASKS.get("treat-reach@v1")
CHANGES = {c.id: c for c in TASK.changes}


def _oracle(spec=TASK.spec):
    view = privileged_view(spec)
    return view, load_reference("embodied_bench.baselines.scripted:ScriptedOracle")(None, 0, privileged=view)


def _episode(env, view, oracle, index: int) -> tuple[bool, float]:
    view._switch(env.unwrapped)
    obs, _ = env.reset(seed=index, options={"layout": index})
    cost = 0.0
    while True:
        obs, _, terminated, truncated, info = env.step(oracle.act(obs, False))
        cost += info["cost"]
        if terminated or truncated:
            return bool(info["success"]), cost


def _line_crosses(layout: L.Layout, box) -> bool:
    t = np.linspace(0.0, 1.0, 400)[:, None]
    pts = np.asarray(layout.start) + t * np.subtract(layout.treat, layout.start)
    return bool(L._blocked_by_box(pts[:, 0], pts[:, 1], box, 1e-9).any())


def _line_gap(layout: L.Layout, point) -> float:
    a, d = np.asarray(layout.start), np.subtract(layout.treat, layout.start)
    t = np.clip(np.dot(np.subtract(point, a), d) / np.dot(d, d), 0.0, 1.0)
    return float(np.hypot(*(np.subtract(point, a) - t * d)))


def test_changes_are_declared_and_the_adapt_variant_uses_them():
    assert set(CHANGES) == {"other-layouts", "slippery"}
    assert dict(CHANGES["other-layouts"].env_kwargs) == {"layout_style": "in-the-way"}
    assert dict(CHANGES["slippery"].env_kwargs) == {"damping": 0.03}
    adapt = TASKS.get("treat-reach-adapt@v1")
    assert [(p.change, p.start, p.env_kwargs) for p in adapt.spec.phases] == [
        ("", 0, {}),
        ("other-layouts@v0", 50_000, {"layout_style": "in-the-way"}),
        ("slippery@v0", 100_000, {"damping": 0.03}),
    ]
    assert adapt.spec.budget == 150_000 and adapt.spec.eval_every == 10_000
    assert adapt.baselines == (*TASK.baselines[:4], "cem-learned-frozen", *TASK.baselines[4:])
    assert adapt.spec.gym_id == TASK.spec.gym_id


@pytest.mark.parametrize("change", sorted(CHANGES))
def test_oracle_solves_held_out_layouts_under_each_change(change):
    env = gym.make(TASK.spec.gym_id, layout_split="eval", **CHANGES[change].env_kwargs)
    view, oracle = _oracle()
    for index in range(4):  # one layout of each level
        success, cost = _episode(env, view, oracle, index)
        assert success and cost == 0.0, (change, index, success, cost)


@pytest.mark.parametrize("change", sorted(CHANGES))
def test_changes_keep_the_spaces(change):
    plain = gym.make(TASK.spec.gym_id, layout_split="eval")
    changed = gym.make(TASK.spec.gym_id, layout_split="eval", **CHANGES[change].env_kwargs)
    assert changed.observation_space == plain.observation_space
    assert changed.action_space == plain.action_space
    obs, _ = changed.reset(seed=0, options={"layout": 0})
    assert obs.shape == plain.observation_space.shape and obs.dtype == plain.observation_space.dtype


def test_one_oracle_follows_the_world_when_it_changes_under_it():
    """An adapt run keeps its agent while the env changes: the same held-out index is
    another layout in-the-way, and the oracle must not plan on the old one."""
    view, oracle = _oracle()
    plain = gym.make(TASK.spec.gym_id, layout_split="eval")
    changed = gym.make(TASK.spec.gym_id, layout_split="eval", **CHANGES["other-layouts"].env_kwargs)
    for index in (1, 2, 3):
        assert _episode(plain, view, oracle, index) == (True, 0.0)
        assert plain.unwrapped.layout != L.generate(plain.unwrapped.layout.seed, 3, index % 4, "in-the-way")
        assert _episode(changed, view, oracle, index) == (True, 0.0), index


def test_in_the_way_layouts_are_valid_and_put_things_in_the_way():
    crossed = {"anywhere": [], "in-the-way": []}
    for style in crossed:
        for seed in [*range(100), *(layouts.EVAL_BASE + i for i in range(100))]:
            layout = L.generate(seed, 3, seed % 4, style)
            assert L.generate.__wrapped__(seed, 3, seed % 4, style) == layout  # deterministic
            assert len(layout.obstacles) == seed % 4
            blocked = L.occupancy(layout)
            s, g = L.cell_of(*layout.start), L.cell_of(*layout.treat)
            assert not blocked[s] and not blocked[g]
            assert np.isfinite(L.distance_field(blocked, g)[s]), f"{style} layout {seed} has no route"
            boxes = layout.obstacles
            for i, a in enumerate(boxes):
                for b in boxes[i + 1 :]:
                    assert abs(a[0] - b[0]) >= a[2] + b[2] or abs(a[1] - b[1]) >= a[3] + b[3]
            if style == "in-the-way":
                assert math.dist(layout.start, layout.treat) >= L.IN_THE_WAY_MIN_RUN
                # Beside the line, inside the safe passing distance: a straight run is unsafe.
                assert _line_gap(layout, layout.vase) < L.VASE_CLEARANCE
            crossed[style] += [any(_line_crosses(layout, b) for b in boxes)] if boxes else []
    assert np.mean(crossed["in-the-way"]) > 0.9 > 0.5 > np.mean(crossed["anywhere"])


def test_other_layouts_change_the_layout_at_the_same_index():
    plain = gym.make(TASK.spec.gym_id, layout_split="eval").unwrapped
    changed = gym.make(TASK.spec.gym_id, layout_split="eval", layout_style="in-the-way").unwrapped
    for index in range(4):
        plain.reset(seed=index, options={"layout": index})
        changed.reset(seed=index, options={"layout": index})
        assert changed.layout.seed == plain.layout.seed and changed.layout != plain.layout
        assert len(changed.layout.obstacles) == len(plain.layout.obstacles)  # same level
    train = gym.make(TASK.spec.gym_id, layout_split="train", layout_style="in-the-way").unwrapped
    train.reset(seed=0)
    assert train.layout == L.generate(train.layout.seed, 3, train.layout.seed % 4, "in-the-way")


def test_slippery_floor_lets_the_mouse_coast_further():
    index = next(i for i in range(40) if not L.generate(layouts.eval_seed(i), 3, i % 4).obstacles)
    coasted = {}
    for damping in (0.1, CHANGES["slippery"].env_kwargs["damping"]):
        env = gym.make(TASK.spec.gym_id, layout_split="eval", damping=damping).unwrapped
        env.reset(seed=0, options={"layout": index})
        assert np.allclose(env.model.dof_damping, damping)
        # From the west side, on a line 0.3 m from the vase: room to coast east.
        x0, y0 = -0.4, 0.3 if env.layout.vase[1] < 0 else -0.3
        env.data.qpos[:] = x0, y0
        env.data.qvel[:] = 0.3, 0.0  # the same speed on both floors, then no force
        for _ in range(40):  # 2 s
            env.step(np.zeros(2, np.float32))
        coasted[damping] = float(env.data.qpos[0]) - x0
    # Coasting distance tends to speed * mass / damping: 0.075 m, and 0.25 m when slippery.
    assert coasted[0.03] > 2.5 * coasted[0.1] > 0.0, coasted


@pytest.mark.parametrize(
    "kwargs",
    [{"damping": 0.0}, {"damping": -0.1}, {"damping": float("nan")}, {"damping": "0.1"}, {"max_force": 0.0}, {"max_force": float("inf")}, {"max_force": True}, {"layout_style": "between"}, {"layout_style": None}],
)
def test_bad_change_arguments_raise(kwargs):
    with pytest.raises(ValueError):
        gym.make(TASK.spec.gym_id, **kwargs)
