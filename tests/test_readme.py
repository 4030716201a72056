"""The README's Agent and Learner examples run as written, through the real command."""

from __future__ import annotations

import json
import re

from click.testing import CliRunner
from conftest import ROOT

from embodied_bench.cli import main


def _examples() -> dict[str, str]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```python\n(# (\w+\.py)\n.*?)```", text, re.S)
    return {name: code for code, name in blocks}


def test_readme_has_both_examples():
    assert set(_examples()) == {"my_agent.py", "my_learner.py"}


def test_readme_examples_run(tmp_path, monkeypatch):
    for name, code in _examples().items():
        (tmp_path / name).write_text(code)
    monkeypatch.chdir(tmp_path)
    for ref, contract in (("my_agent.py:MyAgent", "agent"), ("my_learner.py:MyLearner", "learner")):
        result = CliRunner().invoke(main, ["run", "--agent", ref, "--task", "treat-reach", "--seeds", "1", "--budget-scale", "0.01", "--out", "runs", "--jobs", "1"])
        assert result.exit_code == 0, result.output
        name = ref.split(":")[1]
        record = json.loads((tmp_path / f"runs/treat-reach/{name}/seed-0/run.json").read_text())
        assert record["status"] == "complete" and record["agent"]["contract"] == contract
        assert record["ledger"]["env_steps"] == 1000


def test_quickstart_has_exactly_two_commands():
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    quickstart = text.split("## Quickstart", 1)[1].split("\n## ", 1)[0]
    commands = re.findall(r"```bash\n(.*?)```", quickstart, re.S)
    assert len(commands) == 2 and all(c.count("\n") == 1 for c in commands)
    assert "embodied-bench run" in commands[0] and "embodied-bench report" in commands[0] and "pytest" in commands[1]
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert 'pip install -e ".[test]"' in ci and "pytest" in ci
