"""Adapt variants: the world changes inside the budget. The protocol's checks, the
harness's phases (training env, evaluations, records) and the continual metrics read back
from the records, on vectors worked out by hand."""

from __future__ import annotations

import contextlib
import dataclasses
import json

import numpy as np
import pandas as pd
import pytest

from embodied_bench import registry
from embodied_bench.api import Phase, WorldChange
from embodied_bench.harness.runner import Job, run_one
from embodied_bench.metrics import adaptation as A
from embodied_bench.registry import TASKS, RegistryError

BASE = "treat-reach@v1"
WEAK = WorldChange("weak-test", 0, "a weaker mouse", {"max_force": 0.03})
DAMP = WorldChange("damp-test", 0, "a stickier floor", {"damping": 0.3})


def _spec(budget=1_200, every=100, phases=(("", 0), ("weak-test@v0", 400), ("damp-test@v0", 800)), **kw):
    base = dataclasses.replace(TASKS.get(BASE), changes=(WEAK, DAMP))
    return dataclasses.replace(base.spec, id="treat-reach-adapt-test", protocol="adapt", budget=budget, eval_every=every, phases=registry.adapt_phases(base, phases), **kw)


@pytest.fixture
def adapt_task():
    """An adapt variant of treat-reach with two test changes, registered for the test."""
    spec = _spec(budget=600, every=100, phases=(("", 0), ("weak-test@v0", 200), ("damp-test@v0", 400)), eval_episodes=2)
    base = TASKS.get(BASE)
    TASKS.add(dataclasses.replace(base, spec=spec, changes=(WEAK, DAMP)))
    yield spec
    TASKS.unregister(spec.name)


# -- the protocol's checks ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("phases", "message"),
    [
        ((("", 0), ("weak-test@v0", 1_300)), "outside the budget of 1,200 steps"),
        ((("", 0), ("weak-test@v0", 450)), "not at a checkpoint"),
        ((("", 0), ("weak-test@v0", 800), ("damp-test@v0", 400)), "not after the phase before it"),
        ((("", 100), ("weak-test@v0", 400)), "the first phase begins at 0"),
    ],
)
def test_a_phase_list_that_does_not_fit_is_refused_in_one_line(phases, message):
    with pytest.raises(ValueError, match=message) as err:
        _spec(phases=phases)
    assert "\n" not in str(err.value)


def test_an_unknown_change_is_refused_naming_the_ones_there_are():
    with pytest.raises(RegistryError, match=r"declares no world change 'icy'.*weak-test@v0, damp-test@v0"):
        _spec(phases=(("", 0), ("icy", 400)))


def test_a_change_is_looked_up_by_name_or_id_and_lends_its_keyword_arguments():
    spec = _spec(phases=(("", 0), ("weak-test", 400)))
    assert spec.phases[1] == Phase("weak-test@v0", 400, {"max_force": 0.03})
    with pytest.raises(ValueError, match="sets at least one"):
        WorldChange("nothing", 0, "no change", {})


def test_phases_say_where_training_is_and_which_phase_a_checkpoint_ends():
    spec = _spec()
    assert [spec.phase_at(u) for u in (0, 399, 400, 799, 800, 1_200)] == [0, 0, 1, 1, 2, 2]
    # A checkpoint at a phase's start ends the phase before it: no step was taken in the new world.
    assert [spec.phase_evaluated(p) for p in (0, 400, 500, 800, 900)] == [0, 0, 1, 1, 2]


def test_scaling_keeps_phases_at_the_same_checkpoints_and_the_spec_round_trips():
    spec = _spec()
    assert [p.start for p in spec.scaled(0.5).phases] == [0, 200, 400]
    assert type(spec).from_dict(json.loads(spec.to_json())) == spec


def test_register_adapt_wants_phases_of_equal_length():
    with pytest.raises(RegistryError, match="equal length"):
        registry.register_adapt(BASE, (("", 0), ("", 300)), budget=1_000, eval_every=100)


# -- the harness -----------------------------------------------------------------------------


def _run(spec, agent, tmp_path, seed=0):
    out = run_one(Job(agent, spec, seed, str(tmp_path)))
    assert out.status == "complete", out.error
    return out


def test_every_checkpoint_evaluates_every_world_and_the_curve_is_the_current_ones(adapt_task, tmp_path):
    out = _run(adapt_task, "scripted", tmp_path)
    phases = pd.read_csv(f"{out.folder}/phases.csv", keep_default_na=False)
    curve = pd.read_csv(f"{out.folder}/curve.csv")
    # The same three worlds at each of the 7 checkpoints: the evaluation never tells a
    # change is near. Checkpoints 0-2 end phase 0, 3-4 phase 1, 5-6 phase 2.
    assert phases.groupby("checkpoint")["phase"].apply(list).tolist() == [[0, 1, 2]] * 7
    current = phases[phases["current"] == 1].set_index("checkpoint")
    assert current["phase"].tolist() == [0, 0, 0, 1, 1, 2, 2]
    assert current["eval_length"].tolist() == curve["eval_length"].tolist()
    assert set(phases.loc[phases["phase"] == 1, "change"]) == {"weak-test@v0"}
    # The scripted oracle needs more steps with a weaker body and on a stickier floor: the
    # worlds really differ; its policy does not learn, so each world scores alike throughout.
    by_phase = phases.groupby("phase")["eval_length"]
    assert (by_phase.nunique() == 1).all()
    assert by_phase.first()[0] < by_phase.first()[1] and by_phase.first()[0] < by_phase.first()[2]
    record = json.loads((tmp_path / "treat-reach-adapt-test@v1" / "scripted" / "seed-0" / "run.json").read_text())
    assert [(p["change"], p["start"]) for p in record["phases"]] == [("", 0), ("weak-test@v0", 200), ("damp-test@v0", 400)]
    began = [p["began_at_env_step"] for p in record["phases"]]
    assert began[0] == 0 and 200 <= began[1] < 400 <= began[2] < 600
    assert record["phases"][1]["env_kwargs"] == {"max_force": 0.03}


@pytest.mark.parametrize(("stop", "status"), [(KeyboardInterrupt(), "interrupted"), (RuntimeError("the agent broke"), "failed")])
def test_a_run_stopped_inside_a_checkpoints_evaluations_still_writes_its_record(adapt_task, tmp_path, monkeypatch, stop, status):
    from embodied_bench.harness import runner

    calls = []

    def evaluate(*args, **kwargs):
        calls.append(1)
        if len(calls) == 2:  # phase 1 of the first checkpoint: phase 0's row is taken, no file written
            raise stop
        return real(*args, **kwargs)

    real = runner.evaluate
    monkeypatch.setattr(runner, "evaluate", evaluate)
    with pytest.raises(KeyboardInterrupt) if status == "interrupted" else contextlib.nullcontext():
        run_one(Job("random", adapt_task, 0, str(tmp_path)))
    folder = tmp_path / "treat-reach-adapt-test@v1" / "random" / "seed-0"
    record = json.loads((folder / "run.json").read_text())
    assert record["status"] == status and not (folder / "phases.csv").exists() and "phases_sha256" not in record
    if status == "failed":
        assert "the agent broke" in record["error"]


def test_a_single_world_reference_is_trained_and_scored_in_its_changed_world(adapt_task, tmp_path):
    reference = dataclasses.replace(adapt_task, id="treat-reach-adapt-test-weak-test", budget=200, phases=(dataclasses.replace(adapt_task.phases[1], start=0),))
    TASKS.add(dataclasses.replace(TASKS.get(BASE), spec=reference))
    try:
        ref = _run(reference, "scripted", tmp_path)
        run = _run(adapt_task, "scripted", tmp_path)
    finally:
        TASKS.unregister(reference.name)
    weak = pd.read_csv(f"{run.folder}/phases.csv", keep_default_na=False).query("phase == 1")["eval_length"].iloc[0]
    own = pd.read_csv(f"{run.folder}/phases.csv", keep_default_na=False).query("phase == 0")["eval_length"].iloc[0]
    assert (pd.read_csv(f"{ref.folder}/curve.csv")["eval_length"] == weak).all() and weak != own


def test_env_copies_of_a_learner_change_world_too_and_the_record_says_when(adapt_task, tmp_path):
    from conftest import agent_ref

    # Three copies stepped in turn, each resetting after 200 of its own steps (600 of the
    # run's): each changes at its own next reset, and the first of them is recorded.
    spec = dataclasses.replace(adapt_task, budget=3_000, eval_every=500, phases=tuple(dataclasses.replace(p, start=1_000 * i) for i, p in enumerate(adapt_task.phases)))
    out = _run(spec, agent_ref("CopiesLearner"), tmp_path)
    record = json.loads(open(f"{out.folder}/run.json").read())
    began = [p["began_at_env_step"] for p in record["phases"]]
    assert began[0] == 0 and 1_000 <= began[1] < 1_600 and 2_000 <= began[2] < 2_600


def test_an_adapt_run_is_deterministic(adapt_task, tmp_path):
    a = _run(adapt_task, "random", tmp_path / "a")
    b = _run(adapt_task, "random", tmp_path / "b")
    drop = ["wall_seconds"]
    assert pd.read_csv(f"{a.folder}/curve.csv").drop(columns=drop).equals(pd.read_csv(f"{b.folder}/curve.csv").drop(columns=drop))
    assert (tmp_path / "a").joinpath("treat-reach-adapt-test@v1/random/seed-0/phases.csv").read_text() == (tmp_path / "b").joinpath("treat-reach-adapt-test@v1/random/seed-0/phases.csv").read_text()


def test_a_change_that_alters_the_spaces_is_refused_naming_it():
    import gymnasium as gym

    from embodied_bench.harness.adapt import PhasedEnv
    from embodied_bench.harness.ledger import TaskError

    from embodied_bench.harness.ledger import BudgetLedger

    spec = _spec()
    ledger = BudgetLedger(spec)
    env = PhasedEnv(spec, ledger, lambda phase: gym.make("CartPole-v1") if phase == 0 else gym.make("Acrobot-v1"), env_seed=1)
    env.reset(seed=0)
    ledger.env_steps = 400
    with pytest.raises(TaskError, match="world change weak-test@v0 alters the observation space"):
        env.reset()


def test_a_new_world_is_seeded_from_the_run_and_entered_at_the_next_reset(adapt_task):
    import gymnasium as gym

    from embodied_bench.harness.adapt import PhasedEnv, phase_seed
    from embodied_bench.harness.ledger import BudgetLedger

    made = []
    ledger = BudgetLedger(adapt_task)
    env = PhasedEnv(adapt_task, ledger, lambda phase: made.append(phase) or gym.make("CartPole-v1"), env_seed=7)
    env.reset(seed=0)
    ledger.env_steps = 250
    env.step(env.action_space.sample())  # mid-episode: the world in force stays
    assert env.current == 0
    first, _ = env.reset()
    assert env.current == 1 and made == [0, 1] and env.switches == [(1, 250)]
    # Phase 1's first reset is seeded from the run's seed, by a stream of its own.
    assert np.array_equal(first, gym.make("CartPole-v1").reset(seed=phase_seed(7, 1))[0])
    assert phase_seed(7, 1) not in (7, phase_seed(7, 2), phase_seed(8, 1))


# -- metrics from records ------------------------------------------------------------------------

# The vectors: three phases of four evaluations (after checkpoint 0) each.
P = np.array(
    [
        [0, 0.4, 0.8, 1, 0.6, 0.4, 0.3, 0.2, 0.2, 0.2, 0.1, 0.1],
        [0, 0, 0.1, 0.1, 0.2, 0.6, 0.8, 0.9, 0.7, 0.6, 0.5, 0.5],
        [0, 0, 0, 0, 0, 0, 0.1, 0.1, 0.3, 0.7, 0.9, 1],
    ]
)
REF = [[0, 0.2, 0.5, 0.8], [0, 0.3, 0.6, 0.8], [0, 0.2, 0.4, 0.6]]
COST = [0, 0, 1, 1, 2, 5, 6, 6, 6, 6, 9, 9, 9]  # cumulative, at checkpoints 0..12


S = np.minimum(1.0, P + 0.2)
"""Success rates unlike the graded scores: recovery reads these, the rest P."""


def _records(spec, agent="a", seed=0):
    rows = []
    for k in range(13):
        now = spec.phase_evaluated(100 * k)
        for i in range(3):
            partial, success = (0.0, 0.0) if k == 0 else (P[i, k - 1], S[i, k - 1])
            rows.append(dict(checkpoint=k, budget_used=100 * k, env_steps=100 * k, phase=i, change=spec.phases[i].change, current=int(i == now), eval_success=success, eval_partial=partial, eval_return=0.0, eval_cost=0.0, eval_length=1.0))
    curve = pd.DataFrame({"checkpoint": range(13), "budget_used": [100 * k for k in range(13)], "train_cost": COST, "eval_partial": [0.0, *P[0, :4], *P[1, 4:8], *P[2, 8:]]})
    return {"task": spec.name, "agent": agent, "seed": seed, "run_dir": f"{agent}/{seed}", "spec": spec, "layouts": "public", "phases": pd.DataFrame(rows), "curve": curve}


def _reference(values):
    return pd.DataFrame({"checkpoint": range(5), "eval_partial": [0.0, *values]})


def _key(spec, phase, **protocol):
    """The reference key of ``phase``: one phase's length (400), evaluated every 100 on the
    spec's layouts, unless ``protocol`` says otherwise."""
    p = {"budget": 400, "eval_every": 100, "eval_episodes": spec.eval_episodes, "layouts": "public", **protocol}
    return A.reference_key(registry.adapt_reference(spec, phase), "a", 0, p["budget"], p["eval_every"], p["eval_episodes"], p["layouts"])


def test_the_metrics_of_a_run_from_its_records_match_the_hand_computed_vectors():
    spec = _spec()
    refs = {_key(spec, i): _reference(REF[i]) for i in range(3)}
    row = A.per_run_adaptation([_records(spec)], refs).iloc[0]
    assert row["average_performance"] == pytest.approx(0.5333, abs=5e-5)
    assert row["forgetting"] == pytest.approx(0.4333, abs=5e-5)
    assert row["forward_transfer"] == pytest.approx(0.4117, abs=5e-5) and row["references"]
    # On the success rates (P + 0.2): threshold 0.8 reached at each new world's second
    # evaluation, 200 steps after its change: half a phase each (0.75 on the graded score).
    assert row["recovery"] == pytest.approx(0.5) and row["recovered"] == 1.0
    # Cost in the first 100 steps after each change: 5 - 2 and 6 - 6.
    assert row["early_cost"] == pytest.approx(1.5)


def test_a_world_already_mastered_at_its_change_needs_no_recovery():
    spec = _spec()
    run = _records(spec)
    # Phase 1's world at its change (checkpoint 4), before a step in it: already at 0.9.
    at = (run["phases"]["checkpoint"] == 4) & (run["phases"]["phase"] == 1)
    run["phases"].loc[at, "eval_success"] = 0.9
    row = A.per_run_adaptation([run]).iloc[0]
    assert row["recovery"] == pytest.approx((0 + 0.5) / 2) and row["recovered"] == 1.0
    assert row["average_performance"] == pytest.approx(0.5333, abs=5e-5)  # the rest stays


def test_forward_transfer_is_missing_without_every_matching_reference_and_the_rest_stays():
    spec = _spec()
    partial = {_key(spec, 0): _reference(REF[0])}
    # All three there, but one at another protocol (a --budget-scale, fewer layouts): not a reference.
    mismatched = {**{_key(spec, i): _reference(REF[i]) for i in (0, 1)}, _key(spec, 2, eval_episodes=2): _reference(REF[2])}
    for refs in (partial, mismatched):
        row = A.per_run_adaptation([_records(spec)], refs).iloc[0]
        assert np.isnan(row["forward_transfer"]) and not row["references"]
        assert row["average_performance"] == pytest.approx(0.5333, abs=5e-5)


def test_a_phases_file_that_does_not_fit_its_protocol_is_named():
    spec = _spec()
    run = _records(spec)
    run["phases"] = run["phases"][run["phases"]["checkpoint"] < 6]  # cut short
    with pytest.raises(ValueError, match=r"a/0: its phases.csv does not fit its protocol"):
        A.per_run_adaptation([run])


def test_agents_get_means_over_tasks_with_bootstrap_intervals():
    spec = _spec()
    table = A.per_run_adaptation([_records(spec, seed=s) for s in range(3)])
    table.loc[1, "average_performance"] = 0.2  # seeds differ: the interval has width
    (found,) = A.adaptation(table, reps=2_000)
    assert found.runs == 3 and found.with_references == 0 and not table["references"].any()
    assert found.points["average_performance"] == pytest.approx((0.5333 * 2 + 0.2) / 3, abs=1e-3)
    lo, hi = found.intervals["average_performance"]
    assert lo < found.points["average_performance"] < hi and lo >= 0.2 - 1e-9
    assert np.isnan(found.points["forward_transfer"])


# -- the command line ----------------------------------------------------------------------------


def _cli(*args):
    from click.testing import CliRunner

    from embodied_bench.cli import main

    return CliRunner().invoke(main, list(args))


@pytest.mark.parametrize(
    ("phases", "message"),
    [
        ("slippery@v0:500000", "outside the budget of 100,000 steps"),
        ("slippery@v0:15000", "not at a checkpoint"),
        ("icy@v0:50000", "declares no world change 'icy@v0'"),
        ("slippery@v0", "is not CHANGE:START"),
        ("slippery@v0:60000,other-layouts@v0:40000", "not after the phase before it"),
        ("slippery@v0:0", "begins at 0, where the task's own world runs"),
    ],
)
def test_a_bad_phase_list_is_one_line_exit_2_and_nothing_runs(phases, message, tmp_path):
    result = _cli("run", "--agent", "random", "--task", "treat-reach", "--phases", phases, "--out", str(tmp_path / "runs"))
    assert result.exit_code == 2, result.output
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and message in lines[0]
    assert not (tmp_path / "runs").exists()


def test_a_change_its_family_cannot_make_is_refused_before_anything_runs(tmp_path):
    base = TASKS.get(BASE)
    broken = WorldChange("broken", 0, "a keyword the env refuses", {"max_force": -1.0})
    TASKS._entries[BASE] = dataclasses.replace(base, changes=(*base.changes, broken))
    try:
        result = _cli("run", "--agent", "random", "--task", BASE, "--phases", "broken@v0:50000", "--out", str(tmp_path / "runs"))
    finally:
        TASKS._entries[BASE] = base
    assert result.exit_code == 2 and "cannot make world change broken@v0" in result.output
    assert not (tmp_path / "runs").exists()


def test_run_with_phases_then_report_gives_the_continual_metrics(tmp_path):
    runs, report = tmp_path / "runs", tmp_path / "report"
    result = _cli("run", "--agent", "scripted", "--agent", "random", "--task", "treat-reach", "--phases", "slippery@v0:40000,other-layouts@v0:70000", "--budget-scale", "0.005", "--eval-episodes", "2", "--seeds", "2", "--jobs", "1", "--out", str(runs))
    assert result.exit_code == 0, result.output
    (folder,) = [p for p in runs.iterdir() if p.name.startswith("treat-reach-adapt-")]
    record = json.loads((folder / "scripted" / "seed-0" / "run.json").read_text())
    assert [p["start"] for p in record["phases"]] == [0, 200, 350]  # scaled with the budget
    # The plain task's runs beside them: a report of both is no "gain from adapting".
    plain = _cli("run", "--agent", "random", "--task", "treat-reach", "--budget-scale", "0.005", "--eval-episodes", "2", "--seeds", "2", "--jobs", "1", "--out", str(runs))
    assert plain.exit_code == 0, plain.output
    result = _cli("report", str(runs), "--out", str(report), "--reps", "200", "--band-reps", "200", "--no-svg")
    assert result.exit_code == 0, result.output
    table = pd.read_csv(report / "adaptation.csv")
    assert sorted(table["agent"]) == ["random", "random", "scripted", "scripted"]
    scripted, random = table[table["agent"] == "scripted"], table[table["agent"] == "random"]
    # The oracle is at the threshold in every new world at its change; random never gets there.
    assert (scripted["average_performance"] == 1.0).all() and (scripted["forgetting"] == 0.0).all() and (scripted["recovery"] == 0.0).all()
    assert (random["recovery"] == 1.0).all() and (random["recovered"] == 0.0).all()
    text = (report / "report.md").read_text()
    assert "## When the world changes" in text and "figures/adapt-curves.png" in text and "Gain from" not in text


# -- the leaderboard ---------------------------------------------------------------------------------

ADAPT_TASKS = ("treat-reach-adapt@v1", "treat-reach-adapt-own@v1", "treat-reach-adapt-other-layouts@v1", "treat-reach-adapt-slippery@v1")


def _adapt_board(tmp_path, monkeypatch, *what: str, reps: int):
    """A board of runs made with ``run *what`` at a small scale, and its ett-adapt-test table."""
    from embodied_bench.api import Suite
    from embodied_bench.leaderboard.board import build_tables, load_entries

    monkeypatch.setitem(registry.SUITES._entries, "ett-adapt-test", Suite("ett-adapt-test", ADAPT_TASKS, ranks_by="adaptation"))
    board = tmp_path / "leaderboard"
    made = _cli("run", *what, "--budget-scale", "0.005", "--eval-episodes", "2", "--seeds", "2", "--jobs", "1", "--out", str(board / "baselines"))
    assert made.exit_code == 0, made.output
    (table,) = [t for t in build_tables(load_entries(board), reps=reps) if t.suite == "ett-adapt-test"]
    return board, table


def test_a_suite_ranked_by_adaptation_ranks_average_performance_with_the_rest_beside(tmp_path, monkeypatch):
    board, table = _adapt_board(tmp_path, monkeypatch, "--agent", "random", "--agent", "scripted", "--suite", "ett-adapt-test", reps=500)
    assert table.ranked_tasks == ("treat-reach-adapt@v1",)
    assert [r.entry.name for r in table.ranked] == ["random"] and [r.entry.name for r in table.references] == ["scripted"]
    mine = table.per_run[table.per_run["entry"] == table.ranked[0].entry.key]
    # The mean over runs (one task), as the report's: signed measures are not trimmed.
    assert table.ranked[0].score.point == pytest.approx(mine["average_performance"].mean())
    assert table.references[0].score.point == 1.0 and table.references[0].adaptation["forgetting"].point == 0.0
    assert set(table.ranked[0].adaptation) == {"forgetting", "forward_transfer", "recovery", "early_cost"}
    # The page and its figure name the measure ranked, not the Embodied Turing score.
    from embodied_bench.report.site import _score_figure

    styles = {r.entry.key: {"label": r.entry.name, "color": "k"} for r in table.rows()}
    assert _score_figure(table, styles).axes[0].get_title() == "Average performance at the end (mean)"
    assert _cli("leaderboard", "--root", str(board), "--reps", "500").exit_code == 0
    page = (board / "README.md").read_text()
    assert "average performance (mean) and final success with 95% intervals, ett-adapt-test" in page
    assert "forward_transfer" not in table.references[0].adaptation  # its references are perfect: no transfer to measure
    assert _cli("leaderboard", "--root", str(board), "--reps", "500").exit_code == 0
    readme = (board / "README.md").read_text()
    assert "Ranked by adaptation" in readme and "average performance (mean)" in readme and "| forgetting | forward transfer |" in readme
    # Its curves are the adapt runs with the changes marked, not learning curves per task.
    from embodied_bench.report.site import _curves, _styles

    assert "Adapt runs per task: the graded score on the world in force at each checkpoint (solid)" in readme
    assert {r["agent"] for r in table.adapt_runs} == {r.entry.key for r in table.rows()}
    fig = _curves(table, {r.entry.key for r in table.rows()}, _styles([r.entry for r in table.rows()]), 100, 0)
    changes = {p.change.partition("@")[0] for p in TASKS.get("treat-reach-adapt@v1").spec.phases[1:]}
    assert fig.axes[0].get_title() == "treat-reach-adapt@v1" and {t.get_text() for t in fig.axes[0].texts} == changes


def test_an_entry_with_only_single_world_references_so_far_is_listed_unscored(tmp_path, monkeypatch):
    # An adapt suite's references are often made first: an entry with no ranked run yet is
    # listed with the runs it has, not dropped and not a crash.
    board, table = _adapt_board(tmp_path, monkeypatch, "--agent", "random", "--task", "treat-reach-adapt-own", "--task", "treat-reach-adapt-slippery", reps=200)
    assert table.ranked == [] and table.references == []
    (row,) = table.partial
    assert (row.runs, row.seeds, row.per_task, row.score) == (4, 2, {}, None)
    assert _cli("leaderboard", "--root", str(board), "--reps", "200").exit_code == 0
    readme = (board / "README.md").read_text()
    assert "No ranked entry yet at this protocol." in readme and "| [random](<site/baselines/random.html>) | baseline | 4 | – |" in readme
    # With no adapt run to draw, the figure and its captions are learning curves, not adapt runs.
    assert table.adapt_runs == [] and "Learning curves per task (IQM" in readme and "Adapt runs" not in readme
    page = (board / "site" / "baselines" / "random.html").read_text()
    assert "Learning curves of random against the baselines" in page and "Adapt runs" not in page


def test_a_phases_variant_takes_its_plain_tasks_facts_and_baseline_configs():
    from embodied_bench.baselines.cem_learned import CEMLearnedConfig

    spec = registry.custom_adapt("treat-reach", "slippery@v0:50000")
    assert spec.name.startswith("treat-reach-adapt-") and spec.name not in TASKS
    assert registry.task_of(spec).name == BASE
    assert CEMLearnedConfig.for_task(spec.name) == CEMLearnedConfig.for_task(BASE) != CEMLearnedConfig()
    # The same list names the same variant; another list another.
    assert registry.custom_adapt("treat-reach", "slippery@v0:50000").name == spec.name != registry.custom_adapt("treat-reach", "slippery@v0:60000").name


def test_a_submitted_adapt_run_carries_its_checked_phases_file(tmp_path):
    from embodied_bench.leaderboard.bundle import ALLOWED_FILES, check_run

    made = _cli("run", "--agent", "random", "--task", "treat-reach-adapt", "--budget-scale", "0.005", "--eval-episodes", "2", "--seeds", "1", "--jobs", "1", "--out", str(tmp_path))
    assert made.exit_code == 0, made.output
    folder = tmp_path / "treat-reach-adapt@v1" / "random" / "seed-0"
    assert "phases.csv" in ALLOWED_FILES
    run, problems = check_run(folder, tmp_path)
    assert run is not None and problems == []
    path = folder / "phases.csv"
    text = path.read_text()
    path.write_text(text.replace(",1,0.0,", ",1,1.0,", 1))  # a score moved after the run
    assert any("phases.csv: its sha256 does not match phases_sha256" in p for p in check_run(folder, tmp_path)[1])
    path.unlink()
    assert any("phases.csv: missing" in p for p in check_run(folder, tmp_path)[1])
