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
from scipy.stats import trim_mean

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
    assert set(agg["scope_kind"]) == {"task", "all"}
    common = agg[agg["scope_kind"] == "all"]
    assert len(common) == 2 * len(tables.SCORE_METRICS) and set(common["tasks"]) == {6} and set(common["runs"]) == {18}
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
    folder = runs["agent"] + "/seed-" + runs["seed"].astype(str)
    twice = pd.concat([runs.assign(run_dir=folder), runs.assign(run_dir="copy/" + folder)])
    with pytest.raises(tables.MixedRunsError, match="given 2 times"):
        tables.check_runs(twice)
    short = runs[~((runs["seed"] == 2) & (runs["budget_used"] == 2_000_000))]
    with pytest.raises(tables.MixedRunsError, match="different checkpoint grids"):
        tables.check_runs(short)


def _per_run(scores: dict[str, list[list[float]]], privileged: tuple[str, ...] = ()) -> pd.DataFrame:
    """A per-run table from {agent: [[score per run] per task]} (AUC = final success, and
    the graded score the same)."""
    rows = []
    for agent, by_task in scores.items():
        for t, runs in enumerate(by_task):
            for seed, x in enumerate(runs):
                rows.append({"task": f"t{t}", "agent": agent, "seed": seed, "auc": x, "final_success": x, "score_auc": x, "final_score": x, "privileged": agent in privileged})
    return pd.DataFrame(rows)


def test_compare_verdicts_never_claim_more_than_the_interval():
    # Published curves, 3 seeds: TD-MPC2 wins every pair, yet 3 runs are too few to call it.
    per_run = tables.per_run_table(tables.check_runs(tdmpc2_runs())[0])
    few = compare_agents(per_run, "tdmpc2", "sac", reps=2_000)
    assert few.p_auc_ci[0] > 0.5 and few.min_runs == 3
    assert few.verdict().startswith("Not conclusive: P(tdmpc2 > sac)") and "with 3 runs on some task" in few.verdict()

    clear = _per_run({"a": [[0.6, 0.7, 0.8, 0.9, 0.65], [0.5, 0.6, 0.7, 0.8, 0.9]], "b": [[0.1, 0.2, 0.3, 0.4, 0.62], [0.1, 0.2, 0.3, 0.4, 0.5]]})
    ab = compare_agents(clear, "a", "b", reps=2_000)
    assert ab.p_auc == pytest.approx((24 / 25 + 24.5 / 25) / 2)  # one loss on t0, one tie on t1
    assert ab.verdict().startswith("a is significantly more sample-efficient than b on 2 tasks (10 vs 10 runs)")
    ba = compare_agents(clear, "b", "a", reps=2_000)
    assert ba.verdict().startswith("a is significantly more sample-efficient than b")
    # B vs A is the exact mirror of A vs B: same draws, whichever is named first.
    assert ba.p_auc == 1 - ab.p_auc and ba.p_auc_ci == (1 - ab.p_auc_ci[1], 1 - ab.p_auc_ci[0])
    assert ba.iqm_auc_diff == -ab.iqm_auc_diff and ba.iqm_auc_diff_ci == (-ab.iqm_auc_diff_ci[1], -ab.iqm_auc_diff_ci[0])
    assert ab.iqm_auc_diff_ci[0] < ab.iqm_auc_diff < ab.iqm_auc_diff_ci[1]

    same = pd.concat([clear[clear["agent"] == "b"], clear[clear["agent"] == "b"].assign(agent="b-again")])
    tie = compare_agents(same, "b", "b-again", reps=2_000)
    assert tie.p_auc == 0.5 and tie.p_auc_ci[0] < 0.5 < tie.p_auc_ci[1]
    assert tie.verdict().startswith("No significant difference") and "does not show that they are equal" in tie.verdict()

    oracle = compare_agents(_per_run({"a": [[1.0] * 5], "ref": [[0.0] * 5]}, privileged=("ref",)), "a", "ref", reps=500)
    assert oracle.verdict().endswith("(ref: privileged reference, not a competitor)")


def test_scopes_cover_what_each_agent_ran():
    from embodied_bench.report.build import headline_scope

    per_run = _per_run({"a": [[0.1] * 5, [0.2] * 5, [0.3] * 5], "b": [[0.4] * 5, [0.5] * 5, [0.6] * 5], "c": [[0.7] * 5, [0.8] * 5]})
    found = {s: (kind, tasks) for s, kind, tasks in tables.scopes(per_run, {"s01": ("t0", "t1"), "s9": ("t9",)})}
    assert found["all tasks"] == ("all", ("t0", "t1", "t2")) and found["s01"] == ("suite", ("t0", "t1"))
    assert found["tasks every agent ran"] == ("common", ("t0", "t1")) and "s9" not in found
    agg = tables.aggregate_table(per_run, {"s01": ("t0", "t1")}, reps=200)
    assert sorted(agg.loc[agg["scope"] == "all tasks", "agent"].unique()) == ["a", "b"]  # c skipped t2
    assert sorted(agg.loc[agg["scope"] == "s01", "agent"].unique()) == ["a", "b", "c"]
    assert headline_scope(agg) == "all tasks"
    alone = per_run[per_run["agent"] == "a"]  # one agent: still all its tasks, not a suite
    assert headline_scope(tables.aggregate_table(alone, {"s01": ("t0", "t1")}, reps=100)) == "all tasks"
    row = agg[(agg["scope"] == "all tasks") & (agg["agent"] == "b") & (agg["metric"] == "auc")].iloc[0]
    assert row["runs"] == 15 and row["tasks"] == 3 and row["mean"] == pytest.approx(0.5)


def test_one_or_two_runs_are_never_significant():
    for runs in (1, 2):
        per_run = _per_run({"a": [[0.9] * runs], "b": [[0.1] * runs]})
        c = compare_agents(per_run, "a", "b", reps=1_000)
        assert c.p_auc == 1.0 and c.verdict().startswith("Not conclusive")
        table = tables.improvement_table(per_run, reps=1_000)
        assert set(table["min_runs"]) == {runs}


def test_improvement_table_mirrors_pairs_and_orders_its_intervals():
    per_run = _per_run({"a": [[0.2, 0.5, 0.9, 0.4, 0.6]], "b": [[0.3, 0.1, 0.8, 0.7, 0.2]], "c": [[0.5] * 5]})
    table = tables.improvement_table(per_run, reps=2_000).set_index(["a", "b"])
    assert len(table) == 6
    assert (table["p_lo"] <= table["p"]).all() and (table["p"] <= table["p_hi"]).all()
    for x, y in (("a", "b"), ("a", "c"), ("b", "c")):
        assert table.loc[(x, y), "p"] + table.loc[(y, x), "p"] == pytest.approx(1.0)
        assert table.loc[(y, x), "p_lo"] == pytest.approx(1 - table.loc[(x, y), "p_hi"])
    assert table.loc[("a", "b"), "p"] == pytest.approx(15.5 / 25)  # counted by hand: 15 wins, 1 tie
    # The report and compare agree on the same pair.
    c = compare_agents(per_run, "b", "a", reps=2_000)
    assert c.p_auc_ci == pytest.approx((table.loc[("b", "a"), "p_lo"], table.loc[("b", "a"), "p_hi"]))


def test_per_run_table_by_hand():
    curve = pd.DataFrame(
        {
            "task": "t",
            "agent": "x",
            "seed": 0,
            "budget_used": [0, 10, 20, 30],
            "eval_success": [0.25, 0.4, 0.9, 1.0],
            "train_cost": [0.0, 2.0, 3.0, 6.0],
            "env_steps": [0, 10, 20, 30],
            "eval_cost": [0.5, 0.3, 0.2, 0.05],
            "threshold": 0.8,
            "cost_limit": 0.1,
            "one_shot": True,
        }
    )
    row = tables.per_run_table(tables.check_runs(curve)[0]).iloc[0]
    assert row["final_success"] == 1.0 and row["first_attempt_success"] == 0.25
    assert row["steps_to_threshold"] == 20 and row["threshold_crossing"] == pytest.approx(18.0) and row["reached_threshold"]
    assert row["train_cost"] == 6.0 and row["cost_rate"] == pytest.approx(6.0 / 30)
    assert row["final_eval_cost"] == 0.05 and bool(row["within_cost_limit"])
    assert row["auc"] == pytest.approx((0.5 * (0.25 + 0.4) + 0.5 * (0.4 + 0.9) + 0.5 * (0.9 + 1.0)) / 3)
    worse = tables.per_run_table(tables.check_runs(curve.assign(eval_cost=0.2, one_shot=False))[0]).iloc[0]
    assert worse["within_cost_limit"] in (False,) and np.isnan(worse["first_attempt_success"])


def test_threshold_table_counts_censored_runs_as_never():
    def runs(reached: int, total: int) -> pd.DataFrame:
        crossing = [10.0 * (k + 1) for k in range(total)]
        return pd.DataFrame({"task": "t", "agent": "x", "privileged": False, "threshold": 0.8, "budget": 100, "budget_unit": "steps", "animal_budget": 5, "reached_threshold": [k < reached for k in range(total)], "threshold_crossing": [c if k < reached else 100.0 for k, c in enumerate(crossing)]})

    three = tables.threshold_table(runs(3, 5)).iloc[0]
    assert three["reached"] == 3 and three["median_steps_to_threshold"] == 30.0  # 10, 20, 30, never, never
    two = tables.threshold_table(runs(2, 5)).iloc[0]
    assert two["reached"] == 2 and np.isnan(two["median_steps_to_threshold"])  # not half: no median


def test_curve_table_is_the_iqm_at_each_checkpoint():
    runs = tdmpc2_runs(("finger-spin",))
    checked, _ = tables.check_runs(runs)
    bands = tables.curve_table(checked, reps=200)
    mine = bands[bands["agent"] == "sac"].set_index("step")
    wide = runs[runs["agent"] == "sac"].pivot_table(index="seed", columns="budget_used", values="eval_success")
    for step in (0, 1_000_000, 4_000_000):
        assert mine.loc[step, "iqm"] == pytest.approx(trim_mean(wide[step], 0.25))
        assert mine.loc[step, "lo"] <= mine.loc[step, "iqm"] <= mine.loc[step, "hi"]


def test_malformed_runs_are_refused_in_one_line():
    runs = tdmpc2_runs(("cup-catch",))
    budgets = runs.assign(budget=np.where(runs["seed"] == 1, 2_000_000, 4_000_000))
    with pytest.raises(tables.MixedRunsError, match="mix budgets"):
        tables.check_runs(budgets)
    blank = runs.astype({"eval_success": object})
    blank.loc[5, "eval_success"] = "abc"
    with pytest.raises(tables.MixedRunsError, match="eval_success holds a value that is not a finite number"):
        tables.check_runs(blank)
    with pytest.raises(tables.MixedRunsError, match="its curve has 1 checkpoint"):
        tables.check_runs(runs[runs["budget_used"] == 0])
    # Row order does not matter: a shuffled frame is the same runs.
    shuffled, _ = tables.check_runs(runs.sample(frac=1, random_state=0))
    pd.testing.assert_frame_equal(tables.per_run_table(shuffled), tables.per_run_table(tables.check_runs(runs)[0]))


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
    assert "scripted †" in md and "| treat-reach@v1 | 1 | random | 5 |" in md  # privileged marked; provenance
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
    assert not (tmp_path / "rep").exists()
    # Two versions of a task are two tasks: never pooled, each named with its version.
    record = copy / "treat-reach@v1" / "random" / "seed-0" / "run.json"
    data = json.loads(record.read_text())
    data["task"]["version"] = data["task"]["spec"]["version"] = 0
    record.write_text(json.dumps(data))
    r = invoke("report", copy / "treat-reach@v1" / "random", "--out", tmp_path / "rep", "--reps", "500", "--band-reps", "200", "--no-svg")
    assert r.exit_code == 0, r.output
    per_run = pd.read_csv(tmp_path / "rep" / "per_run.csv")
    assert per_run.groupby("task").size().to_dict() == {"treat-reach@v0": 1, "treat-reach@v1": 4}


@pytest.mark.slow
def test_compare_command(real_runs, tmp_path):
    r = invoke("compare", "scripted", "random", "--runs", real_runs, "--out", tmp_path / "cmp", "--reps", "2000")
    assert r.exit_code == 0, r.output
    assert "scripted is significantly more sample-efficient than random on 1 task (5 vs 5 runs)" in r.output
    _not_blank(tmp_path / "cmp" / "learning-curves.png")
    # Two folders, one agent each.
    r = invoke("compare", real_runs / "treat-reach@v1" / "random", real_runs / "treat-reach@v1" / "scripted", "--out", tmp_path / "cmp2", "--reps", "2000")
    assert r.exit_code == 0, r.output
    assert "scripted is significantly more sample-efficient than random" in r.output
    r = invoke("compare", real_runs, real_runs / "treat-reach@v1" / "random", "--out", tmp_path / "cmp3")
    assert r.exit_code == 2 and "holds runs of several agents" in r.output
    r = invoke("compare", "scripted", "oneshot-nn", "--runs", real_runs)
    assert r.exit_code == 2 and "agent oneshot-nn has no complete runs" in r.output
    folder = real_runs / "treat-reach@v1" / "random"
    r = invoke("compare", folder, f"{folder}/", "--out", tmp_path / "cmp4")
    assert r.exit_code == 2 and "the same folder" in r.output
    r = invoke("compare", real_runs / "treat-reach@v1", folder, "--out", tmp_path / "cmp5")
    assert r.exit_code == 2 and "several agents" in r.output


@pytest.mark.slow
def test_report_replaces_its_own_files_and_refuses_broken_records(real_runs, tmp_path):
    rep = tmp_path / "rep"
    assert invoke("report", real_runs, "--out", rep, "--reps", "500", "--band-reps", "200").exit_code == 0
    assert (rep / "figures" / "aggregates.svg").exists()
    assert invoke("report", real_runs / "treat-reach@v1" / "random", "--out", rep, "--reps", "500", "--band-reps", "200", "--no-svg").exit_code == 0
    assert not list((rep / "figures").glob("*.svg"))  # no stale figure of the earlier report
    assert not (rep / "figures" / "probability-of-improvement.png").exists()  # one agent: no pairs
    assert "in `figures/` as PNG." in (rep / "report.md").read_text()
    unwritable = tmp_path / "file"
    unwritable.write_text("")
    r = invoke("report", real_runs, "--out", unwritable / "sub", "--reps", "500")
    assert r.exit_code == 2 and "cannot write the report there" in r.output
    broken = tmp_path / "broken"
    shutil.copytree(real_runs / "treat-reach@v1" / "random", broken)
    (broken / "seed-3" / "curve.csv").unlink()
    r = invoke("report", broken, "--out", tmp_path / "rep2")
    assert r.exit_code == 2 and "missing from a complete run" in r.output and len(r.output.strip().splitlines()) == 1


def test_a_legend_of_long_labels_stays_inside_its_figure():
    # The leaderboard labels its baselines "cem-learned-frozen (official reference)": four
    # such entries in one row overran a two-panel figure at both edges.
    from embodied_bench.report import figures

    agents = {"cem-learned": False, "cem-learned-frozen": False, "random": False, "scripted": True}
    styles = figures.agent_styles(agents)
    for name, st in styles.items():
        st["label"] = f"{st['label']} (official reference)"
    rows = [{"task": t, "agent": a, "step": b, "iqm": 0.5, "lo": 0.4, "hi": 0.6, "budget_unit": "steps"} for t in ("a@v1", "b@v1") for a in agents for b in (0, 10)]
    fig = figures.learning_curves(pd.DataFrame(rows), styles)
    fig.canvas.draw()
    (legend,) = fig.legends
    box, page = legend.get_window_extent(), fig.bbox
    assert box.x0 >= page.x0 and box.x1 <= page.x1, (box, page)
    assert [t.get_text() for t in legend.get_texts()] == [styles[a]["label"] for a in sorted(agents)]
