"""Clips of evaluation episodes (``run --record-video``): the first episodes of the chosen
checkpoints, recorded on the held-out layouts into the run's ``videos/`` folder. Recording
only watches: it never changes a number, and when it cannot happen (no OpenGL, no video
library) the run goes on without clips and its record says why, in one line."""

from __future__ import annotations

import dataclasses
import hashlib
import time
from pathlib import Path
from typing import Any

from embodied_bench import video
from embodied_bench.results.records import VIDEOS, atomic_write_bytes


class _Episode:
    """One episode being recorded, streamed into its clip; any failure to render or
    encode stops the run's recording (the episode itself goes on untouched)."""

    def __init__(self, clips: "Clips", env: Any, checkpoint: int, point: int, layout: int) -> None:
        self.clips = clips
        self.checkpoint, self.point, self.layout = checkpoint, point, layout
        self.name = f"checkpoint-{checkpoint}-layout-{layout}"
        self.writer: video.ClipWriter | None = None
        self.recorder: video.FrameRecorder | None = None

        def begin() -> None:
            self.recorder = video.FrameRecorder(env, clips.options.fps, lambda frame: self._sink(frame))
            self.writer = video.ClipWriter(clips.folder / VIDEOS / f"{self.name}.mp4", self.recorder.fps)
            self.recorder.start()

        self._guard(begin, starting=True)

    def _sink(self, frame: Any) -> None:
        assert self.writer is not None
        self.writer.append(frame)

    def _guard(self, call: Any, starting: bool = False) -> None:
        if self.recorder is None and not starting:
            return
        t = time.perf_counter()
        try:
            call()
        except Exception as exc:  # noqa: BLE001  (no GL, a renderer or encoder that fails: the run goes on)
            self.clips.fail(exc)
            self._drop()
        finally:
            self.clips.seconds += time.perf_counter() - t

    def _drop(self) -> None:
        if self.recorder is not None:
            self.recorder.close()
        if self.writer is not None:
            self.writer.abort()
        self.recorder = self.writer = None

    def step(self) -> None:
        if self.recorder is not None:
            self._guard(self.recorder.step)

    def end(self) -> None:
        if self.recorder is None:
            return

        def finish() -> None:
            assert self.recorder is not None and self.writer is not None
            self.recorder.stop()
            poster = self.recorder.last
            entry = self.writer.close()
            self.writer = None
            self.clips.save(self, entry, poster)
            self.recorder = None

        self._guard(finish)


@dataclasses.dataclass
class Clips:
    """The clips of one run: what to record, where, and what was written."""

    options: video.VideoOptions
    folder: Path
    """The run's folder; clips go to its ``videos/``."""
    last: int
    """The number of the run's last checkpoint."""
    written: list[dict[str, Any]] = dataclasses.field(default_factory=list)
    error: str | None = None
    seconds: float = 0.0
    """Wall seconds spent rendering and encoding."""
    checkpoint: int | None = None
    point: int = 0

    def at(self, checkpoint: int, point: int, stands_for: int = 1) -> "Clips | None":
        """Itself, set to checkpoint number ``checkpoint`` (at ``point`` of the budget), when
        recording still works and that checkpoint is recorded, or one of the
        ``stands_for - 1`` after it that this evaluation stands for (a learner that
        stopped early); else None."""
        if self.error is not None or not any(self.options.wants(k, self.last) for k in range(checkpoint, checkpoint + stands_for)):
            return None
        self.checkpoint, self.point = checkpoint, point
        return self

    def begin(self, env: Any, layout: int) -> _Episode | None:
        """A recorder for evaluation episode ``layout`` (None past the first episodes)."""
        if self.error is not None or layout >= self.options.episodes or self.checkpoint is None:
            return None
        return _Episode(self, env, self.checkpoint, self.point, layout)

    def fail(self, exc: BaseException) -> None:
        """Stop recording for the rest of the run, keeping one line on why."""
        message = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        self.error = f"no clips: {message}"

    def save(self, episode: _Episode, entry: dict[str, Any], poster: Any) -> None:
        """Keep a finished clip and write its poster (the episode's last frame: how it
        ended)."""
        folder = self.folder / VIDEOS
        png = video.poster_png(poster)
        atomic_write_bytes(folder / f"{episode.name}.png", png)
        self.written.append({"checkpoint": episode.checkpoint, "budget_used": episode.point, "layout": episode.layout, **entry, "file": f"{VIDEOS}/{entry['file']}", "poster": f"{VIDEOS}/{episode.name}.png", "poster_sha256": hashlib.sha256(png).hexdigest()})

    def record(self) -> dict[str, Any]:
        """What ``run.json`` keeps under ``video``."""
        return {"options": dataclasses.asdict(self.options), "clips": self.written, "error": self.error, "seconds": round(self.seconds, 3)}
