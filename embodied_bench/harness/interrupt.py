"""Ctrl-C (SIGINT) and SIGTERM without losing results.

While a run's loop is *armed*, the signal raises KeyboardInterrupt there, and the run is
recorded ``interrupted``. Anywhere else (writing a record, between runs, an idle worker)
it only sets a flag that the executor checks at safe points, so a record is never cut
short and a finished run is never reported as anything but finished."""

from __future__ import annotations

import signal
from contextlib import contextmanager
from typing import Any, Iterator

_armed = False
_requested = False


def _handler(signum: int, frame: Any) -> None:
    global _armed, _requested
    _requested = True
    if _armed:
        _armed = False
        raise KeyboardInterrupt


def install() -> dict[int, Any]:
    """Route SIGINT and SIGTERM through the guard; returns the previous handlers."""
    global _requested
    _requested = False
    return {sig: signal.signal(sig, _handler) for sig in (signal.SIGINT, signal.SIGTERM)}


def restore(previous: dict[int, Any]) -> None:
    for sig, handler in previous.items():
        signal.signal(sig, handler)


def requested() -> bool:
    return _requested


def installed() -> bool:
    return signal.getsignal(signal.SIGINT) is _handler


@contextmanager
def armed() -> Iterator[None]:
    """Let a signal interrupt the enclosed code (when the guard is installed)."""
    global _armed
    if _requested:
        raise KeyboardInterrupt
    _armed = True
    try:
        yield
    finally:
        _armed = False
