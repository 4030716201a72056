"""Submissions and the generated leaderboard: validate, submit, leaderboard, and hidden
evaluation layouts. The submitted agent is ``examples/hill_climber.py``, written as a user
writes one (not a baseline), run by the real command at a tiny budget."""

from __future__ import annotations

import hashlib
import io
import json
import re
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner
from conftest import ROOT, agent_ref
from scipy.stats import trim_mean

from embodied_bench import layouts
from embodied_bench.cli import main
from embodied_bench.harness.runner import HiddenLayouts, evaluation_layouts

USER_AGENT = f"{ROOT / 'examples' / 'hill_climber.py'}:HillClimber"
TINY = ("--budget-scale", "0.01", "--eval-episodes", "2", "--jobs", "1")
META = {
    "name": "Hill climber",
    "authors": ["A. User", "B. User"],
    "url": "https://example.org/hill-climber",
    "description": "A linear policy improved by hill climbing.",
    "suite": "ett-warmup-v0",
    "privileged": False,
    "category": "from-scratch",
    "hardware": "2 CPU cores",
}


def cli(*args: str, env: dict | None = None):
    return CliRunner().invoke(main, [str(a) for a in args], env=env, catch_exceptions=False)


def make_bundle(out: Path, seeds: int = 3, env: dict | None = None) -> Path:
    result = cli("run", "--agent", USER_AGENT, "--suite", "ett-warmup-v0", "--seeds", seeds, *TINY, "--out", out, env=env)
    assert result.exit_code == 0, result.output
    (out / "submission.json").write_text(json.dumps(META))
    return out


@pytest.fixture(scope="module")
def made(tmp_path_factory) -> Path:
    return make_bundle(tmp_path_factory.mktemp("made") / "bundle")


@pytest.fixture
def bundle(made, tmp_path) -> Path:
    return Path(shutil.copytree(made, tmp_path / "bundle"))


@pytest.fixture
def board(tmp_path) -> Path:
    root = tmp_path / "leaderboard"
    (root / "submissions").mkdir(parents=True)
    return root


def snapshot(root: Path) -> dict[str, str]:
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest() if p.is_file() else "dir" for p in sorted(root.rglob("*"))}


def rehash(run: Path) -> None:
    record = json.loads((run / "run.json").read_text())
    record["curve_sha256"] = hashlib.sha256((run / "curve.csv").read_bytes()).hexdigest()
    (run / "run.json").write_text(json.dumps(record))


def edit_record(run: Path, change) -> None:
    record = json.loads((run / "run.json").read_text())
    change(record)
    (run / "run.json").write_text(json.dumps(record))


RUN = Path("treat-reach@v0") / "HillClimber" / "seed-1"


def _nan(b: Path) -> None:
    curve = b / RUN / "curve.csv"
    lines = curve.read_text().splitlines()
    cells = lines[3].split(",")
    cells[7] = "nan"  # eval_return
    lines[3] = ",".join(cells)
    curve.write_text("\n".join(lines) + "\n")
    rehash(b / RUN)  # the hash matches: only the NaN check can catch it


def _tamper(b: Path) -> None:
    curve = b / RUN / "curve.csv"
    curve.write_text(curve.read_text().replace(",0.0,", ",1.0,", 1))


def _duplicate(b: Path) -> None:
    shutil.copytree(b / RUN, b / RUN.parent / "seed-7")


def _other_version(b: Path) -> None:
    def change(r: dict) -> None:
        r["task"].update(version=7)
        r["task"]["spec"].update(version=7)

    edit_record(b / RUN, change)


def _raw_field(b: Path, old: str, new: str) -> None:
    path = b / RUN / "run.json"
    text = json.dumps(json.loads(path.read_text()))
    assert old in text
    path.write_text(text.replace(old, new, 1))


def _move_threshold(b: Path) -> None:
    edit_record(b / RUN, lambda r: r["task"]["spec"].update(threshold=0.0))


def _success_out_of_range(b: Path) -> None:
    curve = b / RUN / "curve.csv"
    lines = curve.read_text().splitlines()
    cells = lines[2].split(",")
    cells[5] = "5.0"  # eval_success
    lines[2] = ",".join(cells)
    curve.write_text("\n".join(lines) + "\n")
    rehash(b / RUN)


BAD = {
    "malformed submission.json": (lambda b: (b / "submission.json").write_text("{name: oops"), "submission.json: not valid JSON"),
    "submission.json without a field": (lambda b: (b / "submission.json").write_text(json.dumps({k: v for k, v in META.items() if k != "hardware"})), "submission.json: field 'hardware' is missing"),
    "bad category": (lambda b: (b / "submission.json").write_text(json.dumps({**META, "category": "magic"})), "submission.json: 'category' must be one of"),
    "missing submission.json": (lambda b: (b / "submission.json").unlink(), "submission.json: missing"),
    "missing curve": (lambda b: (b / RUN / "curve.csv").unlink(), f"{RUN / 'curve.csv'}: missing"),
    "missing record": (lambda b: (b / RUN / "run.json").unlink(), f"{RUN / 'run.json'}: missing"),
    "another task version": (_other_version, f"{RUN / 'run.json'}: a run of treat-reach@v7, agent HillClimber, seed 1 belongs in"),
    "tampered curve": (_tamper, f"{RUN / 'curve.csv'}: its sha256 does not match curve_sha256 in run.json"),
    "NaN in a curve": (_nan, f"{RUN / 'curve.csv'}: eval_return at checkpoint 2 is"),
    "duplicated seed": (_duplicate, "seed 1 of task treat-reach@v0 is also run in"),
    "unfinished run": (lambda b: edit_record(b / RUN, lambda r: r.update(status="interrupted")), f"{RUN / 'run.json'}: status is 'interrupted'"),
    "stray file": (lambda b: (b / "notes.txt").write_text("hi"), "notes.txt: unexpected file"),
    "threshold moved in the record": (_move_threshold, f"{RUN / 'run.json'}: its recorded task spec differs from this installation's at the same budget scale: threshold 0.0, not 0.8"),
    "success outside [0, 1]": (_success_out_of_range, f"{RUN / 'curve.csv'}: eval_success at checkpoint 1 is 5, outside [0, 1]"),
    "made-up evaluation layouts": (lambda b: edit_record(b / RUN, lambda r: r.update(evaluation={"layouts": "bogus"})), f"{RUN / 'run.json'}: field 'evaluation' must be"),
    "fractional seed": (lambda b: edit_record(b / RUN, lambda r: r.update(seed=1.7)), f"{RUN / 'run.json'}: field 'seed' is missing or not a non-negative integer"),
    "infinite seed": (lambda b: _raw_field(b, '"seed": 1', '"seed": 1e999'), f"{RUN / 'run.json'}: field 'seed' is missing or not"),
    "budget not an object": (lambda b: edit_record(b / RUN, lambda r: r.update(budget=[])), f"{RUN / 'run.json'}: field 'budget' is missing or not an object"),
    "ledger steps not a number": (lambda b: edit_record(b / RUN, lambda r: r["ledger"].update(env_steps="x")), f"{RUN / 'run.json'}: field 'ledger.env_steps' is missing"),
    "task id not a name": (lambda b: edit_record(b / RUN, lambda r: r["task"].update(id=5)), f"{RUN / 'run.json'}: field 'task.id' is missing or not a task name"),
    "ledger beyond the curve": (lambda b: edit_record(b / RUN, lambda r: r["ledger"].update(env_steps=99_999)), f"{RUN / 'run.json'}: the ledger's totals (env_steps 99999"),
    "privileged in one run only": (lambda b: edit_record(b / RUN, lambda r: r["agent"].update(privileged=True)), "some runs' records say the agent is privileged and others do not"),
    "a name on two lines": (lambda b: (b / "submission.json").write_text(json.dumps({**META, "name": "two\nlines"})), "submission.json: 'name' must be one line"),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_submission_is_refused_with_one_line_and_nothing_written(case, bundle, board):
    damage, expected = BAD[case]
    damage(bundle)
    before = snapshot(board)
    result = cli("submit", bundle, "--name", "hill", "--root", board, "--min-seeds", 3)
    assert result.exit_code == 1, result.output
    lines = [line for line in result.output.splitlines() if expected in line]
    assert lines, result.output
    assert str(bundle) in lines[0]  # names the file
    assert snapshot(board) == before
    checked = cli("validate", bundle, "--min-seeds", 3)
    assert checked.exit_code == 1 and expected in checked.output


@pytest.mark.parametrize("name", ["../escape", "a/b", ".hidden", "", "x" * 65, "sp ace"])
def test_unsafe_names_are_refused(name, bundle, board):
    before = snapshot(board)
    result = cli("submit", bundle, "--name", name, "--root", board, "--min-seeds", 3)
    assert result.exit_code == 2 and "not a safe folder name" in result.output
    assert snapshot(board) == before


def test_validate_counts_seeds_and_guards_official_suites(bundle):
    few = cli("validate", bundle)
    assert few.exit_code == 1 and "treat-reach@v0: 3 seeds; at least 10 are needed per task" in few.output
    assert cli("validate", bundle, "--min-seeds", 3).exit_code == 0
    (bundle / "submission.json").write_text(json.dumps({**META, "suite": "ett-core-v0"}))
    refused = cli("validate", bundle, "--min-seeds", 3)
    assert refused.exit_code == 2 and "ett-core-v0 is an official suite" in refused.output
    wrong = cli("validate", bundle)
    assert wrong.exit_code == 1
    assert "task treat-reach@v0 is not in suite ett-core-v0" in wrong.output
    assert "no runs of task cat-climb-skill@v0, which suite ett-core-v0 includes" in wrong.output


def test_a_bundle_of_a_task_with_levels_carries_its_checked_levels(tmp_path):
    out = tmp_path / "v1"
    result = cli("run", "--agent", USER_AGENT, "--suite", "ett-warmup-v1", "--seeds", 3, *TINY, "--out", out)
    assert result.exit_code == 0, result.output
    (out / "submission.json").write_text(json.dumps({**META, "suite": "ett-warmup-v1"}))
    assert cli("validate", out, "--min-seeds", 3).exit_code == 0
    levels = out / "treat-reach@v1" / "HillClimber" / "seed-1" / "levels.csv"
    text = levels.read_text()
    levels.write_text(text.replace("0-obstacles", "9-obstacles"))
    tampered = cli("validate", out, "--min-seeds", 3)
    assert tampered.exit_code == 1 and f"{levels}: its sha256 does not match levels_sha256 in run.json" in tampered.output
    # Edits made to look genuine (the hash recomputed) are caught by what the file says.
    frame = pd.read_csv(io.StringIO(text), dtype={"level": str})
    for edit, expected in (
        (lambda f: f.drop(columns="eval_cost"), "missing columns eval_cost"),
        (lambda f: f.assign(eval_partial=1.5), "eval_partial lies outside [0, 1]"),
        (lambda f: f.assign(eval_length="x"), "holds a value that is not a finite number"),
        (lambda f: f.assign(eval_partial=f["eval_partial"] * 0.5 + 0.25), "its eval_partial per level does not average to curve.csv's"),
    ):
        edited = edit(frame.copy()).to_csv(index=False)
        levels.write_text(edited)
        edit_record(levels.parent, lambda r: r.update(levels_sha256=hashlib.sha256(edited.encode()).hexdigest()))
        refused = cli("validate", out, "--min-seeds", 3)
        assert refused.exit_code == 1 and f"{levels}: {expected}" in refused.output, refused.output
    levels.unlink()
    missing = cli("validate", out, "--min-seeds", 3)
    assert missing.exit_code == 1 and f"{levels}: missing; a run of treat-reach@v1 records its per-level results" in missing.output


def test_official_suites_need_the_full_protocol(bundle, monkeypatch):
    from embodied_bench import registry

    monkeypatch.setattr(registry, "OFFICIAL_SUITES", {"ett-warmup-v0"})
    import embodied_bench.leaderboard.bundle as B

    monkeypatch.setattr(B, "OFFICIAL_SUITES", {"ett-warmup-v0"})
    result = cli("validate", bundle, "--min-seeds", 10)
    assert result.exit_code == 1
    assert "an official suite needs the task's own 100000 / 10000 / 20 (no --budget-scale or --eval-episodes)" in result.output


def _expected_row(bundle: Path) -> tuple[float, float]:
    """Embodied Turing score and final success, computed here from the curve files."""
    aucs, finals = [], []
    for curve_path in sorted(bundle.rglob("curve.csv")):
        curve = pd.read_csv(curve_path)
        x, y = curve["budget_used"].to_numpy(float), curve["eval_success"].to_numpy(float)
        aucs.append(np.sum((y[1:] + y[:-1]) / 2 * np.diff(x)) / (x[-1] - x[0]))
        finals.append(y[-1])
    return float(trim_mean(aucs, 0.25)), float(trim_mean(finals, 0.25))


def test_submit_then_leaderboard_shows_the_row_and_regenerates_identically(bundle, board):
    shutil.copytree(ROOT / "leaderboard" / "baselines" / "treat-reach@v0" / "random", board / "baselines" / "treat-reach@v0" / "random")
    result = cli("submit", bundle, "--name", "hill-climber", "--root", board, "--min-seeds", 3)
    assert result.exit_code == 0, result.output
    stored = board / "submissions" / "hill-climber"
    assert sorted(p.name for p in stored.iterdir()) == ["submission.json", "treat-reach@v0"]
    assert not [p for p in (board / "submissions").iterdir() if p.name.startswith(".")]

    assert cli("leaderboard", "--root", board, "--reps", 2000).exit_code == 0
    readme = (board / "README.md").read_text()
    assert readme.startswith("<!-- Generated by `embodied-bench leaderboard`")
    row = next(line for line in readme.splitlines() if "[Hill climber](<submissions/hill-climber/>)" in line and "from-scratch" in line and "|" in line and "AUC" not in line and "A. User" not in line)
    cells = [c.strip() for c in row.strip("|").split("|")]
    score, final = _expected_row(stored)
    assert cells[0] == "1" and cells[3] == "3"
    assert cells[4].startswith(f"{score:.2f} [") and cells[5].startswith(f"{final:.2f} [")
    # The baseline ran at another budget: its own table, never in the submission's.
    assert "ett-warmup-v0: reduced budgets, public evaluation layouts" in readme
    assert readme.count("### ett-warmup-v0") == 2
    assert "Generated by embodied-bench leaderboard" in (board / "site" / "index.html").read_text()

    first = snapshot(board)
    assert cli("leaderboard", "--root", board, "--reps", 2000).exit_code == 0
    assert snapshot(board) == first
    assert cli("leaderboard", "--root", board, "--reps", 2000, "--check").exit_code == 0
    (board / "README.md").write_text(readme.replace("Hill climber", "Hill climber!", 1))
    stale = cli("leaderboard", "--root", board, "--reps", 2000, "--check")
    assert stale.exit_code == 1 and "README.md: not what `embodied-bench leaderboard` generates" in stale.output


def test_official_references_are_entries_of_their_own_beside_the_ci_baselines(board):
    shutil.copytree(ROOT / "leaderboard" / "baselines" / "treat-reach@v0" / "random", board / "baselines" / "treat-reach@v0" / "random")
    official = board / "baselines" / "official"
    made = cli("run", "--agent", "random", "--task", "treat-reach@v0", "--seeds", 2, *TINY, "--out", official)
    assert made.exit_code == 0, made.output
    assert cli("leaderboard", "--root", board, "--reps", 500).exit_code == 0
    readme = (board / "README.md").read_text()
    assert "## Official references" in readme and "## Baselines at the CI budgets" in readme
    pages = sorted(str(p.relative_to(board / "site")) for p in (board / "site").rglob("*.html"))
    assert pages == ["baselines/random.html", "index.html", "references/random.html"]
    # Two protocols, two tables: the CI references' and the official folder's runs.
    assert len(re.findall(r"^### ett-warmup-v0", readme, flags=re.M)) == 2
    assert "at the full protocol (an official reference)" in (board / "site" / "references" / "random.html").read_text()
    # Each page's pictures exist; an entry page that compares the whole table shows the
    # table's figure rather than a copy of it.
    for page in (board / "site").rglob("*.html"):
        for src in re.findall(r'<img src="([^"]+)"', page.read_text()):
            assert (page.parent / src).resolve().is_file(), (page, src)
    entry_figures = [p.name for p in (board / "site" / "figures").iterdir() if p.name.startswith(("reference-", "baseline-"))]
    assert entry_figures == []
    assert re.search(r'<img src="\.\./figures/ett-warmup-v0-[^"]*-curves\.png"', (board / "site" / "references" / "random.html").read_text())


def test_submit_never_overwrites_without_replace(bundle, board):
    assert cli("submit", bundle, "--name", "hill", "--root", board, "--min-seeds", 3).exit_code == 0
    again = cli("submit", bundle, "--name", "hill", "--root", board, "--min-seeds", 3)
    assert again.exit_code == 2 and "already exists; pass --replace" in again.output
    (bundle / "submission.json").write_text(json.dumps({**META, "description": "Second version."}))
    assert cli("submit", bundle, "--name", "hill", "--root", board, "--min-seeds", 3, "--replace").exit_code == 0
    assert json.loads((board / "submissions" / "hill" / "submission.json").read_text())["description"] == "Second version."
    assert sorted(p.name for p in (board / "submissions").iterdir()) == ["hill"]


def test_leaderboard_refuses_a_tampered_submission(bundle, board):
    assert cli("submit", bundle, "--name", "hill", "--root", board, "--min-seeds", 3).exit_code == 0
    assert cli("leaderboard", "--root", board, "--reps", 500).exit_code == 0
    _tamper(board / "submissions" / "hill")
    before = snapshot(board)
    result = cli("leaderboard", "--root", board, "--reps", 500)
    assert result.exit_code == 2 and "curve.csv: its sha256 does not match" in result.output
    assert snapshot(board) == before


# -- hidden evaluation layouts ---------------------------------------------------------------


def test_hidden_layout_seeds_are_secret_disjoint_and_keep_households():
    spec = type("S", (), {"eval_episodes": 8})()
    public = [layouts.eval_seed(o["layout"]) for o in evaluation_layouts(spec, None)]
    salt_a, salt_b = "a" * 32, "b" * 32
    hidden_a = [o["layout_seed"] for o in evaluation_layouts(spec, HiddenLayouts.from_salt(salt_a, 8))]
    hidden_b = [o["layout_seed"] for o in evaluation_layouts(spec, HiddenLayouts.from_salt(salt_b, 8))]
    assert hidden_a == [o["layout_seed"] for o in evaluation_layouts(spec, HiddenLayouts.from_salt(salt_a, 8))]
    assert not set(hidden_a) & set(public) and not set(hidden_a) & set(hidden_b)
    assert all(layouts.is_eval_seed(s) for s in hidden_a)  # never a training layout
    assert all(s - layouts.EVAL_BASE >= layouts.EVAL_COUNT for s in hidden_a)  # never a public one
    assert [s % 4 for s in hidden_a] == [s % 4 for s in public]  # table-clear's attempt index is kept
    assert layouts.salt_id(salt_a) != layouts.salt_id(salt_b) and salt_a not in layouts.salt_id(salt_a)
    with pytest.raises(ValueError, match="at least 16"):
        layouts.hidden_eval_seed(0, "short")


def test_hidden_runs_record_the_salt_hash_only_and_stay_apart(made, tmp_path, board):
    salt = "correct horse battery staple 42"
    hidden = make_bundle(tmp_path / "hidden", env={layouts.SALT_ENV: salt})
    record_text = (hidden / RUN / "run.json").read_text()
    record = json.loads(record_text)
    assert record["evaluation"] == {"layouts": "hidden", "salt_id": layouts.salt_id(salt)}
    assert salt not in record_text
    assert json.loads((made / RUN / "run.json").read_text())["evaluation"] == {"layouts": "public", "salt_id": None}
    public_curve = pd.read_csv(made / RUN / "curve.csv")
    hidden_curve = pd.read_csv(hidden / RUN / "curve.csv")
    assert not np.array_equal(public_curve["eval_return"], hidden_curve["eval_return"])  # other rooms

    short = cli("run", "--agent", "random", "--task", "treat-reach", *TINY, "--out", tmp_path / "x", env={layouts.SALT_ENV: "short"})
    assert short.exit_code == 2 and "use at least 16" in short.output
    mixed = cli("run", "--agent", USER_AGENT, "--suite", "ett-warmup-v0", "--seeds", 3, *TINY, "--out", hidden, "--resume")
    assert mixed.exit_code == 2 and "hidden evaluation layouts" in mixed.output and "not public evaluation layouts" in mixed.output

    assert cli("submit", made, "--name", "public", "--root", board, "--min-seeds", 3).exit_code == 0
    assert cli("submit", hidden, "--name", "hidden", "--root", board, "--min-seeds", 3).exit_code == 0
    assert cli("leaderboard", "--root", board, "--reps", 500).exit_code == 0
    readme = (board / "README.md").read_text()
    heads = re.findall(r"^### (.*)$", readme, flags=re.M)
    assert heads == [f"ett-warmup-v0: reduced budgets, hidden evaluation layouts (salt id {layouts.salt_id(salt)[:12]})", "ett-warmup-v0: reduced budgets, public evaluation layouts"]
    assert salt not in readme


def test_readme_submission_example_is_valid(tmp_path):
    from embodied_bench.leaderboard import read_meta

    text = (ROOT / "README.md").read_text(encoding="utf-8")
    example = re.search(r"```json\n(.*?)```", text.split("## Submit to the leaderboard", 1)[1], re.S).group(1)
    (tmp_path / "submission.json").write_text(example)
    meta, problems = read_meta(tmp_path / "submission.json")
    assert problems == [] and meta.suite == "ett-core-v1" and meta.category == "from-scratch"


# -- ranking -----------------------------------------------------------------------------------


def _entry(name: str, finals: list[float], privileged: bool = False):
    from embodied_bench.leaderboard.board import Entry

    rows = []
    for seed, final in enumerate(finals):
        for k, step in enumerate(range(0, 100_001, 10_000)):
            success = final * step / 100_000  # a straight line: normalised AUC is final / 2
            rows.append({"task": "treat-reach@v0", "agent": name, "seed": seed, "checkpoint": k, "budget_used": step, "eval_success": success, "task_version": 0, "budget": 100_000, "budget_unit": "steps", "eval_episodes": 20, "eval_layouts": "public", "threshold": 0.8, "animal_budget": 4000, "train_cost": 0.0, "env_steps": step, "privileged": privileged, "run_dir": f"{name}/{seed}"})
    return Entry("submission", name, name.upper(), privileged, "from-scratch", None, pd.DataFrame(rows), {})


def test_ranks_claim_only_significant_orders():
    from embodied_bench.leaderboard.board import build_tables

    strong = _entry("a", [0.9, 0.95, 1.0, 0.9, 0.95, 1.0])
    mid1 = _entry("b", [0.4, 0.5, 0.45, 0.55, 0.5, 0.4])
    mid2 = _entry("c", [0.45, 0.5, 0.4, 0.5, 0.55, 0.45])
    oracle = _entry("o", [1.0] * 6, privileged=True)
    (table,) = build_tables([mid2, oracle, strong, mid1], reps=2_000)
    assert [r.entry.name for r in table.ranked] == ["a", "c", "b"] or [r.entry.name for r in table.ranked] == ["a", "b", "c"]
    assert [r.rank for r in table.ranked] == ["1", "=2", "=2"]
    assert table.ranked[0].vs_next[3] == "A better" and table.ranked[1].vs_next[3] == "not significant"
    assert [r.entry.name for r in table.references] == ["o"] and table.references[0].rank == ""
    # The score is the IQM of normalised AUC: each run's AUC is final / 2 here.
    assert table.ranked[0].score.point == pytest.approx(trim_mean(np.array([0.9, 0.95, 1.0, 0.9, 0.95, 1.0]) / 2, 0.25))
    assert table.official and table.full_budgets


def test_tables_name_reduced_budgets():
    from embodied_bench.leaderboard.board import BoardTable

    current = BoardTable("ett-warmup-v0", "public", {"treat-reach@v0": (0, 100_000, 10_000, 20, "steps")})
    reduced = BoardTable("ett-warmup-v0", "public", {"treat-reach@v0": (0, 10_000, 1_000, 5, "steps")})
    assert current.official and current.full_budgets
    assert not reduced.official and not reduced.full_budgets
    assert current.slug != reduced.slug


def test_a_table_with_official_runs_of_some_tasks_says_so_rather_than_reduced_budgets():
    from embodied_bench.leaderboard.board import BoardTable
    from embodied_bench.registry import SUITES, TASKS
    from embodied_bench.report.site import _protocol_words

    first, *rest = SUITES.get("ett-core-v3").tasks
    spec = TASKS.get(first).spec
    some = BoardTable("ett-core-v3", "public", {first: (spec.version, spec.budget, spec.eval_every, spec.eval_episodes, spec.budget_unit)})
    assert rest and some.runs_at_full_budgets and not some.full_budgets and not some.official
    assert _protocol_words(some) == "official budgets, some tasks without runs, public evaluation layouts"
    smaller = BoardTable("ett-core-v3", "public", {first: (spec.version, spec.budget // 10, spec.eval_every, spec.eval_episodes, spec.budget_unit)})
    assert _protocol_words(smaller) == "reduced budgets, public evaluation layouts"


def test_a_copy_that_fails_midway_leaves_no_trace(bundle, board, monkeypatch):
    import embodied_bench.leaderboard.submit as S

    assert cli("submit", bundle, "--name", "hill", "--root", board, "--min-seeds", 3).exit_code == 0
    before = snapshot(board)
    calls = {"n": 0}
    real = shutil.copyfile

    def failing(src, dst):
        calls["n"] += 1
        if calls["n"] == 4:
            raise OSError(28, "No space left on device")
        return real(src, dst)

    monkeypatch.setattr(S.shutil, "copyfile", failing)
    (bundle / "submission.json").write_text(json.dumps({**META, "description": "New."}))
    result = cli("submit", bundle, "--name", "hill", "--root", board, "--min-seeds", 3, "--replace")
    assert result.exit_code == 2 and "No space left on device" in result.output
    assert snapshot(board) == before  # the old submission, whole; no staging folder left
    calls["n"] = -100
    fresh = cli("submit", bundle, "--name", "other", "--root", board, "--min-seeds", 3)
    assert fresh.exit_code == 0


def test_agent_code_never_sees_the_salt(tmp_path):
    salt = "another secret that is long enough"
    result = cli("run", "--agent", agent_ref("SaltSniffer"), "--task", "treat-reach", "--seeds", 2, "--budget-scale", "0.01", "--eval-episodes", "2", "--jobs", 2, "--out", tmp_path, env={layouts.SALT_ENV: salt})
    assert result.exit_code == 0, result.output  # the agent raises if it finds the salt
    seen = json.loads((tmp_path / "treat-reach@v1" / "SaltSniffer" / "seed-0" / "run.json").read_text())
    assert seen["evaluation"]["layouts"] == "hidden"


def test_an_interrupted_replace_is_recovered(bundle, board):
    assert cli("submit", bundle, "--name", "hill", "--root", board, "--min-seeds", 3).exit_code == 0
    subs = board / "submissions"
    aside = subs / ".replaced-hill-x"
    aside.mkdir()
    (subs / "hill").rename(aside / "hill")  # killed between the two renames
    (subs / ".incoming-hill-y").mkdir()
    stuck = cli("leaderboard", "--root", board, "--reps", 500)
    assert stuck.exit_code == 2 and "interrupted `embodied-bench submit --replace`" in stuck.output
    again = cli("submit", bundle, "--name", "hill", "--root", board, "--min-seeds", 3)
    assert again.exit_code == 2 and "already exists" in again.output  # the old one is back
    assert sorted(p.name for p in subs.iterdir()) == ["hill"]
    assert cli("leaderboard", "--root", board, "--reps", 500).exit_code == 0


def test_names_are_text_not_markup(bundle, board):
    (bundle / "submission.json").write_text(json.dumps({**META, "name": "Tampered $\\frac$ <b>|"}))
    assert cli("submit", bundle, "--name", "odd", "--root", board, "--min-seeds", 3).exit_code == 0
    result = cli("leaderboard", "--root", board, "--reps", 500)
    assert result.exit_code == 0, result.output
    assert "Tampered $\\frac$ &lt;b&gt;|" in (board / "site" / "index.html").read_text()
