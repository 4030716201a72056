"""The Ray executor: a local Ray instance with 2 CPUs gives the records the local pool
gives; a worker that dies fails only its run, and --resume finishes the job."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import agent_ref

from embodied_bench.cli import main

# One worker runs them all: each test starts a local Ray instance of 2 CPUs, and two at
# once would share the cores they each count as their own.
pytestmark = [pytest.mark.extra("ray"), pytest.mark.xdist_group("ray")]

TINY = ("--task", "treat-reach", "--seeds", "2", "--budget-scale", "0.01", "--eval-episodes", "2")
VOLATILE = {"started_at", "finished_at", "wall_seconds", "cpu_seconds", "train_seconds", "eval_seconds", "host", "curve_sha256"}


def cli(*args, env=None):
    return CliRunner().invoke(main, [str(a) for a in args], env=env, catch_exceptions=False)


def runs(out: Path) -> dict[str, tuple[dict, list[str]]]:
    found = {}
    for record_path in sorted(out.rglob("run.json")):
        record = json.loads(record_path.read_text())
        curve = [",".join(line.split(",")[:-1]) for line in (record_path.parent / "curve.csv").read_text().splitlines()]  # all but wall_seconds
        files = sorted(p.name for p in record_path.parent.iterdir())
        found[str(record_path.parent.relative_to(out))] = ({k: v for k, v in record.items() if k not in VOLATILE}, curve, files)
    return found


def test_ray_records_equal_the_local_pools(tmp_path):
    agents = ("--agent", "random", "--agent", agent_ref("CountingAgent"))
    local = cli("run", *agents, *TINY, "--jobs", "2", "--out", tmp_path / "local")
    assert local.exit_code == 0, local.output
    remote = cli("run", *agents, *TINY, "--executor", "ray", "--jobs", "2", "--out", tmp_path / "ray")
    assert remote.exit_code == 0, remote.output
    mine, theirs = runs(tmp_path / "local"), runs(tmp_path / "ray")
    assert len(mine) == 4 and mine == theirs
    # Every file of a run comes back from its worker: the per-level results too.
    assert all(files == ["curve.csv", "levels.csv", "run.json"] for _, _, files in theirs.values())


def test_a_dead_ray_worker_fails_only_its_run(tmp_path):
    args = ["run", "--agent", agent_ref("FaultyAgent"), "--agent", agent_ref("CountingAgent"), *TINY, "--executor", "ray", "--jobs", "2", "--out", tmp_path]
    first = cli(*args, env={"EB_TEST_FAULT": "die"})  # the agent kills its own worker process
    assert first.exit_code == 1, first.output
    for seed in (0, 1):
        lost = json.loads((tmp_path / "treat-reach@v1" / "FaultyAgent" / f"seed-{seed}" / "run.json").read_text())
        assert lost["status"] == "failed" and "the Ray worker running this job was lost" in lost["error"]
        fine = json.loads((tmp_path / "treat-reach@v1" / "CountingAgent" / f"seed-{seed}" / "run.json").read_text())
        assert fine["status"] == "complete"
    again = cli(*args, "--resume", env={"EB_TEST_FAULT": ""})
    assert again.exit_code == 0, again.output
    assert "2 runs to do, 2 complete runs kept" in again.output


def test_executor_options_are_checked(tmp_path, monkeypatch):
    stray = cli("run", "--agent", "random", *TINY, "--address", "auto", "--out", tmp_path)
    assert stray.exit_code == 2 and "add --executor ray" in stray.output
    import builtins

    real = builtins.__import__

    def no_ray(name, *a, **k):
        if name == "ray":
            raise ImportError("no ray here")
        return real(name, *a, **k)

    monkeypatch.setattr(builtins, "__import__", no_ray)
    missing = cli("run", "--agent", "random", *TINY, "--executor", "ray", "--out", tmp_path)
    assert missing.exit_code == 2 and "pip install 'embodied-bench[ray]'" in missing.output


def test_an_address_where_no_cluster_answers_is_one_line_and_writes_nothing(tmp_path):
    import socket

    with socket.socket() as s:  # a port that nothing listens on once closed
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    for address, said in ((f"127.0.0.1:{port}", "no Ray cluster answers there"), ("nonsense", "expected auto or HOST:PORT")):
        result = cli("run", "--agent", "random", *TINY, "--executor", "ray", "--address", address, "--out", tmp_path / "out")
        assert result.exit_code == 2 and f"--address {address}: {said}" in result.output, result.output
        assert not (tmp_path / "out").exists()


def test_workers_resolve_a_relative_agent_file_as_the_driver_does(tmp_path, monkeypatch):
    monkeypatch.chdir(Path(__file__).parent)
    done = cli("run", "--agent", "agents_for_tests.py:CountingAgent", "--task", "treat-reach", "--seeds", "1", "--budget-scale", "0.01", "--eval-episodes", "1", "--executor", "ray", "--jobs", "1", "--out", tmp_path)
    assert done.exit_code == 0, done.output
    record = json.loads((tmp_path / "treat-reach@v1" / "CountingAgent" / "seed-0" / "run.json").read_text())
    assert record["status"] == "complete" and record["agent"]["ref"] == "agents_for_tests.py:CountingAgent"


def test_without_an_address_a_local_instance_is_started_whatever_ray_address_says(tmp_path, monkeypatch):
    monkeypatch.setenv("RAY_ADDRESS", "127.0.0.1:9")  # nothing listens there: joining it would fail
    done = cli("run", "--agent", "random", "--task", "treat-reach", "--seeds", "1", "--budget-scale", "0.01", "--eval-episodes", "1", "--executor", "ray", "--jobs", "1", "--out", tmp_path)
    assert done.exit_code == 0, done.output
    assert json.loads((tmp_path / "treat-reach@v1" / "random" / "seed-0" / "run.json").read_text())["status"] == "complete"


def test_ray_keeps_a_run_another_process_finished_after_the_plan(tmp_path, mini_spec):
    from embodied_bench.executors import ray_cluster
    from embodied_bench.harness.plan import plan_jobs
    from embodied_bench.harness.runner import run_one

    todo, _ = plan_jobs(["random"], {"random": "random"}, [mini_spec], [0, 1], tmp_path, 1.0, resume=True)
    assert len(todo) == 2
    made = run_one(todo[0])  # another command finishes seed 0 after this plan
    before = {p.name: p.read_bytes() for p in Path(made.folder).iterdir()}
    outcomes = ray_cluster.run_jobs(todo, lambda event: None, None, 2)
    assert [o.status for o in outcomes] == ["kept", "complete"]
    assert {p.name: p.read_bytes() for p in Path(made.folder).iterdir()} == before
