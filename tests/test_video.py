"""Clips (issue: pictures and videos): recording never changes a number; clips decode with
the frames and size their record says; `render` and `gallery` on every task family; a
machine without OpenGL still completes its runs, with one line on why there are no
clips; reports embed the clips."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from conftest import ROOT

from embodied_bench.cli import main

pytestmark = pytest.mark.extra("video")

TINY = ("--seeds", "1", "--budget-scale", "0.02", "--eval-episodes", "2", "--jobs", "1")


def cli(*args):
    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)


def _curve(run: Path) -> list[str]:
    return [",".join(line.split(",")[:-1]) for line in (run / "curve.csv").read_text().splitlines()]  # all but wall_seconds


@pytest.mark.parametrize("task", ["treat-reach", "cat-climb-skill"])
def test_recording_changes_no_number_and_clips_decode_as_recorded(task, tmp_path):
    from embodied_bench import video

    plain = cli("run", "--agent", "scripted", "--task", task, *TINY, "--out", tmp_path / "plain")
    filmed = cli("run", "--agent", "scripted", "--task", task, *TINY, "--record-video", "--video-checkpoints", "first,last", "--out", tmp_path / "filmed")
    assert plain.exit_code == filmed.exit_code == 0, filmed.output
    (a,), (b,) = (list((tmp_path / which).glob("*/scripted/seed-0")) for which in ("plain", "filmed"))
    assert _curve(a) == _curve(b)
    assert (a / "levels.csv").read_text() == (b / "levels.csv").read_text()
    record = json.loads((b / "run.json").read_text())
    clips = record["video"]["clips"]
    assert record["video"]["error"] is None
    last = len(_curve(b)) - 2  # header and checkpoint 0
    assert [(c["checkpoint"], c["layout"]) for c in clips] == [(0, 0), (last, 0)]
    for clip in clips:
        frames = video.read_clip(b / clip["file"])
        assert frames.shape == (clip["frames"], clip["height"], clip["width"], 3) and clip["frames"] > 5
        assert clip["width"] <= 640 and clip["height"] <= 480 and clip["fps"] <= 30
        assert (b / clip["poster"]).is_file() and clip["bytes"] < 1_000_000
        assert frames.std() > 5  # a picture, not a blank frame
    assert "wall_seconds" not in clips[0] and record["video"]["seconds"] > 0


def test_render_every_family_as_gif_and_mp4(tmp_path):
    from embodied_bench import video

    cases = [("treat-reach", "scripted", ".gif", ()), ("cat-climb-skill", "scripted", ".mp4", ("--camera", "follow")), ("table-clear-primitive", "random", ".mp4", ())]
    for task, agent, suffix, extra in cases:
        out = tmp_path / f"{task}{suffix}"
        made = cli("render", "--task", task, "--agent", agent, "--layout", "1", *extra, "--out", out)
        assert made.exit_code == 0, made.output
        frames = video.read_clip(out)
        assert len(frames) > 3 and frames.std() > 5, task
        assert f"wrote {out}" in made.output and task in made.output
    bad = CliRunner().invoke(main, ["render", "--task", "treat-reach", "--camera", "follow", "--out", str(tmp_path / "x.mp4")])
    assert bad.exit_code == 2 and "renders from one camera" in bad.output
    wrong = CliRunner().invoke(main, ["render", "--task", "treat-reach", "--out", str(tmp_path / "x.avi")])
    assert wrong.exit_code == 2 and "a clip is .mp4 or .gif" in wrong.output


def test_gallery_shows_each_level(tmp_path):
    from matplotlib.image import imread

    made = cli("gallery", "--task", "treat-reach", "--per-level", "2", "--out", tmp_path)
    assert made.exit_code == 0, made.output
    picture = imread(tmp_path / "treat-reach@v1-gallery.png")
    assert picture.shape[0] > picture.shape[1]  # four levels, two layouts each
    from embodied_bench.registry import TASKS
    from embodied_bench.report.gallery import layouts_by_level

    spec = TASKS.get("table-clear-primitive").spec
    chosen = layouts_by_level(spec, 2)
    assert list(chosen) == list(spec.levels)
    assert all(i % spec.level_block == 0 and spec.level_of(i) == level for level, idx in chosen.items() for i in idx)


@pytest.mark.parametrize("task", ["treat-reach", "cat-climb-skill"])  # a frame hook inside the step too
def test_without_opengl_the_run_completes_and_says_why_there_are_no_clips(tmp_path, task):
    env = {**os.environ, "MUJOCO_GL": "disable"}
    out = tmp_path / "runs"
    done = subprocess.run([str(Path(sys.executable).with_name("embodied-bench")), "run", "--agent", "scripted", "--task", task, *TINY, "--record-video", "--out", str(out)], env=env, capture_output=True, text=True, cwd=ROOT, timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]
    (folder,) = out.glob("*/scripted/seed-0")
    record = json.loads((folder / "run.json").read_text())
    assert record["status"] == "complete" and record["video"]["clips"] == []
    error = record["video"]["error"]
    assert error.startswith("no clips: ") and "\n" not in error and "install" in error
    assert "no clips" in done.stdout + done.stderr  # the command says so too


def test_report_embeds_each_agents_first_and_last_clip(tmp_path):
    runs = tmp_path / "runs"
    made = cli("run", "--agent", "scripted", "--agent", "random", "--task", "treat-reach", *TINY, "--record-video", "--out", runs)
    assert made.exit_code == 0, made.output
    report = cli("report", runs, "--out", tmp_path / "rep", "--reps", "500", "--band-reps", "200", "--no-svg")
    assert report.exit_code == 0, report.output
    page = (tmp_path / "rep" / "report.html").read_text()
    assert page.count("<video ") == 4 and page.count('src="data:video/mp4;base64,') == 4
    md = (tmp_path / "rep" / "report.md").read_text()
    clips = sorted(p.name for p in (tmp_path / "rep" / "videos").glob("*.mp4"))
    assert len(clips) == 4 and all(f"videos/{name}" in md for name in clips)
    # Captions say when, in the budget's unit.
    assert "seed 0, checkpoint 0 (before practice)" in md and re.search(r"seed 0, checkpoint [1-9]\d* \(after [\d,]+ steps\)", md)
    assert np.array_equal(sorted({n.split("-checkpoint-")[0] for n in clips}), ["treat-reach@v1-random-seed-0", "treat-reach@v1-scripted-seed-0"])


def test_a_planners_simulated_candidates_never_reach_a_clip():
    import gymnasium as gym

    from embodied_bench.tasks.table_clear.planning import world_model

    env = gym.make("EmbodiedBench/TableClearPrimitive-v1", layout_split="eval").unwrapped
    env.reset(seed=0, options={"layout": 0})
    seen = []
    env.frame_hook = lambda: seen.append(1)
    model = world_model(env)
    model.rollout(np.array([[[0, 0]], [[1, 2]]]))
    states = model.root()
    model.step(states, np.array([0]), np.array([[0, 1]]))
    model.release()
    assert seen == [] and env.frame_hook is not None  # restored for the episode's own steps
    env.step(np.array([0, 0]))
    assert len(seen) > 10
