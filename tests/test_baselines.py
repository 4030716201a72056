"""The reference baselines: configs, the CEM planner, the world models behind cem-sim and
cem-learned, and determinism."""

from __future__ import annotations

import copy
import dataclasses
from types import SimpleNamespace

import gymnasium as gym
import numpy as np
import pytest
from embodied_bench.baselines.cem import CEMConfig, CEMPlanner
from embodied_bench.baselines.cem_learned import CEMLearnedConfig, EnsembleModel
from embodied_bench.baselines.cem_sim import CEMSim, CEMSimConfig
from embodied_bench.baselines.random_agent import RandomAgent

from embodied_bench.api import Transition
from embodied_bench.harness.runner import privileged_view
from embodied_bench.harness.runner import make_envs, task_info
from embodied_bench.registry import AGENTS, TASKS


@pytest.mark.parametrize("agent", AGENTS.names())
def test_each_baseline_config_round_trips_through_json_for_every_task(agent):
    cls = AGENTS.get(agent)
    config_class = getattr(cls, "config_class", None)
    if config_class is None:
        assert agent in ("random", "scripted"), f"{agent} has tunables but no config_class"
        return
    assert dataclasses.is_dataclass(config_class)
    for task in TASKS.names():
        config = config_class.for_task(task)
        again = config_class.from_json(config.to_json())
        assert again == config and type(again) is config_class
    with pytest.raises(ValueError, match="no field"):
        config_class.from_json('{"no_such_field": 1}')


@pytest.mark.parametrize("agent", AGENTS.names())
def test_each_baseline_config_field_is_documented(agent):
    import ast
    import inspect

    config_class = getattr(AGENTS.get(agent), "config_class", None)
    if config_class is None:
        return
    for klass in config_class.__mro__:
        if not dataclasses.is_dataclass(klass) or klass.__module__.startswith("builtins"):
            continue
        tree = ast.parse(inspect.getsource(klass))
        body = tree.body[0].body
        for i, node in enumerate(body):
            if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
                doc = body[i + 1] if i + 1 < len(body) else None
                assert isinstance(doc, ast.Expr) and isinstance(doc.value, ast.Constant), f"{klass.__name__}.{node.target.id} has no docstring"


def test_cem_finds_the_optimum_of_a_known_objective():
    space = gym.spaces.Box(-1.0, 1.0, (2,), np.float32)
    target = np.array([0.3, -0.6])

    def score(actions):
        return -((actions - target) ** 2).sum(axis=(1, 2)), np.zeros(len(actions))

    planner = CEMPlanner(space, CEMConfig(horizon=3, population=64, elites=8, iterations=6), np.random.default_rng(0))
    action = planner.act(score)
    assert action.dtype == np.float32 and space.contains(action)
    np.testing.assert_allclose(action, target, atol=0.1)


def test_cem_prefers_any_plan_without_cost_to_a_better_paying_plan_with_cost():
    space = gym.spaces.Box(-1.0, 1.0, (1,), np.float32)

    def score(actions):
        a = actions[:, 0, 0]
        return a, (a > 0).astype(float)  # the return rises with a, but a > 0 costs

    planner = CEMPlanner(space, CEMConfig(horizon=1, population=64, elites=8, iterations=5), np.random.default_rng(1))
    assert -0.2 < planner.act(score)[0] <= 0.0


def test_cem_over_multidiscrete_scores_each_distinct_candidate_once():
    space = gym.spaces.MultiDiscrete([3, 2])
    seen = []

    def score(actions):
        seen.append(len(actions))
        flat = actions.reshape(len(actions), -1)
        assert len({tuple(r) for r in flat}) == len(flat)
        return (flat[:, 0] == 2) * 1.0 + (flat[:, 1] == 1) * 1.0, np.zeros(len(flat))

    planner = CEMPlanner(space, CEMConfig(horizon=1, population=40, elites=4, iterations=2), np.random.default_rng(0))
    action = planner.act(score)
    assert list(action) == [2, 1] and action.dtype == np.int64
    assert max(seen) <= 6


def _eval_env(task: str):
    spec = TASKS.get(task).spec
    train, evaluation = make_envs(spec)
    train.close()
    return spec, evaluation


def test_treat_reach_world_model_predicts_exactly_what_the_env_does():
    from embodied_bench.tasks.treat_reach.planning import world_model

    spec, env = _eval_env("treat-reach")
    rng = np.random.default_rng(0)
    for layout in range(3):
        env.reset(seed=0, options={"layout": layout})
        actions = rng.uniform(-1, 1, (3, 25, 2)).astype(np.float32)
        towards_vase = env.unwrapped._observe()[6:8]
        actions[0] = towards_vase / np.linalg.norm(towards_vase)  # straight into the vase: costs
        returns, costs = world_model(env.unwrapped, threads=2).rollout(actions)
        for k in range(3):
            _, replay = _eval_env("treat-reach")
            replay.reset(seed=0, options={"layout": layout})
            total = cost = 0.0
            for a in actions[k]:
                _, r, terminated, _, info = replay.step(a)
                total, cost = total + r, cost + info["cost"]
                if terminated:
                    break
            assert returns[k] == pytest.approx(total, abs=1e-9) and costs[k] == cost
    env.close()


def test_table_clear_world_model_matches_the_env_and_leaves_the_scene_untouched():
    from embodied_bench.tasks.table_clear.planning import world_model

    spec, env = _eval_env("table-clear-primitive")
    before, _ = env.reset(seed=0, options={"layout": 1})
    n = len(env.unwrapped.layout)
    actions = np.array([[[0, d]] for d in range(5)] + [[[n - 1, 0]]], np.int64)
    returns, costs = world_model(env.unwrapped).rollout(actions)
    np.testing.assert_allclose(env.unwrapped._obs(), before, atol=1e-6)
    for k in (0, 1, 5):
        _, replay = _eval_env("table-clear-primitive")
        replay.reset(seed=0, options={"layout": 1})
        _, r, _, _, info = replay.step(actions[k, 0])
        assert returns[k] == r and costs[k] == info["cost"]
        replay.close()
    assert returns.max() >= 1.0  # one destination is the household's
    env.close()


def test_world_model_is_refused_where_a_task_offers_none():
    spec, env = _eval_env("table-clear-ee")
    env.reset(seed=0, options={"layout": 0})
    view = privileged_view(spec)
    view._switch(env)
    with pytest.raises(ValueError, match="no world model"):
        view.world_model()
    env.close()


def _cem_sim_episode(seed: int) -> list[np.ndarray]:
    spec, env = _eval_env("treat-reach")
    view = privileged_view(spec)
    view._switch(env)
    config = dataclasses.replace(CEMSimConfig.for_task("treat-reach"), population=8, iterations=1)
    agent = CEMSim(task_info(spec, env), seed, privileged=view, config=config)
    obs, _ = env.reset(seed=0, options={"layout": 2})
    agent.start_episode(False)
    actions = []
    for _ in range(30):
        actions.append(agent.act(obs, False))
        obs, _, terminated, _, _ = env.step(actions[-1])
        if terminated:
            break
    env.close()
    return actions


def test_cem_sim_with_a_fixed_seed_is_deterministic():
    first, again, other = _cem_sim_episode(5), _cem_sim_episode(5), _cem_sim_episode(6)
    assert len(first) == len(again) and all(np.array_equal(a, b) for a, b in zip(first, again))
    assert not all(np.array_equal(a, b) for a, b in zip(first, other))


def test_cem_learned_model_learns_treat_reach_dynamics_and_progress_reward():
    env = gym.make("EmbodiedBench/TreatReach-v0")
    model = EnsembleModel(env.observation_space, env.action_space, CEMLearnedConfig.for_task("treat-reach"), np.random.default_rng(0))
    rng = np.random.default_rng(1)

    def collect(n: int, seed: int) -> list[Transition]:
        out, (obs, _) = [], env.reset(seed=seed)
        for _ in range(n):
            a = rng.uniform(-1, 1, 2).astype(np.float32)
            nxt, r, term, trunc, info = env.step(a)
            out.append(Transition(obs, a, r, nxt, term, trunc, info["cost"], info["success"]))
            obs = nxt if not (term or trunc) else env.reset()[0]
        return out

    for t in collect(3000, 0):
        model.add(t)
    model.fit()
    test = collect(500, 7)
    s = model.scale(np.stack([t.observation for t in test]))
    s_next = model.scale(np.stack([t.next_observation for t in test]))
    a = model.encode_actions(np.stack([t.action for t in test]))
    rewards = np.array([t.reward for t in test])
    phi = model._dyn_features(0, np.concatenate([s, a], axis=1))
    moved = np.abs(s_next - s)[:, :2].mean()
    error = np.abs(s + phi @ model.beta[0] - s_next)[:, :2].mean()
    assert error < 0.4 * moved  # positions predicted far better than "nothing moves"
    predicted = model._rew_features(s, s_next) @ model.theta[0]
    assert np.corrcoef(predicted[:, 0], rewards)[0, 1] > 0.8
    returns, costs = model.rollout(test[0].observation, rng.uniform(-1, 1, (16, 5, 2)))
    assert returns.shape == (16,) and costs.shape == (16,) and (costs >= 0).all()
    env.close()


def test_cem_learned_frozen_refits_as_cem_learned_for_a_third_of_the_budget_then_never():
    from embodied_bench.baselines.cem_learned import CEMLearned, CEMLearnedFrozen, CEMLearnedFrozenConfig

    spec = dataclasses.replace(TASKS.get("treat-reach@v1").spec, budget=3_000, eval_every=1_000)
    env = gym.make("EmbodiedBench/TreatReach-v1")
    info = dataclasses.replace(task_info(spec, env), budget=3_000)
    base = dataclasses.replace(CEMLearnedConfig.for_task("treat-reach@v1"), random_steps=100, fit_every=100)
    keeps = CEMLearned(info, 0, base)
    stops = CEMLearnedFrozen(info, 0, CEMLearnedFrozenConfig(**{**dataclasses.asdict(base), "refit_share": 1 / 3}))
    assert CEMLearnedFrozenConfig.for_task("treat-reach@v1").refit_share == pytest.approx(1 / 3)
    rng = np.random.default_rng(0)
    obs, _ = env.reset(seed=0)
    snapshot = None
    for step in range(1, 2_001):
        a = rng.uniform(-1, 1, 2).astype(np.float32)
        nxt, r, term, trunc, step_info = env.step(a)
        t = Transition(obs, a, r, nxt, term, trunc, step_info["cost"], step_info["success"])
        keeps.observe(t)
        stops.observe(t)
        if step == 1_000:  # the third: its refit is the last
            assert not keeps.frozen and not stops.frozen
            snapshot = keeps.model.beta.copy()
            assert np.array_equal(stops.model.beta, snapshot)  # the same until the third
        if step == 1_001:
            assert stops.frozen and not keeps.frozen
        obs = nxt if not (term or trunc) else env.reset()[0]
    assert np.array_equal(stops.model.beta, snapshot)  # never refitted after it
    assert not np.array_equal(keeps.model.beta, snapshot)  # while cem-learned went on
    with pytest.raises(ValueError, match="refit_share"):
        CEMLearnedConfig(refit_share=0.0)
    env.close()


class EpisodeCounter:
    """Records every ``start_episode`` call (the run is in-process, so a class list works)."""

    starts: list[bool] = []

    def __init__(self, task, seed):
        pass

    def start_episode(self, explore):
        type(self).starts.append(explore)

    def act(self, observation, explore):
        return np.zeros(2, np.float32)

    def observe(self, transition):
        pass


def test_harness_announces_every_training_and_evaluation_episode(tmp_path, mini_spec):
    from embodied_bench.harness.runner import Job, run_one

    EpisodeCounter.starts = []
    outcome = run_one(Job(f"{__name__}:EpisodeCounter", mini_spec, 0, str(tmp_path)))
    assert outcome.status == "complete"
    evaluations = len(mini_spec.checkpoints()) * mini_spec.eval_episodes
    # Zero force: the mouse stays put, so every training episode runs its 200 steps.
    assert EpisodeCounter.starts.count(False) == evaluations
    assert EpisodeCounter.starts.count(True) == mini_spec.budget // 200


def test_cat_climb_world_model_predicts_single_jumps_closely():
    from embodied_bench.tasks.cat_climb.planning import world_model

    spec, env = _eval_env("cat-climb-skill")
    env.reset(seed=0, options={"layout": 3})
    before = env.unwrapped.sim.data.qpos.copy()
    actions = np.random.default_rng(0).uniform(-1, 1, (4, 1, 3)).astype(np.float32)
    returns, costs = world_model(env.unwrapped).rollout(actions)
    np.testing.assert_array_equal(env.unwrapped.sim.data.qpos, before)
    for k in range(4):
        _, replay = _eval_env("cat-climb-skill")
        replay.reset(seed=0, options={"layout": 3})
        _, r, _, _, info = replay.step(actions[k, 0])
        # A jump is simulated for a fixed 1.6 s, not until the cat is at rest: close, not equal.
        assert returns[k] == pytest.approx(r, abs=0.15) and costs[k] == info["cost"]
        replay.close()
    env.close()


def test_planning_with_the_simulator_is_not_counted_as_interaction():
    """The harness counts every call of the env's step against its ledger; the world model
    steps the scene without going through that count."""
    from embodied_bench.harness.ledger import StepCounter
    from embodied_bench.tasks.table_clear.planning import world_model

    _, env = _eval_env("table-clear-primitive")
    counter = StepCounter(env)
    env.reset(seed=0, options={"layout": 0})
    returns, _ = world_model(env.unwrapped).rollout(np.array([[[0, 0]], [[0, 1]]], np.int64))
    assert counter.count == 0 and len(returns) == 2
    env.step(np.array([0, 0]))
    assert counter.count == 1
    env.close()


@pytest.mark.parametrize(
    "space",
    [
        gym.spaces.Box(-1.0, 1.0, (2,), np.float32),
        gym.spaces.Box(np.array([-1.0, -2e5, 0.0]), np.array([1e3, 3.0, 0.5]), dtype=np.float64),
        gym.spaces.Box(-0.5, 0.5, (3, 4), np.float32),
        gym.spaces.Box(-np.inf, np.inf, (2,), np.float32),  # unbounded: Box.sample itself
    ],
)
def test_random_agent_draws_exactly_what_box_sample_draws(space):
    # Its fast path must not move the random baseline's curves (regress checks them exactly).
    info = SimpleNamespace(action_space=space)
    for seed in range(3):
        agent, reference = RandomAgent(info, seed), copy.deepcopy(space)
        reference.seed(seed)
        for _ in range(200):
            ours, theirs = agent.act(None, True), reference.sample()
            assert ours.dtype == theirs.dtype and ours.shape == theirs.shape
            np.testing.assert_array_equal(ours, theirs)
