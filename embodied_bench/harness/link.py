"""A fast two-process link for the isolated agent: messages go through shared memory and
the waiting side spins briefly before it sleeps on a pipe.

A pipe round trip between two processes costs about 80 µs on a 2-core machine, most of it
the scheduler waking the reader; that is as much as a whole MuJoCo step, so a training
step over a plain pipe costs almost twice an in-process one. Here the writer copies the
message into a shared buffer and bumps a counter; a reader that expects an answer soon
polls the counter (about 1 µs a round trip) and only when the wait runs long does it set
a "sleeping" flag and block on the pipe, where the writer sends it an empty wake-up
message. Whether to spin is learnt from recent waits: a side whose waits are long (a slow
agent, a slow task) goes straight to sleep and so costs no CPU.

The pipe stays the authority on life and death (a dead peer closes it, and ``recv_bytes``
raises ``EOFError`` as for a plain ``Connection``) and carries the rare message larger than
the shared buffer. The two sides strictly alternate (each sends, then waits for the
other), so one buffer per direction is enough.

The shared counters rely on stores becoming visible in program order, which x86-64
guarantees; on other machines ``make_pair`` gives plain pipes.
"""

from __future__ import annotations

import os
import platform
import time
from multiprocessing import shared_memory
from typing import Any

import numpy as np

CAPACITY = 1 << 20
"""Bytes per direction; larger messages go through the pipe."""
MAX_MESSAGE = 64 << 20
"""The largest message the creating side (the harness) accepts from the other."""
_HEADER = 64  # seq, length, reader sleeping (int64 each), padded
_SLICE = 0.002  # a sleeping reader rechecks the counter this often: a missed wake-up costs at most this
_SPIN_MAX = 0.0005  # waits typically longer than this are not worth spinning for


def fast_links_supported() -> bool:
    return platform.machine().lower() in ("x86_64", "amd64") and (os.cpu_count() or 1) > 1


class Link:
    """One end: ``send_bytes``, ``recv_bytes``, ``poll`` and ``close``, like a
    ``multiprocessing.Connection``. ``side`` 0 writes the first buffer, 1 the second."""

    def __init__(self, pipe: Any, shm: shared_memory.SharedMemory, side: int, owner: bool = False) -> None:
        self.pipe = pipe
        self._owner = owner
        self._shm = shm
        size = _HEADER + CAPACITY
        out_at, in_at = (0, size) if side == 0 else (size, 0)
        buf = self._shm.buf
        self._out_head = np.ndarray((3,), np.int64, buf, out_at)
        self._out = buf[out_at + _HEADER : out_at + size]
        self._in_head = np.ndarray((3,), np.int64, buf, in_at)
        self._in = buf[in_at + _HEADER : in_at + size]
        self._seen = 0  # counters start at 0 (a new block is zero-filled); a message may already wait
        self._pending: bytes | None = None
        self._eof = False
        self._typical = 0.0  # moving average of recent waits, seconds

    # writing

    def send_bytes(self, data: bytes) -> None:
        n = len(data)
        if n > CAPACITY:
            self.pipe.send_bytes(data)
            return
        self._out[:n] = data
        self._out_head[1] = n
        self._out_head[0] += 1  # published: the reader may now copy the message
        if self._out_head[2]:
            self.pipe.send_bytes(b"")  # the reader sleeps on the pipe: wake it

    # reading

    def _arrived(self) -> bool:
        return self._pending is not None or self._eof or int(self._in_head[0]) != self._seen

    def poll(self, timeout: float | None = 0.0) -> bool:
        """True when a message (or the peer's end) is there, waiting up to ``timeout``
        seconds (None: for ever)."""
        if self._arrived():
            return True
        start = time.perf_counter()
        try:
            if self._typical < _SPIN_MAX:
                spin_until = start + min(max(3 * self._typical, 50e-6), _SPIN_MAX)
                if timeout is not None:
                    spin_until = min(spin_until, start + timeout)
                head = self._in_head
                seen = self._seen
                while time.perf_counter() < spin_until:
                    if head[0] != seen:
                        return True
                    os.sched_yield()  # a process that has work on this core goes first
            return self._sleep(start, timeout)
        finally:
            waited = min(time.perf_counter() - start, 0.01)
            self._typical = 0.8 * self._typical + 0.2 * waited

    def _sleep(self, start: float, timeout: float | None) -> bool:
        self._in_head[2] = 1
        try:
            while True:
                if self._arrived():
                    return True
                left = None if timeout is None else start + timeout - time.perf_counter()
                if left is not None and left <= 0:
                    return False
                if self.pipe.poll(_SLICE if left is None else min(_SLICE, left)):
                    try:
                        data = self.pipe.recv_bytes(MAX_MESSAGE if self._owner else None)
                    except (EOFError, OSError):
                        self._eof = True
                        return True
                    if data:
                        self._pending = data  # a message too large for the buffer
                        return True
        finally:
            self._in_head[2] = 0

    def recv_bytes(self, maxlength: int | None = None) -> bytes:
        # (maxlength: the creating side's limit applies whatever is asked, as on a pipe)
        if not self._arrived():
            self.poll(None)
        if self._pending is not None:
            data, self._pending = self._pending, None
            return data
        if int(self._in_head[0]) != self._seen:
            n = int(self._in_head[1])
            data = bytes(self._in[:n])
            self._seen += 1
            return data
        raise EOFError("the other process closed the link")

    def close(self) -> None:
        self.pipe.close()
        if self._shm is None:
            return
        # The views hold the mapping open: drop them before closing it.
        del self._out_head, self._in_head
        self._out.release()
        self._in.release()
        self._shm.close()
        if self._owner:
            self._shm.unlink()
        self._shm = None


def make_pair(ctx: Any) -> tuple[Any, Any]:
    """(this process's end, a picklable recipe for the other end). The recipe is a pipe
    end, or ``(pipe end, shared memory name)`` for ``connect``."""
    parent, child = ctx.Pipe(duplex=True)
    if not fast_links_supported():
        return parent, child
    # A new block is zero-filled: both counters start at 0. The spawned process shares this
    # one's resource tracker, which unlinks the block should both die without closing it.
    shm = shared_memory.SharedMemory(create=True, size=2 * (_HEADER + CAPACITY))
    return Link(parent, shm, 0, owner=True), (child, shm.name)


def connect(recipe: Any) -> Any:
    """The other process's end from ``make_pair``'s recipe."""
    if isinstance(recipe, tuple):
        pipe, name = recipe
        return Link(pipe, shared_memory.SharedMemory(name=name), 1)
    return recipe
