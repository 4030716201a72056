"""The Stable-Baselines3 baselines (``ppo``, ``sac``) through the real harness: complete
records, exactly the budget, reproducible curves, configs that round-trip through JSON."""

from __future__ import annotations

import dataclasses
import json
import sys
from pathlib import Path

import gymnasium as gym
import pandas as pd
import pytest

SB3 = pytest.mark.extra("sb3")
"""On the tests that train; the config and install-hint tests run without the extra."""

from embodied_bench.baselines.sb3_agents import (
    PPOConfig,
    PPOLearner,
    SACConfig,
    SACLearner,
)

from embodied_bench.harness.isolation import Limits
from embodied_bench.harness.runner import Job, run_one, task_info
from embodied_bench.registry import TASKS, RegistryError
from embodied_bench.results.records import WALL_COLUMNS

ROOT = Path(__file__).resolve().parent.parent
QUICKSTART = f"{ROOT / 'examples' / 'sb3_ppo.py'}:QuickstartPPO"


class SmallPPO(PPOLearner):
    """PPO with rollouts short enough to update three times within the tiny test budget
    (the default 2048-step rollout is longer than the whole budget); also the documented
    way to run other hyperparameters."""

    def __init__(self, task, seed):
        super().__init__(task, seed, PPOConfig(n_steps=64, batch_size=32, n_epochs=2))


def tiny_treat_reach():
    """treat-reach at --budget-scale 0.002 (200 steps, a checkpoint every 20). Two
    evaluation episodes instead of 20: at this budget SB3's predict in the evaluations
    would take most of the time."""
    return dataclasses.replace(TASKS.get("treat-reach").spec.scaled(0.002), eval_episodes=2)


def run(agent: str, spec, out, seed: int = 3, isolation: Limits | None = None) -> tuple[dict, pd.DataFrame]:
    outcome = run_one(Job(agent, spec, seed, str(out), budget_scale=0.002, isolation=isolation))
    folder = Path(outcome.folder)
    record = json.loads((folder / "run.json").read_text())
    assert outcome.status == "complete", record["error"]
    return record, pd.read_csv(folder / "curve.csv")


@SB3
@pytest.mark.parametrize("agent", ["ppo", "sac", f"{__name__}:SmallPPO"])
def test_runs_end_to_end_on_exactly_the_budget_and_reproducibly(tmp_path, agent):
    spec = tiny_treat_reach()
    first, curve = run(agent, spec, tmp_path / "a")
    assert first["agent"]["contract"] == "learner"
    assert first["ledger"]["budget_used"] == first["ledger"]["env_steps"] == spec.budget == 200
    assert list(curve["budget_used"]) == spec.checkpoints()
    if agent != "ppo":  # the default 2048-step PPO rollout never completes in 200 steps
        assert curve["eval_return"].iloc[-1] != curve["eval_return"].iloc[0], "the policy never changed"
    _, again = run(agent, spec, tmp_path / "b")
    pd.testing.assert_frame_equal(curve.drop(columns=list(WALL_COLUMNS)), again.drop(columns=list(WALL_COLUMNS)))


@SB3
@pytest.mark.parametrize("task", ["treat-reach", "cat-climb-skill"])
def test_a_learner_that_builds_its_model_in_learn_runs_in_process_and_isolated(tmp_path, task):
    """SB3's quick-start pattern (``PPO("MlpPolicy", env)`` inside ``learn``): checkpoint 0
    is evaluated when ``learn`` first resets the env, so ``act`` always has a model."""
    spec = dataclasses.replace(TASKS.get(task).spec.scaled(0.002 if task == "treat-reach" else 0.02), eval_episodes=2)
    curves = []
    for isolation in (None, Limits()):
        record, curve = run(QUICKSTART, spec, tmp_path / str(isolation is not None), isolation=isolation)
        assert record["agent"]["contract"] == "learner"
        assert record["agent"]["requires"] == ["torch", "stable-baselines3"]
        assert record["versions"]["torch"] is not None
        assert list(curve["budget_used"]) == spec.checkpoints()
        assert record["ledger"]["env_steps"] == spec.budget
        curves.append(curve.drop(columns=list(WALL_COLUMNS)))
    # The agent's own process changes nothing about its numbers.
    pd.testing.assert_frame_equal(curves[0], curves[1])


@SB3
@pytest.mark.parametrize("agent", ["ppo", "sac"])
def test_episode_budgets_end_at_the_ledger(tmp_path, agent):
    spec = dataclasses.replace(TASKS.get("treat-reach").spec, budget_unit="episodes", budget=2, eval_every=1, eval_episodes=1)
    record, curve = run(agent, spec, tmp_path)
    assert record["ledger"]["budget_used"] == record["ledger"]["episodes_done"] == 2
    assert list(curve["train_episodes"]) == [0, 1, 2]
    assert record["agent"]["config"].get("n_envs", 1) == 1  # copies would start episodes past the budget


@pytest.mark.parametrize("config_cls", [PPOConfig, SACConfig])
def test_configs_round_trip_through_json(config_cls):
    for task_id in TASKS.names():
        config = config_cls.for_task(task_id)
        again = config_cls(**json.loads(json.dumps(dataclasses.asdict(config))))
        assert again == config and hash(again) == hash(config)
    with pytest.raises(RegistryError, match="unknown task 'not-a-task'"):
        config_cls.for_task("not-a-task")  # never silently the defaults
    assert PPOConfig.for_task("cat-climb-skill").n_steps == 200 and PPOConfig.for_task("treat-reach@v0").n_steps == 512
    assert PPOConfig.for_task("cat-climb-motor@v0") == PPOConfig()
    v1 = PPOConfig.for_task("treat-reach@v1")
    assert (v1.n_envs, v1.n_steps) == (4, 128)  # four copies, the same 512 steps a rollout


def _info(task_id: str):
    spec = TASKS.get(task_id).spec
    env = gym.make(spec.gym_id, layout_split="train", **spec.env_kwargs)
    try:
        return task_info(spec, env)
    finally:
        env.close()


def test_sac_refuses_discrete_actions():
    expected = r"sac acts in continuous \(Box\) action spaces only; task table-clear-primitive has MultiDiscrete"
    with pytest.raises(TypeError, match=expected):
        SACLearner(_info("table-clear-primitive"), 0)


def test_missing_sb3_says_how_to_install(monkeypatch):  # with or without the extra
    info = _info("treat-reach")
    monkeypatch.setitem(sys.modules, "stable_baselines3", None)  # makes the import fail
    with pytest.raises(ImportError) as caught:
        PPOLearner(info, 0)
    message = str(caught.value)
    assert 'pip install "embodied-bench[sb3]"' in message
    assert "pip install torch --index-url https://download.pytorch.org/whl/cpu" in message
