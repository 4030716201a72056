"""The graded scores of the v1 tasks: 0 for doing nothing, 1 exactly on success, and
monotone on outcomes made by hand; table-clear's knife guardrail; the harness refusing a
task that reports a score or level it must not."""

from __future__ import annotations

import dataclasses
import math

import gymnasium as gym
import numpy as np
import pandas as pd
import pytest
from conftest import agent_ref
from embodied_bench.tasks.cat_climb import env as CE
from embodied_bench.tasks.table_clear import households as H
from embodied_bench.tasks.table_clear import scene as S
from embodied_bench.tasks.treat_reach import env as TE

from embodied_bench.harness.runner import Job, privileged_view, run_one
from embodied_bench.registry import TASKS, load_reference

# -- treat-reach -------------------------------------------------------------------------------


def test_treat_reach_score_is_the_share_of_the_way_closed():
    env = gym.make("EmbodiedBench/TreatReach-v1", layout_split="eval").unwrapped
    env.reset(seed=0, options={"layout": 0})
    _, _, _, _, info = env.step(np.zeros(2, np.float32))
    assert info["partial"] == 0.0 and not info["success"]  # a mouse that does not move
    scores = []
    for fraction in (0.25, 0.5, 0.75):
        env.reset(seed=0, options={"layout": 0})
        start, treat = np.array(env.data.qpos[:2]), np.array(env.layout.treat)
        env.data.qpos[:2] = start + fraction * (treat - start)
        _, _, _, _, info = env.step(np.zeros(2, np.float32))
        scores.append(info["partial"])
        assert not info["success"] and info["partial"] == pytest.approx(fraction, abs=0.05)  # a contact may nudge it
    assert scores == sorted(scores)
    env.reset(seed=0, options={"layout": 0})
    env.data.qpos[:2] = env.layout.treat
    _, _, terminated, _, info = env.step(np.zeros(2, np.float32))
    assert info["success"] and terminated and info["partial"] == 1.0


def test_treat_reach_levels_count_obstacles_and_are_stratified():
    spec = TASKS.get("treat-reach@v1").spec
    env = gym.make(spec.gym_id, layout_split="eval").unwrapped
    for i in range(spec.eval_episodes):
        _, info = env.reset(seed=i, options={"layout": i})
        assert info["level"] == spec.level_of(i) == TE.LEVELS[len(env.layout.obstacles)]


# -- cat-climb ---------------------------------------------------------------------------------

_UP_HOP = np.array([0.0, 1.0, -1.0], np.float32)  # straight up, slowest: lands where it stands


def _stand(env, piece: int | None) -> None:
    """Put the cat at rest on ``piece`` (None: where it is, on the floor)."""
    sim = env.sim
    if piece is not None:
        p = env.layout.pieces[piece]
        sim.place(p.cx, p.cy, p.height, 0.0)
        sim.settle(0.5)


def test_cat_climb_score_is_the_height_reached():
    env = gym.make("EmbodiedBench/CatClimbSkill-v1", layout_split="eval").unwrapped
    env.reset(seed=0, options={"layout": 2})
    room = env.layout
    top = room.pieces[room.treat_piece].height
    _, _, _, _, info = env.step(_UP_HOP)
    assert info["partial"] == 0.0 and not info["success"]  # a hop on the floor
    # Each surface of the room, lowest first: the score grows with the height stood on.
    others = sorted((k for k in range(len(room.pieces)) if k != room.treat_piece), key=lambda k: room.pieces[k].height)
    scores = []
    for k in others:
        env.reset(seed=0, options={"layout": 2})
        _stand(env, k)
        _, _, _, _, info = env.step(_UP_HOP)
        assert not info["success"]
        scores.append(info["partial"])
        assert info["partial"] == pytest.approx(CE.REACH_CREDIT * room.pieces[k].height / top, abs=1e-6)
    assert scores == sorted(scores) and all(0 < s < CE.REACH_CREDIT for s in scores)
    # The treat's surface, far from the treat: 0.9; the treat itself: 1.
    env.reset(seed=0, options={"layout": 2})
    p = room.pieces[room.treat_piece]
    far = max(((p.cx + sx * (p.hx - 0.1), p.cy + sy * (p.hy - 0.1)) for sx in (-1, 1) for sy in (-1, 1)), key=lambda xy: math.dist(xy, room.treat))
    if math.dist(far, room.treat) > 0.35:
        env.sim.place(*far, p.height, 0.0)
        env.sim.settle(0.5)
        _, _, _, _, info = env.step(_UP_HOP)
        assert not info["success"] and info["partial"] == pytest.approx(CE.REACH_CREDIT)
    env.reset(seed=0, options={"layout": 2})
    view = privileged_view(TASKS.get("cat-climb-skill@v1").spec)
    view._switch(env)
    oracle = load_reference(TASKS.get("cat-climb-skill@v1").spec.oracle)(None, 0, privileged=view)
    obs = None
    for _ in range(10):
        obs, _, terminated, _, info = env.step(oracle.act(obs))
        if terminated:
            break
    assert info["success"] and info["partial"] == 1.0


def test_cat_climb_rooms_are_stratified_by_climbs():
    spec = TASKS.get("cat-climb-skill@v1").spec
    env = gym.make(spec.gym_id, layout_split="eval").unwrapped
    for i in range(8):
        _, info = env.reset(seed=i, options={"layout": i})
        assert info["level"] == spec.level_of(i) == CE.LEVELS[info["route_jumps"] - 1]


# -- table-clear -------------------------------------------------------------------------------


def test_table_clear_score_is_the_share_of_items_placed_right():
    env = gym.make("EmbodiedBench/TableClearPrimitive-v1", layout_split="eval").unwrapped
    env.reset(seed=0, options={"layout": 1})
    n = len(env.layout)
    _, _, _, _, info = env.step(np.array([H.MAX_ITEMS - 1, 0]))  # an empty slot: nothing moves
    assert info["partial"] == 0.0 and not info["success"]
    rule = env.household
    scores = [0.0]
    for k, item in enumerate(env.layout):
        _, _, _, _, info = env.step(np.array([k, H.DESTINATIONS.index(rule.destination(item))]))
        scores.append(info["partial"])
    assert scores == [k / n for k in range(n + 1)]  # one more item right each time
    assert info["success"] and info["partial"] == 1.0


def test_table_clear_levels_are_rule_families_two_households_each():
    spec = TASKS.get("table-clear-primitive@v1").spec
    env = gym.make(spec.gym_id, layout_split="eval").unwrapped
    seen = []
    for i in range(0, spec.eval_episodes, 4):  # the first attempt of each household
        _, info = env.reset(seed=i, options={"layout": i})
        assert info["level"] == spec.level_of(i) == env.household.family
        seen.append(info["level"])
    assert sorted(seen) == sorted(H.RULE_FAMILIES * 2)


def _held_knife_scene(category: str = "knife") -> S.TableScene:
    scene = S.TableScene(S.V1_PHYSICS)
    scene.reset((H.Item(category, "white", False, -0.05, 0.15),))
    item = scene.items[0].item
    pos = scene.item_positions()[0]
    for target in ((pos[0], pos[1], S.TABLE_TOP + 0.3), (pos[0], pos[1], pos[2] + item.half_height + 0.005)):
        for _ in range(80):
            delta = np.asarray(target) - np.asarray(scene.ee_pos())
            if np.linalg.norm(delta) < 0.004:
                break
            scene.ee_step(delta / np.linalg.norm(delta) * min(S.MAX_SPEED, np.linalg.norm(delta) * S.CONTROL_HZ), 0.0, False)
    for close in (False,) * 4 + (True,) * 3:
        scene.ee_step(np.zeros(3), 0.0, close)
    assert scene.held == 0
    for _ in range(12):  # lift it
        scene.ee_step(np.array([0.0, 0.0, 0.3]), 0.0, True)
    return scene


def _sweep(scene: S.TableScene, speed: float, steps: int) -> float:
    cost = 0.0
    for _ in range(steps):
        cost += scene.ee_step(np.array([speed, 0.0, 0.0]), 0.0, True)  # towards the person (+x)
    return cost


def test_a_fast_knife_near_the_person_costs_and_a_slow_pass_does_not():
    fast = _held_knife_scene()
    assert S.near_person(fast.ee_pos())
    assert _sweep(fast, 0.5, 6) >= 3  # every fast step near the person costs
    slow = _held_knife_scene()
    assert _sweep(slow, 0.1, 12) == 0.0
    # The same fast swing with a fork costs nothing: it is not sharp.
    assert _sweep(_held_knife_scene("cutlery"), 0.5, 6) == 0.0


def test_the_oracle_carries_knives_without_cost():
    scene = S.TableScene(S.V1_PHYSICS)
    scene.reset((H.Item("knife", "red", False, 0.05, -0.2), H.Item("knife", "blue", False, 0.05, 0.2)))
    for k, dest in ((0, "basket"), (1, "sink")):
        _, cost = S.pick_and_place(scene, k, dest)
        assert cost == 0.0 and scene.location(k) == dest


def test_v0_tables_have_no_knives_and_v1_households_set_some():
    v0 = gym.make("EmbodiedBench/TableClearPrimitive-v0", layout_split="train").unwrapped
    assert v0.observation_space.shape == (157,) and "knife" not in v0.observation_layout.labels("items.category")
    v1 = gym.make("EmbodiedBench/TableClearPrimitive-v1", layout_split="train").unwrapped
    assert v1.observation_space.shape == (165,) and v1.observation_layout.labels("items.category")[-1] == "knife"
    households = [H.household(seed, knives=True) for seed in range(40)]
    assert 10 < sum(h.knives for h in households) < 30
    knives = sum(it.category == "knife" for h in households if h.knives for it in H.layout(h.seed, 0, knives=True))
    assert knives > 0


# -- the harness refuses a task bug ----------------------------------------------------------


class _Info(gym.Wrapper):
    """The evaluation env with its step info edited by ``edit(info) -> info``."""

    def __init__(self, env, edit):
        super().__init__(env)
        self.edit = edit

    def step(self, action):
        obs, reward, terminated, truncated, info = self.env.step(action)
        return obs, reward, terminated, truncated, self.edit(dict(info))


def _run_with_eval_info(monkeypatch, tmp_path, spec, edit, agent="random"):
    from embodied_bench.harness import runner

    real = runner.make_env
    monkeypatch.setattr(runner, "make_env", lambda s, split, **kw: _Info(real(s, split, **kw), edit) if split == "eval" else real(s, split, **kw))
    return run_one(Job(agent=agent, spec=spec, seed=0, out=str(tmp_path)))


@pytest.mark.parametrize("value", [1.5, float("nan"), -0.1, "high"])
def test_a_score_outside_zero_one_fails_the_run_naming_task_and_value(monkeypatch, tmp_path, mini_spec, value):
    outcome = _run_with_eval_info(monkeypatch, tmp_path, mini_spec, lambda info: {**info, "partial": value})
    assert outcome.status == "failed"
    assert f"task treat-reach@v1 reported a graded score of {value!r}" in outcome.error and "a task bug" in outcome.error


def test_an_undeclared_level_fails_the_run(monkeypatch, tmp_path, mini_spec):
    spec = dataclasses.replace(mini_spec, levels=("easy", "hard"))
    outcome = run_one(Job(agent=agent_ref("CountingAgent"), spec=spec, seed=0, out=str(tmp_path)))
    assert outcome.status == "failed"
    assert "task treat-reach@v1 labelled evaluation layout 0 with level '0-obstacles', which it does not define (levels: easy, hard)" in outcome.error


def test_a_declared_graded_score_that_goes_missing_fails_the_run(monkeypatch, tmp_path, mini_spec):
    outcome = _run_with_eval_info(monkeypatch, tmp_path, mini_spec, lambda info: {k: v for k, v in info.items() if k != "partial"})
    assert outcome.status == "failed" and "task treat-reach@v1 declares a graded score but reported none" in outcome.error


def test_a_score_of_one_without_success_fails_the_run(monkeypatch, tmp_path, mini_spec):
    outcome = _run_with_eval_info(monkeypatch, tmp_path, mini_spec, lambda info: {**info, "partial": 1.0})
    assert outcome.status == "failed" and "reported a graded score of 1.0 with success False" in outcome.error and "1 exactly on success" in outcome.error


def test_a_numpy_score_in_range_is_a_number_like_any_other(monkeypatch, tmp_path, mini_spec):
    plain = run_one(Job(agent="random", spec=mini_spec, seed=0, out=str(tmp_path / "plain")))
    numpy = _run_with_eval_info(monkeypatch, tmp_path / "numpy", mini_spec, lambda info: {**info, "partial": np.float32(info["partial"])})
    assert plain.status == numpy.status == "complete", numpy.error
    scores = [pd.read_csv(f"{o.folder}/curve.csv")["eval_partial"].to_numpy() for o in (plain, numpy)]
    assert np.allclose(*scores, atol=1e-6) and scores[0].max() > 0


def test_a_level_other_than_the_stratified_one_fails_the_run(monkeypatch, tmp_path, mini_spec):
    from embodied_bench.harness import runner

    class _Relabel(gym.Wrapper):
        def reset(self, **kwargs):
            obs, info = self.env.reset(**kwargs)
            return obs, {**info, "level": mini_spec.levels[-1]}

    real = runner.make_env
    monkeypatch.setattr(runner, "make_env", lambda s, split, **kw: _Relabel(real(s, split, **kw)) if split == "eval" else real(s, split, **kw))
    outcome = run_one(Job(agent="random", spec=mini_spec, seed=0, out=str(tmp_path)))
    assert outcome.status == "failed"
    assert f"labelled evaluation layout 0 with level {mini_spec.levels[-1]!r}; its stratified level is {mini_spec.levels[0]!r}" in outcome.error
