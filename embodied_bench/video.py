"""Clips of episodes: frames captured while an agent acts, written as MP4 (imageio with
imageio-ffmpeg, whose wheel carries its own ffmpeg) or GIF, with a poster frame. Needs the
``video`` extra; recording never changes a number of the run it watches.

A task env shows what happens inside a long step (a jump, a pick-and-place) through its
``frame_hook``: an attribute, None by default, that the env calls with no arguments each
time it has simulated one frame period (``1 / metadata["render_fps"]``) within a step of
the episode. Envs whose step is itself one frame period need no hook: the recorder takes a
frame after every step. World models that step the env to simulate candidates clear the
hook meanwhile: a clip shows the episode, never a planner's imagination."""

from __future__ import annotations

import hashlib
import io
import math
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

INSTALL = "pip install 'embodied-bench[video]'"
"""What gives ``--record-video`` its libraries."""
INSTALL_GL = "MuJoCo tasks render offscreen with MUJOCO_GL=egl and Mesa's EGL (Debian/Ubuntu: apt-get install libegl1 libgl1-mesa-dri)"
"""What rendering needs where no display exists (PyBullet's tasks render on the CPU)."""
CHECKPOINT_CHOICES = ("first", "last", "all")
MAX_SIZE = (640, 480)
MAX_FPS = 30


class VideoUnavailable(RuntimeError):
    """Recording cannot happen here (a library or OpenGL is missing): one line saying what
    to install. A run goes on without clips."""


@dataclass(frozen=True)
class VideoOptions:
    """What ``run --record-video`` records."""

    checkpoints: tuple[str, ...] = ("first", "last")
    """At which checkpoints: ``"first"`` (0), ``"last"`` (the budget), ``"all"``, or
    checkpoint numbers as strings."""
    episodes: int = 1
    """The first this many evaluation layouts at each chosen checkpoint."""
    fps: int = 15
    """Frames per second of the clips at most (``MAX_FPS`` at the most): every k-th frame
    period of the env is kept, the smallest k that does not exceed it (a 20 Hz env gives 10
    at 15), and the simulation's time is kept."""

    def __post_init__(self) -> None:
        for c in self.checkpoints:
            if c not in CHECKPOINT_CHOICES and not (isinstance(c, str) and c.isdigit()):
                raise ValueError(f"video checkpoint {c!r}: give first, last, all or checkpoint numbers (0, 1, ...)")
        if not self.checkpoints:
            raise ValueError("give at least one video checkpoint")
        if int(self.episodes) < 1:
            raise ValueError("record at least one episode per checkpoint")
        if not 1 <= int(self.fps) <= MAX_FPS:
            raise ValueError(f"video fps must lie in [1, {MAX_FPS}], got {self.fps}")

    def wants(self, checkpoint: int, last: int) -> bool:
        """Whether checkpoint number ``checkpoint`` (of ``0..last``) is recorded."""
        chosen = set(self.checkpoints)
        return "all" in chosen or str(checkpoint) in chosen or ("first" in chosen and checkpoint == 0) or ("last" in chosen and checkpoint == last)

    @classmethod
    def parse(cls, checkpoints: str, episodes: int = 1, fps: int = 15) -> "VideoOptions":
        """From the command line's ``--video-checkpoints first,last`` (ValueError with a
        message for users)."""
        items = tuple(c.strip() for c in checkpoints.split(",") if c.strip())
        return cls(items, episodes, fps)


def _imageio() -> Any:
    try:
        import imageio.v2 as iio
        import imageio_ffmpeg  # noqa: F401  (the ffmpeg binary MP4 needs)
    except ImportError:
        raise VideoUnavailable(f"recording clips needs imageio and imageio-ffmpeg: {INSTALL}") from None
    return iio


def require() -> None:
    """Raise ``VideoUnavailable`` (one line: what to install) when clips cannot be written."""
    _imageio()


def _fit(frame: Any) -> np.ndarray:
    """An RGB uint8 frame no larger than ``MAX_SIZE`` (one stride for both axes: the
    picture keeps its shape)."""
    frame = np.asarray(frame)
    if frame.dtype != np.uint8 or frame.ndim != 3 or frame.shape[2] < 3:
        raise ValueError(f"a frame is an (H, W, 3) uint8 image, got {frame.dtype} {frame.shape}")
    stride = max(1, -(-frame.shape[0] // MAX_SIZE[1]), -(-frame.shape[1] // MAX_SIZE[0]))
    return frame[::stride, ::stride, :3]


class ClipWriter:
    """An MP4 written frame by frame (nothing kept in memory but the last frame), into a
    temporary file renamed into place by ``close``: a clip is whole or absent."""

    def __init__(self, path: Path, fps: float) -> None:
        iio = _imageio()
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        handle, tmp = tempfile.mkstemp(prefix=f".{self.path.stem}-", suffix=".mp4", dir=self.path.parent)
        os.close(handle)
        self.tmp = Path(tmp)
        self.fps = float(fps)
        # One encoder thread: the same frames give the same bytes on any machine.
        self._writer = iio.get_writer(str(self.tmp), format="FFMPEG", mode="I", fps=self.fps, codec="libx264", pixelformat="yuv420p", macro_block_size=2, ffmpeg_log_level="error", output_params=["-crf", "30", "-preset", "veryfast", "-threads", "1"])
        self.frames = 0
        self.size: tuple[int, int] | None = None
        self.last: np.ndarray | None = None

    def append(self, frame: np.ndarray) -> None:
        frame = _fit(frame)
        if self.size is None:
            self.size = (frame.shape[1] // 2 * 2, frame.shape[0] // 2 * 2)  # H.264's 4:2:0 needs even sizes
        w, h = self.size
        self._writer.append_data(np.ascontiguousarray(frame[:h, :w]))
        self.frames += 1
        self.last = frame

    def close(self) -> dict[str, Any]:
        """Finish the file; what a record keeps of it (name, frames, size, fps, bytes,
        sha256)."""
        try:
            self._writer.close()
            if not self.frames:
                raise ValueError("a clip needs at least one frame")
            self.tmp.chmod(0o644)
            self.tmp.replace(self.path)
        finally:
            self.tmp.unlink(missing_ok=True)
        blob = self.path.read_bytes()
        w, h = self.size or (0, 0)
        return {"file": self.path.name, "frames": self.frames, "width": w, "height": h, "fps": round(self.fps, 3), "bytes": len(blob), "sha256": hashlib.sha256(blob).hexdigest()}

    def abort(self) -> None:
        try:
            self._writer.close()
        except Exception:  # noqa: BLE001  (a failed encoder: the temporary file goes anyway)
            pass
        self.tmp.unlink(missing_ok=True)


class FrameRecorder:
    """Frames of one episode of ``env``, at most ``fps`` a second, handed to ``sink``
    (a ``ClipWriter``'s ``append``, or a list's). ``start()`` after the reset, ``step()``
    after every step, ``stop()`` at the end. A rendering failure never escapes from
    inside a step: the hook detaches itself and ``step``/``stop`` raise it afterwards."""

    def __init__(self, env: Any, fps: int, sink: Any) -> None:
        self.env = env
        self.base = env.unwrapped
        env_fps = float(self.base.metadata.get("render_fps") or fps)
        self.every = max(1, math.ceil(env_fps / fps - 1e-9))
        """Frame periods of the env per frame kept: the clip's fps never exceeds ``fps``."""
        self.fps = env_fps / self.every
        self.sink = sink
        self.last: np.ndarray | None = None
        self.failed: BaseException | None = None
        self._ticks = 0
        self._hooked = 0

    def _grab(self) -> None:
        frame = self.env.render()
        if frame is None:
            raise VideoUnavailable("the env rendered nothing (is it made with render_mode='rgb_array'?)")
        self.last = _fit(frame)
        self.sink(self.last)

    def _tick(self) -> None:
        if self._ticks % self.every == 0:
            self._grab()
        self._ticks += 1

    def _hook(self) -> None:
        if self.failed is not None:
            return
        try:
            self._hooked += 1
            self._tick()
        except Exception as exc:  # noqa: BLE001  (inside the env's step: never raise there)
            self.failed = exc
            self._detach()

    def _detach(self) -> None:
        if getattr(self.base, "frame_hook", None) == self._hook:
            self.base.frame_hook = None

    def _raise(self) -> None:
        if self.failed is not None:
            raise self.failed

    def start(self) -> None:
        self._tick()  # the first frame, before the hook is attached: a failure stays out here
        if hasattr(self.base, "frame_hook"):
            self.base.frame_hook = self._hook

    def step(self) -> None:
        """After a step: a frame, unless the env's hook took this step's frames already."""
        self._raise()
        if self._hooked:
            self._hooked = 0
        else:
            self._tick()

    def stop(self) -> None:
        self._detach()
        self._raise()
        if self.last is not None and (self._ticks - 1) % self.every:
            self._grab()  # the last state is always shown

    def close(self) -> None:
        """Detach from the env (after a failure too)."""
        self._detach()


def write_clip(frames: list[np.ndarray], path: Path, fps: float) -> dict[str, Any]:
    """Write ``frames`` to ``path`` (``.mp4``: H.264; ``.gif``) atomically. Returns what a
    record keeps of it: file name, frames, size, fps, bytes and sha256."""
    if not frames:
        raise ValueError("a clip needs at least one frame")
    path = Path(path)
    if path.suffix == ".mp4":
        writer = ClipWriter(path, fps)
        try:
            for frame in frames:
                writer.append(frame)
        except BaseException:
            writer.abort()
            raise
        return writer.close()
    if path.suffix != ".gif":
        raise ValueError(f"{path}: clips are .mp4 or .gif")
    iio = _imageio()
    data = [_fit(f) for f in frames]
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, tmp = tempfile.mkstemp(prefix=f".{path.stem}-", suffix=".gif", dir=path.parent)
    os.close(handle)
    try:
        iio.mimsave(tmp, data, format="GIF", duration=1000.0 / fps, loop=0)
        Path(tmp).chmod(0o644)
        Path(tmp).replace(path)
    finally:
        Path(tmp).unlink(missing_ok=True)
    blob = path.read_bytes()
    return {"file": path.name, "frames": len(data), "width": int(data[0].shape[1]), "height": int(data[0].shape[0]), "fps": round(float(fps), 3), "bytes": len(blob), "sha256": hashlib.sha256(blob).hexdigest()}


def poster_png(frame: np.ndarray) -> bytes:
    """A PNG of one frame (the poster of a clip)."""
    iio = _imageio()
    buf = io.BytesIO()
    iio.imwrite(buf, np.asarray(frame, np.uint8), format="PNG")
    return buf.getvalue()


def read_clip(path: Path) -> np.ndarray:
    """Every frame of a clip, ``(T, H, W, 3)`` uint8 (tests, posters of committed clips)."""
    iio = _imageio()
    return np.stack([np.asarray(f)[..., :3] for f in iio.mimread(str(path), memtest=False)])


def preview_gif(mp4: Path, gif: Path, fps: float, width: int = 320, max_fps: float = 10.0) -> dict[str, Any]:
    """A small animated GIF of a clip (for Markdown, which plays no video): at most
    ``width`` pixels wide and ``max_fps`` frames per second, the clip's time kept."""
    frames = read_clip(mp4)
    step = max(1, int(np.ceil(frames.shape[2] / width)))
    skip = max(1, int(np.ceil(fps / max_fps)))
    return write_clip(list(frames[::skip, ::step, ::step]), gif, fps / skip)
