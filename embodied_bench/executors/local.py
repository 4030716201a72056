"""Where runs execute on one machine: in this process (one job at a time) or in a local
process pool. Both report the same events and return the same outcomes.

Ctrl-C: the run in progress is recorded ``interrupted`` (in every busy worker), runs not
yet started are left alone, finished runs are untouched; ``--resume`` picks up from there.
"""

from __future__ import annotations

import concurrent.futures as cf
import multiprocessing as mp
import os
import queue as queue_mod
import signal
from typing import Any, Callable

from embodied_bench.harness.runner import Job, Outcome, run_one
from embodied_bench.results.records import read_run_json, run_dir, write_run_json

Event = tuple
OnEvent = Callable[[Event], None]


class Interrupted(Exception):
    """Raised after a Ctrl-C once every interrupted run has been recorded."""

    def __init__(self, outcomes: list[Outcome]) -> None:
        super().__init__("interrupted")
        self.outcomes = outcomes


def run_jobs(jobs: list[Job], workers: int, on_event: OnEvent) -> list[Outcome]:
    """Run every job; ``on_event`` gets ``("steps", key, n)`` and ``("done", outcome)``."""
    if workers <= 1 or len(jobs) <= 1:
        return _run_inline(jobs, on_event)
    return _run_pool(jobs, min(workers, len(jobs)), on_event)


def _run_inline(jobs: list[Job], on_event: OnEvent) -> list[Outcome]:
    outcomes: list[Outcome] = []
    for job in jobs:
        outcome = run_one(job, progress=on_event)
        outcomes.append(outcome)
        on_event(("done", outcome))
        if outcome.status == "interrupted":
            raise Interrupted(outcomes)
    return outcomes


# -- process pool -------------------------------------------------------------------------

_events: Any = None


def _init_worker(events: Any) -> None:
    global _events
    _events = events
    # Idle workers ignore Ctrl-C; a busy one turns it into an "interrupted" record.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)


def _worker_run(job: Job) -> Outcome:
    signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        _events.put(("start", os.getpid(), job))
        return run_one(job, progress=_events.put)
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)


def _context() -> Any:
    # forkserver: workers start from a clean interpreter, not a fork of a process that may
    # hold threads (BLAS, MuJoCo renderers); spawn where forkserver does not exist.
    methods = mp.get_all_start_methods()
    return mp.get_context("forkserver" if "forkserver" in methods else "spawn")


def _run_pool(jobs: list[Job], workers: int, on_event: OnEvent) -> list[Outcome]:
    ctx = _context()
    events = ctx.Queue()
    outcomes: dict[cf.Future, Outcome] = {}
    running: dict[Job, int] = {}
    pool = cf.ProcessPoolExecutor(max_workers=workers, mp_context=ctx, initializer=_init_worker, initargs=(events,))
    futures = {pool.submit(_worker_run, job): job for job in jobs}
    pending = set(futures)

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

    def collect(done: set[cf.Future]) -> None:
        for fut in done:
            job = futures[fut]
            running.pop(job, None)
            outcome = _outcome_of(fut, job)
            outcomes[fut] = outcome
            on_event(("done", outcome))

    try:
        while pending:
            drain(0.2)
            done = {f for f in pending if f.done()}
            pending -= done
            collect(done)
        drain(0.0)
    except KeyboardInterrupt:
        previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
        try:
            for fut in pending:
                fut.cancel()
            for pid in list(running.values()):
                # Workers got the terminal's Ctrl-C too; a SIGINT sent to this process alone
                # is passed on, and a duplicate is harmless (the worker ignores it by then).
                try:
                    os.kill(pid, signal.SIGINT)
                except ProcessLookupError:
                    pass
            for fut in list(pending):
                if fut.cancelled():
                    pending.discard(fut)
            if pending:
                cf.wait(pending, timeout=120)
            drain(0.0)
            collect({f for f in pending if f.done()})
            pool.shutdown(wait=True, cancel_futures=True)
        finally:
            signal.signal(signal.SIGINT, previous)
        raise Interrupted([outcomes[f] for f in futures if f in outcomes]) from None
    pool.shutdown(wait=True)
    return [outcomes[f] for f in futures]


def _outcome_of(fut: cf.Future, job: Job) -> Outcome:
    try:
        return fut.result()
    except BaseException as exc:  # the worker process died (killed, out of memory, crashed)
        from embodied_bench.registry import resolve_agent

        name = resolve_agent(job.agent)[0]
        folder = run_dir(job.out, job.task_id, name, job.seed)
        error = f"the worker process running this job died: {type(exc).__name__}: {exc}"
        record = read_run_json(folder)
        if record is not None and record.get("status") == "running":
            record.update(status="failed", error=error)
            write_run_json(folder, record)
        return Outcome(f"{job.task_id}/{name}/seed-{job.seed}", "failed", str(folder), 0, error)
