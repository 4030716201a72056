"""Reports and comparisons: over published curves this project did not produce (TD-MPC2
and SAC on DeepMind Control), and over real runs made by the real command."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner
from conftest import tdmpc2_runs
from matplotlib.image import imread

from embodied_bench.cli import main
from embodied_bench.metrics import normalized_auc, tables
from embodied_bench.metrics.compare import compare_agents
from embodied_bench.report import ReportOptions, build_report

FAST = ReportOptions(reps=2_000, band_reps=300)
FIGURES = ("learning-curves", "aggregates", "performance-profile", "probability-of-improvement")


def invoke(*args: str):
    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)


@pytest.fixture(scope="module")
def tdmpc2_report(tmp_path_factory):
    out = tmp_path_factory.mktemp("tdmpc2-report")
    return build_report(tdmpc2_runs(), out, FAST), out


def _not_blank(png: Path) -> None:
    img = imread(png)
    assert img.ndim == 3 and img.shape[0] > 200 and img.shape[1] > 200
    ink = (img[..., :3] < 0.9).any(axis=-1).mean()
    assert 0.01 < ink < 0.9, f"{png.name}: {ink:.3f} of the pixels are drawn"


def test_report_over_published_curves_writes_every_file(tdmpc2_report):
    result, out = tdmpc2_report
    for name in ("per_run.csv", "aggregates.csv", "probability_of_improvement.csv", "steps_to_threshold.csv", "report.md", "report.html"):
        assert (out / name).stat().st_size > 0, name
    for name in FIGURES:
        _not_blank(out / "figures" / f"{name}.png")
        assert (out / "figures" / f"{name}.svg").read_text().startswith("<?xml")
    assert not (out / "figures" / "cost-training.png").exists()  # the published curves carry no cost
    md = (out / "report.md").read_text()
    for name in FIGURES:
        assert f"(figures/{name}.png)" in md
    page = (out / "report.html").read_text()
    assert page.count('<img src="data:image/png;base64,') == len(FIGURES)
    assert "http://" not in page and "https://" not in page  # nothing to fetch
    # Three seeds per task: the report warns that its intervals under-cover.
    assert any("fewer than 5 runs" in w for w in result.warnings) and "fewer than 5 runs" in md


def test_per_run_values_follow_the_curves(tdmpc2_report):
    result, _ = tdmpc2_report
    per_run = result.per_run
    assert len(per_run) == 2 * 6 * 3
    raw = pd.read_csv(Path(__file__).parent / "data" / "tdmpc2_dmc" / "tdmpc2" / "walker-walk.csv")
    seed1 = raw[raw["seed"] == 1].sort_values("step")
    row = per_run[(per_run["agent"] == "tdmpc2") & (per_run["task"] == "walker-walk") & (per_run["seed"] == 1)].iloc[0]
    assert row["final_success"] == seed1["reward"].iloc[-1] / 1000
    assert row["auc"] == pytest.approx(float(normalized_auc(seed1["step"], seed1["reward"] / 1000)))
    above = seed1[seed1["reward"] / 1000 >= 0.8]
    assert row["reached_threshold"] and row["steps_to_threshold"] == above["step"].iloc[0]
    assert np.isnan(row["first_attempt_success"])  # not a one-shot task


def test_aggregates_have_intervals_around_points_and_tdmpc2_wins(tdmpc2_report):
    result, out = tdmpc2_report
    agg = pd.read_csv(out / "aggregates.csv")
    assert set(agg["scope_kind"]) == {"task", "common"}
    common = agg[agg["scope_kind"] == "common"]
    assert len(common) == 4 and set(common["tasks"]) == {6} and set(common["runs"]) == {18}
    for a in ("iqm", "median", "mean", "optimality_gap"):
        assert (agg[f"{a}_lo"] <= agg[a] + 1e-12).all() and (agg[a] <= agg[f"{a}_hi"] + 1e-12).all()
    # The published finding, recovered: TD-MPC2 learns these tasks sooner than SAC.
    poi = pd.read_csv(out / "probability_of_improvement.csv").set_index(["a", "b"])
    assert poi.loc[("tdmpc2", "sac"), "p_lo"] > 0.5
    assert poi.loc[("sac", "tdmpc2"), "p"] == pytest.approx(1 - poi.loc[("tdmpc2", "sac"), "p"])


def test_same_runs_and_seed_give_identical_files(tmp_path):
    runs = tdmpc2_runs(("cup-catch", "finger-spin"))
    build_report(runs, tmp_path / "a", FAST)
    build_report(runs, tmp_path / "b", FAST)
    files = sorted(p.relative_to(tmp_path / "a") for p in (tmp_path / "a").rglob("*") if p.is_file())
    assert len(files) > 10
    for f in files:
        assert (tmp_path / "a" / f).read_bytes() == (tmp_path / "b" / f).read_bytes(), f


def test_mixed_task_versions_and_duplicates_are_refused():
    runs = tdmpc2_runs(("cup-catch",))
    mixed = runs.assign(task_version=np.where(runs["seed"] == 1, 1, 0))
    with pytest.raises(tables.MixedRunsError, match="mix task versions 0, 1"):
        tables.check_runs(mixed)
    twice = pd.concat([runs, runs.assign(run_dir=lambda d: "copy/" + d["seed"].astype(str))])
    twice["run_dir"] = twice["run_dir"].fillna("orig/" + twice["seed"].astype(str))
    with pytest.raises(tables.MixedRunsError, match="given 2 times"):
        tables.check_runs(twice)
    short = runs[~((runs["seed"] == 2) & (runs["budget_used"] == 2_000_000))]
    with pytest.raises(tables.MixedRunsError, match="different checkpoint grids"):
        tables.check_runs(short)


def test_compare_verdicts_never_claim_more_than_the_interval():
    per_run = tables.per_run_table(tables.check_runs(tdmpc2_runs())[0])
    better = compare_agents(per_run, "tdmpc2", "sac", reps=2_000)
    assert better.p_auc_ci[0] > 0.5 and better.verdict().startswith("tdmpc2 is significantly more sample-efficient than sac on 6 tasks")
    worse = compare_agents(per_run, "sac", "tdmpc2", reps=2_000)
    assert worse.verdict().startswith("tdmpc2 is significantly more sample-efficient than sac")
    sac = per_run[per_run["agent"] == "sac"]
    same = pd.concat([sac, sac.assign(agent="sac-again")])  # the same runs under two names
    tie = compare_agents(same, "sac", "sac-again", reps=2_000)
    assert tie.p_auc == 0.5 and tie.p_auc_ci[0] < 0.5 < tie.p_auc_ci[1]
    assert tie.verdict().startswith("No significant difference") and "does not show that they are equal" in tie.verdict()


# --- the real commands over real runs -------------------------------------------------


@pytest.fixture(scope="module")
def real_runs(tmp_path_factory):
    out = tmp_path_factory.mktemp("runs")
    result = invoke("run", "--agent", "random", "--agent", "scripted", "--task", "treat-reach", "--seeds", "5", "--budget-scale", "0.002", "--out", out, "--jobs", "2")
    assert result.exit_code == 0, result.output
    return out


@pytest.mark.slow
def test_report_command_over_real_runs(real_runs, tmp_path):
    result = invoke("report", real_runs, "--out", tmp_path / "rep", "--reps", "2000", "--band-reps", "300")
    assert result.exit_code == 0, result.output
    assert "report on 10 runs written to" in result.output
    rep = tmp_path / "rep"
    per_run = pd.read_csv(rep / "per_run.csv")
    assert sorted(per_run["agent"].unique()) == ["random", "scripted"] and len(per_run) == 10
    assert (per_run.loc[per_run["agent"] == "scripted", "final_success"] == 1.0).all()
    for name in (*FIGURES, "cost-training", "cost-evaluation"):
        _not_blank(rep / "figures" / f"{name}.png")
    md = (rep / "report.md").read_text()
    assert "scripted †" in md and "| treat-reach | 0 | random | 5 |" in md  # privileged marked; provenance
    assert "fewer than 5 runs" not in result.output


@pytest.mark.slow
def test_report_command_refuses_bad_input(real_runs, tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    r = invoke("report", empty, "--out", tmp_path / "rep")
    assert r.exit_code == 2 and "no complete runs below" in r.output and len(r.output.strip().splitlines()) == 1
    copy = tmp_path / "copy"
    shutil.copytree(real_runs, copy)
    r = invoke("report", real_runs, copy, "--out", tmp_path / "rep")
    assert r.exit_code == 2 and "is given 2 times" in r.output
    record = copy / "treat-reach" / "random" / "seed-0" / "run.json"
    data = json.loads(record.read_text())
    data["task"]["version"] = 1
    record.write_text(json.dumps(data))
    r = invoke("report", copy / "treat-reach" / "random", "--out", tmp_path / "rep")
    assert r.exit_code == 2 and "mix task versions 0, 1" in r.output and "Traceback" not in r.output
    assert not (tmp_path / "rep").exists()


@pytest.mark.slow
def test_compare_command(real_runs, tmp_path):
    r = invoke("compare", "scripted", "random", "--runs", real_runs, "--out", tmp_path / "cmp", "--reps", "2000")
    assert r.exit_code == 0, r.output
    assert "scripted is significantly more sample-efficient than random on 1 task (5 vs 5 runs)" in r.output
    _not_blank(tmp_path / "cmp" / "learning-curves.png")
    # Two folders, one agent each.
    r = invoke("compare", real_runs / "treat-reach" / "random", real_runs / "treat-reach" / "scripted", "--out", tmp_path / "cmp2", "--reps", "2000")
    assert r.exit_code == 0, r.output
    assert "scripted is significantly more sample-efficient than random" in r.output
    r = invoke("compare", real_runs, real_runs / "treat-reach" / "random", "--out", tmp_path / "cmp3")
    assert r.exit_code == 2 and "holds runs of several agents" in r.output
    r = invoke("compare", "scripted", "oneshot-nn", "--runs", real_runs)
    assert r.exit_code == 2 and "agent oneshot-nn has no complete runs" in r.output
