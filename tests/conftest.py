from __future__ import annotations

import dataclasses
import importlib.util
import os
from pathlib import Path

import pytest

import embodied_bench  # noqa: F401  (registers tasks and agents)
from embodied_bench.api import TaskSpec
from embodied_bench.registry import TASKS

ROOT = Path(__file__).resolve().parent.parent

# -- optional extras and visible skips ---------------------------------------------------------
# A test that needs an optional extra is marked ``@pytest.mark.extra("sb3")``: it skips,
# with the install command as its reason, when the extra is missing, so the README's test
# command passes on a fresh machine; `pytest -m extra` runs exactly those tests once the
# extras are installed. With EMBODIED_BENCH_STRICT_SKIPS=1 (set by .ci/run) any other
# skip fails the test: on a machine that has what a test needs, nothing skips silently.

EXTRAS: dict[str, tuple[str, ...]] = {"sb3": ("stable_baselines3", "torch"), "ray": ("ray",), "video": ("imageio", "imageio_ffmpeg"), "datasets": ("minari", "h5py", "jax")}
"""Extra (setup.cfg) -> the modules its tests need."""
_MISSING_EXTRA: set[str] = set()


def pytest_configure(config):
    config.addinivalue_line("markers", "extra(name): needs the optional extra `name` (skipped with its install command when missing)")


def pytest_runtest_setup(item):
    for mark in item.iter_markers("extra"):
        name = mark.args[0]
        missing = [m for m in EXTRAS[name] if importlib.util.find_spec(m) is None]
        if missing:
            _MISSING_EXTRA.add(item.nodeid)
            pytest.skip(f"needs the {name} extra, not installed ({', '.join(missing)} missing): pip install -e '.[{name}]'")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if report.skipped and os.environ.get("EMBODIED_BENCH_STRICT_SKIPS") == "1" and item.nodeid not in _MISSING_EXTRA:
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
        report.outcome = "failed"
        report.longrepr = f"skipped on a machine that should have what it needs (EMBODIED_BENCH_STRICT_SKIPS=1): {reason}"
TEST_AGENTS = ROOT / "tests" / "agents_for_tests.py"


def agent_ref(name: str) -> str:
    return f"{TEST_AGENTS}:{name}"


@pytest.fixture
def mini_spec() -> TaskSpec:
    """treat-reach with a tiny budget and few evaluation episodes: a whole run in ~1 s."""
    return dataclasses.replace(TASKS.get("treat-reach").spec, budget=600, eval_every=200, eval_episodes=3)


DATA = ROOT / "tests" / "data"


def tdmpc2_runs(tasks: tuple[str, ...] | None = None):
    """The published TD-MPC2 and SAC curves on DeepMind Control as a tidy frame of runs
    (reward / 1000 as the success score), the shape ``load_runs`` gives."""
    import pandas as pd

    frames = []
    for agent in ("tdmpc2", "sac"):
        for path in sorted((DATA / "tdmpc2_dmc" / agent).glob("*.csv")):
            if tasks is not None and path.stem not in tasks:
                continue
            curve = pd.read_csv(path)
            frames.append(pd.DataFrame({"task": path.stem, "agent": agent, "seed": curve["seed"], "budget_used": curve["step"], "eval_success": curve["reward"] / 1000.0, "threshold": 0.8}))
    return pd.concat(frames, ignore_index=True)
