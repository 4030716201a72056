"""Comparing a rerun with its reference runs: exactly (deterministic agents, same
versions of what their numbers depend on) or statistically (everything else)."""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from embodied_bench.metrics.aggregates import iqm
from embodied_bench.metrics.bootstrap import interval_estimates
from embodied_bench.metrics.tables import pair_improvement, per_run_table
from embodied_bench.results.load import load_runs
from embodied_bench.results.records import CURVE_COLUMNS, WALL_COLUMNS, read_run_json


EXACT_VERSIONS: tuple[str, ...] = ("python", "numpy", "gymnasium", "mujoco", "pybullet")
"""What every agent's numbers depend on: these versions (and the CPU: ``CPU_KEYS``) must
match the reference's for an exact comparison. An agent adds the packages it declares
(``requires`` on its class, recorded in ``run.json``); an optional package it does not use
never demotes its comparison."""


CPU_KEYS: tuple[str, ...] = ("vendor", "simd")
"""What of the processor an exact comparison needs equal (``provenance.cpu``)."""


class ReferenceRecordError(ValueError):
    """A reference record that cannot be compared (versions missing or malformed): one
    line naming the file and the field."""


@dataclass
class Verdict:
    agent: str
    task: str
    mode: str
    """``"exact"`` or ``"statistical"``; or why nothing could be compared: ``"no
    reference"``, ``"run failed"``, ``"stale reference"``."""
    passed: bool
    reference: str
    now: str
    detail: str = ""
    """Why it failed (a readable diff), or what the comparison fell back from."""
    numbers: dict[str, Any] = field(default_factory=dict)

    @property
    def label(self) -> str:
        if self.passed:
            return f"pass ({self.mode})"
        return f"REGRESSION ({self.mode})" if self.mode in ("exact", "statistical") else self.mode.upper()


def _curve(folder: Path) -> pd.DataFrame:
    return pd.read_csv(folder / "curve.csv", dtype=str, keep_default_na=False)


def exact_packages(*records: dict[str, Any]) -> tuple[str, ...]:
    """The packages whose versions an exact comparison of these records needs:
    ``EXACT_VERSIONS`` and every package the agent declared in any of them."""
    names = list(EXACT_VERSIONS)
    for record in records:
        names += [n for n in (record.get("agent") or {}).get("requires") or () if n not in names]
    return tuple(names)


def check_reference(path: Path, record: dict[str, Any] | None) -> None:
    """Raise ``ReferenceRecordError`` naming ``path`` and the field when a reference record lacks
    what an exact comparison reads: the versions of ``exact_packages``, the machine."""
    if record is None:
        raise ReferenceRecordError(f"{path}: not a readable run record; restore it from version control or rerun `embodied-bench regress --update`")
    fix = "restore the file from version control or remake the reference with `embodied-bench regress --update`"
    requires = (record.get("agent") or {}).get("requires", [])
    if not (isinstance(requires, list) and all(isinstance(n, str) for n in requires)):
        raise ReferenceRecordError(f"{path}: field agent.requires is {requires!r}, not a list of package names; {fix}")
    versions = record.get("versions")
    if not isinstance(versions, dict):
        raise ReferenceRecordError(f"{path}: field versions is {'missing' if versions is None else 'malformed'}; {fix}")
    for name in exact_packages(record):
        if name not in versions:
            raise ReferenceRecordError(f"{path}: field versions.{name} is missing; {fix}")
        value = versions[name]
        if not (value is None or isinstance(value, str)) or (name in EXACT_VERSIONS and not value):
            raise ReferenceRecordError(f"{path}: field versions.{name} is {value!r}, not a version; {fix}")
    machine = (record.get("host") or {}).get("machine") if isinstance(record.get("host"), dict) else None
    if not isinstance(machine, str) or not machine:
        raise ReferenceRecordError(f"{path}: field host.machine is missing or malformed; {fix}")


def version_changes(reference: dict[str, Any], now: dict[str, Any]) -> list[str]:
    """``["mujoco 4.0.0 -> 4.0.1", ...]``: what differs between two run records among the
    packages that shape the agent's numbers (``exact_packages``), the CPU architecture,
    vendor and SIMD level (a reference that recorded no CPU: "unrecorded"); nothing else."""
    out = []
    rv, nv = reference.get("versions", {}), now.get("versions", {})
    for name in exact_packages(reference, now):
        if rv.get(name) != nv.get(name):
            out.append(f"{name} {rv.get(name)} -> {nv.get(name)}")
    rh, nh = reference.get("host", {}), now.get("host", {})
    if rh.get("machine") != nh.get("machine"):
        out.append(f"machine {rh.get('machine')} -> {nh.get('machine')}")
    rc, nc = rh.get("cpu") or {}, nh.get("cpu") or {}
    for key in CPU_KEYS:
        if rc.get(key) != nc.get(key):
            out.append(f"cpu {key} {rc.get(key) if rc else 'unrecorded'} -> {nc.get(key)}")
    return out


def curve_diff(reference: pd.DataFrame, now: pd.DataFrame, limit: int = 3) -> list[str]:
    """Readable differences between two curves (all columns but wall time), at most
    ``limit`` checkpoints."""
    columns = [c for c in CURVE_COLUMNS if c not in WALL_COLUMNS]
    if len(reference) != len(now):
        return [f"{len(reference)} checkpoints in the reference, {len(now)} now"]
    out = []
    for i in range(len(reference)):
        changed = [f"{c} {reference.at[i, c]} -> {now.at[i, c]}" for c in columns if reference.at[i, c] != now.at[i, c]]
        if changed:
            out.append(f"checkpoint {i} (budget {reference.at[i, 'budget_used']}): " + ", ".join(changed))
            if len(out) == limit:
                break
    return out


def _interval(lo: float, hi: float) -> str:
    return f"[{lo:.3f}, {hi:.3f}]"


def compare_exact(agent: str, task: str, pairs: list[tuple[int, Path, Path]]) -> Verdict:
    """Every (seed, reference folder, new folder) must hold the same curve."""
    problems = []
    for seed, ref, new in pairs:
        diff = curve_diff(_curve(ref), _curve(new))
        if diff:
            problems.append(f"seed {seed}: " + "; ".join(diff))
    n = len(pairs)
    return Verdict(
        agent,
        task,
        "exact",
        not problems,
        f"{n} curves",
        f"{n - len(problems)} of {n} identical",
        " | ".join(problems),
    )


def compare_statistical(agent: str, task: str, reference: np.ndarray, now: np.ndarray, reps: int = 20_000, seed: int = 0, why: str = "") -> Verdict:
    """``reference`` and ``now``: normalised AUC of each run, ``(runs,)``."""
    ref, new = reference.reshape(-1, 1), now.reshape(-1, 1)
    points, intervals = interval_estimates({"reference": ref}, iqm, reps=reps, seed=seed)
    ref_iqm, (lo, hi) = float(points["reference"]), intervals["reference"]
    now_iqm = float(iqm(new))
    p, (p_lo, p_hi) = pair_improvement(new, ref, "now", "reference", "auc", reps=reps, seed=seed)
    inside = lo - 1e-12 <= now_iqm <= hi + 1e-12
    even = p_lo <= 0.5 <= p_hi
    detail = []
    if not inside:
        detail.append(f"IQM of normalised AUC {now_iqm:.3f} is outside the reference interval {_interval(lo, hi)}")
    if not even:
        detail.append(f"P(now > reference) = {p:.2f} {_interval(p_lo, p_hi)} excludes 0.5")
    if why:
        detail.insert(0, why)
    return Verdict(
        agent,
        task,
        "statistical",
        inside and even,
        f"IQM AUC {ref_iqm:.3f} {_interval(lo, hi)}",
        f"IQM AUC {now_iqm:.3f}, P(now>ref) {p:.2f} {_interval(p_lo, p_hi)}",
        "; ".join(detail),
        {"reference_iqm": ref_iqm, "reference_interval": [float(lo), float(hi)], "now_iqm": now_iqm, "p_improvement": p, "p_interval": [p_lo, p_hi]},
    )


def compare(agent: str, task: str, deterministic: bool, ref_dirs: dict[int, Path], new_dirs: dict[int, Path], reps: int = 20_000) -> Verdict:
    """The verdict for one (agent, task): seeds are matched by number."""
    missing = sorted(set(new_dirs) - set(ref_dirs))
    if missing:
        return Verdict(agent, task, "no reference", False, "missing", f"{len(new_dirs)} runs", f"no reference run for seed(s) {', '.join(map(str, missing))}: run `embodied-bench regress --update`")
    failed = [s for s, d in new_dirs.items() if (read_run_json(d) or {}).get("status") != "complete"]
    if failed:
        return Verdict(agent, task, "run failed", False, f"{len(ref_dirs)} runs", "failed", f"seed(s) {', '.join(map(str, failed))} did not complete: {(read_run_json(new_dirs[failed[0]]) or {}).get('error') or 'no error text'}".splitlines()[0])
    seeds = sorted(new_dirs)
    ref_records = {s: read_run_json(ref_dirs[s]) or {} for s in seeds}
    new_records = {s: read_run_json(new_dirs[s]) or {} for s in seeds}
    for s in seeds:
        rt, nt = ref_records[s].get("task", {}), new_records[s].get("task", {})
        if rt.get("version") != nt.get("version"):
            return Verdict(agent, task, "stale reference", False, f"v{rt.get('version')}", f"v{nt.get('version')}", "the reference was made for another task version: run `embodied-bench regress --update`")
        if ref_records[s].get("budget") != new_records[s].get("budget"):
            return Verdict(agent, task, "stale reference", False, "other budget", "", "the reference was made at another CI budget: run `embodied-bench regress --update`")
    changes = sorted({c for s in seeds for c in version_changes(ref_records[s], new_records[s])})
    if deterministic and not changes:
        return compare_exact(agent, task, [(s, ref_dirs[s], new_dirs[s]) for s in seeds])
    why = f"statistical, because versions differ: {', '.join(changes)}" if deterministic else ""
    ref_auc = per_run_table(load_runs([ref_dirs[s] for s in seeds])).sort_values("seed")["auc"].to_numpy(float)
    new_auc = per_run_table(load_runs([new_dirs[s] for s in seeds])).sort_values("seed")["auc"].to_numpy(float)
    return compare_statistical(agent, task, ref_auc, new_auc, reps=reps, why=why)


def verdicts_json(verdicts: list[Verdict], meta: dict[str, Any]) -> str:
    return json.dumps(
        {**meta, "passed": all(v.passed for v in verdicts), "results": [{**dataclasses.asdict(v), "verdict": v.label} for v in verdicts]},
        indent=2,
        sort_keys=True,
    ) + "\n"
