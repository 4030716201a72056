"""`embodied-bench regress` against the committed reference runs (leaderboard/baselines)."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner
from conftest import ROOT, agent_ref

from embodied_bench import regress as R
from embodied_bench.registry import TASKS
from embodied_bench.results.records import CURVE_COLUMNS
from embodied_bench.cli import main
from embodied_bench.metrics.aggregates import iqm
from embodied_bench.metrics.bootstrap import interval_estimates
from embodied_bench.metrics.tables import check_runs, per_run_table
from embodied_bench.results import load_runs

REFERENCE = ROOT / "leaderboard" / "baselines"
TR = "treat-reach@v1"


def regress(*args: str):
    return CliRunner().invoke(main, ["regress", *args], catch_exceptions=False)


def copy_reference(tmp_path, task: str, agents: tuple[str, ...]):
    ref = tmp_path / "reference"
    for agent in agents:
        shutil.copytree(REFERENCE / task / agent, ref / task / agent)
    return ref


def test_every_reference_run_is_there_complete_and_at_its_ci_budget():
    made = R.read_manifest(REFERENCE)["made"]
    # The CI references only: the official ones beside them (official/) are another protocol.
    frames = load_runs([REFERENCE / task for task in made], statuses=None)
    assert set(frames["status"]) == {"complete"}
    for task in made:
        budget = TASKS.get(task).ci_budget
        # Every baseline its task names has references (and nothing else is there).
        assert set(made[task]) == set(TASKS.get(task).baselines), task
        for agent in made[task]:
            runs = frames[(frames["task"] == task) & (frames["agent"] == agent)]
            assert sorted(runs["seed"].unique()) == list(R.REFERENCE_SEEDS), (task, agent)
            assert set(runs["budget_scale"]) == {budget.budget_scale} and set(runs["eval_episodes"]) == {budget.eval_episodes}
    check_runs(frames)  # a report over the whole folder mixes nothing it must refuse


def test_unchanged_references_pass(tmp_path):
    out = tmp_path / "now"
    result = regress("--agents", "random,scripted", "--tasks", TR, "--seeds", "1", "--jobs", "1", "--reference", str(REFERENCE), "--out", str(out))
    assert result.exit_code == 0, result.output
    assert "pass (exact)" in result.output and "REGRESSION" not in result.output
    data = json.loads((out / "regress.json").read_text())
    assert data["passed"] is True and {r["agent"] for r in data["results"]} == {"random", "scripted"}
    assert all(r["mode"] == "exact" for r in data["results"])


def test_a_perturbed_reference_fails_with_a_readable_diff(tmp_path):
    ref = copy_reference(tmp_path, TR, ("scripted",))
    curve = ref / TR / "scripted" / "seed-0" / "curve.csv"
    frame = pd.read_csv(curve, dtype=str, keep_default_na=False)
    old = frame.at[2, "eval_return"]
    frame.at[2, "eval_return"] = "1.5"
    frame.to_csv(curve, index=False)
    result = regress("--agents", "scripted", "--tasks", TR, "--seeds", "1", "--jobs", "1", "--reference", str(ref), "--json", str(tmp_path / "r.json"))
    assert result.exit_code == 1, result.output
    assert "REGRESSION (exact)" in result.output
    assert f"seed 0: checkpoint 2 (budget {frame.at[2, 'budget_used']}): eval_return 1.5 -> {old}" in result.output
    data = json.loads((tmp_path / "r.json").read_text())
    assert data["passed"] is False and data["results"][0]["verdict"] == "REGRESSION (exact)"


def _edit_record(ref, task: str, agent: str, edit) -> None:
    record = ref / task / agent / "seed-0" / "run.json"
    data = json.loads(record.read_text())
    edit(data)
    record.write_text(json.dumps(data))


def test_a_perturbed_reference_fails_exactly_whatever_optional_packages_are_installed(tmp_path):
    """random and scripted never import torch: a reference made with torch and
    Stable-Baselines3 installed is still compared exactly where neither is (and the other
    way round), so a changed number is caught either way."""
    ref = copy_reference(tmp_path, TR, ("random", "scripted"))
    for agent, optional in (("random", {"torch": None, "stable-baselines3": None}), ("scripted", {"torch": "0.0.1", "stable-baselines3": "0.0.1"})):
        _edit_record(ref, TR, agent, lambda d, o=optional: d["versions"].update(o))
    curve = ref / TR / "random" / "seed-0" / "curve.csv"
    frame = pd.read_csv(curve, dtype=str, keep_default_na=False)
    frame.at[1, "eval_length"] = "3.5"
    frame.to_csv(curve, index=False)
    result = regress("--agents", "random,scripted", "--tasks", TR, "--seeds", "1", "--jobs", "1", "--reference", str(ref), "--out", str(tmp_path / "now"))
    assert result.exit_code == 1, result.output
    assert "REGRESSION (exact)" in result.output and "pass (exact)" in result.output
    assert "torch" not in result.output and "statistical" not in result.output


def test_version_changes_name_only_what_the_agent_depends_on():
    base = {"versions": {"python": "3.11.7", "numpy": "2.0", "gymnasium": "1.2", "mujoco": "4.0.0", "pybullet": "3.2.7", "torch": "2.13.0"}, "host": {"machine": "x86_64"}}
    without_torch = json.loads(json.dumps(base))
    without_torch["versions"]["torch"] = None
    assert R.version_changes(base, without_torch) == []
    declared = json.loads(json.dumps(base))
    declared["agent"] = {"requires": ["torch"]}
    assert R.version_changes(declared, without_torch) == ["torch 2.13.0 -> None"]
    moved = json.loads(json.dumps(base))
    moved["versions"]["numpy"], moved["host"]["machine"] = "2.1", "aarch64"
    assert R.version_changes(base, moved) == ["numpy 2.0 -> 2.1", "machine x86_64 -> aarch64"]
    # The processor's vendor and SIMD level move a simulation's last digits too; its model does not.
    amd = json.loads(json.dumps(base))
    amd["host"]["cpu"] = {"vendor": "AuthenticAMD", "model": "AMD EPYC", "simd": "X86_V3"}
    intel = json.loads(json.dumps(amd))
    intel["host"]["cpu"] = {"vendor": "GenuineIntel", "model": "Xeon", "simd": "X86_V4"}
    assert R.version_changes(amd, intel) == ["cpu vendor AuthenticAMD -> GenuineIntel", "cpu simd X86_V3 -> X86_V4"]
    renamed = json.loads(json.dumps(amd))
    renamed["host"]["cpu"]["model"] = "AMD EPYC 9654"
    assert R.version_changes(amd, renamed) == []
    assert R.version_changes(base, amd) == ["cpu vendor unrecorded -> AuthenticAMD", "cpu simd unrecorded -> X86_V3"]


@pytest.mark.parametrize(
    ("edit", "field"),
    [
        (lambda d: d.pop("versions"), "field versions is missing"),
        (lambda d: d["versions"].pop("numpy"), "field versions.numpy is missing"),
        (lambda d: d["versions"].update(mujoco=4), "field versions.mujoco is 4, not a version"),
        (lambda d: d["host"].pop("machine"), "field host.machine is missing or malformed"),
        (lambda d: d["agent"].update(requires="torch"), "field agent.requires is 'torch'"),
    ],
)
def test_a_reference_with_missing_or_malformed_versions_is_one_line_and_exit_2(tmp_path, edit, field):
    ref = copy_reference(tmp_path, TR, ("random",))
    _edit_record(ref, TR, "random", edit)
    result = regress("--agents", "random", "--tasks", TR, "--seeds", "1", "--jobs", "1", "--reference", str(ref), "--out", str(tmp_path / "now"))
    assert result.exit_code == 2, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and field in lines[0] and "random/seed-0/run.json" in lines[0]
    assert not (tmp_path / "now").exists()  # refused before anything ran


def test_other_library_versions_fall_back_to_the_statistical_comparison_and_say_so(tmp_path):
    ref = copy_reference(tmp_path, TR, ("random",))
    record = ref / TR / "random" / "seed-0" / "run.json"
    data = json.loads(record.read_text())
    data["versions"]["mujoco"] = "3.0.0"
    record.write_text(json.dumps(data))
    result = regress("--agents", "random", "--tasks", TR, "--seeds", "1", "--jobs", "1", "--reference", str(ref), "--out", str(tmp_path / "now"))
    assert result.exit_code == 0, result.output
    assert "pass (statistical)" in result.output
    assert "versions differ: mujoco 3.0.0 -> " in result.output


def test_statistical_comparison_passes_the_same_runs_and_fails_a_shifted_set():
    reference = np.array([0.50, 0.55, 0.45, 0.52, 0.48])
    same = R.compare_statistical("a", "t", reference, reference.copy(), reps=2000)
    assert same.passed and same.mode == "statistical"
    assert same.numbers["p_interval"][0] <= 0.5 <= same.numbers["p_interval"][1]
    worse = R.compare_statistical("a", "t", reference, reference - 0.3, reps=2000)
    assert not worse.passed
    assert "outside the reference interval" in worse.detail and "excludes 0.5" in worse.detail


def test_curve_diff_reports_a_changed_number_of_checkpoints():
    a = pd.DataFrame({c: ["0", "1"] for c in CURVE_COLUMNS})
    assert R.curve_diff(a, a.iloc[:1]) == ["2 checkpoints in the reference, 1 now"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--agents", "nobody"), "--agents: nobody is neither a baseline with references"),
        (("--tasks", "moon-landing"), "--tasks: unknown task 'moon-landing'"),
        (("--ci-subset", "--agents", "random"), "--ci-subset chooses the agents; leave out --agents"),
        (("--agents", "no_file.py:Agent"), "--agent no_file.py:Agent"),
        (("--agents", "oneshot-nn", "--tasks", "treat-reach"), "no reference runs for agents oneshot-nn on tasks treat-reach"),
        (("--reference", "no/such/folder"), "--reference no/such/folder: no such folder"),
    ],
)
def test_bad_selections_get_one_line_and_exit_code_2(args, message):
    result = regress(*args)
    assert result.exit_code == 2
    assert message in result.output and len(result.output.strip().splitlines()) == 1


def _auc_interval(task: str, agent: str, metric: str = "auc") -> tuple[float, float]:
    runs = per_run_table(load_runs([REFERENCE / TASKS.canonical(task) / agent]))
    auc = runs.sort_values("seed")[metric].to_numpy(float).reshape(-1, 1)
    _, intervals = interval_estimates({agent: auc}, iqm, reps=5000, seed=0)
    return float(intervals[agent][0]), float(intervals[agent][1])


@pytest.mark.parametrize(
    ("task", "agent", "metric"),
    [
        ("treat-reach@v0", "cem-learned", "auc"),
        ("treat-reach@v0", "ppo", "auc"),
        ("treat-reach@v0", "sac", "auc"),
        # v1 ranks by the graded score; cem-learned does not separate from random on it at
        # the CI budget (its interval overlaps random's), so it is not claimed here.
        ("treat-reach@v1", "ppo", "score_auc"),
        ("treat-reach@v1", "sac", "score_auc"),
    ],
)
def test_learning_baselines_beat_random_on_treat_reach_at_the_ci_budget(task, agent, metric):
    """The learning sanity check, on the committed references (which `regress` keeps
    honest): the 95% intervals of IQM normalised AUC (of success, or of the graded score
    a v1 suite ranks by) do not overlap."""
    low, _ = _auc_interval(task, agent, metric)
    _, random_high = _auc_interval(task, "random", metric)
    assert low > random_high


@pytest.mark.parametrize(("task", "metric"), [("cat-climb-skill@v0", "auc"), ("cat-climb-skill@v1", "score_auc")])
def test_cem_sim_beats_random_on_cat_climb_skill(task, metric):
    low, _ = _auc_interval(task, "cem-sim", metric)
    _, random_high = _auc_interval(task, "random", metric)
    assert low > random_high


def test_your_own_agent_gets_references_and_is_checked_against_them(tmp_path):


    ref = tmp_path / "my-references"
    agent = agent_ref("CountingAgent")
    made = regress("--update", "--agents", agent, "--tasks", TR, "--seeds", "1", "--jobs", "1", "--reference", str(ref))
    assert made.exit_code == 0, made.output
    manifest = json.loads((ref / "manifest.json").read_text())
    assert manifest["made"] == {TR: {"CountingAgent": agent}} and manifest["seeds"] == [0]
    # Without --agents the manifest says what to rerun, and on which seeds.
    again = regress("--reference", str(ref), "--jobs", "1", "--out", str(tmp_path / "now"))
    assert again.exit_code == 0, again.output
    assert "CountingAgent  treat-reach" in again.output and "pass (statistical)" in again.output


def test_a_missing_reference_is_reported_as_such(tmp_path):
    ref = tmp_path / "empty"
    ref.mkdir()
    result = regress("--agents", "random", "--tasks", TR, "--seeds", "1", "--jobs", "1", "--reference", str(ref), "--out", str(tmp_path / "now"))
    assert result.exit_code == 1
    assert "NO REFERENCE" in result.output and "run `embodied-bench regress --update`" in result.output


def test_the_ci_subset_runs_planners_on_the_newest_versions_and_the_cheap_baselines_on_all():
    made = {t: {a: a for a in TASKS.get(t).baselines} for t in TASKS.names()}
    pairs = R.ci_pairs(None, made)
    for task, agent, _ in pairs:
        assert agent in (R.CI_SUBSET if TASKS.is_newest(task) else R.CI_SUBSET_OLD), (task, agent)
    assert {(t, a) for t, a, _ in pairs} == {(t, a) for t in TASKS.names() for a in TASKS.get(t).baselines if a in (R.CI_SUBSET if TASKS.is_newest(t) else R.CI_SUBSET_OLD)}
    assert ("cat-climb-skill@v1", "cem-sim") in {(t, a) for t, a, _ in pairs} and ("cat-climb-skill@v0", "cem-sim") not in {(t, a) for t, a, _ in pairs}
