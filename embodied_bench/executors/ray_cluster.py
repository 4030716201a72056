"""Runs on a Ray cluster (``--executor ray``): each (agent, task, seed) run is one Ray task.

A worker runs the job into a scratch folder of its own and sends back the run's two
files; the driver writes them into ``--out`` (atomically, as every record is written), so
workers need no shared file system and the records are the local pool's. The driver
writes a run's ``running`` record when it sends the run off; a run whose worker or node
dies is recorded ``failed`` with Ray's error text, and ``--resume`` redoes it.

Ray is an optional extra (``pip install 'embodied-bench[ray]'``).
"""

from __future__ import annotations

import os
import socket
import tempfile
import time
from dataclasses import replace
from pathlib import Path
from typing import Any, Callable

from embodied_bench.harness import interrupt
from embodied_bench.harness.runner import Job, Outcome, initial_record, made_since_planned, run_one
from embodied_bench.results.records import atomic_write_bytes, clear_outputs, write_run_json

OnEvent = Callable[[tuple], None]
INSTALL = "--executor ray needs Ray: pip install 'embodied-bench[ray]' (or pip install 'ray[default]')"


class RayMissing(ImportError):
    pass


class ClusterUnreachable(ConnectionError):
    """No Ray cluster answers at the address given."""


def _probe(address: str, seconds: float = 10.0) -> None:
    """Fail at once when nothing listens at a ``host:port`` address: Ray itself retries
    an unreachable address for minutes before it gives up."""
    if address == "auto" or "://" in address:
        return  # Ray finds "auto" itself (and says so quickly); ray:// is Ray Client's
    host, _, port = address.rpartition(":")
    if not host or not port.isdigit():
        raise ClusterUnreachable(f"--address {address}: expected auto or HOST:PORT (e.g. 10.0.0.5:6379)")
    try:
        socket.create_connection((host.strip("[]"), int(port)), timeout=seconds).close()  # [::1]:6379 too
    except OSError as exc:
        raise ClusterUnreachable(f"--address {address}: no Ray cluster answers there ({exc}); start one with `ray start --head --port={port}` or check the address") from None


def _chain(exc: BaseException) -> list[BaseException]:
    """An exception and its causes (Ray wraps the real reason in RuntimeError text)."""
    seen: list[BaseException] = []
    link: BaseException | None = exc
    while link is not None and link not in seen:
        seen.append(link)
        link = link.__cause__ or link.__context__
    return seen


def _connect(ray: Any, address: str | None, num_cpus: int | None) -> None:
    if address is None:
        # A new local instance ("local"), never whatever cluster RAY_ADDRESS or an
        # earlier `ray start` on this machine points at.
        ray.init(address="local", num_cpus=num_cpus, include_dashboard=False, log_to_driver=False, configure_logging=False)
        return
    _probe(address)
    try:
        ray.init(address=address, include_dashboard=False, log_to_driver=False, configure_logging=False)
    except (ConnectionError, RuntimeError) as exc:  # RuntimeError: Ray's version mismatch
        if any("AuthToken" in str(e) or "Authentication" in str(e) for e in _chain(exc)):
            hint = "the cluster wants its token: export RAY_AUTH_MODE=token and RAY_AUTH_TOKEN=<`ray get-auth-token` on the head node>"
        elif address == "auto":
            hint = "start one with `ray start --head`, or give its address as HOST:PORT"
        else:
            hint = "check the address and that the cluster runs the same Ray version"
        raise ClusterUnreachable(f"--address {address}: cannot join a Ray cluster ({str(exc).splitlines()[0]}); {hint}") from None


def _ray() -> Any:
    try:
        import ray
    except ImportError:
        raise RayMissing(INSTALL) from None
    return ray


def _run_remote(job: Job, driver_cwd: str) -> tuple[Outcome, dict[str, bytes]]:
    """Inside a Ray worker: run into a scratch folder and return the outcome and every
    file of the run's folder (by path relative to it: the curve, the record, per-level
    results, clips).
    Runs in the driver's working folder where this node has it, so agents given as
    ``path/to/file.py:Class`` or as a module in that folder resolve as on the driver."""
    here = os.getcwd()
    if os.path.isdir(driver_cwd):
        os.chdir(driver_cwd)
    try:
        with tempfile.TemporaryDirectory(prefix="embodied-bench-ray-") as scratch:
            local = replace(job, out=scratch)
            outcome = run_one(local)
            folder = Path(outcome.folder)
            files = {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}
    finally:
        os.chdir(here)
    return outcome, files


def run_jobs(jobs: list[Job], on_event: OnEvent, address: str | None = None, num_cpus: int | None = None) -> list[Outcome]:
    """Run every job on Ray: an existing cluster at ``address`` (``"auto"`` or
    ``host:port``), or a local instance with ``num_cpus`` CPUs when ``address`` is None.
    Same events and outcomes as the local executor; raises ``Interrupted`` after Ctrl-C."""
    from embodied_bench.executors.local import Interrupted

    ray = _ray()
    started_here = not ray.is_initialized()
    if started_here:
        _connect(ray, address, num_cpus)
    remote = ray.remote(num_cpus=1, max_retries=0)(_run_remote)
    previous = interrupt.install()
    outcomes: dict[int, Outcome] = {}
    pending: dict[Any, int] = {}
    try:
        for i, job in enumerate(jobs):
            record, folder, key, _ = initial_record(job, {"executor": "ray"})
            made = made_since_planned(folder, key)
            if made is not None:
                outcomes[i] = made
                on_event(("done", made))
                continue
            folder.mkdir(parents=True, exist_ok=True)
            clear_outputs(folder)
            write_run_json(folder, record)
            pending[remote.remote(job, os.getcwd())] = i
        def collect(refs: list) -> None:
            for ref in refs:
                i = pending.pop(ref)
                outcome = _collect(ray, ref, jobs[i])
                outcomes[i] = outcome
                on_event(("steps", outcome.key, outcome.env_steps))
                on_event(("done", outcome))

        while pending:
            if interrupt.requested():
                # Runs that finished meanwhile are kept; only the others are cancelled.
                collect(ray.wait(list(pending), num_returns=len(pending), timeout=0)[0])
                for ref, i in pending.items():
                    ray.cancel(ref, force=True)
                    outcomes[i] = _record_lost(jobs[i], "interrupted", "interrupted (Ctrl-C or SIGTERM); rerun with --resume to redo it")
                pending.clear()
                break
            done, _ = ray.wait(list(pending), num_returns=1, timeout=0.2)
            if done:  # and every other run finished by now
                done = ray.wait(list(pending), num_returns=len(pending), timeout=0)[0]
            collect(done)
    finally:
        interrupt.restore(previous)
        if started_here:
            ray.shutdown()
    ordered = [outcomes[i] for i in sorted(outcomes)]
    if interrupt.requested():
        raise Interrupted(ordered)
    return ordered


def _collect(ray: Any, ref: Any, job: Job) -> Outcome:
    try:
        outcome, files = ray.get(ref)
    except Exception as exc:  # noqa: BLE001  (a dead worker or node: Ray's own error types)
        text = str(exc).strip().splitlines()
        return _record_lost(job, "failed", f"the Ray worker running this job was lost: {type(exc).__name__}: {' '.join(text[:3])[:500]}")
    record, folder, key, _ = initial_record(job)
    # Every other file first: a run.json always finds what it names.
    for name in sorted(files, key=lambda n: n == "run.json"):
        path = folder / name
        if path.resolve().parent != folder.resolve() and folder.resolve() not in path.resolve().parents:
            continue  # a worker names only files inside its run's folder
        path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write_bytes(path, files[name])
    return Outcome(key, outcome.status, str(folder), outcome.env_steps, outcome.error)


def _record_lost(job: Job, status: str, error: str) -> Outcome:
    record, folder, key, _ = initial_record(job, {"executor": "ray"})
    record.update(status=status, error=error, finished_at=time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime()))
    write_run_json(folder, record)
    return Outcome(key, status, str(folder), 0, error)
