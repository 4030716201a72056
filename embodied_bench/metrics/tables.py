"""Tables from loaded run records: one row per run (``per_run_table``), aggregates with
bootstrap intervals per agent and task and per agent over several tasks
(``aggregate_table``), steps-to-threshold summaries and pairwise probability of
improvement.

The input is the tidy frame of ``embodied_bench.results.load_runs``: one row per (run,
checkpoint). Frames built elsewhere (published curves, other harnesses) work too; they need
``task``, ``agent``, ``seed``, ``budget_used`` and ``eval_success``, and ``check_runs``
fills the other columns with neutral values.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping

import numpy as np
import pandas as pd

from embodied_bench.metrics.aggregates import (
    AGGREGATES,
    aggregate_all,
    probability_of_improvement,
)
from embodied_bench.metrics.bootstrap import interval_estimates
from embodied_bench.metrics.curves import cost_rate, normalized_auc, steps_to_threshold

REQUIRED = ("task", "agent", "seed", "budget_used", "eval_success")
_DEFAULTS = {
    "task_version": 0,
    "task_hash": None,
    "privileged": False,
    "budget_unit": "steps",
    "budget_scale": 1.0,
    "eval_episodes": np.nan,
    "eval_reduced": False,
    "threshold": np.nan,
    "cost_limit": np.nan,
    "one_shot": False,
    "animal_budget": np.nan,
    "eval_layouts": "public",
    "phase_done": True,
    "watch_sha256": "",
    "play_cost": np.nan,
    "train_cost": np.nan,
    "eval_cost": np.nan,
    "eval_partial": np.nan,
    "train_episodes": np.nan,
}
MIN_RUNS = 5
"""Fewer runs per task than this and percentile-bootstrap intervals under-cover."""
SCORE_METRICS = ("final_success", "auc", "final_score", "score_auc")
"""Per-run scores the aggregates are computed for: final evaluation success and the
normalised area under the success curve (sample efficiency), and the same two for the
task's graded score (``eval_partial``: credit for progress before mastery; the success
itself on a task that grades nothing else)."""


class MixedRunsError(ValueError):
    """Runs that must not be aggregated together (different task versions, budgets or
    evaluation grids, or one run given twice)."""


def check_runs(df: pd.DataFrame) -> tuple[pd.DataFrame, list[str]]:
    """Validate a tidy frame of runs for aggregation; return it with defaults filled and
    the warnings a reader must see. Raises ``MixedRunsError`` for runs that cannot be
    aggregated together."""
    missing = [c for c in REQUIRED if c not in df.columns]
    if missing:
        raise MixedRunsError(f"the runs lack the columns {', '.join(missing)}")
    if df.empty:
        raise MixedRunsError("no complete runs to report on")
    df = df.copy()
    for col, value in _DEFAULTS.items():
        if col not in df.columns:
            df[col] = value
    if "run_dir" not in df.columns:
        df["run_dir"] = df["task"].astype(str) + "/" + df["agent"].astype(str) + "/seed-" + df["seed"].astype(str)
    if "budget" not in df.columns:
        df["budget"] = df.groupby("run_dir")["budget_used"].transform("max")
    if "env_steps" not in df.columns:
        df["env_steps"] = np.where(df["budget_unit"] == "steps", df["budget_used"], np.nan)
    _check_curves(df)
    df = df.sort_values(["task", "agent", "seed", "run_dir", "budget_used"], kind="stable").reset_index(drop=True)

    warnings: list[str] = []
    for task, g in df.groupby("task", sort=True):
        versions = sorted(g["task_version"].unique())
        if len(versions) > 1:
            raise MixedRunsError(f"runs of task {task} mix task versions {', '.join(map(str, versions))}: report each version separately")
        budgets = sorted(g["budget"].unique())
        if len(budgets) > 1:
            raise MixedRunsError(f"runs of task {task} mix budgets {', '.join(f'{b:,}' for b in budgets)} (different --budget-scale?): report them separately")
        layouts = sorted(g["eval_episodes"].dropna().unique())
        if len(layouts) > 1:
            raise MixedRunsError(f"runs of task {task} were evaluated on different numbers of held-out layouts ({', '.join(f'{n:g}' for n in layouts)}, see --eval-episodes): report them separately")
        grids = {tuple(r["budget_used"]) for _, r in g.groupby("run_dir")}
        if len(grids) > 1:
            raise MixedRunsError(f"runs of task {task} were evaluated on different checkpoint grids: report them separately")
        sets = sorted(g["eval_layouts"].astype(str).unique())
        if len(sets) > 1:
            warnings.append(f"runs of task {task} were scored on different evaluation layouts ({', '.join(sets)}): same distribution, but not paired")
        hashes = {h for h in g["task_hash"].dropna().unique()}
        if len(hashes) > 1:
            warnings.append(f"runs of task {task} v{versions[0]} ran different task code ({len(hashes)} task hashes) under the same version")
        watched = sorted(h for h in g["watch_sha256"].unique() if h)
        if len(watched) > 1:
            raise MixedRunsError(f"runs of task {task} watched different datasets (content hashes {', '.join(h[:12] for h in watched)}): report them separately")
        idle = sorted(g.loc[~g["phase_done"].astype(bool), "agent"].unique())
        if idle:
            warnings.append(f"{', '.join(idle)} did not {g['protocol'].iloc[0] if 'protocol' in g else 'watch or play'} on {task} (no pretrain, observe_play or play): the gain there is 0 by construction")
    owners = df.drop_duplicates(["agent", "run_dir"]).groupby("run_dir")["agent"].apply(list)
    shared = owners[owners.map(len) > 1]
    if len(shared):
        folder, names = next(iter(shared.items()))
        raise MixedRunsError(f"run {folder} is counted for {len(names)} agents ({', '.join(names)}): pass each run once")
    dup = df.drop_duplicates(["task", "agent", "seed", "run_dir"]).groupby(["task", "agent", "seed"])["run_dir"].apply(list)
    dup = dup[dup.map(len) > 1]
    if len(dup):
        (task, agent, seed), dirs = next(iter(dup.items()))
        raise MixedRunsError(f"run {task}/{agent}/seed {seed} is given {len(dirs)} times ({', '.join(dirs)}): pass each run once")
    runs = df.drop_duplicates("run_dir")
    smoke = runs[(runs["budget_scale"] != 1.0) | runs["eval_reduced"].astype(bool)]
    if len(smoke):
        tasks = ", ".join(sorted(smoke["task"].unique()))
        warnings.append(f"{len(smoke)} runs ({tasks}) used a --budget-scale or fewer --eval-episodes than their task's protocol: smoke-test numbers, not results to report")
    counts = runs.groupby(["task", "agent"]).size()
    few = counts[counts < MIN_RUNS]
    if len(few):
        pairs = ", ".join(f"{a} on {t} ({n})" for (t, a), n in few.items())
        warnings.append(f"fewer than {MIN_RUNS} runs for {pairs}: bootstrap intervals will under-cover")
    return df, warnings


def _check_curves(df: pd.DataFrame) -> None:
    # Every run must be a real curve: numbers, a checkpoint at most once, at least two of them.
    for col in ("budget_used", "eval_success"):
        values = pd.to_numeric(df[col], errors="coerce")
        bad = df.loc[~np.isfinite(values.to_numpy(float)), "run_dir"]
        if len(bad):
            raise MixedRunsError(f"run {bad.iloc[0]}: {col} holds a value that is not a finite number; rerun it or leave it out")
        df[col] = values
    for folder, g in df.groupby("run_dir", sort=True):
        steps = g["budget_used"]
        if len(g) < 2:
            raise MixedRunsError(f"run {folder}: its curve has {len(g)} checkpoint (at least 2 are needed); rerun it or leave it out")
        if steps.duplicated().any():
            raise MixedRunsError(f"run {folder}: its curve repeats checkpoint {steps[steps.duplicated()].iloc[0]:g}; rerun it or leave it out")


def per_run_table(df: pd.DataFrame) -> pd.DataFrame:
    """One row per run: final success and graded score, normalised AUC of each,
    steps-to-threshold on success (first checkpoint and interpolated crossing, censored at
    the budget), cumulative training cost, cost rate, final evaluation cost, first-attempt
    success (one-shot tasks)."""
    rows = []
    for _, g in df.sort_values(["task", "agent", "seed", "budget_used"]).groupby("run_dir", sort=False):
        first = g.iloc[0]
        last = g.iloc[-1]
        steps = g["budget_used"].to_numpy(float)
        success = g["eval_success"].to_numpy(float)
        graded = g["eval_partial"].to_numpy(float)
        if not np.isfinite(graded).all():  # curves from elsewhere without a graded score
            graded = success
        crossing = steps_to_threshold(steps, success, float(first["threshold"])) if np.isfinite(first["threshold"]) else None
        rows.append(
            {
                "task": first["task"],
                "task_version": first["task_version"],
                "agent": first["agent"],
                "privileged": bool(first["privileged"]),
                "seed": first["seed"],
                "budget": first["budget"],
                "budget_unit": first["budget_unit"],
                "checkpoints": len(g),
                "final_success": float(last["eval_success"]),
                "auc": float(normalized_auc(steps, success)),
                "final_score": float(graded[-1]),
                "score_auc": float(normalized_auc(steps, graded)),
                "threshold": float(first["threshold"]),
                "reached_threshold": bool(crossing.reached) if crossing else False,
                "steps_to_threshold": float(crossing.first) if crossing else np.nan,
                "threshold_crossing": float(crossing.crossing) if crossing else np.nan,
                "train_cost": float(last["train_cost"]),
                "env_steps": float(last["env_steps"]),
                "cost_rate": float(cost_rate(last["train_cost"], last["env_steps"])),
                "final_eval_cost": float(last["eval_cost"]),
                "cost_limit": float(first["cost_limit"]),
                "within_cost_limit": bool(last["eval_cost"] <= first["cost_limit"]) if np.isfinite(last["eval_cost"]) and np.isfinite(first["cost_limit"]) else None,
                "first_attempt_success": float(g["eval_success"].iloc[0]) if first["one_shot"] and steps[0] == 0 else np.nan,
                "animal_budget": first["animal_budget"],
                # A protocol variant's plain task (itself for a plain task): gains pair them.
                "protocol": first.get("protocol", "") or "",
                "plain_task": first.get("plain_task") or first["task"],
                "play_cost": float(first.get("play_cost", np.nan)),
                "run_dir": first["run_dir"],
            }
        )
    return pd.DataFrame(rows)


def score_array(per_run: pd.DataFrame, tasks: Iterable[str], columns: Iterable[str] = SCORE_METRICS) -> np.ndarray:
    """Scores of one agent's runs as ``(runs, tasks, len(columns))``, tasks in the given
    order; a task with fewer runs than the most is padded with NaN rows."""
    tasks, columns = list(tasks), list(columns)
    by_task = [per_run.loc[per_run["task"] == t].sort_values("seed")[columns].to_numpy(float) for t in tasks]
    runs = max(len(b) for b in by_task)
    out = np.full((runs, len(tasks), len(columns)), np.nan)
    for j, b in enumerate(by_task):
        out[: len(b), j] = b
    return out


def _all_scores(a: np.ndarray) -> np.ndarray:
    # (..., runs, tasks, metrics) -> (..., metrics * 4): every aggregate of every metric.
    return np.concatenate([aggregate_all(a[..., m]) for m in range(a.shape[-1])], axis=-1)


def scopes(per_run: pd.DataFrame, suites: Mapping[str, tuple[str, ...]] | None = None) -> list[tuple[str, str, tuple[str, ...]]]:
    """What to aggregate over, as (scope, kind, tasks): each task ("task"); each suite
    whose tasks all have runs ("suite"); with two tasks or more, every task of the report
    ("all": only agents that ran them all get a row) and, when some agent ran fewer, the
    tasks every agent ran ("common", two or more)."""
    tasks = sorted(per_run["task"].unique())
    out = [(t, "task", (t,)) for t in tasks]
    for name, members in (suites or {}).items():
        if set(members) <= set(tasks) and len(members) > 0:
            out.append((name, "suite", tuple(members)))
    if len(tasks) > 1:
        out.append(("all tasks", "all", tuple(tasks)))
        common = set(tasks)
        for _, g in per_run.groupby("agent"):
            common &= set(g["task"])
        if 1 < len(common) < len(tasks):
            out.append(("tasks every agent ran", "common", tuple(sorted(common))))
    return out


def aggregate_table(
    per_run: pd.DataFrame,
    suites: Mapping[str, tuple[str, ...]] | None = None,
    reps: int = 50_000,
    confidence: float = 0.95,
    seed: int = 0,
    progress: Callable[[int], None] | None = None,
) -> pd.DataFrame:
    """Per agent and scope (``scopes``) and per score metric (``SCORE_METRICS``): runs,
    tasks, and IQM, median, mean and optimality gap each with its bootstrap interval
    (columns ``<aggregate>``, ``<aggregate>_lo``, ``<aggregate>_hi``). An agent gets a
    multi-task row only where it ran every task of the scope."""
    data: dict[str, np.ndarray] = {}
    meta: dict[str, dict] = {}
    for scope, kind, tasks in scopes(per_run, suites):
        for agent, g in per_run.groupby("agent", sort=True):
            if not set(tasks) <= set(g["task"]):
                continue
            key = f"{agent}|{scope}"
            data[key] = score_array(g, tasks)
            meta[key] = {"agent": agent, "privileged": bool(g["privileged"].iloc[0]), "scope": scope, "scope_kind": kind, "tasks": len(tasks), "runs": int(g["task"].isin(tasks).sum())}
    points, intervals = interval_estimates(data, _all_scores, reps=reps, confidence=confidence, seed=seed, progress=progress)
    rows = []
    names = list(AGGREGATES)
    for key, m in meta.items():
        for k, metric in enumerate(SCORE_METRICS):
            row = {**m, "metric": metric}
            for a, agg in enumerate(names):
                i = k * len(names) + a
                row[agg] = float(points[key][i])
                row[f"{agg}_lo"] = float(intervals[key][0, i])
                row[f"{agg}_hi"] = float(intervals[key][1, i])
            rows.append(row)
    return pd.DataFrame(rows)


def bootstrap_work(per_run: pd.DataFrame, suites: Mapping[str, tuple[str, ...]] | None, reps: int) -> int:
    """Replicates ``aggregate_table`` will draw (for a progress bar)."""
    n = 0
    for _, _, tasks in scopes(per_run, suites):
        n += sum(set(tasks) <= set(g["task"]) for _, g in per_run.groupby("agent"))
    return n * reps


def threshold_table(per_run: pd.DataFrame) -> pd.DataFrame:
    """Per task and agent: how many runs reached the threshold and the median
    (interpolated) steps-to-threshold. A run that never reached it counts as infinitely
    late, so the median exists only when more than half the runs reached it (NaN
    otherwise)."""
    rows = []
    for (task, agent), g in per_run.groupby(["task", "agent"], sort=True):
        times = np.where(g["reached_threshold"], g["threshold_crossing"], np.inf)
        med = float(np.median(times)) if len(times) else np.nan
        rows.append(
            {
                "task": task,
                "agent": agent,
                "privileged": bool(g["privileged"].iloc[0]),
                "runs": len(g),
                "reached": int(g["reached_threshold"].sum()),
                "threshold": float(g["threshold"].iloc[0]),
                "median_steps_to_threshold": med if np.isfinite(med) else np.nan,
                "budget": g["budget"].iloc[0],
                "budget_unit": g["budget_unit"].iloc[0],
                "animal_budget": g["animal_budget"].iloc[0],
            }
        )
    return pd.DataFrame(rows)


def common_scores(per_run: pd.DataFrame, a: str, b: str, metric: str) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """Scores of agents ``a`` and ``b`` on the tasks both ran: two ``(runs, tasks)``
    arrays and the task list."""
    ta = set(per_run.loc[per_run["agent"] == a, "task"])
    tb = set(per_run.loc[per_run["agent"] == b, "task"])
    tasks = sorted(ta & tb)
    if not tasks:
        raise MixedRunsError(f"{a} and {b} have no task in common")
    xa = score_array(per_run[per_run["agent"] == a], tasks, [metric])[..., 0]
    xb = score_array(per_run[per_run["agent"] == b], tasks, [metric])[..., 0]
    return xa, xb, tasks


def improvement_table(
    per_run: pd.DataFrame,
    metric: str = "auc",
    reps: int = 50_000,
    confidence: float = 0.95,
    seed: int = 0,
    progress: Callable[[int], None] | None = None,
) -> pd.DataFrame:
    """P(row agent > column agent) on ``metric`` over the tasks both ran, with its
    interval, for every ordered pair of agents. Each unordered pair is bootstrapped once;
    P(b > a) is 1 - P(a > b) in every replicate, so its interval is the mirror image."""
    agents = sorted(per_run["agent"].unique())
    rows = []
    for i, a in enumerate(agents):
        for b in agents[i + 1 :]:
            try:
                xa, xb, tasks = common_scores(per_run, a, b, metric)
            except MixedRunsError:
                continue
            point, (lo, hi) = pair_improvement(xa, xb, a, b, metric, reps=reps, confidence=confidence, seed=seed, progress=progress)
            fewest = min_runs(xa, xb)
            rows.append({"a": a, "b": b, "metric": metric, "tasks": len(tasks), "min_runs": fewest, "p": point, "p_lo": lo, "p_hi": hi})
            rows.append({"a": b, "b": a, "metric": metric, "tasks": len(tasks), "min_runs": fewest, "p": 1 - point, "p_lo": 1 - hi, "p_hi": 1 - lo})
    return pd.DataFrame(rows, columns=["a", "b", "metric", "tasks", "min_runs", "p", "p_lo", "p_hi"])


def pair_improvement(xa: np.ndarray, xb: np.ndarray, a: str, b: str, metric: str, **bootstrap) -> tuple[float, tuple[float, float]]:
    """P(a > b) with its interval. The pair is always bootstrapped in sorted name order
    and mirrored (P(b > a) is 1 - P(a > b) in every replicate), so ``a`` vs ``b`` and
    ``b`` vs ``a`` give mirror-image numbers, here and in every report."""
    if b < a:
        p, (lo, hi) = pair_improvement(xb, xa, b, a, metric, **bootstrap)
        return 1 - p, (1 - hi, 1 - lo)
    key = f"{a}>{b}|{metric}"
    points, intervals = interval_estimates({key: (xa, xb)}, probability_of_improvement, **bootstrap)
    return float(points[key]), (float(intervals[key][0]), float(intervals[key][1]))


def min_runs(*scores: np.ndarray) -> int:
    """The fewest runs any task has in any of the ``(runs, tasks)`` arrays."""
    return int(min(np.sum(~np.isnan(s), axis=0).min() for s in scores))


def improvement_work(per_run: pd.DataFrame, reps: int) -> int:
    """Replicates ``improvement_table`` will draw (for a progress bar)."""
    tasks = {a: set(g["task"]) for a, g in per_run.groupby("agent")}
    names = sorted(tasks)
    return sum(bool(tasks[a] & tasks[b]) for i, a in enumerate(names) for b in names[i + 1 :]) * reps


def curve_table(
    df: pd.DataFrame,
    column: str = "eval_success",
    reps: int = 5_000,
    confidence: float = 0.95,
    seed: int = 0,
    progress: Callable[[int], None] | None = None,
) -> pd.DataFrame:
    """IQM across runs of ``column`` at each checkpoint, with its bootstrap band, per task
    and agent: columns task, agent, privileged, budget_unit, step, runs, iqm, lo, hi. Runs
    are resampled whole (one index per run for all checkpoints)."""
    from embodied_bench.metrics.aggregates import iqm
    from embodied_bench.metrics.bootstrap import per_checkpoint

    data, meta = {}, {}
    for (task, agent), g in df.groupby(["task", "agent"], sort=True):
        wide = g.pivot_table(index="run_dir", columns="budget_used", values=column, aggfunc="first", dropna=False)
        if wide.isna().all().all():
            continue
        key = f"{task}|{agent}|{column}"
        data[key] = wide.to_numpy(float)[:, None, :]
        meta[key] = (task, agent, bool(g["privileged"].iloc[0]), g["budget_unit"].iloc[0], wide.columns.to_numpy(float), len(wide))
    points, intervals = interval_estimates(data, per_checkpoint(iqm), reps=reps, confidence=confidence, seed=seed, progress=progress)
    rows = []
    for key, (task, agent, privileged, unit, steps, runs) in meta.items():
        for c, step in enumerate(steps):
            rows.append({"task": task, "agent": agent, "privileged": privileged, "budget_unit": unit, "step": step, "runs": runs, "iqm": points[key][c], "lo": intervals[key][0, c], "hi": intervals[key][1, c]})
    return pd.DataFrame(rows, columns=["task", "agent", "privileged", "budget_unit", "step", "runs", "iqm", "lo", "hi"])


def curve_work(df: pd.DataFrame, reps: int, column: str = "eval_success") -> int:
    """Replicates ``curve_table`` will draw (for a progress bar)."""
    return int(df.groupby(["task", "agent"])[column].apply(lambda c: c.notna().any()).sum()) * reps


def profile_table(
    per_run: pd.DataFrame,
    tasks: Iterable[str],
    metric: str = "final_success",
    taus: np.ndarray | None = None,
    reps: int = 5_000,
    confidence: float = 0.95,
    seed: int = 0,
    progress: Callable[[int], None] | None = None,
) -> pd.DataFrame:
    """Performance profile of each agent that ran all ``tasks``: the fraction of runs with
    ``metric`` above each tau, with its bootstrap band. Columns agent, privileged, tau,
    fraction, lo, hi."""
    from embodied_bench.metrics.aggregates import performance_profile

    tasks = list(tasks)
    taus = np.linspace(0.0, 1.0, 101) if taus is None else np.asarray(taus, float)
    data, priv = {}, {}
    for agent, g in per_run.groupby("agent", sort=True):
        if set(tasks) <= set(g["task"]):
            data[f"{agent}|profile|{metric}"] = score_array(g, tasks, [metric])[..., 0]
            priv[f"{agent}|profile|{metric}"] = (agent, bool(g["privileged"].iloc[0]))
    points, intervals = interval_estimates(data, lambda s: performance_profile(s, taus), reps=reps, confidence=confidence, seed=seed, progress=progress)
    rows = []
    for key, (agent, privileged) in priv.items():
        for k, tau in enumerate(taus):
            rows.append({"agent": agent, "privileged": privileged, "tau": tau, "fraction": points[key][k], "lo": intervals[key][0, k], "hi": intervals[key][1, k]})
    return pd.DataFrame(rows, columns=["agent", "privileged", "tau", "fraction", "lo", "hi"])


LEVEL_METRICS = ("final_success", "final_score")
"""What the per-level table aggregates: each run's final success rate and graded score on
the held-out layouts of one difficulty level."""


def level_runs(levels: pd.DataFrame) -> pd.DataFrame:
    """One row per (run, level) from the tidy frame of ``results.load.load_levels``: the
    final checkpoint's success and graded score on that level's layouts."""
    if levels.empty:
        return pd.DataFrame(columns=["task", "agent", "privileged", "seed", "run_dir", "level", "episodes", *LEVEL_METRICS])
    last = levels[levels["checkpoint"] == levels.groupby("run_dir")["checkpoint"].transform("max")]
    out = last[["task", "agent", "privileged", "seed", "run_dir", "level", "episodes", "eval_success", "eval_partial"]]
    return out.rename(columns={"eval_success": "final_success", "eval_partial": "final_score"}).reset_index(drop=True)


def level_table(levels: pd.DataFrame, reps: int = 10_000, confidence: float = 0.95, seed: int = 0) -> pd.DataFrame:
    """Per (task, agent, level), in the order the task lists its levels: runs, layouts per
    run, and the mean over runs of the final success and graded score with bootstrap
    intervals (``<metric>``, ``<metric>_lo``, ``<metric>_hi``). A learner that masters the
    easiest level and nothing else shows as exactly that."""
    runs = level_runs(levels)
    if runs.empty:
        return pd.DataFrame()
    order = {level: i for i, level in enumerate(dict.fromkeys(runs["level"]))}
    data, meta = {}, {}
    for (task, agent, level), g in runs.groupby(["task", "agent", "level"], sort=False):
        key = f"{task}|{agent}|{level}"
        data[key] = g.sort_values("seed")[list(LEVEL_METRICS)].to_numpy(float)[:, None, :]
        meta[key] = {"task": task, "agent": agent, "privileged": bool(g["privileged"].iloc[0]), "level": level, "runs": len(g), "layouts": int(g["episodes"].iloc[0])}

    def means(a: np.ndarray) -> np.ndarray:
        return np.nanmean(a, axis=(-3, -2))

    points, intervals = interval_estimates(data, means, reps=reps, confidence=confidence, seed=seed)
    rows = []
    for key, m in meta.items():
        row = dict(m)
        for i, metric in enumerate(LEVEL_METRICS):
            row[metric], row[f"{metric}_lo"], row[f"{metric}_hi"] = float(points[key][i]), float(intervals[key][0, i]), float(intervals[key][1, i])
        rows.append(row)
    table = pd.DataFrame(rows)
    table["order"] = table["level"].map(order)
    return table.sort_values(["task", "agent", "order"], kind="stable").drop(columns="order").reset_index(drop=True)
