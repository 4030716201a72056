"""Adding a task family is one folder and one import: a tiny family written to a temporary
package (an env, a spec, a CI budget, a reference baseline) appears in `tasks`, in the
registry-wide checks, in `regress`'s plan, in the generated tables and in a real run,
and no file of the repository is touched."""

from __future__ import annotations

import dataclasses
import importlib
import json
import subprocess
import sys
import textwrap

import pytest
from click.testing import CliRunner
from conftest import ROOT

from embodied_bench.cli import main
from embodied_bench.harness.runner import Job, run_one
from embodied_bench.registry import AGENTS, TASKS
from embodied_bench.regress import select_pairs
from embodied_bench.report import docs
from embodied_bench.task_checks import check_task

FAMILY = "tinyfam_for_tests"

INIT = f'''
"""tiny-walk: a point walks to a goal on a line."""
from embodied_bench.api import CIBudget, Reference, TaskSpec
from embodied_bench.registry import register_task

SPEC = TaskSpec(
    id="tiny-walk", gym_id="EmbodiedBench/TinyWalk-v0", version=0, family="{FAMILY}",
    budget=400, budget_unit="steps", eval_every=100, eval_episodes=4, threshold=0.8, cost_limit=0.1,
    reference=Reference(random_score=0.0, oracle_score=None, animal_budget=40, animal_source="a toddler: two tries"),
    description="A point walks to a goal on a line.",
)
register_task(
    SPEC, "{FAMILY}.env:TinyWalk", max_episode_steps=20,
    ci_budget=CIBudget(budget_scale=0.5, eval_episodes=2),
    baselines=("random",),
    tags=("warm-up",),
)
'''

ENV = '''
import gymnasium as gym
import numpy as np

from embodied_bench import layouts
from embodied_bench.observations import ObservationLayout


class TinyWalk(gym.Env):
    """A point on [-1, 1] steps towards a goal drawn from the layout seed."""

    metadata = {"render_modes": []}
    observation_layout = ObservationLayout(("position", 1), ("to_goal", 1))

    def __init__(self, layout_split="train"):
        self.layout_split = layouts.check_split(layout_split)
        self.action_space = gym.spaces.Box(-1.0, 1.0, (1,), np.float32)
        self.observation_space = gym.spaces.Box(-2.0, 2.0, (2,), np.float32)

    def _obs(self):
        return np.array([self.x, self.goal - self.x], np.float32)

    def reset(self, *, seed=None, options=None):
        super().reset(seed=seed)
        layout_seed = layouts.choose(options, self.layout_split, self.np_random)
        self.goal = float(np.random.default_rng(layout_seed).uniform(-0.9, 0.9))
        self.x = float(self.np_random.uniform(-0.05, 0.05))
        return self._obs(), {"layout_seed": layout_seed}

    def step(self, action):
        before = abs(self.goal - self.x)
        self.x = float(np.clip(self.x + 0.1 * float(action[0]), -1.0, 1.0))
        after = abs(self.goal - self.x)
        success = bool(after < 0.1)
        return self._obs(), before - after, success, False, {"success": success, "cost": 0.0}
'''


@pytest.fixture
def tiny_family(tmp_path, monkeypatch):
    package = tmp_path / FAMILY
    package.mkdir()
    (package / "__init__.py").write_text(textwrap.dedent(INIT))
    (package / "env.py").write_text(textwrap.dedent(ENV))
    monkeypatch.syspath_prepend(str(tmp_path))
    try:
        importlib.import_module(FAMILY)  # the one import line
        yield TASKS.get("tiny-walk")
    finally:
        if "tiny-walk" in TASKS:
            TASKS.unregister("tiny-walk@v0")
        for name in [m for m in sys.modules if m == FAMILY or m.startswith(FAMILY + ".")]:
            del sys.modules[name]


def _repository_state() -> str:
    return subprocess.run(["git", "-C", str(ROOT), "status", "--porcelain", "--untracked-files=all"], capture_output=True, text=True, check=True).stdout


def test_a_family_is_one_folder_and_one_import(tiny_family, tmp_path):
    before = _repository_state()
    task = tiny_family
    assert task.name == "tiny-walk@v0" and task.package == FAMILY

    listed = CliRunner().invoke(main, ["tasks"])
    assert listed.exit_code == 0 and "tiny-walk@v0" in listed.output and "EmbodiedBench/TinyWalk-v0" in listed.output

    check_task(task)  # everything the registry-wide tests check

    assert select_pairs(None, "tiny-walk", None) == [("tiny-walk@v0", "random", "random")]
    assert ("tiny-walk@v0", "random", "random") in select_pairs("random", None, None)

    tables = docs.tasks_table()
    assert "| `tiny-walk@v0` | `EmbodiedBench/TinyWalk-v0` | warm-up | 400 steps |" in tables
    assert "`tiny-walk@v0`" in [line for line in docs.baselines_table().splitlines() if line.startswith("| `random`")][0]

    # A real run at its CI budget, as regress makes one.
    ci = dataclasses.replace(task.spec.scaled(task.ci_budget.budget_scale), eval_episodes=task.ci_budget.eval_episodes)
    outcome = run_one(Job("random", ci, 0, str(tmp_path / "runs"), budget_scale=task.ci_budget.budget_scale))
    record = json.loads((tmp_path / "runs" / "tiny-walk@v0" / "random" / "seed-0" / "run.json").read_text())
    assert outcome.status == "complete", record["error"]
    assert record["ledger"]["env_steps"] == 200 and record["task"]["hash"]

    assert _repository_state() == before, "adding the family touched files of the repository"


def test_a_family_that_names_an_unknown_baseline_fails_the_checks(tiny_family):
    broken = dataclasses.replace(tiny_family, baselines=("random", "nobody"))
    with pytest.raises(AssertionError, match="names baseline 'nobody', which is not a registered agent"):
        check_task(broken)
    assert "nobody" not in AGENTS
