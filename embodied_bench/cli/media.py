"""``embodied-bench render`` and ``embodied-bench gallery``: an episode as a clip, and a
picture of held-out layouts per difficulty level."""

from __future__ import annotations

from pathlib import Path

import click

from embodied_bench.cli import main
from embodied_bench.cli.common import InputError, resolve_agent_arg
from embodied_bench.registry import TASKS, RegistryError
from embodied_bench.results.records import atomic_write_bytes

CLIP_SUFFIXES = (".mp4", ".gif")


def _line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def _task(name: str):
    try:
        return TASKS.get(name).spec
    except RegistryError as exc:
        raise InputError(f"--task {exc}") from None


def _require_video() -> None:
    from embodied_bench import video

    try:
        video.require()
    except video.VideoUnavailable as exc:
        raise InputError(str(exc)) from None


@main.command("render")
@click.option("--task", "task", default=None, metavar="T", help="Task (a bare name is its newest version).")
@click.option("--agent", default="scripted", show_default=True, metavar="A", help="Registered name, module:Class or path/to/file.py:Class; built with --seed and shown without practice.")
@click.option("--run", "run_dir", type=click.Path(exists=True, file_okay=False, path_type=Path), default=None, help="Instead of --task/--agent: a run folder whose recorded clip to write (agents that need training).")
@click.option("--checkpoint", default="last", show_default=True, help="--run: first, last, or a checkpoint number.")
@click.option("--seed", type=click.IntRange(min=0), default=0, show_default=True, help="Run seed the agent is built with (its own seed is split from it, as in a run).")
@click.option("--layout", type=click.IntRange(min=0), default=0, show_default=True, help="Held-out layout (--split eval) or training layout seed (--split train).")
@click.option("--split", type=click.Choice(["eval", "train"]), default="eval", show_default=True, help="Held-out or training layouts.")
@click.option("--camera", default=None, help="Camera, for tasks with several (cat-climb: room, follow).")
@click.option("--fps", type=click.IntRange(min=1, max=30), default=15, show_default=True, help="Frames per second (simulated time is kept).")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), required=True, help="The clip: .mp4 or .gif.")
def render_cmd(task: str | None, agent: str, run_dir: Path | None, checkpoint: str, seed: int, layout: int, split: str, camera: str | None, fps: int, out: Path) -> None:
    """One episode as a clip (MP4 or GIF): an agent on a layout, rendered as it acts; or,
    with --run, the clip a run recorded (`run --record-video`)."""
    from embodied_bench import video

    if out.suffix not in CLIP_SUFFIXES:
        raise InputError(f"--out {out}: a clip is {' or '.join(CLIP_SUFFIXES)}")
    _require_video()
    if run_dir is not None:
        if task is not None:
            raise InputError("--run shows a recorded clip; leave out --task (the run says which)")
        _from_run(run_dir, checkpoint, layout, out)
        return
    if task is None:
        raise InputError("name a --task (and an --agent), or a --run folder whose clip to write")
    spec = _task(task)
    resolve_agent_arg(agent)
    from embodied_bench.harness.episode import play

    try:
        episode = play(spec, agent, seed=seed, layout=layout, split=split, camera=camera, fps=fps)
        written = video.write_clip(episode.frames, out, episode.fps)
    except (ValueError, RuntimeError, OSError) as exc:  # RuntimeError: a renderer without OpenGL names what to install
        raise InputError(_line(exc)) from None
    facts = ", ".join(f"{k} {v}" for k, v in episode.info.items() if k in ("level", "household", "route_jumps"))
    click.echo(f"wrote {out} ({written['frames']} frames, {written['width']}x{written['height']}, {written['bytes'] / 1000:.0f} kB): {spec.name}, {agent}, {split} layout {layout}{f' ({facts})' if facts else ''}: success {episode.success}, graded score {episode.score:.2f}, cost {episode.cost:g}, {episode.steps} steps")


def _from_run(run_dir: Path, checkpoint: str, layout: int, out: Path) -> None:
    from embodied_bench import video
    from embodied_bench.results.load import load_clips

    clips, notes = load_clips([run_dir])
    if clips.empty:
        why = f" ({notes[0]})" if notes else ""
        raise InputError(f"--run {run_dir}: no recorded clips{why}; make the run with `embodied-bench run ... --record-video`")
    points = sorted(clips["checkpoint"].unique())
    wanted = {"first": points[0], "last": points[-1]}.get(checkpoint, int(checkpoint) if checkpoint.isdigit() else None)
    found = clips[(clips["checkpoint"] == wanted) & (clips["layout"] == layout)]
    if found.empty:
        have = ", ".join(f"checkpoint {r.checkpoint} layout {r.layout}" for r in clips.itertuples())
        raise InputError(f"--run {run_dir}: no clip at --checkpoint {checkpoint} --layout {layout}; it has {have}")
    source = Path(found["file"].iloc[0])
    try:
        if out.suffix == source.suffix:
            out.parent.mkdir(parents=True, exist_ok=True)
            atomic_write_bytes(out, source.read_bytes())
            click.echo(f"wrote {out} (the clip of {run_dir}, checkpoint {wanted}, layout {layout})")
            return
        written = video.write_clip(list(video.read_clip(source)), out, float(found["fps"].iloc[0]))
    except (ValueError, RuntimeError, OSError) as exc:
        raise InputError(_line(exc)) from None
    click.echo(f"wrote {out} ({written['frames']} frames; the clip of {run_dir}, checkpoint {wanted}, layout {layout})")


@main.command("gallery")
@click.option("--task", "tasks", multiple=True, required=True, metavar="T", help="Task (repeatable; a bare name is its newest version).")
@click.option("--per-level", type=click.IntRange(min=1, max=8), default=3, show_default=True, help="Held-out layouts shown per difficulty level.")
@click.option("--camera", default=None, help="Camera, for tasks with several (cat-climb: room, follow).")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), required=True, help="Folder for <task>-gallery.png.")
def gallery_cmd(tasks: tuple[str, ...], per_level: int, camera: str | None, out: Path) -> None:
    """A picture of each task's held-out layouts, a row per difficulty level, as they
    start (PyBullet renders on the CPU; MuJoCo offscreen with EGL)."""
    from embodied_bench.report import figures
    from embodied_bench.report.gallery import gallery

    specs = [_task(t) for t in tasks]
    for spec in specs:
        try:
            fig = gallery(spec, per_level, camera)
            path = figures.save(fig, out, f"{spec.name}-gallery", ("png",))["png"]
        except (ValueError, RuntimeError, OSError) as exc:
            raise InputError(_line(exc)) from None
        click.echo(f"wrote {path}")
