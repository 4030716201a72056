"""The command line: through click's runner, and as a real subprocess (interrupt, resume)."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner
from conftest import agent_ref

from embodied_bench.cli import main
from embodied_bench.results.records import WALL_COLUMNS

SMALL = ["--budget-scale", "0.002"]  # treat-reach: 200 steps, a checkpoint every 20


def invoke(*args: str):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def test_listings():
    tasks = invoke("tasks")
    assert tasks.exit_code == 0 and "treat-reach" in tasks.output and "EmbodiedBench/TreatReach-v0" in tasks.output
    agents = invoke("agents")
    assert agents.exit_code == 0
    rows = {line.split()[0]: line.split() for line in agents.output.splitlines()[2:]}
    assert rows["random"][1:3] == ["agent", "no"] and rows["scripted"][1:3] == ["agent", "yes"]
    suites = invoke("suites")
    assert suites.exit_code == 0 and "ett-warmup-v0" in suites.output
    core = next(line for line in suites.output.splitlines() if line.startswith("ett-core-v0 "))
    assert core.split(None, 3)[1:] == ["yes", "success", "cat-climb-skill@v0, cat-climb-motor@v0, table-clear-primitive@v0, table-clear-ee@v0"]
    warmup = next(line for line in suites.output.splitlines() if line.startswith("ett-warmup-v0 "))
    assert warmup.split()[1:] == ["no", "success", "treat-reach@v0"]
    v1 = next(line for line in suites.output.splitlines() if line.startswith("ett-core-v1 "))
    assert v1.split(None, 3)[1:] == ["yes", "score", "cat-climb-skill@v1, cat-climb-motor@v1, table-clear-primitive@v1, table-clear-ee@v1"]


def test_tasks_are_listed_by_version_and_filtered_by_tag():
    one_shot = invoke("tasks", "--tag", "one-shot")
    assert one_shot.exit_code == 0
    names = [line.split()[0] for line in one_shot.output.splitlines()[2:]]
    assert names == ["table-clear-ee@v0", "table-clear-ee@v1", "table-clear-ee-play@v1", "table-clear-ee-watch@v1", "table-clear-primitive@v0", "table-clear-primitive@v1", "table-clear-primitive-adapt@v1", "table-clear-primitive-adapt-cluttered@v1", "table-clear-primitive-adapt-new-rules@v1", "table-clear-primitive-adapt-own@v1", "table-clear-primitive-play@v1", "table-clear-primitive-watch@v1"]
    watch = next(line for line in one_shot.output.splitlines() if line.startswith("table-clear-ee-watch@v1 "))
    assert "watch 20 expert episodes" in watch
    bad = CliRunner().invoke(main, ["tasks", "--tag", "flying"])
    assert bad.exit_code == 2 and "--tag flying: no task has this tag" in bad.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--agent", "random", "--task", "treat-rech"], "unknown task 'treat-rech'; did you mean treat-reach"),
        (["--agent", "randm", "--task", "treat-reach"], "unknown agent 'randm'; did you mean random?"),
        (["--agent", "random", "--suite", "ett-cor"], "unknown suite 'ett-cor'; did you mean ett-core-v3, ett-core-v2, ett-core-v1"),
        (["--agent", "missing_file.py:Agent", "--task", "treat-reach"], "agent file missing_file.py does not exist"),
        (["--agent", f"{Path(__file__).parent / 'agents_for_tests.py'}:NoSuchAgent", "--task", "treat-reach"], "has no attribute 'NoSuchAgent'"),
        (["--agent", "json:JSONDecoder", "--task", "treat-reach"], "neither an Agent"),
        (["--agent", "random"], "name at least one --task or --suite"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(tmp_path, args, message):
    result = CliRunner().invoke(main, ["run", *args, "--out", str(tmp_path)])
    assert result.exit_code == 2, result.output
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and message in lines[0], result.output
    assert "Traceback" not in result.output
    assert not any(tmp_path.iterdir())


@pytest.mark.parametrize("scale", ["nan", "inf"])
def test_non_finite_budget_scale_is_bad_input(tmp_path, scale):
    result = CliRunner().invoke(main, ["run", "--agent", "random", "--task", "treat-reach", "--budget-scale", scale, "--out", str(tmp_path)])
    assert result.exit_code == 2 and "--budget-scale" in result.output and "Traceback" not in result.output


def test_out_that_is_a_file_is_bad_input(tmp_path):
    afile = tmp_path / "afile"
    afile.write_text("x")
    result = CliRunner().invoke(main, ["run", "--agent", "random", "--task", "treat-reach", "--out", str(afile / "sub")])
    assert result.exit_code == 2 and "is a file, not a folder" in result.output


@pytest.mark.parametrize("content", [b"[]", b"\xff\xfe not utf-8", b"{ broken"])
def test_unreadable_records_are_refused_then_redone_with_resume(tmp_path, content):
    folder = tmp_path / "treat-reach@v1/scripted/seed-0"
    folder.mkdir(parents=True)
    (folder / "run.json").write_bytes(content)
    args = ["run", "--agent", "scripted", "--task", "treat-reach", "--seeds", "1", *SMALL, "--out", str(tmp_path), "--jobs", "1"]
    refused = CliRunner().invoke(main, args)
    assert refused.exit_code == 2 and "no readable record" in refused.output
    redone = CliRunner().invoke(main, [*args, "--resume"])
    assert redone.exit_code == 0, redone.output
    assert json.loads((folder / "run.json").read_text())["status"] == "complete"


def test_module_agents_are_found_in_the_current_folder(tmp_path, monkeypatch):
    (tmp_path / "my_module_agent.py").write_text((Path(__file__).parent / "agents_for_tests.py").read_text())
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr("sys.path", [p for p in __import__("sys").path if p not in ("", str(tmp_path))])
    result = CliRunner().invoke(main, ["run", "--agent", "my_module_agent:NaNAgent", "--task", "treat-reach", "--seeds", "1", *SMALL, "--out", "runs", "--jobs", "1"])
    assert result.exit_code == 1 and "the agent returned NaN" in result.output


def test_failed_runs_do_not_stop_the_others_and_exit_1(tmp_path):
    result = CliRunner().invoke(
        main, ["run", "--agent", agent_ref("NaNAgent"), "--agent", "scripted", "--task", "treat-reach", "--seeds", "2", *SMALL, "--out", str(tmp_path), "--jobs", "1"]
    )
    assert result.exit_code == 1, result.output
    assert "runs: 2 complete, 2 failed" in result.output
    assert "failed treat-reach@v1/NaNAgent/seed-0: checkpoint 0, evaluation episode 0: the agent returned NaN" in result.output
    for seed in (0, 1):
        assert json.loads((tmp_path / f"treat-reach@v1/scripted/seed-{seed}/run.json").read_text())["status"] == "complete"
        assert json.loads((tmp_path / f"treat-reach@v1/NaNAgent/seed-{seed}/run.json").read_text())["status"] == "failed"


def test_existing_results_are_never_overwritten(tmp_path):
    args = ["run", "--agent", "scripted", "--task", "treat-reach", "--seeds", "1", *SMALL, "--out", str(tmp_path), "--jobs", "1"]
    assert invoke(*args).exit_code == 0
    record = tmp_path / "treat-reach@v1/scripted/seed-0/run.json"
    before = record.read_bytes()
    again = CliRunner().invoke(main, args)
    assert again.exit_code == 2 and "pass --resume" in again.output
    resumed = invoke(*args, "--resume")
    assert resumed.exit_code == 0 and "0 runs to do, 1 complete runs kept" in resumed.output
    other_budget = CliRunner().invoke(main, [*args[:-4], "--budget-scale", "0.003", "--out", str(tmp_path), "--resume"])
    assert other_budget.exit_code == 2 and "budget 200" in other_budget.output
    assert record.read_bytes() == before


def _curves(root: Path) -> dict[str, pd.DataFrame]:
    return {str(p.relative_to(root)): pd.read_csv(p).drop(columns=list(WALL_COLUMNS)) for p in sorted(root.rglob("curve.csv"))}


def test_process_pool_gives_the_same_records_as_one_process(tmp_path):
    base = ["run", "--agent", "scripted", "--task", "treat-reach", "--seeds", "4", "--budget-scale", "0.002"]
    assert invoke(*base, "--out", str(tmp_path / "one"), "--jobs", "1").exit_code == 0
    assert invoke(*base, "--out", str(tmp_path / "two"), "--jobs", "2").exit_code == 0
    one, two = _curves(tmp_path / "one"), _curves(tmp_path / "two")
    assert list(one) == list(two) and len(one) == 4
    for key in one:
        pd.testing.assert_frame_equal(one[key], two[key])


def _cli(*args: str) -> list[str]:
    return [sys.executable, "-m", "embodied_bench", *args]


def test_real_subprocess_run(tmp_path):
    result = subprocess.run(_cli("run", "--agent", "scripted", "--task", "treat-reach", "--seeds", "2", *SMALL, "--out", str(tmp_path), "--jobs", "2"), capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    assert f"records in {tmp_path}/" in result.stdout
    assert sorted(p.parent.name for p in tmp_path.rglob("run.json")) == ["seed-0", "seed-1"]


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_interrupt_then_resume_loses_nothing(tmp_path, jobs):
    args = ["run", "--agent", agent_ref("SlowAgent"), "--task", "treat-reach", "--seeds", "4", "--budget-scale", "0.003", "--out", str(tmp_path), "--jobs", jobs]
    proc = subprocess.Popen(_cli(*args), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    first = tmp_path / "treat-reach@v1/SlowAgent/seed-0/run.json"
    deadline = time.time() + 240
    while time.time() < deadline:
        record = json.loads(first.read_text()) if first.exists() else {}
        if record.get("status") == "complete":
            break
        time.sleep(0.05)
    else:
        proc.kill()
        pytest.fail("seed-0 never completed")
    # Interrupt while a later seed runs (on a loaded machine the gap between runs is wide).
    while time.time() < deadline and not any(json.loads(p.read_text()).get("status") == "running" for p in tmp_path.rglob("run.json") if p != first):
        time.sleep(0.05)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 130, err
    statuses = {p.parent.name: json.loads(p.read_text())["status"] for p in tmp_path.rglob("run.json")}
    assert statuses["seed-0"] == "complete"
    assert "interrupted" in statuses.values(), statuses
    assert "running" not in statuses.values(), statuses
    complete = {k for k, v in statuses.items() if v == "complete"}
    kept = {k: (tmp_path / "treat-reach@v1/SlowAgent" / k / "curve.csv").read_bytes() for k in complete}

    resumed = subprocess.run(_cli(*args, "--resume"), capture_output=True, text=True, timeout=300)
    assert resumed.returncode == 0, resumed.stderr
    assert f"{4 - len(complete)} runs to do, {len(complete)} complete runs kept" in resumed.stderr
    final = {p.parent.name: json.loads(p.read_text())["status"] for p in tmp_path.rglob("run.json")}
    assert final == {f"seed-{k}": "complete" for k in range(4)}
    for k, data in kept.items():
        assert (tmp_path / "treat-reach@v1/SlowAgent" / k / "curve.csv").read_bytes() == data
    assert not list(tmp_path.rglob("*.tmp"))


def test_the_summary_counts_a_run_another_process_made_as_kept_not_unfinished(tmp_path, capsys):
    from embodied_bench.cli.run import _summary
    from embodied_bench.harness.runner import Outcome

    with pytest.raises(SystemExit) as stop:
        _summary([Outcome("a", "complete", "f"), Outcome("b", "kept", "g")], [], 4, tmp_path, interrupted=True)
    assert stop.value.code == 130
    said = capsys.readouterr()
    assert "runs: 1 complete, 1 kept (another process made them after the plan), 2 not started" in said.out
    assert "finish the 2 unfinished runs" in said.err


def _marked_processes(mark: str) -> list[int]:
    found = []
    for env in Path("/proc").glob("[0-9]*/environ"):
        try:
            if f"EB_TEST_MARK={mark}".encode() in env.read_bytes():
                found.append(int(env.parent.name))
        except OSError:  # gone, or not ours to read
            continue
    return found


@pytest.mark.skipif(not Path("/proc/self/environ").exists(), reason="needs /proc (Linux)")
def test_workers_do_not_outlive_a_killed_parent(tmp_path):
    """A killed `run` leaves no process behind: busy workers finish their run (they write
    its record), idle ones exit."""
    import os
    import uuid

    mark = uuid.uuid4().hex
    args = ["run", "--agent", "random", "--task", "treat-reach", "--seeds", "6", "--budget-scale", "0.002", "--out", str(tmp_path), "--jobs", "2"]
    proc = subprocess.Popen(_cli(*args), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env={**os.environ, "EB_TEST_MARK": mark})
    deadline = time.time() + 120
    while time.time() < deadline and not list(tmp_path.rglob("run.json")):
        time.sleep(0.05)
    proc.kill()
    proc.wait(timeout=30)
    deadline = time.time() + 90
    while time.time() < deadline and _marked_processes(mark):
        time.sleep(0.5)
    left = _marked_processes(mark)
    for pid in left:  # never leave them running, even when the test fails
        os.kill(pid, signal.SIGKILL)
    assert not left, f"{len(left)} processes outlived the killed parent"
    statuses = [json.loads(p.read_text())["status"] for p in tmp_path.rglob("run.json")]
    assert statuses and "complete" in statuses


def test_eval_episodes_cuts_evaluation_and_is_recorded(tmp_path):
    small = ["run", "--agent", "scripted", "--task", "treat-reach", "--seeds", "1", *SMALL]
    assert invoke(*small, "--eval-episodes", "3", "--out", str(tmp_path / "few")).exit_code == 0
    record = json.loads((tmp_path / "few/treat-reach@v1/scripted/seed-0/run.json").read_text())
    assert record["budget"]["eval_episodes"] == 3 and record["budget"]["eval_reduced"] is True
    assert record["task"]["spec"]["eval_episodes"] == 3
    # Resuming under another evaluation protocol redoes nothing silently: it is a conflict.
    again = invoke(*small, "--out", str(tmp_path / "few"), "--resume")
    assert again.exit_code == 2 and "3 evaluation layouts, not 20" in again.output
    too_many = invoke(*small, "--eval-episodes", "21", "--out", str(tmp_path / "many"))
    assert too_many.exit_code == 2 and "task treat-reach has 20 held-out layouts" in too_many.output
    # Reports refuse to pool runs evaluated on different layouts, and flag smoke-test runs.
    assert invoke(*small, "--out", str(tmp_path / "all")).exit_code == 0
    mixed = invoke("report", str(tmp_path / "few"), str(tmp_path / "all"), "--out", str(tmp_path / "rep"), "--reps", "200", "--band-reps", "100")
    assert mixed.exit_code == 2 and "different numbers of held-out layouts (3, 20" in mixed.output
    alone = invoke("report", str(tmp_path / "few"), "--out", str(tmp_path / "rep"), "--reps", "200", "--band-reps", "100")
    assert alone.exit_code == 0 and "smoke-test numbers, not results to report" in alone.output
