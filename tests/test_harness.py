"""The harness: budget ledger for both contracts, evaluation on held-out layouts,
seeding and determinism, failures, privileged access."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import agent_ref

from embodied_bench import layouts
from embodied_bench.harness.ledger import ActionChecker, AgentError
from embodied_bench.harness.runner import Job, run_one, split_seed
from embodied_bench.registry import load_reference
from embodied_bench.results import load_runs
from embodied_bench.results.records import WALL_COLUMNS


def _run(spec, agent, tmp_path, seed=0, out=None):
    out = out or tmp_path
    outcome = run_one(Job(agent=agent, spec=spec, seed=seed, out=str(out)))
    record = json.loads((Path(outcome.folder) / "run.json").read_text())
    return outcome, record


def test_agent_contract_uses_exactly_the_budget(mini_spec, tmp_path):
    outcome, record = _run(mini_spec, agent_ref("CountingAgent"), tmp_path)
    assert outcome.status == "complete", outcome.error
    assert record["ledger"]["env_steps"] == mini_spec.budget
    curve = pd.read_csv(f"{outcome.folder}/curve.csv")
    assert curve["budget_used"].tolist() == [0, 200, 400, 600]
    assert curve["env_steps"].tolist() == [0, 200, 400, 600]
    assert curve["train_episodes"].is_monotonic_increasing


def test_learner_cannot_exceed_the_budget(mini_spec, tmp_path):
    outcome, record = _run(mini_spec, agent_ref("GreedyLearner"), tmp_path)
    assert outcome.status == "complete", outcome.error
    assert record["agent"]["contract"] == "learner"
    assert record["ledger"]["env_steps"] == mini_spec.budget
    assert record["ledger"]["stopped_by_ledger"] is True
    curve = pd.read_csv(f"{outcome.folder}/curve.csv")
    assert curve["env_steps"].tolist() == [0, 200, 400, 600]


def test_learner_that_stops_early_gets_a_complete_curve(mini_spec, tmp_path):
    outcome, record = _run(mini_spec, agent_ref("LazyLearner"), tmp_path)
    assert outcome.status == "complete", outcome.error
    assert record["ledger"]["env_steps"] == mini_spec.budget // 10
    assert record["ledger"]["stopped_by_ledger"] is False
    curve = pd.read_csv(f"{outcome.folder}/curve.csv")
    assert curve["budget_used"].tolist() == [0, 200, 400, 600]
    assert curve["env_steps"].tolist() == [0, 60, 60, 60]


@pytest.mark.parametrize("agent", ["CopiesLearner", "VectorLearner"])
def test_a_learner_on_several_env_copies_keeps_one_exact_budget(mini_spec, tmp_path, agent):
    """Copies of the training env share the ledger: the budget holds exactly, checkpoints
    come at the exact step counts, every copy's steps are counted, and the numbers are
    the same in its own process."""
    from embodied_bench.harness.isolation import Limits

    curves = []
    for isolation in (None, Limits()):
        out = tmp_path / ("iso" if isolation else "inline")
        outcome = run_one(Job(agent=agent_ref(agent), spec=mini_spec, seed=4, out=str(out), isolation=isolation))
        record = json.loads((Path(outcome.folder) / "run.json").read_text())
        assert outcome.status == "complete", outcome.error
        assert record["ledger"]["env_steps"] == mini_spec.budget and record["ledger"]["stopped_by_ledger"] is True
        curve = pd.read_csv(f"{outcome.folder}/curve.csv")
        assert curve["env_steps"].tolist() == curve["budget_used"].tolist() == [0, 200, 400, 600]
        assert curve["eval_return"].nunique() > 1  # evaluated as it trained, not once at the end
        curves.append(curve.drop(columns=list(WALL_COLUMNS)))
    pd.testing.assert_frame_equal(curves[0], curves[1])


def test_env_copies_are_bounded(mini_spec):
    from embodied_bench.harness.ledger import BudgetLedger, LedgerEnv
    from embodied_bench.harness.runner import make_envs

    train, _ = make_envs(mini_spec)
    env = LedgerEnv(train, BudgetLedger(mini_spec), ActionChecker(train.action_space), lambda p: None)
    with pytest.raises(ValueError, match=r"n must lie in \[1, 64\]"):
        env.copies(0)
    with pytest.raises(RuntimeError, match="cannot make copies"):
        env.copies(2)
    assert env.copies(1) == [env]


@pytest.mark.parametrize("agent", ["CountingAgent", "GreedyLearner"])
def test_episode_budgets_are_enforced_for_both_contracts(mini_spec, tmp_path, agent):
    spec = dataclasses.replace(mini_spec, budget=6, budget_unit="episodes", eval_every=2)
    outcome, record = _run(spec, agent_ref(agent), tmp_path)
    assert outcome.status == "complete", outcome.error
    assert record["ledger"]["episodes_started"] == 6
    assert record["ledger"]["episodes_done"] == 6
    curve = pd.read_csv(f"{outcome.folder}/curve.csv")
    assert curve["budget_used"].tolist() == [0, 2, 4, 6]
    assert curve["train_episodes"].tolist() == [0, 2, 4, 6]


def test_evaluation_uses_only_held_out_layouts_and_never_trains(mini_spec, tmp_path):
    spy = load_reference(agent_ref("LayoutSpy"))
    outcome, record = _run(mini_spec, agent_ref("LayoutSpy"), tmp_path)
    assert outcome.status == "complete", outcome.error
    assert record["agent"]["privileged"] is True
    train = {s for explore, s in spy.seen if explore}
    evaluation = {s for explore, s in spy.seen if not explore}
    assert train and all(s < layouts.EVAL_BASE for s in train)
    assert evaluation == {layouts.eval_seed(i) for i in range(mini_spec.eval_episodes)}


def test_evaluation_transitions_are_not_observed(mini_spec, tmp_path):
    # CountingAgent's observe count must equal the training steps exactly, although
    # evaluation stepped the env many more times.
    from embodied_bench.harness import runner

    seen = {}
    original = runner._agent_loop

    def spy(run, agent, env, env_seed):
        original(run, agent, env, env_seed)
        seen["observed"] = agent.observed

    runner._agent_loop = spy
    try:
        outcome, record = _run(mini_spec, agent_ref("CountingAgent"), tmp_path)
    finally:
        runner._agent_loop = original
    assert seen["observed"] == mini_spec.budget
    assert pd.read_csv(f"{outcome.folder}/curve.csv")["eval_length"].sum() > 0


def test_same_run_twice_gives_identical_curves(mini_spec, tmp_path):
    a, _ = _run(mini_spec, agent_ref("CountingAgent"), tmp_path, out=tmp_path / "a")
    b, _ = _run(mini_spec, agent_ref("CountingAgent"), tmp_path, out=tmp_path / "b")
    c, _ = _run(mini_spec, agent_ref("CountingAgent"), tmp_path, seed=1, out=tmp_path / "c")
    ca, cb, cc = (pd.read_csv(f"{o.folder}/curve.csv").drop(columns=list(WALL_COLUMNS)) for o in (a, b, c))
    pd.testing.assert_frame_equal(ca, cb)
    assert not ca.equals(cc)


def test_seed_is_split_through_seed_sequence():
    agent_seed, env_seed = split_seed(0)
    children = np.random.SeedSequence(0).spawn(2)
    assert agent_seed == int(children[0].generate_state(1, np.uint32)[0])
    assert env_seed == int(children[1].generate_state(1, np.uint32)[0])
    assert agent_seed != env_seed and split_seed(1) != (agent_seed, env_seed)


@pytest.mark.parametrize(("agent", "message"), [("OutOfBoundsAgent", "outside the action space"), ("NaNAgent", "NaN")])
def test_bad_actions_fail_the_run_with_a_reason(mini_spec, tmp_path, agent, message):
    outcome, record = _run(mini_spec, agent_ref(agent), tmp_path)
    assert outcome.status == record["status"] == "failed"
    assert message in record["error"] and "checkpoint 0" in record["error"]


def test_a_crashing_agent_is_recorded_with_its_traceback(mini_spec, tmp_path):
    outcome, record = _run(mini_spec, agent_ref("CrashingAgent"), tmp_path)
    assert record["status"] == "failed"
    assert "ZeroDivisionError: the agent divided by zero on purpose" in record["error"]
    assert "Traceback" in record["error"]
    # The checkpoint before the crash is kept.
    assert len(pd.read_csv(f"{outcome.folder}/curve.csv")) == 1


def test_ordinary_agents_get_no_privileged_view(mini_spec, tmp_path):
    import inspect

    cls = load_reference(agent_ref("CountingAgent"))
    assert list(inspect.signature(cls).parameters) == ["task", "seed"]  # would fail with a third argument
    outcome, record = _run(mini_spec, agent_ref("CountingAgent"), tmp_path)
    assert outcome.status == "complete" and record["agent"]["privileged"] is False


def test_scripted_oracle_scores_high_through_the_harness(mini_spec, tmp_path):
    spec = dataclasses.replace(mini_spec, eval_episodes=20)
    outcome, record = _run(spec, "scripted", tmp_path)
    assert outcome.status == "complete", outcome.error
    curve = pd.read_csv(f"{outcome.folder}/curve.csv")
    assert (curve["eval_success"] >= 0.95).all()
    assert record["agent"]["privileged"] is True


def test_record_carries_provenance(mini_spec, tmp_path):
    outcome, record = _run(mini_spec, "random", tmp_path)
    assert record["schema_version"] == 1
    assert record["task"]["version"] == mini_spec.version and len(record["task"]["hash"]) == 64
    assert record["task"]["spec"]["budget"] == mini_spec.budget
    assert len(record["agent"]["source_hash"]) == 64
    for package in ("python", "numpy", "gymnasium", "mujoco", "pybullet", "embodied-bench"):
        assert record["versions"][package], package
    assert record["started_at"] and record["finished_at"]
    import hashlib

    assert record["curve_sha256"] == hashlib.sha256(open(f"{outcome.folder}/curve.csv", "rb").read()).hexdigest()


def test_load_runs_gives_one_tidy_frame(mini_spec, tmp_path):
    for seed in (0, 1):
        _run(mini_spec, "random", tmp_path, seed=seed)
    _run(mini_spec, agent_ref("CrashingAgent"), tmp_path)  # failed after one checkpoint
    _run(mini_spec, agent_ref("NaNAgent"), tmp_path)  # failed before any: no curve, no rows
    df = load_runs([tmp_path])
    assert len(df) == 2 * 4
    assert set(df["seed"]) == {0, 1} and set(df["agent"]) == {"random"}
    assert {"task", "agent", "seed", "budget_used", "eval_success"} <= set(df.columns)
    everything = load_runs([tmp_path], statuses=None)
    assert set(everything["status"]) == {"complete", "failed"}
    assert len(everything) == 2 * 4 + 1


def test_action_checker():
    import gymnasium as gym

    check = ActionChecker(gym.spaces.Box(-1, 1, (2,), np.float32))
    assert check(np.array([1.0, -1.0]), "x").dtype == np.float32  # float64 accepted, cast
    assert check([0.5, 0.5], "x").shape == (2,)
    for bad in ([1.01, 0.0], [np.nan, 0.0], [0.0], [np.inf, 0.0], "left"):
        with pytest.raises(AgentError):
            check(bad, "x")
    discrete = ActionChecker(gym.spaces.Discrete(3))
    assert discrete(2, "x") == 2
    with pytest.raises(AgentError):
        discrete(3, "x")


def test_stepping_the_env_behind_the_ledger_fails_the_run(mini_spec, tmp_path):
    outcome, record = _run(mini_spec, agent_ref("BypassLearner"), tmp_path)
    assert record["status"] == "failed"
    assert "behind the ledger's back" in record["error"]


def test_learner_env_does_not_hand_out_the_simulator(mini_spec):
    from embodied_bench.harness.ledger import BudgetLedger, LedgerEnv
    from embodied_bench.harness.runner import make_envs

    train, _ = make_envs(mini_spec)
    ledger_env = LedgerEnv(train, BudgetLedger(mini_spec), ActionChecker(train.action_space), lambda point: None)
    assert ledger_env.unwrapped is ledger_env
    assert not hasattr(ledger_env, "env") and not hasattr(ledger_env, "model")


def test_abandoned_episodes_count_against_an_episode_budget(mini_spec, tmp_path):
    spec = dataclasses.replace(mini_spec, budget=6, budget_unit="episodes", eval_every=2)
    outcome, record = _run(spec, agent_ref("ImpatientLearner"), tmp_path)
    assert outcome.status == "complete", outcome.error
    assert record["ledger"]["episodes_started"] == record["ledger"]["episodes_done"] == 6
    assert record["ledger"]["env_steps"] == 30
    curve = pd.read_csv(f"{outcome.folder}/curve.csv")
    assert curve["train_episodes"].tolist() == [0, 2, 4, 6]


def test_a_library_caller_sees_ctrl_c_after_the_record_is_written(mini_spec, tmp_path):
    with pytest.raises(KeyboardInterrupt):
        run_one(Job(agent=agent_ref("CtrlCAgent"), spec=mini_spec, seed=0, out=str(tmp_path)))
    record = json.loads(next(tmp_path.rglob("run.json")).read_text())
    assert record["status"] == "interrupted"


def test_a_run_finished_by_another_process_after_the_plan_is_kept(mini_spec, tmp_path):
    from embodied_bench.harness.plan import plan_jobs

    (job,), kept = plan_jobs([agent_ref("CountingAgent")], {agent_ref("CountingAgent"): "counting"}, [mini_spec], [0], tmp_path, 1.0, resume=True)
    assert kept == []
    # Another command on the same folder finishes the run after this plan was made.
    other = run_one(job)
    assert other.status == "complete", other.error
    folder = Path(other.folder)
    before = {p.name: p.read_bytes() for p in folder.iterdir()}
    late = run_one(job)
    assert late.status == "kept" and late.folder == other.folder and "another process" in late.error
    assert {p.name: p.read_bytes() for p in folder.iterdir()} == before  # not a byte written over
    # A record that is not complete is still redone.
    record = json.loads(before["run.json"])
    (folder / "run.json").write_text(json.dumps({**record, "status": "interrupted"}))
    assert run_one(job).status == "complete"


def test_none_action_is_named(mini_spec, tmp_path):
    outcome, record = _run(mini_spec, agent_ref("NoneAgent"), tmp_path)
    assert record["status"] == "failed" and "returned None" in record["error"]


def test_records_are_readable_by_others(mini_spec, tmp_path):
    import os
    import stat

    old = os.umask(0o022)
    os.umask(old)
    outcome, _ = _run(mini_spec, "random", tmp_path)
    for name in ("run.json", "curve.csv"):
        mode = stat.S_IMODE(os.stat(f"{outcome.folder}/{name}").st_mode)
        assert mode == 0o666 & ~old, oct(mode)


@pytest.mark.parametrize("scale", [1.0, 0.5, 0.1, 0.003, 0.00025, 0.00015, 2.5e-05, 3.0])
def test_budget_scale_keeps_the_checkpoints(scale):
    from embodied_bench.registry import TASKS

    for name in TASKS.names():
        spec = TASKS.get(name).spec
        scaled = spec.scaled(scale)
        assert len(scaled.checkpoints()) == len(spec.checkpoints()), (name, scale, scaled.budget, scaled.eval_every)
        assert scaled.budget % scaled.eval_every == spec.budget % spec.eval_every == 0


@pytest.mark.parametrize("scale", [0.0, -1.0, float("nan"), float("inf")])
def test_bad_budget_scales_are_refused(mini_spec, scale):
    with pytest.raises(ValueError):
        mini_spec.scaled(scale)
