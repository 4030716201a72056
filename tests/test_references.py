"""`embodied-bench references`: the official references of a suite, made by the real command
on a tiny family (its full protocol costs a second), resumed, and accounted for in the
manifest; seed 0 alone records clips."""

from __future__ import annotations

import json

import pytest
from test_leaderboard import cli
from test_new_family import tiny_family  # noqa: F401 (a fixture)

from embodied_bench.api import Suite
from embodied_bench.leaderboard import references as REF
from embodied_bench.registry import SUITES
from embodied_bench.video import VideoOptions


@pytest.fixture
def tiny_suite(tiny_family, monkeypatch):  # noqa: F811
    monkeypatch.setitem(SUITES._entries, "tiny-suite", Suite("tiny-suite", ("tiny-walk@v0",)))
    return "tiny-suite"


def test_references_are_made_resumed_and_accounted_for(tiny_suite, tmp_path):
    out = tmp_path / "official"
    made = cli("references", "--suite", tiny_suite, "--seeds", "2", "--jobs", "1", "--out", out, "--no-record-video")
    assert made.exit_code == 0, made.output
    assert "2 runs made, 0 kept" in made.output
    # Without a terminal (a log), a line per finished run with the time left.
    assert "[1/2] tiny-walk@v0/random/seed-" in made.output and "[2/2] " in made.output and "about 0 s left" in made.output
    for seed in (0, 1):
        record = json.loads((out / "tiny-walk@v0" / "random" / f"seed-{seed}" / "run.json").read_text())
        assert record["status"] == "complete" and record["budget"]["amount"] == 400  # the full protocol
    manifest = json.loads((out / "manifest.json").read_text())
    runs = manifest["runs"]["tiny-walk@v0"]["random"]
    assert list(runs) == ["seed-0", "seed-1"] and all(r["status"] == "complete" and r["cpu_seconds"] > 0 for r in runs.values())
    assert manifest["suites"] == [tiny_suite] and manifest["seeds"] == {"random": 2}
    assert manifest["runs_without_cpu_seconds"] == 0

    # The run to make is priced by its pair's runs, under the key its outcome reports.
    todo, _ = REF.plan_runs(REF.plan([tiny_suite]), 3, out, True)
    costs = REF.cpu_costs(out, todo)
    assert list(costs) == ["tiny-walk@v0/random/seed-2"] and costs["tiny-walk@v0/random/seed-2"] == pytest.approx(sum(r["cpu_seconds"] for r in runs.values()) / 2)
    again = cli("references", "--suite", tiny_suite, "--seeds", "3", "--jobs", "1", "--out", out, "--no-record-video")
    assert again.exit_code == 0, again.output
    assert "[1/1] tiny-walk@v0/random/seed-2: complete" in again.output
    assert "1 runs to do, 2 complete runs kept" in again.output and "1 runs made, 2 kept" in again.output
    assert "about 0.0 CPU hours to do, from the CPU time of the complete runs of each pair\n" in again.output
    assert list(json.loads((out / "manifest.json").read_text())["runs"]["tiny-walk@v0"]["random"]) == ["seed-0", "seed-1", "seed-2"]


def test_the_manifest_totals_cpu_seconds_never_wall_seconds(tmp_path):
    for seed, cpu in ((0, 7200.0), (1, None)):
        _record(tmp_path, "treat-reach", "random", seed, cpu)
    manifest = REF.write_manifest(tmp_path, 2)
    assert manifest["complete_cpu_hours"] == 2.0 and manifest["runs_without_cpu_seconds"] == 1
    assert list(manifest["runs"]["treat-reach@v1"]["random"]) == ["seed-0", "seed-1"]


def test_the_manifest_names_every_suite_with_runs_not_the_last_command_s(tmp_path):
    # Made suite by suite: the folder, not the command that wrote last, says what is there.
    _record(tmp_path, "treat-reach", "random", 0, 1.0)
    _record(tmp_path, "drive-control", "sac", 0, 1.0)
    _record(tmp_path, "drive-control", "ppo", 0, 1.0, status="running")
    manifest = REF.write_manifest(tmp_path, 10)
    assert {"ett-warmup-v1", "ett-core-v3"} <= set(manifest["suites"]) and "ett-adapt-v0" not in manifest["suites"]
    assert all(any(t in SUITES.get(s).tasks for t in ("treat-reach@v1", "drive-control@v1")) for s in manifest["suites"])
    assert manifest["seeds"] == {"random": 10, "sac": 10}  # an unfinished run's agent is not listed


def _record(root, task, agent, seed, cpu, status="complete"):
    folder = root / f"{task}@v1" / agent / f"seed-{seed}"
    folder.mkdir(parents=True)
    record = {"status": status, "task": {"id": task, "version": 1}, "agent": {"name": agent}, "seed": seed, "cpu_seconds": cpu, "wall_seconds": 3600.0, "versions": {}}
    (folder / "run.json").write_text(json.dumps(record))


def test_only_seed_zero_records_clips(tmp_path):
    clips = VideoOptions()
    todo, kept = REF.plan_runs([("treat-reach@v1", "random")], 3, tmp_path, True, clips)
    assert kept == [] and [(j.seed, j.video) for j in todo] == [(0, clips), (1, None), (2, None)]


def test_references_select_tasks_and_refuse_bad_names():
    assert REF.plan(["ett-core-v1"], ["random", "ppo"], ["cat-climb-motor@v1"]) == [("cat-climb-motor@v1", "random"), ("cat-climb-motor@v1", "ppo")]
    assert ("treat-reach@v1", "sac") not in REF.plan(["ett-core-v1", "ett-warmup-v1"], ["sac"], ["cat-climb-skill@v1"])
    for args, line in (
        (("--tasks", "treat-reach@v1"), "--tasks: not tasks of ett-core-v1: treat-reach@v1"),
        (("--tasks", "no-such-task"), "--tasks: unknown task 'no-such-task'"),
        (("--agents", "nobody"), "--agents: give registered baselines"),
        (("--agents", "bc", "--tasks", "cat-climb-motor@v1"), "no baseline runs on the tasks of ett-core-v1 among bc on cat-climb-motor@v1"),
    ):
        result = cli("references", "--suite", "ett-core-v1", *args, "--plan")
        assert result.exit_code == 2 and line in result.output, result.output


def test_the_board_and_the_readme_show_the_ladder_of_the_references(tiny_suite, tmp_path, monkeypatch):
    from embodied_bench.report import docs

    monkeypatch.setattr(REF, "SUITES_MADE", (tiny_suite,))
    root = tmp_path / "leaderboard"
    (root / "submissions").mkdir(parents=True)
    out = root / "baselines" / "official"
    assert cli("references", "--suite", tiny_suite, "--seeds", "3", "--jobs", "1", "--out", out, "--no-record-video").exit_code == 0
    # What the set costs comes from the runs' records: give them hours to add up.
    for seconds, path in zip((3600, 7200, 1800), sorted(out.rglob("run.json"))):
        path.write_text(json.dumps({**json.loads(path.read_text()), "cpu_seconds": seconds}))
    assert cli("leaderboard", "--root", root, "--reps", 500).exit_code == 0
    readme = (root / "README.md").read_text()
    assert "### tiny-suite: the ladder and the world-model gap" in readme
    assert "0 of 1 (task, baseline) pairs have all their seeds, 3 of 10 runs" in readme
    assert "| references incomplete (runs made/wanted: random 3/10) |" in readme
    # 3.5 h for the three; the seven runs to make at their mean: 10 x 3.5 / 3.
    assert "from its record; a run of tasks that several suites share counts in each): 3.5 CPU-hours for the 3 runs made; all 10 runs about 11.7 CPU-hours" in readme

    # Worker processes cannot load a family registered in this process alone: each run
    # fails with why, never silently not done.
    pooled = cli("references", "--suite", tiny_suite, "--jobs", "2", "--out", out, "--no-record-video")
    assert pooled.exit_code == 1 and "failed tiny-walk@v0/random/seed-3: the job could not start in a worker process" in pooled.output
    assert cli("references", "--suite", tiny_suite, "--jobs", "1", "--out", out, "--no-record-video").exit_code == 0  # the official 10 seeds
    assert cli("leaderboard", "--root", root, "--reps", 500).exit_code == 0
    readme = (root / "README.md").read_text()
    assert "1 of 1 (task, baseline) pairs have all their seeds, 10 of 10 runs" in readme
    # Random alone: no learner, so none off the floor; the IQM of the normalised success AUC.
    row = next(line for line in readme.splitlines() if line.startswith("| tiny-walk@v0 |"))
    cells = [c.strip() for c in row.strip("|").split("|")]
    assert cells[1].startswith("random ") and cells[1].endswith("(10 runs)") and cells[2:8] == ["–"] * 6 and cells[-1] == "no learner off the floor yet"
    assert (root / "site" / "figures" / "official-tiny-suite-curves.png").stat().st_size > 1000
    # The project README's section is the same table, from the same runs.
    assert row in docs.official_results(out)
    assert "leaderboard/site/figures/official-tiny-suite-curves.png" in docs.official_results(out)


def test_the_time_left_weighs_each_run_by_its_cost():
    from embodied_bench.cli.common import TimeLeft

    # Three runs: 90 and 10 expected, the third unknown (the mean, 50): 150 in all.
    left = TimeLeft(3, {"cem-sim": 90.0, "random": 10.0})
    left.finished("cem-sim", complete=True)
    assert left.seconds(100.0) == pytest.approx(100.0 / 90 * 60)  # 60 left at 90 per 100 s
    left.finished("random", complete=True)
    assert left.seconds(200.0) == pytest.approx(200.0 / 100 * 50)
    left.finished("new", complete=True)
    assert left.seconds(300.0) == 0.0
    # A run that failed fast tells nothing of the rate: until one completes, runs count alike.
    failing = TimeLeft(3, {"cem-sim": 90.0, "random": 10.0})
    failing.finished("cem-sim", complete=False)
    assert failing.seconds(1.0) == pytest.approx(2.0)
    failing.finished("random", complete=True)
    assert failing.seconds(11.0) == pytest.approx(11.0 / 10 * 50)
    # Without costs every run counts 1.
    plain = TimeLeft(4, {})
    plain.finished("a", complete=True)
    assert plain.seconds(10.0) == pytest.approx(30.0)
