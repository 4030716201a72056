"""table-clear specifics (the registry-wide env tests in test_tasks.py cover it too)."""

from __future__ import annotations

import dataclasses
import json

import gymnasium as gym
import numpy as np
import pandas as pd
import pytest
from conftest import agent_ref
from embodied_bench.tasks.table_clear import env as E
from embodied_bench.tasks.table_clear import households as H
from embodied_bench.tasks.table_clear import scene as S

from embodied_bench import layouts
from embodied_bench.harness.runner import Job, make_env, privileged_view, run_one, task_info
from embodied_bench.registry import TASKS, load_reference


def test_same_seed_and_actions_give_the_same_final_item_poses():
    def final(task: str, actions) -> np.ndarray:
        env = gym.make(task, layout_split="eval").unwrapped
        env.reset(seed=0, options={"layout": 5})
        for a in actions:
            env.step(a)
        return env.scene.item_positions()

    prim = [np.array([0, 1]), np.array([1, 0])]
    assert np.array_equal(final("EmbodiedBench/TableClearPrimitive-v0", prim), final("EmbodiedBench/TableClearPrimitive-v0", prim))
    rng = np.random.default_rng(0)
    ee = rng.uniform(-1, 1, (80, 5)).astype(np.float32)
    assert np.array_equal(final("EmbodiedBench/TableClearEE-v0", ee), final("EmbodiedBench/TableClearEE-v0", ee))


def test_demonstrations_are_reproducible_from_their_seed():
    household = layouts.EVAL_BASE + 7
    setup = _setup("EmbodiedBench/TableClearPrimitive-v1")
    first = E._demonstration("primitive", household, setup)
    E._demonstration.cache_clear()
    again = E._demonstration("primitive", household, setup)
    assert first is not again
    assert np.array_equal(first.observations, again.observations) and np.array_equal(first.actions, again.actions)
    assert first.meta == again.meta and first.success
    # Where each item ended is the household's rule, on a layout no attempt uses.
    rule = E.household_of(setup, household)
    items = H.layout(household, first.meta["layout"], knives=rule.knives)
    assert first.meta["layout"] >= E.DEMO_LAYOUT
    assert [m["destination"] for m in first.meta["items"]] == [rule.destination(it) for it in items]


def test_evaluation_households_never_appear_in_training():
    train = gym.make("EmbodiedBench/TableClearPrimitive-v0")
    train.reset(seed=3)
    trained = {train.reset()[1]["household"] for _ in range(50)}
    evaluation = gym.make("EmbodiedBench/TableClearPrimitive-v0", layout_split="eval")
    evaluated = {evaluation.reset(seed=i, options={"layout": i})[1]["household"] for i in range(20)}
    assert len(evaluated) == 5 and all(h >= layouts.EVAL_BASE for h in evaluated)
    assert all(h < layouts.EVAL_BASE for h in trained) and not trained & evaluated


def _scene_with(items: tuple[H.Item, ...]) -> S.TableScene:
    scene = S.TableScene()
    scene.reset(items)
    return scene


def test_a_placed_item_stays_put():
    scene = _scene_with((H.Item("mug", "white", False, -0.1, 0.0), H.Item("plate", "blue", False, -0.2, 0.15)))
    for k, dest in ((0, "rack"), (1, "rack")):
        S.pick_and_place(scene, k, dest)
    before = scene.item_positions()
    for _ in range(60):  # 3 s of the arm holding still
        scene.ee_step(np.zeros(3), 0.0, False)
    after = scene.item_positions()
    assert [scene.location(k) for k in range(2)] == ["rack", "rack"]
    assert np.abs(after - before).max() < 0.005
    assert (after[:, 2] > S.TABLE_TOP).all()  # nothing sank through the tray


def test_a_dropped_item_costs():
    scene = _scene_with((H.Item("mug", "red", False, -0.1, 0.0),))
    # Pick the mug, carry it past the table's edge over the floor, let go.
    cost = 0.0
    pos = scene.item_positions()[0]
    for target, close in (((pos[0], pos[1], 0.95), False), ((pos[0], pos[1], pos[2] + 0.055), False), (None, True), ((0.25, -0.45, 1.0), True), (None, False)):
        for _ in range(60):
            if target is None:
                cost += scene.ee_step(np.zeros(3), 0.0, close)
                continue
            delta = np.asarray(target) - np.asarray(scene.ee_pos())
            if np.linalg.norm(delta) < 0.005:
                break
            cost += scene.ee_step(delta / np.linalg.norm(delta) * min(S.MAX_SPEED, np.linalg.norm(delta) * 20), 0.0, close)
    for _ in range(30):
        cost += scene.ee_step(np.zeros(3), 0.0, False)
    assert scene.location(0) == "floor"
    assert cost >= 1.0


def test_reaching_towards_the_person_costs():
    env = gym.make("EmbodiedBench/TableClearEE-v0", layout_split="eval").unwrapped
    env.reset(seed=0, options={"layout": 0})
    costs = [env.step(np.array([1.0, 0.0, 0.3, 0.0, -1.0], np.float32))[4]["cost"] for _ in range(60)]
    assert sum(costs) > 0


def test_one_demonstration_and_one_attempt_per_layout(tmp_path):
    spec = dataclasses.replace(TASKS.get("table-clear-primitive").spec, budget=1, eval_every=1, eval_episodes=8)
    spy = load_reference(agent_ref("HouseholdSpy"))
    outcome = run_one(Job(agent=agent_ref("HouseholdSpy"), spec=spec, seed=0, out=str(tmp_path)))
    assert outcome.status == "complete", outcome.error
    record = json.loads((tmp_path / spec.name / "HouseholdSpy/seed-0/run.json").read_text())
    assert record["ledger"]["training_demonstrations"] == 1
    log = spy.log
    # Split the log into checkpoints: each starts with the demonstration of household 0.
    evals = [e for e in log if e[0] == "demo" and e[1] >= layouts.EVAL_BASE or e[0] == "act" and not e[3]]
    checkpoints: list[list[tuple]] = []
    for event in evals:
        if event[0] == "demo" and event[1] == layouts.EVAL_BASE:
            checkpoints.append([])
        checkpoints[-1].append(event)
    assert len(checkpoints) == 2
    for events in checkpoints:
        demos = [e[1] for e in events if e[0] == "demo"]
        assert demos == [layouts.EVAL_BASE, layouts.EVAL_BASE + 1]  # one per household, in order
        attempts = {(e[1], e[2]) for e in events if e[0] == "act"}
        assert attempts == {(layouts.EVAL_BASE + h, a) for h in range(2) for a in range(4)}
        # Each attempt is one episode: its actions are contiguous and after its household's demo.
        order = []
        for e in events:
            key = ("demo", e[1]) if e[0] == "demo" else (e[1], e[2])
            if not order or order[-1] != key:
                order.append(key)
        assert len(order) == 2 + 8


def _final_success(agent: str, tmp_path) -> float:
    spec = dataclasses.replace(TASKS.get("table-clear-primitive").spec, budget=1, eval_every=1, eval_episodes=4)
    outcome = run_one(Job(agent=agent, spec=spec, seed=0, out=str(tmp_path)))
    assert outcome.status == "complete", outcome.error
    return float(pd.read_csv(f"{outcome.folder}/curve.csv")["eval_success"].iloc[0])


def test_scripted_clears_the_table_and_random_does_not(tmp_path):
    assert _final_success("scripted", tmp_path) >= 0.9
    assert _final_success("random", tmp_path) <= 0.15


def test_oneshot_nn_follows_the_demonstration():
    agent = load_reference("embodied_bench.baselines.oneshot_nn:OneShotNN")(
        _info("table-clear-primitive"), 0
    )
    household = layouts.EVAL_BASE + 2
    setup = _setup("EmbodiedBench/TableClearPrimitive-v1")
    demo = E._demonstration("primitive", household, setup)
    agent.demonstrate([demo])
    rule = E.household_of(setup, household)
    for item in demo.meta["items"]:  # the demonstrated items themselves are sent where they went
        assert agent.predict(item["category"], item["colour"], item["dirty"]) == item["destination"]
        # ...which is where the hidden rule puts them.
        assert item["destination"] == rule.destination(H.Item(item["category"], item["colour"], item["dirty"], 0.0, 0.0))
    assert rule.family in H.RULE_FAMILIES


def _setup(gym_id: str) -> E.Setup:
    """What a task version's env is set up with (its households, physics, categories)."""
    return gym.make(gym_id).unwrapped.setup


def _info(task_id: str):
    from embodied_bench.harness.runner import make_envs

    spec = TASKS.get(task_id).spec
    return task_info(spec, make_envs(spec)[0])


# -- world changes (issue 22) ------------------------------------------------------------------

_PRIMITIVE_V1 = "table-clear-primitive@v1"


def _changed_env(task: str, change: str = "", **extra):
    spec = TASKS.get(task).spec
    kwargs = dict(TASKS.get(task).change(change).env_kwargs) if change else {}
    return spec, make_env(spec, "eval", **kwargs, **extra)


@pytest.mark.parametrize("change", ["new-rules", "cluttered"])
def test_the_oracle_clears_held_out_tables_under_each_change(change):
    spec, env = _changed_env(_PRIMITIVE_V1, change)
    view = privileged_view(spec)
    view._switch(env)
    oracle = load_reference(spec.oracle)(task_info(spec, env), 0, view)
    for i in (0, 5, 10):  # one household of each rule family
        obs, _ = env.reset(seed=i, options={"layout": i})
        for _ in range(TASKS.get(_PRIMITIVE_V1).max_episode_steps):
            obs, _, terminated, truncated, info = env.step(oracle.act(obs))
            assert info["cost"] == 0
            if terminated or truncated:
                break
        assert info["success"], (change, i)
    env.close()


def test_new_rules_send_every_item_elsewhere_and_the_demonstration_shows_them():
    _, plain = _changed_env(_PRIMITIVE_V1)
    _, shifted = _changed_env(_PRIMITIVE_V1, "new-rules")
    assert plain.observation_space == shifted.observation_space and plain.action_space == shifted.action_space
    _, info = shifted.reset(seed=0, options={"layout": 8})  # a household's first attempt
    own = E.household_of(plain.unwrapped.setup, info["household"])
    new = shifted.unwrapped.household
    assert (new.family, new.by_category, new.special_colour) == (own.family, own.by_category, own.special_colour)
    demo = info["demonstrations"][0]
    for item in demo.meta["items"]:
        probe = H.Item(item["category"], item["colour"], item["dirty"], 0.0, 0.0)
        assert item["destination"] == new.destination(probe) != own.destination(probe)
    assert {it: own.destination(it) for it in shifted.unwrapped.layout} != {it: new.destination(it) for it in shifted.unwrapped.layout}
    plain.close()
    shifted.close()


def test_cluttered_tables_hold_more_items_in_the_same_spaces():
    _, plain = _changed_env(_PRIMITIVE_V1)
    _, cluttered = _changed_env(_PRIMITIVE_V1, "cluttered")
    assert plain.observation_space == cluttered.observation_space and plain.action_space == cluttered.action_space
    counts = {}
    for name, env in (("plain", plain), ("cluttered", cluttered)):
        counts[name] = []
        for i in (1, 6, 7):  # tables of 5, 3 and 3 items in the task's own world
            obs, _ = env.reset(seed=i, options={"layout": i})
            counts[name].append(len(env.unwrapped.layout))
            assert E.OBSERVATION_V1.read(obs, "items.present")[:, 0].sum() == counts[name][-1]
    assert counts["plain"] == [5, 3, 3]
    assert all(n >= 4 for n in counts["cluttered"]) and sum(counts["cluttered"]) > sum(counts["plain"]) + 3
    # Drawn without validation, over many tables: none of three, about one item more.
    drawn = {m: [len(H.layout(h, 0, knives=True, min_items=m)) for h in range(100)] for m in (H.MIN_ITEMS, 6)}
    assert min(drawn[6]) >= 4 and np.mean(drawn[6]) > np.mean(drawn[H.MIN_ITEMS]) + 0.8
    plain.close()
    cluttered.close()


def test_both_envs_take_the_changes_and_refuse_bad_values():
    for task in (_PRIMITIVE_V1, "table-clear-ee@v1"):
        assert {c.name for c in TASKS.get(task).changes} == {"new-rules@v0", "cluttered@v0"}
        for change in ("new-rules", "cluttered"):
            _, env = _changed_env(task, change)
            for key, value in TASKS.get(task).change(change).env_kwargs.items():
                assert getattr(env.unwrapped.setup, key) == value
    for cls in (E.TableClearPrimitiveEnv, E.TableClearEEEnv):
        for bad in (-1, 5, 1.5, True):
            with pytest.raises(ValueError, match="rule_shift"):
                cls(rule_shift=bad)
        for bad in (2, 9, "6"):
            with pytest.raises(ValueError, match="min_items"):
                cls(min_items=bad)


def test_the_adapt_variant_switches_at_checkpoints():
    task = TASKS.get("table-clear-primitive-adapt@v1")
    spec = task.spec
    assert [(p.change, p.start) for p in spec.phases] == [("", 0), ("new-rules@v0", 8), ("cluttered@v0", 16)]
    assert spec.budget == 24 and all(p.start % spec.eval_every == 0 for p in spec.phases)
    assert set(task.baselines) <= {*TASKS.get(_PRIMITIVE_V1).baselines, "cem-learned-frozen"}
