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
