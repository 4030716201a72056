"""The README's Agent and Learner examples run as written, through the real command."""

from __future__ import annotations

import json
import re

import pytest
from click.testing import CliRunner
from conftest import ROOT

from embodied_bench.cli import main


def _examples() -> dict[str, str]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```python\n(# (\w+\.py)\n.*?)```", text, re.S)
    return {name: code for code, name in blocks}


def test_readme_has_its_examples():
    assert set(_examples()) == {"my_agent.py", "my_learner.py", "my_sb3_learner.py"}


def _run_examples(tmp_path, monkeypatch, refs):
    for name, code in _examples().items():
        (tmp_path / name).write_text(code)
    monkeypatch.chdir(tmp_path)
    for ref, contract in refs:
        result = CliRunner().invoke(main, ["run", "--agent", ref, "--task", "treat-reach", "--seeds", "1", "--budget-scale", "0.01", "--out", "runs", "--jobs", "1"])
        assert result.exit_code == 0, result.output
        name = ref.split(":")[1]
        record = json.loads((tmp_path / f"runs/treat-reach@v1/{name}/seed-0/run.json").read_text())
        assert record["status"] == "complete" and record["agent"]["contract"] == contract
        assert record["ledger"]["env_steps"] == 1000


def test_readme_examples_run(tmp_path, monkeypatch):
    _run_examples(tmp_path, monkeypatch, (("my_agent.py:MyAgent", "agent"), ("my_learner.py:MyLearner", "learner")))


@pytest.mark.extra("sb3")
def test_readme_sb3_learner_runs(tmp_path, monkeypatch):
    _run_examples(tmp_path, monkeypatch, (("my_sb3_learner.py:MyPPO", "learner"),))


def quickstart_commands() -> list[str]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    quickstart = text.split("## Quickstart", 1)[1].split("\n## ", 1)[0]
    return [c.strip() for c in re.findall(r"```bash\n(.*?)```", quickstart, re.S)]


def test_quickstart_has_exactly_two_commands():
    commands = quickstart_commands()
    assert len(commands) == 2 and all("\n" not in c for c in commands)
    assert "embodied-bench run" in commands[0] and "embodied-bench report" in commands[0] and "pytest" in commands[1]
    # The test command installs no extra beyond the test tools: it must pass on a fresh machine.
    assert '".[test]"' in commands[1] and "sb3" not in commands[1] and "ray" not in commands[1]


def test_ci_runs_both_quickstart_commands_verbatim():
    """CI runs what a newcomer runs, not a cousin of it: each command, whole, on a line of
    its own in .ci/run."""
    ci_lines = [line.strip() for line in (ROOT / ".ci" / "run").read_text(encoding="utf-8").splitlines()]
    for command in quickstart_commands():
        assert command in ci_lines, f".ci/run does not run the README's Quickstart command verbatim: {command}"
