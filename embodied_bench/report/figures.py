"""Report figures: seaborn styling on matplotlib ``Figure`` objects (no pyplot, so no
global figure state), one colour per agent across every figure (seaborn's colour-blind
palette), privileged agents dashed. Each function takes the tables of
``embodied_bench.metrics.tables`` and returns a figure; ``save`` writes it."""

from __future__ import annotations

import contextlib
import io
import math
import warnings
from pathlib import Path
from typing import Iterator, Mapping, Sequence

import matplotlib
import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.ticker import EngFormatter, MaxNLocator

from embodied_bench.metrics.aggregates import AGGREGATES
from embodied_bench.results.records import atomic_write_bytes

UNIT_LABELS = {"steps": "environment steps", "episodes": "practice episodes"}
METRIC_LABELS = {
    "final_success": "final success rate",
    "auc": "normalised AUC (mean success rate over the budget)",
    "final_score": "final graded score",
    "score_auc": "graded-score AUC (mean graded score over the budget)",
}
AGGREGATE_LABELS = {"iqm": "IQM", "median": "Median", "mean": "Mean", "optimality_gap": "Optimality gap"}
PRIVILEGED_MARK = "†"


@contextlib.contextmanager
def style() -> Iterator[None]:
    """The one style of every report figure."""
    with sns.axes_style("whitegrid"), sns.plotting_context("paper", font_scale=1.15):
        yield


def agent_styles(agents: Mapping[str, bool]) -> dict[str, dict]:
    """Colour, line style and legend label per agent (``agents``: name -> privileged),
    fixed by the sorted names so every figure of a report agrees."""
    names = sorted(agents)
    palette = sns.color_palette("colorblind", max(len(names), 1))
    return {
        name: {"color": palette[i % len(palette)], "linestyle": "--" if agents[name] else "-", "label": name + (f" {PRIVILEGED_MARK}" if agents[name] else "")}
        for i, name in enumerate(names)
    }


def _grid(n: int, width: float = 4.4, height: float = 3.3, max_cols: int = 3) -> tuple[Figure, np.ndarray]:
    cols = min(max_cols, max(n, 1))
    rows = math.ceil(max(n, 1) / cols)
    fig = Figure(figsize=(width * cols, height * rows + 0.6), layout="constrained")
    axes = fig.subplots(rows, cols, squeeze=False).ravel()
    for ax in axes[n:]:
        ax.set_visible(False)
    return fig, axes


LEGEND_INCHES = (0.07, 0.7)
"""Inches a legend entry takes at the figures' font size: per character of its label, and
for its line and padding."""


def _legend(fig: Figure, styles: Mapping[str, dict], agents: Sequence[str]) -> None:
    handles = [Line2D([], [], color=styles[a]["color"], linestyle=styles[a]["linestyle"], lw=2) for a in agents]
    labels = [styles[a]["label"] for a in agents]
    # As many columns as the longest label fits across the figure: a wider row is cut off
    # at its edges (long labels such as "cem-learned-frozen (official reference)").
    per, pad = LEGEND_INCHES
    fits = int(fig.get_figwidth() // (per * max(map(len, labels), default=0) + pad))
    fig.legend(handles, labels, loc="outside lower center", ncols=max(1, min(len(agents), 5, fits)), frameon=False)


def learning_curves(
    bands: pd.DataFrame,
    styles: Mapping[str, dict],
    runs: pd.DataFrame | None = None,
    column: str = "eval_success",
    ylabel: str = "success rate",
    title: str | None = None,
    ylim: tuple[float, float] | None = (-0.03, 1.03),
    reference: Mapping[str, float] | None = None,
    reference_label: str = "",
) -> Figure:
    """One panel per task: the IQM across runs at each checkpoint with its band, one line
    per agent; with ``runs`` (the tidy run frame) also each run as a thin line. Bands come
    from ``curve_table``. ``reference`` draws a horizontal line per task (e.g. a cost
    limit)."""
    tasks = sorted(bands["task"].unique())
    with style():
        fig, axes = _grid(len(tasks))
        for ax, task in zip(axes, tasks):
            tb = bands[bands["task"] == task]
            for agent, d in tb.groupby("agent", sort=True):
                st = styles[agent]
                if runs is not None:
                    mine = runs[(runs["task"] == task) & (runs["agent"] == agent)]
                    for _, r in mine.groupby("run_dir"):
                        ax.plot(r["budget_used"], r[column], color=st["color"], lw=0.6, alpha=0.3, linestyle=st["linestyle"])
                ax.fill_between(d["step"], d["lo"], d["hi"], color=st["color"], alpha=0.2, lw=0)
                ax.plot(d["step"], d["iqm"], color=st["color"], linestyle=st["linestyle"], lw=2, marker="o", ms=3)
            if reference and task in reference and np.isfinite(reference[task]):
                ax.axhline(reference[task], color="0.3", lw=1, linestyle=":", label=reference_label)
            ax.set_title(task)
            ax.set_xlabel(UNIT_LABELS.get(tb["budget_unit"].iloc[0], "budget"))
            ax.set_ylabel(ylabel)
            ax.xaxis.set_major_formatter(EngFormatter(sep=""))
            if ylim is not None:
                ax.set_ylim(*ylim)
        _legend(fig, styles, sorted(bands["agent"].unique()))
        if title:
            fig.suptitle(title)
    return fig


ADAPT_CAPTION = "the graded score on the world in force at each checkpoint (solid) and on the first world after it changed (dashed), mean across runs; dotted lines mark the changes"
"""What ``adapt_curves`` draws, in the words of its captions."""


def adapt_curves(runs: list[dict], styles: Mapping[str, dict], column: str = "eval_partial", ylabel: str = "graded score") -> Figure:
    """One panel per adapt task: each agent's score on the world in force at each checkpoint
    (mean across runs, solid) and on the first world after it changed (mean, thin dashed:
    forgetting), with a vertical line at each change, labelled with it. ``runs``: the
    adapt runs of ``results.load.load_adapt_runs``."""
    tasks = sorted({r["task"] for r in runs})
    with style():
        fig, axes = _grid(len(tasks))
        for ax, task in zip(axes, tasks):
            mine = [r for r in runs if r["task"] == task]
            spec = mine[0]["spec"]
            frame = pd.concat([r["phases"].assign(agent=r["agent"], seed=r["seed"]) for r in mine], ignore_index=True)
            for agent, d in frame.groupby("agent", sort=True):
                st = styles[agent]
                now = d[d["current"] == 1].groupby("budget_used")[column].mean()
                ax.plot(now.index, now.to_numpy(), color=st["color"], linestyle=st["linestyle"], lw=2, marker="o", ms=3)
                first = d[(d["phase"] == 0) & (d["current"] == 0)].groupby("budget_used")[column].mean()
                if len(first):
                    ax.plot(first.index, first.to_numpy(), color=st["color"], lw=1, linestyle="--", alpha=0.7)
            for phase in spec.phases[1:]:
                ax.axvline(phase.start, color="0.4", lw=1, linestyle=":")
                ax.annotate(phase.change.partition("@")[0], (phase.start, 1.0), xytext=(3, -3), textcoords="offset points", fontsize=8, va="top", color="0.3")
            ax.set_title(task)
            ax.set_xlabel(UNIT_LABELS.get(spec.budget_unit, "budget"))
            ax.set_ylabel(ylabel)
            ax.xaxis.set_major_formatter(EngFormatter(sep=""))
            ax.set_ylim(-0.03, 1.03)
        _legend(fig, styles, sorted({r["agent"] for r in runs}))
    return fig


def interval_plot(aggregates: pd.DataFrame, styles: Mapping[str, dict], title: str | None = None) -> Figure:
    """IQM, median, mean and optimality gap with their intervals, one row per score metric,
    one horizontal bar per agent (the aggregates of one scope)."""
    metrics = [m for m in METRIC_LABELS if m in set(aggregates["metric"])]
    agents = sorted(aggregates["agent"].unique())
    with style():
        fig = Figure(figsize=(13, 0.5 * len(agents) * len(metrics) + 1.8 * len(metrics)), layout="constrained")
        axes = fig.subplots(len(metrics), len(AGGREGATES), squeeze=False)
        for r, metric in enumerate(metrics):
            rows = aggregates[aggregates["metric"] == metric].set_index("agent")
            for c, agg in enumerate(AGGREGATES):
                ax = axes[r, c]
                for y, agent in enumerate(agents):
                    if agent not in rows.index:
                        continue
                    row, st = rows.loc[agent], styles[agent]
                    ax.plot([row[f"{agg}_lo"], row[f"{agg}_hi"]], [y, y], color=st["color"], lw=12, alpha=0.6, solid_capstyle="butt", linestyle="-")
                    ax.plot([row[agg]], [y], marker="|", color="black", ms=18, mew=1.5)
                ax.set_yticks(range(len(agents)), [styles[a]["label"] for a in agents] if c == 0 else [])
                ax.set_ylim(-0.6, len(agents) - 0.4)
                ax.set_xlim(*_zoom(rows[[f"{agg}_lo", f"{agg}_hi"]].to_numpy(float)))
                ax.xaxis.set_major_locator(MaxNLocator(4))
                ax.grid(axis="y", visible=False)
                if r == 0:
                    ax.set_title(AGGREGATE_LABELS[agg])
                ax.set_xlabel(METRIC_LABELS[metric].split(" (")[0])
        if title:
            fig.suptitle(title)
    return fig


def _zoom(values: np.ndarray, span: float = 0.1) -> tuple[float, float]:
    # Close enough to see intervals that differ by a few hundredths, never beyond [0, 1].
    lo, hi = float(np.nanmin(values)), float(np.nanmax(values))
    pad = max(span - (hi - lo), 0.0) / 2 + 0.05 * max(hi - lo, span)
    lo, hi = lo - pad, hi + pad
    if lo < 0:
        lo, hi = 0.0, hi - lo
    if hi > 1:
        lo, hi = max(0.0, lo - (hi - 1)), 1.0
    return lo - 0.01, hi + 0.01


def profile_plot(profile: pd.DataFrame, styles: Mapping[str, dict], title: str | None = None) -> Figure:
    """Performance profiles: the fraction of runs scoring above tau, with bands."""
    with style():
        fig = Figure(figsize=(6.5, 4.6), layout="constrained")
        ax = fig.subplots()
        for agent, d in profile.groupby("agent", sort=True):
            st = styles[agent]
            ax.fill_between(d["tau"], d["lo"], d["hi"], color=st["color"], alpha=0.2, lw=0)
            ax.plot(d["tau"], d["fraction"], color=st["color"], linestyle=st["linestyle"], lw=2, label=st["label"])
        ax.set_xlabel(r"final success rate threshold $\tau$")
        ax.set_ylabel(r"fraction of runs with score > $\tau$")
        ax.set_xlim(0, 1)
        ax.set_ylim(-0.02, 1.02)
        ax.legend(frameon=False)
        if title:
            ax.set_title(title)
    return fig


def improvement_matrix(improvement: pd.DataFrame, styles: Mapping[str, dict], title: str | None = None) -> Figure:
    """P(X > Y) for every ordered pair of agents (rows X, columns Y), each with its
    interval; 0.5 is no difference."""
    agents = sorted(set(improvement["a"]) | set(improvement["b"]))
    p = pd.DataFrame(np.nan, index=agents, columns=agents)
    text = pd.DataFrame("", index=agents, columns=agents)
    for row in improvement.itertuples():
        p.loc[row.a, row.b] = row.p
        text.loc[row.a, row.b] = f"{row.p:.2f}\n[{row.p_lo:.2f}, {row.p_hi:.2f}]"
    labels = [styles[a]["label"] for a in agents]
    with style():
        size = 1.3 * len(agents) + 2.5
        fig = Figure(figsize=(size + 1, size), layout="constrained")
        ax = fig.subplots()
        with warnings.catch_warnings():  # seaborn 0.13 calls a matplotlib API that 3.11 marks for removal
            warnings.filterwarnings("ignore", category=PendingDeprecationWarning)
            sns.heatmap(p.to_numpy(float), annot=text.to_numpy(), fmt="", cmap="vlag_r", vmin=0, vmax=1, center=0.5, square=True, ax=ax, xticklabels=labels, yticklabels=labels, cbar_kws={"label": "P(X > Y)"}, annot_kws={"fontsize": 9})
        ax.grid(False)
        ax.set_xlabel("agent Y")
        ax.set_ylabel("agent X")
        ax.tick_params(axis="y", rotation=0)
        if title:
            ax.set_title(title)
    return fig


def level_bars(levels: pd.DataFrame, styles: Mapping[str, dict], metric: str = "final_score", title: str | None = None) -> Figure:
    """Per task (a panel each), per difficulty level (the task's order) and agent: the mean
    final graded score (or ``metric``) across runs with its bootstrap interval. The rows
    come from ``metrics.tables.level_table``."""
    tasks = list(dict.fromkeys(levels["task"]))
    agents = sorted(levels["agent"].unique())
    with style():
        fig, axes = _grid(len(tasks))
        for ax, task in zip(axes, tasks):
            rows = levels[levels["task"] == task]
            names = list(dict.fromkeys(rows["level"]))
            width = 0.8 / max(len(agents), 1)
            for j, agent in enumerate(agents):
                mine = rows[rows["agent"] == agent].set_index("level").reindex(names)
                x = np.arange(len(names)) - 0.4 + width * (j + 0.5)
                values = mine[metric].to_numpy(float)
                err = np.vstack([values - mine[f"{metric}_lo"].to_numpy(float), mine[f"{metric}_hi"].to_numpy(float) - values])
                st = styles[agent]
                ax.bar(x, values, width * 0.9, color=st["color"], alpha=0.55 if st["linestyle"] == "--" else 0.9, hatch="//" if st["linestyle"] == "--" else None, edgecolor=st["color"])
                ax.errorbar(x, values, yerr=np.nan_to_num(err), fmt="none", ecolor="0.2", lw=1, capsize=2)
            ax.set_xticks(range(len(names)), names, rotation=20)
            ax.set_ylim(0, 1.05)
            ax.set_title(task)
            ax.set_ylabel(METRIC_LABELS.get(metric, metric).split(" (")[0])
        _legend(fig, styles, agents)
        if title:
            fig.suptitle(title)
    return fig


def save(fig: Figure, folder: Path, name: str, formats: Sequence[str] = ("png", "svg")) -> dict[str, Path]:
    """Write ``fig`` as ``folder/name.<format>`` for each format (atomically); returns the
    paths by format. PNG and SVG carry no timestamp, so the same data gives the same files."""
    out = {}
    for fmt in formats:
        buf = io.BytesIO()
        metadata = {"Date": None} if fmt == "svg" else {"Software": None} if fmt == "png" else None
        with matplotlib.rc_context({"svg.hashsalt": "embodied-bench"}):  # stable element ids
            fig.savefig(buf, format=fmt, dpi=150, metadata=metadata)
        path = Path(folder) / f"{name}.{fmt}"
        atomic_write_bytes(path, buf.getvalue())
        out[fmt] = path
    return out
