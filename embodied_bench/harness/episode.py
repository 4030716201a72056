"""One episode of any agent on one layout, rendered (``embodied-bench render``), and the
first frame of held-out layouts (``embodied-bench gallery``). The agent is built as a run
builds it (its seed split with ``SeedSequence``, a privileged view only for privileged
agents, demonstrations where the layout has them) but trains on nothing: an agent that
needs practice is shown from the clips its runs recorded."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from embodied_bench import video
from embodied_bench.api import TaskSpec, is_privileged
from embodied_bench.harness.ledger import ActionChecker
from embodied_bench.harness.runner import make_env, privileged_view, split_seed, task_info
from embodied_bench.registry import resolve_agent


@dataclass
class Episode:
    """What ``play`` shows: the frames and how the episode went."""

    frames: list[np.ndarray]
    fps: float
    success: bool = False
    score: float = 0.0
    cost: float = 0.0
    steps: int = 0
    info: dict[str, Any] = field(default_factory=dict)
    """The reset info's plain facts (layout seed, level, household, ...)."""


def render_env(spec: TaskSpec, split: str, camera: str | None = None) -> Any:
    """The task's env rendering frames (``camera``: for tasks that have several; a
    ValueError names the choice when the task has none)."""
    extra = {"camera": camera} if camera is not None else {}
    try:
        return make_env(spec, split, render_mode="rgb_array", **extra)
    except TypeError as exc:
        if camera is not None and "camera" in str(exc):
            raise ValueError(f"task {spec.name} renders from one camera; leave out --camera") from None
        raise


def _reset(env: Any, split: str, layout: int) -> tuple[Any, dict[str, Any]]:
    """Held-out layout ``layout`` (eval), or the training layout of seed ``layout`` (train)."""
    options = {"layout": layout} if split == "eval" else {"layout_seed": layout}
    return env.reset(seed=layout, options=options)


def _plain(info: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in info.items() if isinstance(v, (bool, int, float, str))}


def play(spec: TaskSpec, agent_ref: str, seed: int = 0, layout: int = 0, split: str = "eval", camera: str | None = None, fps: int = 15) -> Episode:
    """One episode of the agent ``agent_ref`` (registered name, ``module:Class`` or
    ``file.py:Class``) built with run seed ``seed``, on ``layout`` of ``split``."""
    _, cls = resolve_agent(agent_ref)
    agent_seed, _ = split_seed(seed)
    env = render_env(spec, split, camera)
    try:
        info = task_info(spec, env)
        view = None
        if is_privileged(cls):
            view = privileged_view(spec)
            view._switch(env)
            agent = cls(info, agent_seed, privileged=view)
        else:
            agent = cls(info, agent_seed)
        act = getattr(agent, "act")
        obs, reset_info = _reset(env, split, layout)
        if callable(getattr(agent, "start_episode", None)):
            agent.start_episode(False)
        if callable(getattr(agent, "demonstrate", None)) and "demonstrations" in reset_info:
            agent.demonstrate(list(reset_info["demonstrations"]))
        frames: list[np.ndarray] = []
        recorder = video.FrameRecorder(env, fps, frames.append)
        recorder.start()
        checker = ActionChecker(env.action_space)
        played = Episode([], recorder.fps, info=_plain(reset_info))
        while True:
            obs, reward, terminated, truncated, step_info = env.step(checker(act(obs, False), f"render, layout {layout}"))
            recorder.step()
            played.steps += 1
            played.cost += float(step_info.get("cost", 0.0))
            played.success = played.success or bool(step_info.get("success"))
            played.score = float(step_info.get("partial", played.success))
            if terminated or truncated:
                break
        recorder.stop()
        played.frames = frames
        return played
    finally:
        env.close()


def first_frame(spec: TaskSpec, layout: int, split: str = "eval", camera: str | None = None) -> tuple[np.ndarray, dict[str, Any]]:
    """The frame a layout starts from, and its reset info's plain facts."""
    env = render_env(spec, split, camera)
    try:
        _, info = _reset(env, split, layout)
        frame = env.render()
        if frame is None:
            raise video.VideoUnavailable(f"task {spec.name} rendered nothing")
        return np.asarray(frame, np.uint8)[..., :3], _plain(info)
    finally:
        env.close()
