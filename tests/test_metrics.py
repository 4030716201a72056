"""The metric functions on tiny hand-computed inputs, on rliable's published unit
vectors, and on the published Atari 100k results; the bootstrap's determinism and
coverage."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy.stats import trim_mean

from embodied_bench.metrics import (
    cost_rate,
    episode_cost,
    interval_estimates,
    iqm,
    mean,
    median,
    normalized_auc,
    optimality_gap,
    per_checkpoint,
    performance_profile,
    probability_of_improvement,
    steps_to_threshold,
)
from embodied_bench.metrics.tables import check_runs

DATA = Path(__file__).parent / "data"

# rliable's own unit test (tests/rliable/metrics_test.py), runs x tasks.
X = np.array([[1, 2], [2, 2], [1, 1], [2, 1]], dtype=float)
Y = np.array([[1, 1], [2, 2], [3, 3]], dtype=float)


def test_rliable_unit_vectors():
    assert median(X) == mean(X) == iqm(X) == 1.5
    assert iqm(Y) == 2.0
    assert probability_of_improvement(X, Y) == pytest.approx(1 / 3, abs=1e-15)
    assert optimality_gap(Y) == 0.0


def test_hand_computed_aggregates():
    s = np.array([[0.0, 1.0], [0.5, 3.0]])
    assert mean(s) == pytest.approx((0.25 + 2.0) / 2)
    assert median(np.array([[1.0, 5.0, 3.0]])) == 3.0  # median of task means
    assert optimality_gap(s) == pytest.approx(1.0 - (0.0 + 1.0 + 0.5 + 1.0) / 4)  # 3.0 is capped at gamma
    assert optimality_gap(s, gamma=2.0) == pytest.approx(2.0 - (0.0 + 1.0 + 0.5 + 2.0) / 4)
    # IQM of 8 values drops 2 from each end: mean of 3, 4, 5, 6.
    assert iqm(np.arange(1.0, 9.0).reshape(4, 2)) == 4.5
    assert iqm(np.array([[7.0]])) == 7.0
    np.testing.assert_allclose(performance_profile(s, [-1.0, 0.0, 0.5, 2.0, 3.0]), [1.0, 0.75, 0.5, 0.25, 0.0])


def test_probability_of_improvement_counts_ties_as_half():
    assert probability_of_improvement(np.array([[1.0]]), np.array([[1.0]])) == 0.5
    assert probability_of_improvement(np.array([[2.0]]), np.array([[1.0]])) == 1.0
    # Task 0: X always wins; task 1: 1 win, 1 tie, 2 losses of 4 pairs = 1.5 / 4.
    x = np.array([[5.0, 1.0], [6.0, 2.0]])
    y = np.array([[0.0, 1.0], [1.0, 3.0]])
    assert probability_of_improvement(x, y) == pytest.approx((1.0 + 1.5 / 4) / 2)
    assert probability_of_improvement(x, y) + probability_of_improvement(y, x) == pytest.approx(1.0)
    with pytest.raises(ValueError, match="same tasks"):
        probability_of_improvement(np.ones((2, 2)), np.ones((2, 3)))


def test_iqm_matches_scipy_trim_mean_on_random_shapes():
    rng = np.random.default_rng(0)
    for shape in [(3, 1), (5, 2), (10, 26), (7, 3)]:
        s = rng.normal(size=shape)
        assert iqm(s) == pytest.approx(trim_mean(s, 0.25, axis=None), abs=1e-12)


def test_batch_axes_give_the_same_as_one_at_a_time():
    rng = np.random.default_rng(1)
    batch = rng.random((4, 6, 3))
    for f in (iqm, mean, median, optimality_gap):
        np.testing.assert_allclose(f(batch), [f(b) for b in batch], rtol=0, atol=1e-15)
    other = rng.random((4, 5, 3))
    np.testing.assert_allclose(probability_of_improvement(batch, other), [probability_of_improvement(a, b) for a, b in zip(batch, other)])


def test_missing_runs_are_nan_and_ignored():
    # Task 1 has one run less: its padded row is NaN and counts nowhere.
    s = np.array([[1.0, 4.0], [2.0, 6.0], [3.0, np.nan]])
    assert mean(s) == pytest.approx((2.0 + 5.0) / 2)
    assert iqm(s) == pytest.approx(trim_mean([1, 2, 3, 4, 6], 0.25))
    assert optimality_gap(s / 10) == pytest.approx(1 - np.mean([0.1, 0.2, 0.3, 0.4, 0.6]))
    np.testing.assert_allclose(performance_profile(s, [2.5]), [3 / 5])
    assert probability_of_improvement(s, np.array([[2.0, 5.0]])) == pytest.approx(((0 + 0.5 + 1) / 3 + (0 + 1) / 2) / 2)


def _human_normalised(name: str) -> np.ndarray:
    random = json.loads((DATA / "atari100k" / "RANDOM.json").read_text())
    human = json.loads((DATA / "atari100k" / "HUMAN.json").read_text())
    games = sorted(random)
    scores = json.loads((DATA / "atari100k" / name).read_text())
    runs = len(scores[games[0]])
    return np.array([[(scores[g][r] - random[g][0]) / (human[g][0] - random[g][0]) for g in games] for r in range(runs)])


def _curl() -> np.ndarray:
    records = json.loads((DATA / "atari100k" / "CURL_10_evals.json").read_text())
    games = sorted({r["game"] for r in records})
    seeds = sorted({r["seed"] for r in records})
    out = np.full((len(seeds), len(games)), np.nan)
    for r in records:
        out[seeds.index(r["seed"]), games.index(r["game"])] = r["HNS"]
    assert not np.isnan(out).any()
    return out


@pytest.mark.parametrize(
    ("agent", "runs", "published_median", "published_mean"),
    [
        ("SPR.json", 100, 0.39562938291779215, 0.6157957428691673),
        ("DrQ_eps.json", 100, 0.312901399063074, 0.4647412513971657),
        ("SimPLe.json", 5, 0.13405558483729887, 0.3319978533732483),
        ("CURL", 100, 0.09234861529, 0.26148856121438463),
    ],
)
def test_atari100k_published_aggregates(agent, runs, published_median, published_mean):
    scores = _curl() if agent == "CURL" else _human_normalised(agent)
    assert scores.shape == (runs, 26)
    assert abs(median(scores) - published_median) < 1e-9
    assert abs(mean(scores) - published_mean) < 1e-9


def test_normalized_auc_by_hand():
    assert normalized_auc([0, 10, 30], [0.0, 1.0, 1.0]) == pytest.approx((0.5 * 10 + 20) / 30)
    assert normalized_auc([0, 1], [0.5, 0.5]) == 0.5
    np.testing.assert_allclose(normalized_auc([0, 2, 4], [[0, 0, 1], [1, 1, 1]]), [0.25, 1.0])
    for bad in ([0], [0, 0, 1], [[0, 1]]):
        with pytest.raises(ValueError):
            normalized_auc(bad, np.zeros(np.size(bad)))


def test_steps_to_threshold_interpolates_and_censors():
    steps = [0, 10, 20, 30]
    hit = steps_to_threshold(steps, [0.0, 0.4, 0.9, 1.0], 0.8)
    assert (hit.first, hit.crossing, hit.reached) == (20, pytest.approx(18.0), True)
    never = steps_to_threshold(steps, [0.0, 0.5, 0.7, 0.79], 0.8)
    assert (never.first, never.crossing, never.reached) == (30, 30, False)  # censored at the budget
    at_once = steps_to_threshold(steps, [0.8, 0.0, 0.0, 0.0], 0.8)
    assert (at_once.first, at_once.crossing, at_once.reached) == (0, 0, True)
    exact = steps_to_threshold(steps, [0.0, 0.8, 0.9, 1.0], 0.8)
    assert exact.crossing == pytest.approx(10.0)
    many = steps_to_threshold(steps, [[0.0, 0.4, 0.9, 1.0], [0.0, 0.0, 0.0, 0.0]], 0.8)
    np.testing.assert_allclose(many.crossing, [18.0, 30.0])
    np.testing.assert_array_equal(many.reached, [True, False])


def test_cost_metrics():
    assert episode_cost([0.0, 2.0, 1.0]) == 1.0
    assert cost_rate(5.0, 1000) == 0.005
    assert np.isnan(cost_rate(0.0, 0))


def test_bootstrap_is_deterministic_and_independent_of_the_other_entries():
    rng = np.random.default_rng(3)
    a, b = rng.random((6, 4)), rng.random((6, 4))
    p1, i1 = interval_estimates({"a": a}, iqm, reps=2_000, seed=7)
    p2, i2 = interval_estimates({"b": b, "a": a}, iqm, reps=2_000, seed=7)
    np.testing.assert_array_equal(i1["a"], i2["a"])
    assert p1["a"] == iqm(a)
    _, other = interval_estimates({"a": a}, iqm, reps=2_000, seed=8)
    assert not np.array_equal(other["a"], i1["a"])
    assert i1["a"][0] < iqm(a) < i1["a"][1]


def test_bootstrap_does_not_depend_on_chunking(monkeypatch):
    import embodied_bench.metrics.bootstrap as bootstrap

    rng = np.random.default_rng(4)
    a = rng.random((5, 3))
    _, whole = interval_estimates({"a": a}, iqm, reps=1_000, seed=0)
    monkeypatch.setattr(bootstrap, "_CHUNK_ELEMENTS", 7 * 15)  # 7 replicates a chunk
    calls = []
    _, chunked = interval_estimates({"a": a}, iqm, reps=1_000, seed=0, progress=calls.append)
    np.testing.assert_array_equal(whole["a"], chunked["a"])
    assert sum(calls) == 1_000 and len(calls) == 143


def test_bootstrap_resamples_whole_curves_within_tasks():
    # Run r's curve is r everywhere; any replicate mixing checkpoints of different runs
    # would make a curve that is not flat.
    curves = np.repeat(np.arange(4.0)[:, None, None], 3, axis=2)  # (runs=4, tasks=1, checkpoints=3)
    seen = []

    def spread(c):
        seen.append(np.ptp(c, axis=-1).max())
        return per_checkpoint(iqm)(c)

    points, intervals = interval_estimates({"flat": curves}, spread, reps=500)
    assert max(seen) == 0.0
    assert intervals["flat"].shape == (2, 3) and points["flat"].shape == (3,)
    # Tasks are strata: a task's replicate only ever holds that task's runs.
    two = np.stack([np.zeros(5), np.ones(5)], axis=1)
    _, iv = interval_estimates({"t": two}, lambda s: np.nanmean(s[..., 1], axis=-1) - np.nanmean(s[..., 0], axis=-1), reps=200)
    np.testing.assert_array_equal(iv["t"], [1.0, 1.0])


def test_bootstrap_keeps_missing_runs_missing():
    s = np.array([[1.0, 10.0], [2.0, 20.0], [3.0, np.nan]])
    _, iv = interval_estimates({"s": s}, lambda a: np.sum(~np.isnan(a), axis=(-2, -1)).astype(float), reps=300)
    np.testing.assert_array_equal(iv["s"], [5.0, 5.0])


def test_pairs_are_resampled_independently():
    x, y = np.arange(8.0).reshape(8, 1), np.arange(8.0).reshape(8, 1) + 0.5
    point, iv = interval_estimates({"x>y": (x, y)}, probability_of_improvement, reps=2_000)
    assert point["x>y"] == pytest.approx(28 / 64)
    assert iv["x>y"][0] < point["x>y"] < iv["x>y"][1]


def test_bootstrap_interval_of_the_mean_covers_about_95_percent():
    """Coverage sanity: normal data with a known mean; the percentile interval of the mean
    of 30 runs should cover it in roughly 95% of 300 trials."""
    rng = np.random.default_rng(2021)
    covered = 0
    trials = 300
    for t in range(trials):
        sample = rng.normal(loc=0.3, scale=1.0, size=(30, 1))
        _, iv = interval_estimates({"m": sample}, mean, reps=1_000, seed=t)
        covered += iv["m"][0] <= 0.3 <= iv["m"][1]
    assert 0.89 <= covered / trials <= 0.99, covered / trials


def test_bad_arguments():
    with pytest.raises(ValueError, match="reps"):
        interval_estimates({"a": X}, iqm, reps=0)
    with pytest.raises(ValueError, match="confidence"):
        interval_estimates({"a": X}, iqm, confidence=1.0)
    with pytest.raises(ValueError, match="no runs"):
        interval_estimates({"a": np.array([[1.0, np.nan]])}, iqm)
    with pytest.raises(ValueError, match="shape"):
        iqm(np.ones(3))


def test_level_table_shows_a_learner_that_masters_only_the_easiest_level():
    """Per-level results from hand-made levels.csv rows: an agent that solves every
    1-climb room and nothing else reads as exactly that; means over runs, tasks' order."""
    from embodied_bench.metrics.tables import level_runs, level_table

    rows = []
    for seed in range(4):
        for checkpoint in (0, 1):
            for level in ("1-climb", "2-climbs", "3-climbs"):
                solved = checkpoint == 1 and level == "1-climb"
                score = 1.0 if solved else (0.45 if checkpoint == 1 and level == "2-climbs" else 0.0)
                rows.append({"task": "cat-climb-skill@v1", "agent": "a", "privileged": False, "seed": seed, "run_dir": f"a/{seed}", "checkpoint": checkpoint, "budget_used": 400 * checkpoint, "level": level, "episodes": 5, "eval_success": float(solved), "eval_partial": score, "eval_return": 0.0, "eval_cost": 0.0, "eval_length": 4.0})
    frame = pd.DataFrame(rows)
    finals = level_runs(frame)
    assert len(finals) == 12 and set(finals["final_success"]) == {0.0, 1.0}
    table = level_table(frame, reps=500)
    assert list(table["level"]) == ["1-climb", "2-climbs", "3-climbs"]
    assert list(table["final_success"]) == [1.0, 0.0, 0.0]
    assert list(table["final_score"]) == pytest.approx([1.0, 0.45, 0.0])
    assert (table["runs"] == 4).all() and (table["layouts"] == 5).all()
    # Identical runs: the bootstrap interval is the point itself.
    assert list(table["final_score_lo"]) == pytest.approx([1.0, 0.45, 0.0]) and list(table["final_score_hi"]) == pytest.approx([1.0, 0.45, 0.0])


def test_graded_score_auc_is_computed_like_the_success_auc():
    from embodied_bench.metrics.tables import per_run_table

    steps = [0, 50, 100]
    frame = pd.DataFrame({"task": "t@v1", "agent": "a", "seed": 0, "budget_used": steps, "eval_success": [0.0, 0.0, 1.0], "eval_partial": [0.0, 0.5, 1.0], "threshold": 0.8})
    frame, _ = check_runs(frame)
    row = per_run_table(frame).iloc[0]
    assert row["auc"] == pytest.approx(0.25) and row["score_auc"] == pytest.approx(0.5)  # trapezoids over [0, 1]
    assert row["final_score"] == 1.0
