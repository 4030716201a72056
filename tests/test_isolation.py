"""Isolated agents: each fault an agent can commit fails only its own run, with a clear
reason; the other runs complete, nothing written is lost, and --resume finishes the job."""

from __future__ import annotations

import json
import pickle
from pathlib import Path

import numpy as np

import pytest
from click.testing import CliRunner
from conftest import agent_ref

from embodied_bench.cli import main
from embodied_bench.harness import isolation, link

TINY = ("--task", "treat-reach", "--seeds", "1", "--budget-scale", "0.01", "--eval-episodes", "2")


def cli(*args, env=None):
    return CliRunner().invoke(main, [str(a) for a in args], env=env, catch_exceptions=False)


def record(out: Path, agent: str) -> dict:
    return json.loads((out / "treat-reach@v1" / agent / "seed-0" / "run.json").read_text())


FAULTS = {
    "init": ((), "the agent raised in __init__ (or while importing it): RuntimeError: broken on purpose in __init__"),
    "act": ((), "the agent raised in act: RuntimeError: broken on purpose in act"),
    "observe": ((), "the agent raised in observe: RuntimeError: broken on purpose in observe"),
    "sleep": (("--step-timeout", "2"), "the agent did not answer act within 2 s"),
    "slow": (("--timeout", "15"), "the run exceeded its time limit of 15 s"),  # room for a busy machine
    "memory": (("--memory-limit", "1500"), "MemoryError"),
    "die": ((), "the agent's process was killed by signal 9"),
    "shape": ((), "shape"),
    "nan": ((), "NaN"),
    "unpicklable": ((), "act returned a function that cannot be sent to the harness"),
    "flood": ((), "sent a message the harness does not accept during act"),
    "malicious": ((), "the agent's process sent a posix.system; only plain data and NumPy arrays may cross"),
    "stall": (("--step-timeout", "2"), "stalled the link to the harness during act and was killed"),
}


@pytest.mark.parametrize("fault", sorted(FAULTS))
def test_a_faulty_agent_fails_only_its_run_and_resume_finishes(fault, tmp_path):
    extra, reason = FAULTS[fault]
    if fault == "stall" and not link.fast_links_supported():
        pytest.skip("this machine uses plain pipes (not x86-64, or one core); the stall is staged on the shared-memory link's side pipe")
    # One run at a time: pool workers fork from a server that keeps the environment it
    # started with, and the fault is chosen through the environment.
    args = ["run", "--agent", agent_ref("FaultyAgent"), "--agent", agent_ref("CountingAgent"), *TINY, "--isolate", "--jobs", "1", *extra, "--out", tmp_path]
    first = cli(*args, env={"EB_TEST_FAULT": fault})
    assert first.exit_code == 1, first.output
    failed = record(tmp_path, "FaultyAgent")
    assert failed["status"] == "failed" and reason in failed["error"], failed["error"][:500]
    assert record(tmp_path, "CountingAgent")["status"] == "complete"
    kept = (tmp_path / "treat-reach@v1" / "CountingAgent" / "seed-0" / "curve.csv").read_bytes()
    again = cli(*args, "--resume", env={"EB_TEST_FAULT": ""})
    assert again.exit_code == 0, again.output
    assert record(tmp_path, "FaultyAgent")["status"] == "complete"
    assert (tmp_path / "treat-reach@v1" / "CountingAgent" / "seed-0" / "curve.csv").read_bytes() == kept


def test_an_isolated_agent_cannot_reach_the_env(tmp_path):
    isolated = cli("run", "--agent", agent_ref("EnvSnoop"), *TINY, "--isolate", "--jobs", "1", "--out", tmp_path / "isolated")
    assert isolated.exit_code == 0, isolated.output
    # The same agent in the harness's process finds the envs: the probe works.
    inline = cli("run", "--agent", agent_ref("EnvSnoop"), *TINY, "--jobs", "1", "--out", tmp_path / "inline")
    assert inline.exit_code == 1 and "reached" in record(tmp_path / "inline", "EnvSnoop")["error"]


def test_isolated_runs_equal_in_process_runs_and_record_their_limits(tmp_path):
    for mode, flag in (("iso", "--isolate"), ("inline", "--no-isolate")):
        assert cli("run", "--agent", agent_ref("CountingAgent"), *TINY, flag, "--jobs", "1", "--out", tmp_path / mode).exit_code == 0
    curves = [(tmp_path / m / "treat-reach@v1" / "CountingAgent" / "seed-0" / "curve.csv").read_text().splitlines() for m in ("iso", "inline")]
    strip = [[",".join(line.split(",")[:-1]) for line in c] for c in curves]  # all but wall_seconds
    assert strip[0] == strip[1]
    iso = record(tmp_path / "iso", "CountingAgent")
    assert iso["agent"]["isolation"] == {"run_seconds": None, "call_seconds": 60.0, "memory_mb": None}
    assert iso["agent"]["source_hash"] == record(tmp_path / "inline", "CountingAgent")["agent"]["source_hash"]
    assert record(tmp_path / "inline", "CountingAgent")["agent"]["isolation"] is None


def test_isolation_refuses_privileged_agents_and_limits_need_it(tmp_path):
    refused = cli("run", "--agent", "scripted", *TINY, "--isolate", "--out", tmp_path)
    assert refused.exit_code == 2 and "cannot run isolated" in refused.output
    loose = cli("run", "--agent", "random", *TINY, "--timeout", "5", "--out", tmp_path)
    assert loose.exit_code == 2 and "add --isolate" in loose.output


@pytest.mark.parametrize("learner", ["GreedyLearner", "LazyLearner"])
def test_an_isolated_learner_gets_the_same_ledger_and_curve(learner, tmp_path):
    # Greedy steps past its budget (the ledger's stop must cross back into its process);
    # Lazy stops early. Every checkpoint's evaluation calls act while learn is still running.
    for mode, flag in (("iso", "--isolate"), ("inline", "--no-isolate")):
        done = cli("run", "--agent", agent_ref(learner), *TINY, flag, "--jobs", "1", "--out", tmp_path / mode)
        assert done.exit_code == 0, done.output
    iso, inline = record(tmp_path / "iso", learner), record(tmp_path / "inline", learner)
    assert iso["agent"]["contract"] == inline["agent"]["contract"] == "learner"
    assert iso["ledger"] == inline["ledger"]
    assert iso["ledger"]["stopped_by_ledger"] is (learner == "GreedyLearner")
    curves = [(tmp_path / m / "treat-reach@v1" / learner / "seed-0" / "curve.csv").read_text().splitlines() for m in ("iso", "inline")]
    assert [line.rsplit(",", 1)[0] for line in curves[0]] == [line.rsplit(",", 1)[0] for line in curves[1]]
    assert len(curves[0]) > 2


@pytest.mark.parametrize(
    "payload",
    [
        pickle.dumps(np.arange(3.0)),  # NumPy's own reconstruction: its dtype flags can be forged
        pickle.dumps(np.array([None], dtype=object)),
        b"\x80\x05cbuiltins\nlist\ncbuiltins\nrange\nK\x05\x85R\x85R.",  # list(range(5)): any size from a tiny message
    ],
    ids=["numpy-reduce", "object-array", "list-of-range"],
)
def test_the_harness_loads_only_plain_data_from_the_agent(payload):
    import io

    with pytest.raises(pickle.UnpicklingError, match="only plain data"):
        isolation._DataOnly(io.BytesIO(payload)).load()


def test_the_harness_s_own_array_loaders_are_the_callables_it_accepts():
    import io

    for loader in (isolation._array, isolation._scalar):
        assert isolation._DataOnly(io.BytesIO(pickle.dumps(loader))).load() is loader


def test_arrays_and_numbers_cross_in_the_harness_s_own_form():
    import io

    from collections import OrderedDict

    values = [np.float32(1.5), np.int64(-3), np.bool_(True), np.arange(6, dtype=np.float32).reshape(2, 3), np.complex128(1j),
              {"a": [1, 2.0, (3, None)], "s": {1, 2}, "f": frozenset({3}), "b": bytearray(b"xy"), "c": 1 + 2j}, OrderedDict(a=1)]
    for value in values:
        buffer = io.BytesIO()
        pickler = pickle.Pickler(buffer, protocol=pickle.HIGHEST_PROTOCOL)
        pickler.dispatch_table = isolation._DISPATCH
        pickler.dump(value)
        back = isolation._DataOnly(io.BytesIO(buffer.getvalue())).load()
        assert type(back) is type(value)
        if isinstance(value, np.ndarray):
            assert back.dtype == value.dtype and back.flags.writeable
            np.testing.assert_array_equal(back, value)
        else:
            assert back == value
    with pytest.raises(pickle.UnpicklingError, match="only numbers"):
        isolation._array(b"\0" * 8, "V8", (1,))
    with pytest.raises(pickle.UnpicklingError, match="by name"):
        isolation._array(b"\0" * 8, np.dtype("f8"), (1,))
