"""Where runs execute on one machine: in this process (one run at a time) or in a local
process pool. Both report the same events and return the same outcomes.

Ctrl-C or SIGTERM: every run in progress is recorded ``interrupted``, runs not yet started
are not started, finished runs are untouched; ``--resume`` picks up from there.
"""

from __future__ import annotations

import concurrent.futures as cf
import multiprocessing as mp
import os
import queue as queue_mod
import signal
import threading
import time
from typing import Any, Callable

from embodied_bench.harness import interrupt
from embodied_bench.harness.runner import Job, Outcome, run_one
from embodied_bench.registry import resolve_agent
from embodied_bench.results.records import read_run_json, run_dir, write_run_json

OnEvent = Callable[[tuple], None]


class Interrupted(Exception):
    """Raised once every interrupted run has been recorded; carries the outcomes so far."""

    def __init__(self, outcomes: list[Outcome]) -> None:
        super().__init__("interrupted")
        self.outcomes = outcomes


def run_jobs(jobs: list[Job], workers: int, on_event: OnEvent) -> list[Outcome]:
    """Run every job; ``on_event`` gets ``("steps", key, n)`` and ``("done", outcome)``.
    Raises ``Interrupted`` after a Ctrl-C or SIGTERM."""
    previous = interrupt.install()
    try:
        if workers <= 1 or len(jobs) <= 1:
            return _run_inline(jobs, on_event)
        return _run_pool(jobs, min(workers, len(jobs)), on_event)
    finally:
        interrupt.restore(previous)


def _run_inline(jobs: list[Job], on_event: OnEvent) -> list[Outcome]:
    outcomes: list[Outcome] = []
    for job in jobs:
        if interrupt.requested():
            raise Interrupted(outcomes)
        outcome = run_one(job, progress=on_event)
        outcomes.append(outcome)
        on_event(("done", outcome))
    if interrupt.requested():
        raise Interrupted(outcomes)
    return outcomes


# -- process pool -------------------------------------------------------------------------

_events: Any = None


_busy = False


def _init_worker(events: Any, parent: int) -> None:
    global _events
    _events = events
    # Progress events are best effort: a worker must never hang at exit flushing them into
    # a pipe that the parent, shutting down after Ctrl-C or SIGTERM, no longer reads.
    events.cancel_join_thread()
    interrupt.install()
    threading.Thread(target=_exit_when_orphaned, args=(parent,), daemon=True).start()


def _exit_when_orphaned(parent: int) -> None:
    # An idle worker whose parent is gone (killed, or exited without stopping the pool)
    # would wait for work forever; a busy one finishes its run (it writes its own record).
    while True:
        time.sleep(1.0)
        if not _busy and not _alive(parent):
            os._exit(0)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _worker_run(job: Job) -> Outcome | None:
    """Run one job in a worker; None when a Ctrl-C came before it started."""
    global _busy
    if interrupt.requested():
        return None
    _busy = True
    try:
        _events.put(("start", os.getpid(), _ident(job)))
        return run_one(job, progress=_events.put)
    finally:
        _busy = False


def _ident(job: Job) -> tuple:
    return (job.agent, job.spec.name, job.seed)


def _context() -> Any:
    # forkserver: workers start from a clean interpreter, not a fork of a process that may
    # hold threads (BLAS, MuJoCo renderers); spawn where forkserver does not exist.
    methods = mp.get_all_start_methods()
    return mp.get_context("forkserver" if "forkserver" in methods else "spawn")


def _run_pool(jobs: list[Job], workers: int, on_event: OnEvent) -> list[Outcome]:
    ctx = _context()
    events = ctx.Queue()
    outcomes: dict[cf.Future, Outcome] = {}
    running: dict[tuple, int] = {}  # (agent, task, seed) -> worker pid
    pool = cf.ProcessPoolExecutor(max_workers=workers, mp_context=ctx, initializer=_init_worker, initargs=(events, os.getpid()))
    futures = {pool.submit(_worker_run, job): job for job in jobs}
    pending = set(futures)
    forwarded = False
    signalled: set[int] = set()

    def drain(timeout: float) -> None:
        try:
            event = events.get(timeout=timeout)
        except queue_mod.Empty:
            return
        while True:
            if event[0] == "start":
                running[event[2]] = event[1]
            else:
                on_event(event)
            try:
                event = events.get_nowait()
            except queue_mod.Empty:
                return

    try:
        while pending:
            drain(0.2)
            if interrupt.requested():
                if not forwarded:
                    forwarded = True
                    for fut in pending:
                        fut.cancel()
                # Workers in the terminal's process group got the signal already; one sent to
                # this process alone is passed on, also to a job whose start is reported only
                # now (it began before the cancel). A duplicate only sets the flag again.
                for pid in set(running.values()) - signalled:
                    signalled.add(pid)
                    try:
                        os.kill(pid, signal.SIGINT)
                    except ProcessLookupError:
                        pass
            done = {f for f in pending if f.done()}
            pending -= done
            for fut in done:
                job = futures[fut]
                running.pop(_ident(job), None)
                outcome = None if fut.cancelled() else _outcome_of(fut, job)
                if outcome is not None:
                    outcomes[fut] = outcome
                    on_event(("done", outcome))
        drain(0.0)
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
    ordered = [outcomes[f] for f in futures if f in outcomes]
    if interrupt.requested():
        raise Interrupted(ordered)
    return ordered


def _outcome_of(fut: cf.Future, job: Job) -> Outcome | None:
    try:
        return fut.result()
    except Exception as exc:  # the worker process died (killed, out of memory, crashed)
        name = resolve_agent(job.agent)[0]
        folder = run_dir(job.out, job.spec.name, name, job.seed)
        record = read_run_json(folder)
        if record is None and not isinstance(exc, cf.process.BrokenProcessPool):
            # The job never reached its run (e.g. a worker could not load what it names):
            # failed, with why, rather than silently not done.
            return Outcome(f"{job.spec.name}/{name}/seed-{job.seed}", "failed", str(folder), 0, f"the job could not start in a worker process: {type(exc).__name__}: {exc}")
        if record is None or record.get("status") != "running":
            return None  # the pool broke before this job started, or its run ended: as recorded
        error = f"the worker process running this job died: {type(exc).__name__}: {exc}"
        record.update(status="failed", error=error)
        write_run_json(folder, record)
        return Outcome(f"{job.spec.name}/{name}/seed-{job.seed}", "failed", str(folder), 0, error)
