"""``embodied-bench report``: from a tidy frame of runs to per_run.csv, aggregates.csv,
figures (PNG and SVG), report.md and a self-contained report.html."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Mapping, Sequence

import numpy as np
import pandas as pd

import embodied_bench
from embodied_bench import video
from embodied_bench.metrics import tables
from embodied_bench.metrics.compare import significance
from embodied_bench.metrics import adaptation
from embodied_bench.metrics.gain import gains
from embodied_bench.report import document as doc
from embodied_bench.report import figures
from embodied_bench.results.records import atomic_write_bytes, atomic_write_text

FIGURE_NAMES = ("learning-curves", "score-curves", "adapt-curves", "levels", "aggregates", "performance-profile", "probability-of-improvement", "cost-training", "cost-evaluation")
"""Every figure a report may draw (``figures/<name>.png`` and ``.svg``)."""

Progress = Callable[[int, int], None]
"""Called as ``progress(advance, total)`` while bootstrap replicates are drawn."""


@dataclass(frozen=True)
class ReportOptions:
    """How a report is computed."""

    reps: int = 50_000
    """Bootstrap replicates for the aggregate intervals and probability of improvement."""
    band_reps: int = 5_000
    """Bootstrap replicates for the bands of the figures (curves, profiles)."""
    confidence: float = 0.95
    """Coverage of every interval."""
    seed: int = 0
    """Seed of the bootstrap: the same runs and seed give the same intervals."""
    per_run_lines: bool = False
    """Draw every run as a thin line under the IQM of the learning curves."""
    formats: tuple[str, ...] = ("png", "svg")
    """File formats of the figures (PNG is always written: the reports embed it)."""


@dataclass
class Report:
    """What ``build_report`` wrote and computed."""

    out: Path
    files: list[Path] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    per_run: pd.DataFrame | None = None
    aggregates: pd.DataFrame | None = None


def _fmt(x: float, digits: int = 3) -> str:
    return "–" if x is None or (isinstance(x, float) and not np.isfinite(x)) else f"{x:.{digits}f}"


def _ci(point: float, lo: float, hi: float) -> str:
    return f"{_fmt(point)} [{_fmt(lo)}, {_fmt(hi)}]"


def _count(x: float, unit: str) -> str:
    if x is None or not np.isfinite(x):
        return "–"
    return f"{x:,.0f} {unit}"


def _label(agent: str, privileged: bool) -> str:
    return agent + (f" {figures.PRIVILEGED_MARK}" if privileged else "")


def headline_scope(aggregates: pd.DataFrame) -> str:
    """The scope the report leads with: all tasks when two agents or more ran them all;
    else the tasks every agent ran; else a suite; else the first task."""
    rows = aggregates.drop_duplicates(["scope", "agent"])
    agents = rows.groupby("scope")["agent"].nunique()
    kinds = rows.drop_duplicates("scope").set_index("scope")["scope_kind"]
    two = min(2, int(rows["agent"].nunique()))  # a report on one agent leads with all its tasks
    for kind, need in (("all", two), ("common", 1), ("suite", 1), ("all", 1), ("task", 1)):
        chosen = [s for s in kinds.index[kinds == kind] if agents[s] >= need]
        if chosen:
            return str(chosen[0])
    raise ValueError("no aggregates")


def build_report(
    df: pd.DataFrame,
    out: Path,
    options: ReportOptions = ReportOptions(),
    suites: Mapping[str, tuple[str, ...]] | None = None,
    provenance: pd.DataFrame | None = None,
    notes: Sequence[str] = (),
    progress: Progress | None = None,
    levels: pd.DataFrame | None = None,
    clips: pd.DataFrame | None = None,
    adapt: tuple[list, dict] | None = None,
) -> Report:
    """Compute every table and figure for the runs in ``df`` (the tidy frame of
    ``load_runs``) and write them to ``out``. Raises ``tables.MixedRunsError`` for runs
    that cannot be aggregated together. ``notes`` are warnings found while loading;
    ``levels`` the per-level frame of ``results.load.load_levels`` (tasks with difficulty
    levels get a per-level table and figure); ``clips`` the frame of
    ``results.load.load_clips`` (each agent's clips at its first and last recorded
    checkpoint are copied to ``videos/``, embedded in report.html, linked from report.md);
    ``adapt`` the adapt runs and single-world references of
    ``results.load.load_adapt_runs`` (continual metrics, a table and a figure)."""
    out = Path(out)
    df, warnings = tables.check_runs(df)
    warnings = [*notes, *warnings]
    report = Report(out=out, warnings=warnings)
    per_run = tables.per_run_table(df)
    agents = dict(per_run.drop_duplicates("agent").set_index("agent")["privileged"].astype(bool))
    styles = figures.agent_styles(agents)

    has_train_cost, has_eval_cost = df["train_cost"].notna().any(), df["eval_cost"].notna().any()
    # A graded score worth its own curves: some task grades more than success.
    graded = bool(df["eval_partial"].notna().any() and (df["eval_partial"].fillna(df["eval_success"]) != df["eval_success"]).any())
    levels = levels if levels is not None and len(levels) else None
    total = (
        tables.bootstrap_work(per_run, suites, options.reps)
        + tables.improvement_work(per_run, options.reps)
        + tables.curve_work(df, options.band_reps) * (2 if graded else 1)
        + (tables.curve_work(df, options.band_reps, "train_cost") if has_train_cost else 0)
        + (tables.curve_work(df, options.band_reps, "eval_cost") if has_eval_cost else 0)
        + len(agents) * options.band_reps
    )
    done = 0

    def advance(n: int) -> None:
        nonlocal done
        done += n
        if progress is not None:
            progress(n, total)

    # Fail on an unwritable folder before the bootstrap work, not after it.
    out.mkdir(parents=True, exist_ok=True)
    common = dict(confidence=options.confidence, seed=options.seed, progress=advance)
    aggregates = tables.aggregate_table(per_run, suites, reps=options.reps, **common)
    improvement = tables.improvement_table(per_run, "auc", reps=options.reps, **common)
    bands = tables.curve_table(df, "eval_success", reps=options.band_reps, **common)
    score_bands = tables.curve_table(df, "eval_partial", reps=options.band_reps, **common) if graded else None
    level_rows = tables.level_table(levels, reps=options.band_reps, confidence=options.confidence, seed=options.seed) if levels is not None else None
    head = headline_scope(aggregates)
    head_tasks = next(t for s, _, t in tables.scopes(per_run, suites) if s == head)
    profile = tables.profile_table(per_run, head_tasks, reps=options.band_reps, **common)
    train_cost = tables.curve_table(df, "train_cost", reps=options.band_reps, **common) if has_train_cost else None
    eval_cost = tables.curve_table(df, "eval_cost", reps=options.band_reps, **common) if has_eval_cost else None
    if progress is not None and done < total:  # agents that skip a scope draw less than planned
        progress(total - done, total)
    thresholds = tables.threshold_table(per_run)
    phase_gains = gains(per_run, "score_auc" if graded else "auc", reps=options.reps, confidence=options.confidence, seed=options.seed)
    report.per_run, report.aggregates = per_run, aggregates
    adapt_runs, adapt_refs = adapt if adapt is not None else ([], {})
    try:
        adapt_table = adaptation.per_run_adaptation(adapt_runs, adapt_refs) if adapt_runs else None
    except ValueError as exc:  # a run's phases.csv that does not fit its protocol: named
        raise tables.MixedRunsError(str(exc)) from None
    adapted = adaptation.adaptation(adapt_table, reps=options.reps, confidence=options.confidence, seed=options.seed) if adapt_table is not None else []

    figdir = out / "figures"
    formats = tuple(dict.fromkeys(("png", *options.formats)))
    images: dict[str, doc.Image] = {}

    def add_figure(name: str, fig, alt: str) -> None:
        paths = figures.save(fig, figdir, name, formats)
        report.files.extend(paths.values())
        images[name] = doc.Image(path=f"figures/{name}.png", alt=alt, png=paths["png"].read_bytes())

    add_figure("learning-curves", figures.learning_curves(bands, styles, df if options.per_run_lines else None), "Learning curves: IQM of the evaluation success rate across runs at each checkpoint, with 95% bootstrap bands, per task and agent")
    if score_bands is not None:
        add_figure("score-curves", figures.learning_curves(score_bands, styles, df if options.per_run_lines else None, column="eval_partial", ylabel="graded score"), "Learning curves of the graded score (credit for progress before success): IQM across runs at each checkpoint, with 95% bootstrap bands")
    if adapt_runs:
        add_figure("adapt-curves", figures.adapt_curves(adapt_runs, styles), f"Adapt runs: {figures.ADAPT_CAPTION}")
    if level_rows is not None and len(level_rows):
        add_figure("levels", figures.level_bars(level_rows, styles), "Final graded score per difficulty level: mean across runs with 95% bootstrap intervals, per task and agent")
    add_figure("aggregates", figures.interval_plot(aggregates[aggregates["scope"] == head], styles, title=f"Aggregates over {head}"), f"IQM, median, mean and optimality gap of final success and normalised AUC over {head}, with bootstrap intervals")
    add_figure("performance-profile", figures.profile_plot(profile, styles, title=f"Performance profile over {head}"), "Performance profiles: fraction of runs whose final success exceeds each threshold, with bootstrap bands")
    if len(improvement):
        add_figure("probability-of-improvement", figures.improvement_matrix(improvement, styles, title="P(X > Y) on normalised AUC"), "Probability of improvement on normalised AUC between every pair of agents, with bootstrap intervals")
    limits = dict(per_run.drop_duplicates("task").set_index("task")["cost_limit"])
    lines = df if options.per_run_lines else None
    if train_cost is not None:
        add_figure("cost-training", figures.learning_curves(train_cost, styles, lines, column="train_cost", ylabel="cumulative training cost", ylim=None), "Guardrails while learning: cumulative training cost (IQM across runs, bootstrap bands)")
    if eval_cost is not None:
        add_figure("cost-evaluation", figures.learning_curves(eval_cost, styles, lines, column="eval_cost", ylabel="cost per evaluation episode", ylim=None, reference=limits, reference_label="cost limit"), "Guardrails of the learned policy: mean cost per evaluation episode with the task's cost limit (dotted)")
    # A figure an earlier report left in this folder would now describe other runs.
    for name in FIGURE_NAMES:
        for fmt in ("png", "svg"):
            stale = figdir / f"{name}.{fmt}"
            if stale.exists() and stale not in report.files:
                stale.unlink()

    csv_per_run = out / "per_run.csv"
    atomic_write_text(csv_per_run, per_run.to_csv(index=False, float_format="%.10g"))
    csv_agg = out / "aggregates.csv"
    atomic_write_text(csv_agg, aggregates.to_csv(index=False, float_format="%.10g"))
    csv_poi = out / "probability_of_improvement.csv"
    atomic_write_text(csv_poi, improvement.to_csv(index=False, float_format="%.10g"))
    csv_thr = out / "steps_to_threshold.csv"
    atomic_write_text(csv_thr, thresholds.to_csv(index=False, float_format="%.10g"))
    report.files += [csv_per_run, csv_agg, csv_poi, csv_thr]
    csv_adapt = out / "adaptation.csv"
    if adapt_table is not None:
        atomic_write_text(csv_adapt, adapt_table.to_csv(index=False, float_format="%.10g"))
        report.files.append(csv_adapt)
    else:
        csv_adapt.unlink(missing_ok=True)
    csv_levels = out / "levels.csv"
    if level_rows is not None:
        atomic_write_text(csv_levels, level_rows.to_csv(index=False, float_format="%.10g"))
        report.files.append(csv_levels)
    else:
        csv_levels.unlink(missing_ok=True)  # an earlier report's would describe other runs

    clip_blocks = _clip_blocks(clips, out, report)
    blocks = _blocks(df, per_run, aggregates, improvement, thresholds, head, head_tasks, images, warnings, options, provenance, level_rows, clip_blocks, phase_gains, adapted)
    md, page = out / "report.md", out / "report.html"
    atomic_write_text(md, doc.to_markdown(blocks))
    atomic_write_text(page, doc.to_html(blocks, title="embodied-bench report"))
    report.files += [md, page]
    return report


def chosen_clips(clips: pd.DataFrame) -> pd.DataFrame:
    """Per task and agent: the clips of its lowest seed that recorded any, at the first and
    the last checkpoint recorded, of the first layout recorded there."""
    picked = []
    for _, g in clips.groupby(["task", "agent"], sort=True):
        run = g[g["seed"] == g["seed"].min()]
        points = sorted({int(run["checkpoint"].min()), int(run["checkpoint"].max())})
        for k in points:
            at = run[run["checkpoint"] == k]
            picked.append(at[at["layout"] == at["layout"].min()].iloc[0])
    return pd.DataFrame(picked, columns=clips.columns).reset_index(drop=True)


def clip_moment(checkpoint: int, budget_used: int, unit: str) -> str:
    """When in a run a clip was recorded, in words for a caption (``unit``: the budget's,
    steps or episodes)."""
    return f"checkpoint {checkpoint} ({'before practice' if int(checkpoint) == 0 else f'after {int(budget_used):,} {unit}'})"


CLIP_FILES = ("*-checkpoint-*-layout-*.mp4", "*-checkpoint-*-layout-*.png", "*-checkpoint-*-layout-*.gif")
"""What a report writes into ``videos/`` (and removes from an earlier report there)."""


def _clip_blocks(clips: pd.DataFrame | None, out: Path, report: Report) -> list:
    """The report's clips, copied into ``out/videos/`` (an earlier report's removed), each
    with a small GIF for report.md where the video libraries are installed (else its
    poster, and a warning)."""
    folder = out / "videos"
    for pattern in CLIP_FILES:
        for stale in folder.glob(pattern):
            stale.unlink()
    if clips is None or clips.empty:
        return []
    blocks: list = [doc.Heading("What the agents did"), doc.Para("One evaluation episode of each agent (its lowest seed that recorded clips, the first held-out layout recorded) at its first and last recorded checkpoint; the videos are embedded in report.html and copied to videos/ beside report.md.")]
    for task, g in chosen_clips(clips).groupby("task", sort=True):
        items = []
        for r in g.itertuples():
            name = f"{task}-{r.agent}-seed-{r.seed}-checkpoint-{r.checkpoint}-layout-{r.layout}"
            mp4, png = Path(r.file).read_bytes(), Path(r.poster).read_bytes()
            for suffix, data in ((".mp4", mp4), (".png", png)):
                atomic_write_bytes(folder / f"{name}{suffix}", data)
                report.files.append(folder / f"{name}{suffix}")
            gif = ""
            try:
                video.preview_gif(folder / f"{name}.mp4", folder / f"{name}.gif", float(r.fps))
                report.files.append(folder / f"{name}.gif")
                gif = f"videos/{name}.gif"
            except Exception as exc:  # noqa: BLE001  (no video libraries, a clip ffmpeg cannot read: the poster stands in)
                message = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
                report.warnings.append(f"report.md shows the poster of {name}.mp4, not an animation: {message}")
            caption = f"{_label(r.agent, bool(r.privileged))}, seed {r.seed}, {clip_moment(r.checkpoint, r.budget_used, r.budget_unit)}, held-out layout {r.layout}"
            items.append(doc.Clip(f"videos/{name}.mp4", f"videos/{name}.png", caption, mp4, png, gif))
        blocks += [doc.Heading(task, 3), doc.Clips(tuple(items))]
    return blocks


def _blocks(df, per_run, aggregates, improvement, thresholds, head, head_tasks, images, warnings, options, provenance, level_rows=None, clip_blocks=(), phase_gains=(), adapted=()) -> list:
    conf = f"{options.confidence:.0%}"
    n_runs, agents, tasks = len(per_run), sorted(per_run["agent"].unique()), sorted(per_run["task"].unique())
    priv = dict(per_run.drop_duplicates("agent").set_index("agent")["privileged"].astype(bool))
    b: list = [
        doc.Heading("embodied-bench report", 1),
        doc.Para(
            f"{n_runs} runs of {len(agents)} agents on {len(tasks)} tasks, made by `embodied-bench report` "
            f"(embodied-bench {embodied_bench.__version__}). Intervals are {conf} stratified percentile bootstrap intervals "
            f"({options.reps:,} replicates, figure bands {options.band_reps:,}; bootstrap seed {options.seed}): runs are "
            "resampled within each task, a run's whole curve at once.",
            markup=True,
        ),
        doc.Para(
            "Scores are evaluation success rates on the held-out layouts (1: every layout solved). "
            "Normalised AUC is the area under the success curve divided by the budget: the mean success over training, "
            "higher when an agent learns sooner (sample efficiency). The graded score credits progress before mastery "
            "(each task says what it measures: the height climbed, the items placed right; 1 exactly on success); its AUC is "
            "computed the same way. "
            f"Agents marked {figures.PRIVILEGED_MARK} are privileged (they read the layout or the simulator): references, never ranked."
        ),
    ]
    if warnings:
        b += [doc.Heading("Warnings"), doc.Bullets(tuple(warnings))]
    b += [
        doc.Heading("How to read this"),
        doc.Bullets(
            (
                "IQM (interquartile mean): the mean of the middle half of all runs' scores, pooled over tasks. It ignores the best and worst quarter, so one lucky or broken seed moves it little, yet it uses more runs than the median. IQM and optimality gap pool runs, so a task with more runs weighs more; mean and median weigh every task alike.",
                f"[lo, hi] is a {conf} bootstrap interval: the range the aggregate would plausibly take with another draw of runs. Overlapping intervals do not show a difference; with fewer than {tables.MIN_RUNS} runs per task they are too narrow.",
                "P(X > Y), the probability of improvement: the chance that a run of X beats a run of Y on the same task (ties count half), averaged over tasks. 0.5 means no difference; X is significantly better when the whole interval lies above 0.5. It says how often X wins, not by how much.",
                "Steps to threshold: where the learning curve first reaches the task's threshold (interpolated between checkpoints). Runs that never reach it are censored at the budget; the median is given only when more than half the runs reached it.",
            )
        ),
    ]

    hrows = aggregates[aggregates["scope"] == head].copy()
    hrows["order"] = hrows["metric"].map(tables.SCORE_METRICS.index)
    hrows = hrows.sort_values(["order", "agent"])
    b += [doc.Heading(f"Aggregates over {head}"), doc.Para(f"Tasks: {', '.join(head_tasks)}.")]
    missing = sorted(set(agents) - set(hrows["agent"]))
    if missing:
        b.append(doc.Para(f"Not in this table (they did not run every one of these tasks; see Per task): {', '.join(missing)}."))
    b.append(_aggregate_table(hrows))
    b.append(images["aggregates"])

    b += [doc.Heading("Learning curves"), doc.Para(f"IQM across runs of the evaluation success rate at each checkpoint, with {conf} bootstrap bands."), images["learning-curves"]]
    if "score-curves" in images:
        b += [doc.Para("The same for the graded score, which moves before success does:"), images["score-curves"]]
    b += list(clip_blocks)

    b += [doc.Heading("Per task")]
    trows = aggregates[aggregates["scope_kind"] == "task"]
    rows = []
    for task in tasks:
        for agent in agents:
            mine = trows[(trows["scope"] == task) & (trows["agent"] == agent)].set_index("metric")
            th = thresholds[(thresholds["task"] == task) & (thresholds["agent"] == agent)]
            if mine.empty:
                continue
            fs, au, sa, th = mine.loc["final_success"], mine.loc["auc"], mine.loc["score_auc"], th.iloc[0]
            unit = th["budget_unit"]
            med = th["median_steps_to_threshold"]
            rows.append(
                (
                    task,
                    _label(agent, priv[agent]),
                    str(int(fs["runs"])),
                    _ci(fs["iqm"], fs["iqm_lo"], fs["iqm_hi"]),
                    _ci(au["iqm"], au["iqm_lo"], au["iqm_hi"]),
                    _ci(sa["iqm"], sa["iqm_lo"], sa["iqm_hi"]),
                    f"{th['reached']}/{th['runs']} (≥ {th['threshold']:g})",
                    _count(med, unit) if np.isfinite(med) else f"> {th['budget']:,.0f} {unit}",
                    _count(th["animal_budget"], unit),
                )
            )
    b.append(doc.Table(("task", "agent", "runs", f"final success IQM [{conf}]", f"normalised AUC IQM [{conf}]", f"graded-score AUC IQM [{conf}]", "reached threshold", "median steps to threshold", "animal reference"), tuple(rows)))

    if level_rows is not None and len(level_rows):
        b += [doc.Heading("Per difficulty level"), doc.Para(f"Final success and graded score on each level's held-out layouts: mean across runs with {conf} bootstrap intervals. A learner that masters the easiest level and nothing else shows as exactly that.")]
        rows = [
            (r.task, _label(r.agent, r.privileged), r.level, str(r.runs), str(r.layouts), _ci(r.final_success, r.final_success_lo, r.final_success_hi), _ci(r.final_score, r.final_score_lo, r.final_score_hi))
            for r in level_rows.itertuples()
        ]
        b.append(doc.Table(("task", "agent", "level", "runs", "layouts per run", f"final success [{conf}]", f"final graded score [{conf}]"), tuple(rows)))
        b.append(images["levels"])

    if phase_gains:
        metric = "graded-score AUC" if phase_gains[0].metric == "score_auc" else "normalised AUC"
        b += [
            doc.Heading("Gain from watching and playing"),
            doc.Para(f"The same agent on a protocol variant (watching a dataset, or reward-free play, before the budget) against its runs on the plain task, same seeds and held-out layouts: the difference in IQM of {metric} and in steps to threshold (as a fraction of the budget; runs that never reach it count as the whole budget), and P(with > without), each with its {conf} interval."),
        ]
        rows = [
            (g.agent, g.protocol, ", ".join(g.tasks), f"{g.runs_with} / {g.runs_without}", _ci(g.iqm_diff, *g.iqm_diff_ci), _ci(g.steps_diff, *g.steps_diff_ci), _ci(g.p, *g.p_ci), _fmt(g.play_cost) if g.protocol == "play" else "–", g.verdict().rsplit(": ", 1)[-1])
            for g in phase_gains
        ]
        b.append(doc.Table(("agent", "phase", "tasks", "runs with / without", f"IQM gain [{conf}]", f"steps to threshold, change [{conf}]", f"P(with > without) [{conf}]", "cost while playing (mean per run)", "verdict"), tuple(rows)))

    if adapted:
        b += [
            doc.Heading("When the world changes"),
            doc.Para(
                "Adapt runs: the world changes inside the budget at a step the agent is not told. On the graded score of each world's held-out layouts "
                "(evaluations after checkpoint 0): average performance at the end, Continual World's forgetting (negative: a world got better later) and "
                "forward transfer against the same agent and seed learning each world alone; recovery: the share of a phase until the success rate on the "
                f"new world reaches the task's threshold (0: there at the change; 1: never); the guardrail cost of the first evaluation interval after each change. Means over tasks "
                f"of each task's mean over runs, with {conf} stratified-bootstrap intervals."
            ),
        ]
        rows = [
            (a.agent, ", ".join(a.tasks), str(a.runs), *(_ci(a.points[m], *a.intervals[m]) for m in adaptation.METRICS[:3]), f"{a.with_references} / {a.runs}", *(_ci(a.points[m], *a.intervals[m]) for m in adaptation.METRICS[3:]))
            for a in adapted
        ]
        b.append(doc.Table(("agent", "tasks", "runs", f"average performance [{conf}]", f"forgetting [{conf}]", f"forward transfer [{conf}]", "runs with references", f"recovery (share of a phase) [{conf}]", f"changes recovered [{conf}]", f"cost after a change [{conf}]"), tuple(rows)))
        if "adapt-curves" in images:
            b.append(images["adapt-curves"])

    one_shot = per_run[per_run["first_attempt_success"].notna()]
    if len(one_shot):
        b += [doc.Heading("One-shot: first attempt"), doc.Para("Evaluation success at checkpoint 0: after the demonstration of each layout, before any practice.")]
        rows = [(t, _label(a, priv[a]), str(len(g)), _fmt(g["first_attempt_success"].mean()), _fmt(g["first_attempt_success"].min()), _fmt(g["first_attempt_success"].max())) for (t, a), g in one_shot.groupby(["task", "agent"])]
        b.append(doc.Table(("task", "agent", "runs", "first-attempt success (mean)", "min", "max"), tuple(rows)))

    if len(improvement):
        b += [doc.Heading("Probability of improvement"), doc.Para(f"P(X > Y) on normalised AUC over the tasks both agents ran, with {conf} intervals. Significant: the interval excludes 0.5 and every task has at least {tables.MIN_RUNS} runs of both agents (with fewer the verdict is 'too few runs').")]
        rows = []
        for r in improvement.itertuples():
            verdict = significance(r.p_lo, r.p_hi, r.min_runs).replace("A better", "X better").replace("B better", "Y better")
            if priv[r.a] or priv[r.b]:
                verdict = f"{verdict} (privileged reference, not ranked)"
            rows.append((_label(r.a, priv[r.a]), _label(r.b, priv[r.b]), str(r.tasks), _ci(r.p, r.p_lo, r.p_hi), verdict))
        b.append(doc.Table(("X", "Y", "tasks", f"P(X > Y) [{conf}]", "verdict"), tuple(rows)))
        b.append(images["probability-of-improvement"])

    b += [doc.Heading("Performance profile"), doc.Para(f"Over {head}: the fraction of runs whose final success rate exceeds each threshold; a curve above another is better everywhere."), images["performance-profile"]]

    if "cost-training" in images or "cost-evaluation" in images:
        b += [doc.Heading("Guardrails"), doc.Para("Cost counts guardrail violations (e.g. hard bumps into a fragile object). Cost rate is all cost incurred during training divided by the environment steps taken (Safety Gym's definition): what the agent broke while it learned.")]
        rows = []
        for (t, a), g in per_run.groupby(["task", "agent"]):
            within = g["within_cost_limit"].dropna()
            rows.append((t, _label(a, priv[a]), str(len(g)), _fmt(g["train_cost"].mean(), 1), _fmt(g["cost_rate"].mean(), 5), _fmt(g["final_eval_cost"].mean()), _fmt(g["cost_limit"].iloc[0]), f"{int(within.sum())}/{len(within)}" if len(within) else "–"))
        b.append(doc.Table(("task", "agent", "runs", "training cost (mean)", "cost rate (mean)", "final evaluation cost (mean)", "cost limit", "runs within limit"), tuple(rows)))
        b += [images[name] for name in ("cost-training", "cost-evaluation") if name in images]

    b += [doc.Heading("Provenance")]
    if provenance is not None and len(provenance):
        b.append(doc.Table(tuple(provenance.columns), tuple(tuple(str(v) for v in r) for r in provenance.itertuples(index=False))))
    else:
        rows = [(t, str(g["task_version"].iloc[0]), a, str(g["seed"].nunique()), ", ".join(map(str, sorted(g["seed"].unique())))) for (t, a), g in per_run.groupby(["task", "agent"])]
        b.append(doc.Table(("task", "version", "agent", "runs", "seeds"), tuple(rows)))
    kinds = " and ".join(f.upper() for f in dict.fromkeys(("png", *options.formats)))
    b += [doc.Para(f"Files: `per_run.csv` (one row per run), `aggregates.csv` (every scope and aggregate with its interval), `probability_of_improvement.csv`, `steps_to_threshold.csv`, and the figures in `figures/` as {kinds}.", markup=True)]
    return b


def _aggregate_table(rows: pd.DataFrame) -> doc.Table:
    out = []
    for r in rows.itertuples():
        out.append(
            (
                figures.METRIC_LABELS[r.metric].split(" (")[0],
                _label(r.agent, r.privileged),
                str(r.runs),
                _ci(r.iqm, r.iqm_lo, r.iqm_hi),
                _ci(r.median, r.median_lo, r.median_hi),
                _ci(r.mean, r.mean_lo, r.mean_hi),
                _ci(r.optimality_gap, r.optimality_gap_lo, r.optimality_gap_hi),
            )
        )
    return doc.Table(("score", "agent", "runs", "IQM", "median", "mean", "optimality gap"), tuple(out))
