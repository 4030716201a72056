"""Watch and play (protocol variants of a task): datasets made deterministically and
loadable with Minari; what an agent is shown while watching and told while playing; the
ledgers; the gain against the same agent without the phase."""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pandas as pd
import pytest
from conftest import agent_ref

from embodied_bench.api import TaskSpec
from embodied_bench.harness.runner import Job, run_one
from embodied_bench.registry import TASKS, RegistryError, load_reference, register_variant

pytestmark = pytest.mark.extra("datasets")


@pytest.fixture
def minari_home(tmp_path, monkeypatch):
    monkeypatch.setenv("MINARI_DATASETS_PATH", str(tmp_path / "minari"))
    return tmp_path / "minari"


@pytest.fixture
def variants():
    """treat-reach's variants made small (4 episodes watched, 300 steps of play) for the
    test, the registered ones put back after it."""
    registered = [TASKS.get(f"treat-reach-{p}@v1") for p in ("watch", "play")]
    for task in registered:
        TASKS.unregister(task.name)
    made = [register_variant("treat-reach@v1", "watch", watch_dataset="expert", watch_episodes=4), register_variant("treat-reach@v1", "play", play_budget=300)]
    yield made
    for task in made:
        TASKS.unregister(task.name)
    for task in registered:
        TASKS.add(task)


def _small(spec: TaskSpec) -> TaskSpec:
    return dataclasses.replace(spec, budget=400, eval_every=200, eval_episodes=2)


def test_a_variant_is_the_same_task_under_another_name(variants):
    watch, play = variants
    plain = TASKS.get("treat-reach@v1")
    assert watch.name == "treat-reach-watch@v1" and watch.spec.plain_name == "treat-reach@v1" and watch.spec.gym_id == plain.spec.gym_id
    assert TASKS.canonical(plain.spec.gym_id) == "treat-reach@v1"  # the gym id still names the plain task
    assert play.spec.play_budget == 300 and "play" in play.tags and play.entry_point == plain.entry_point
    with pytest.raises(RegistryError, match="a protocol variant already"):
        register_variant(watch.name, "play", play_budget=10)
    with pytest.raises(ValueError, match="a watch task sets watch_dataset"):
        dataclasses.replace(plain.spec, id="x", protocol="watch", watch_episodes=3)
    with pytest.raises(ValueError, match="nothing of the other protocols"):
        dataclasses.replace(plain.spec, id="x", protocol="play", play_budget=5, watch_episodes=3)


def test_datasets_are_deterministic_on_training_layouts_and_load_with_minari(minari_home):
    import minari

    from embodied_bench import datasets as D
    from embodied_bench import layouts

    first = D.make("treat-reach", "mixed", 6)
    again = D.make("treat-reach", "mixed", 6, replace=True)
    assert first == again and first.dataset_id == "embodied-bench/treat-reach-v1/mixed-v0"
    data = minari.load_dataset(first.dataset_id)
    eps = list(data.iterate_episodes())
    assert len(eps) == 6 and data.action_space.shape == (2,) and data.observation_space.shape == (23,)
    assert all(len(e.observations) == len(e.actions) + 1 for e in eps)  # actions and rewards kept in the file
    seeds = [ep["layout_seed"] for ep in D.episodes(TASKS.get("treat-reach"), "mixed", 6)]
    assert not any(layouts.is_eval_seed(s) for s in seeds) and len(set(seeds)) == 6
    assert [ep["behaviour"] for ep in D.episodes(TASKS.get("treat-reach"), "mixed", 6)] == ["expert", "novice", "random"] * 2
    expert = D.make("treat-reach", "expert", 6)
    assert expert.success == 1.0 and expert.sha256 != first.sha256


def test_watching_shows_observations_without_actions_or_rewards(minari_home, variants, tmp_path):
    from embodied_bench import datasets as D

    watch = variants[0]
    spec = _small(watch.spec)
    missing = run_one(Job(agent=agent_ref("Watcher"), spec=spec, seed=0, out=str(tmp_path / "a")))
    assert missing.status == "failed" and "make it with `embodied-bench datasets make --task treat-reach@v1`" in missing.error
    made = D.make("treat-reach", "expert", 6)
    outcome = run_one(Job(agent=agent_ref("Watcher"), spec=spec, seed=0, out=str(tmp_path / "b")))
    assert outcome.status == "complete", outcome.error
    shown = load_reference(agent_ref("Watcher")).shown
    assert len(shown) == 4 and all(e.actions is None and e.rewards is None and e.success for e in shown)
    assert shown[0].observations.ndim == 2 and shown[0].observations.shape[1] == 23 and len(shown[0].costs) == len(shown[0].observations) - 1
    record = json.loads((tmp_path / "b" / spec.name / "Watcher" / "seed-0" / "run.json").read_text())
    assert record["watch"] == {"dataset": made.dataset_id, "episodes": 4, "sha256": made.sha256, "watched": True}
    blind = run_one(Job(agent="random", spec=spec, seed=0, out=str(tmp_path / "c")))
    assert json.loads((tmp_path / "c" / spec.name / "random" / "seed-0" / "run.json").read_text())["watch"]["watched"] is False
    assert blind.status == "complete"
    from embodied_bench.metrics.tables import MixedRunsError, check_runs
    from embodied_bench.results import load_runs

    _, warned = check_runs(load_runs([tmp_path / "b", tmp_path / "c"]))
    assert any("random did not watch on treat-reach-watch@v1" in w for w in warned)
    D.make("treat-reach", "expert", 7, replace=True)  # another dataset under the same id
    assert run_one(Job(agent=agent_ref("Watcher"), spec=spec, seed=1, out=str(tmp_path / "d"))).status == "complete"
    with pytest.raises(MixedRunsError, match="watched different datasets"):
        check_runs(load_runs([tmp_path / "b", tmp_path / "d"]))


def test_play_hides_reward_and_success_counts_cost_and_keeps_the_budget(variants, tmp_path):
    play = variants[1]
    spec = _small(play.spec)
    outcome = run_one(Job(agent=agent_ref("PlayLogger"), spec=spec, seed=0, out=str(tmp_path)))
    assert outcome.status == "complete", outcome.error
    logger = load_reference(agent_ref("PlayLogger"))
    played, task = logger.log[:300], logger.log[300:]
    assert len(played) == 300 and len(task) == spec.budget
    assert all(t.reward == 0.0 and t.success is False and t.terminated is False for t in played)
    assert any(t.reward != 0.0 for t in task)
    record = json.loads((tmp_path / spec.name / "PlayLogger" / "seed-0" / "run.json").read_text())
    assert record["play"]["env_steps"] == 300 and record["play"]["played"] is True and record["ledger"]["env_steps"] == spec.budget
    curve = pd.read_csv(tmp_path / spec.name / "PlayLogger" / "seed-0" / "curve.csv")
    assert curve["budget_used"].tolist() == [0, 200, 400] and curve["env_steps"].iloc[0] == 0  # checkpoint 0 after play
    blind = run_one(Job(agent=agent_ref("CountingAgent"), spec=spec, seed=0, out=str(tmp_path / "blind")))
    assert blind.status == "complete", blind.error
    record = json.loads((tmp_path / "blind" / spec.name / "CountingAgent" / "seed-0" / "run.json").read_text())
    assert record["play"]["played"] is False and record["play"]["env_steps"] == 0  # no observe_play: it does not play


def test_a_learner_plays_in_its_own_loop_within_the_play_budget(variants, tmp_path):
    spec = _small(variants[1].spec)
    outcome = run_one(Job(agent=agent_ref("PlayingLearner"), spec=spec, seed=0, out=str(tmp_path)))
    assert outcome.status == "complete", outcome.error
    record = json.loads((tmp_path / spec.name / "PlayingLearner" / "seed-0" / "run.json").read_text())
    assert record["play"]["env_steps"] == 300 and record["play"]["played"] is True
    learner = load_reference(agent_ref("PlayingLearner"))
    assert learner.refused and learner.kept_refused  # the step past the play budget; the play env after play()
    assert learner.infos == {"cost"}  # nothing in the step info that tells the reward
    lazy = run_one(Job(agent=agent_ref("GreedyLearner"), spec=spec, seed=0, out=str(tmp_path / "lazy")))
    assert json.loads((tmp_path / "lazy" / spec.name / "GreedyLearner" / "seed-0" / "run.json").read_text())["play"]["played"] is False
    assert lazy.status == "complete"


def _per_run(rows: list[tuple[str, str, float, float]]) -> pd.DataFrame:
    """(task, protocol, score_auc, steps fraction) per run of one agent."""
    out = []
    seeds: dict[str, int] = {}
    for task, protocol, score, steps in rows:
        plain = task.replace(f"-{protocol}", "") if protocol else task
        seeds[task] = i = seeds.get(task, -1) + 1
        out.append({"agent": "a", "task": task, "protocol": protocol, "plain_task": plain, "seed": i, "score_auc": score, "budget": 100.0, "steps_to_threshold": steps * 100, "reached_threshold": steps < 1.0, "privileged": False})
    return pd.DataFrame(out)


def test_the_gain_is_the_difference_with_and_without_the_phase():
    from embodied_bench.metrics.gain import gains

    with_ = [("t-watch@v1", "watch", x, 0.5) for x in (0.5, 0.6, 0.7, 0.8, 0.9)]
    without = [("t@v1", "", x, 1.0) for x in (0.1, 0.2, 0.3, 0.4, 0.5)]
    (g,) = gains(_per_run(with_ + without), reps=2_000)
    (unpaired,) = gains(_per_run(with_ + [("t-watch@v1", "watch", 1.0, 0.1)] + without), reps=2_000)
    assert unpaired == g  # a seed without a plain run is left out
    assert g.agent == "a" and g.protocol == "watch" and g.tasks == ("t@v1",)
    assert g.iqm_diff == pytest.approx(0.4) and g.iqm_diff_ci[0] < 0.4 < g.iqm_diff_ci[1]
    assert g.steps_diff == pytest.approx(-0.5)
    assert g.p == pytest.approx(24.5 / 25) and g.p_ci[0] > 0.5 and "a significant gain" in g.verdict()
    same = [("t-play@v1", "play", x, 1.0) for x in (0.1, 0.2, 0.3, 0.4, 0.5)]
    (h,) = gains(_per_run(same + without), reps=2_000)
    assert h.iqm_diff == 0.0 and h.p == 0.5 and "no significant gain" in h.verdict()
    assert gains(_per_run(without)) == []


def test_report_and_compare_give_the_gain_of_playing(variants, tmp_path):
    from click.testing import CliRunner

    from embodied_bench.cli import main

    def cli(*args):
        return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)

    tiny = ("--seeds", "5", "--budget-scale", "0.004", "--eval-episodes", "2", "--jobs", "1")
    assert cli("run", "--agent", "random", "--task", "treat-reach-play@v1", *tiny, "--out", tmp_path / "play").exit_code == 0
    assert cli("run", "--agent", "random", "--task", "treat-reach@v1", *tiny, "--out", tmp_path / "plain").exit_code == 0
    made = cli("report", tmp_path / "play", tmp_path / "plain", "--out", tmp_path / "rep", "--reps", 500, "--band-reps", 200, "--no-svg")
    assert made.exit_code == 0, made.output
    md = (tmp_path / "rep" / "report.md").read_text()
    assert "## Gain from watching and playing" in md and "| random | play | treat-reach@v1 | 5 / 5 |" in md
    costs = [json.loads(p.read_text())["play"]["cost"] for p in sorted((tmp_path / "play").rglob("run.json"))]
    assert f"| {np.mean(costs):.3f} |" in md.split("## Gain from watching and playing")[1]  # what playing broke
    compared = cli("compare", tmp_path / "play", tmp_path / "plain", "--out", tmp_path / "cmp", "--reps", 500)
    assert compared.exit_code == 0, compared.output
    assert "tasks: treat-reach@v1" in compared.output
    assert "gain from playing (graded score, 5 runs with, 5 without)" in compared.output and "steps to threshold with - without" in compared.output
    assert cli("run", "--agent", "random", "--task", "treat-reach@v1", "--seeds", "2", "--budget-scale", "0.008", "--eval-episodes", "2", "--out", tmp_path / "longer").exit_code == 0
    mixed = cli("report", tmp_path / "play", tmp_path / "longer", "--out", tmp_path / "rep2", "--reps", 500, "--band-reps", 200, "--no-svg")
    assert mixed.exit_code == 2 and "gain of random from playing on treat-reach@v1: the runs with it have budget" in mixed.output


def test_bco_clones_what_it_watched_and_without_watching_acts_at_random(minari_home, variants, tmp_path):
    from embodied_bench import datasets as D

    D.make("treat-reach", "expert", 12)
    watch = dataclasses.replace(variants[0].spec, watch_episodes=12, budget=2000, eval_every=1000, eval_episodes=8)
    plain = dataclasses.replace(TASKS.get("treat-reach@v1").spec, budget=2000, eval_every=1000, eval_episodes=8)
    scores = {}
    for spec in (watch, plain):
        outcome = run_one(Job(agent="bco", spec=spec, seed=0, out=str(tmp_path)))
        assert outcome.status == "complete", outcome.error
        scores[spec.protocol] = pd.read_csv(f"{outcome.folder}/curve.csv")["eval_partial"].to_numpy()
    assert scores["watch"][1:].mean() > scores[""][1:].mean() + 0.1  # it closes more of the way after watching
    from embodied_bench.harness.runner import make_env, task_info

    primitive = TASKS.get("table-clear-primitive").spec
    env = make_env(primitive, "train")
    bco = load_reference("embodied_bench.baselines.bco:BCO")(task_info(primitive, env), 0)
    obs, _ = env.reset(seed=0)
    assert all(env.action_space.contains(bco.act(obs, True)) for _ in range(5))  # nothing watched: random, valid choices


def test_a_suite_of_variants_ranks_entries_by_their_gain(variants, tmp_path):
    from click.testing import CliRunner

    from embodied_bench.cli import main
    from embodied_bench.leaderboard.board import GAIN, build_tables, load_entries
    from embodied_bench.registry import SUITES, register_suite

    root = tmp_path / "board"
    tiny = ("--seeds", "5", "--budget-scale", "0.004", "--eval-episodes", "2", "--jobs", "1")
    for task in ("treat-reach-play@v1", "treat-reach@v1"):
        made = CliRunner().invoke(main, ["run", "--agent", "random", "--agent", agent_ref("CountingAgent"), "--task", task, *tiny, "--out", str(root / "baselines")], catch_exceptions=False)
        assert made.exit_code == 0, made.output
    with pytest.raises(ValueError, match="ranks by gain"):
        register_suite("test-play-wrong", ("treat-reach-play@v1",))
    register_suite("test-play-gain", ("treat-reach-play@v1",), ranks_by="gain")
    try:
        (table,) = [t for t in build_tables(load_entries(root), reps=500) if t.suite == "test-play-gain"]
        assert table.metric == GAIN and table.plain_tasks == ("treat-reach@v1",)
        per_run = table.per_run
        assert set(per_run["task"]) == {"treat-reach-play@v1"} and len(per_run) == 10
        from embodied_bench.metrics.tables import per_run_table
        from embodied_bench.results import load_runs

        every = per_run_table(load_runs([root / "baselines"]))
        mine = every[every["agent"] == "random"].set_index(["task", "seed"])["score_auc"]
        got = per_run[per_run["run_dir"].str.contains("/random/")].set_index("seed")[GAIN]
        for seed, gain in got.items():  # each gain: the run minus the same seed's plain run
            assert gain == pytest.approx(mine[("treat-reach-play@v1", seed)] - mine[("treat-reach@v1", seed)])
        assert {r.entry.name for r in table.ranked} == {"random", "CountingAgent"}
        assert all(r.score is not None and r.score.lo <= r.score.point <= r.score.hi for r in table.ranked)
    finally:
        SUITES._entries.pop("test-play-gain")


def test_cem_learned_learns_dynamics_but_no_reward_from_play(variants):
    from embodied_bench.api import Transition
    from embodied_bench.harness.runner import make_env, task_info

    spec = TASKS.get("treat-reach@v1").spec
    env = make_env(spec, "train")
    agent = load_reference("embodied_bench.baselines.cem_learned:CEMLearned")(task_info(spec, env), 0)
    obs, _ = env.reset(seed=0)
    for _ in range(agent.config.fit_every):
        action = agent.act(obs, True)
        nxt, reward, terminated, truncated, info = env.step(action)
        agent.observe_play(Transition(obs, action, 0.0, nxt, False, terminated or truncated, info["cost"], False))
        obs = nxt if not (terminated or truncated) else env.reset()[0]
    model = agent.model
    assert model.fitted and model.samples == agent.config.fit_every and agent.steps == agent.config.fit_every
    assert np.all(model.Gr == 0) and np.all(model.Hr == 0)  # nothing learnt about reward or cost
    assert np.any(model.G != 0)  # the dynamics learnt from play


def test_bad_dataset_input_is_one_line_and_exit_2(minari_home, tmp_path):
    from click.testing import CliRunner

    from embodied_bench import datasets as D
    from embodied_bench.cli import main

    def cli(*args):
        return CliRunner().invoke(main, [str(a) for a in args])

    none = cli("datasets", "make", "--task", "cat-climb-motor@v1")
    assert none.exit_code == 2 and "task cat-climb-motor@v1 has no expert to make datasets with" in none.output
    variant = cli("datasets", "make", "--task", "treat-reach-watch@v1")
    assert variant.exit_code == 2 and "datasets belong to plain tasks; name treat-reach@v1" in variant.output
    tiny = ("--seeds", "1", "--budget-scale", "0.004", "--eval-episodes", "2", "--out", tmp_path / "runs")
    missing = cli("run", "--agent", "bco", "--task", "treat-reach-watch@v1", *tiny)
    assert missing.exit_code == 2 and "make it with `embodied-bench datasets make --task treat-reach@v1`" in missing.output
    D.make("treat-reach", "expert", 3)  # the registered variant watches 20
    short = cli("run", "--agent", "bco", "--task", "treat-reach-watch@v1", *tiny)
    assert short.exit_code == 2 and "watches 20 episodes of dataset embodied-bench/treat-reach-v1/expert-v0, which holds 3" in short.output
    assert not (tmp_path / "runs").exists() or not any((tmp_path / "runs").rglob("run.json"))  # nothing ran
