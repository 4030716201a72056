from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

import embodied_bench  # noqa: F401  (registers tasks and agents)
from embodied_bench.api import TaskSpec
from embodied_bench.registry import TASKS

ROOT = Path(__file__).resolve().parent.parent
TEST_AGENTS = ROOT / "tests" / "agents_for_tests.py"


def agent_ref(name: str) -> str:
    return f"{TEST_AGENTS}:{name}"


@pytest.fixture
def mini_spec() -> TaskSpec:
    """treat-reach with a tiny budget and few evaluation episodes: a whole run in ~1 s."""
    return dataclasses.replace(TASKS.get("treat-reach"), budget=600, eval_every=200, eval_episodes=3)


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
