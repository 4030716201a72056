"""Isolated agents: the agent lives in a process of its own and the harness process owns
the envs. The agent's process gets ``TaskInfo``, observations, transitions (rewards,
costs, success flags) and demonstrations, pickled over a shared-memory link (``link``); never an env object or a
simulator handle. A Learner gets a stand-in env whose ``reset`` and ``step`` are calls
back into the harness's budget-ledger env.

Per-run limits: wall-clock time for the whole run, a time limit per call into the agent,
and the agent process's address space (``resource.setrlimit``, Linux). An agent that
raises, exceeds a limit, dies, or sends back something that cannot be pickled fails its
run with the reason; the harness goes on.

Protocol: both sides send ``("call", name, args)`` and answer ``("ok", value)`` or
``("err", text)``. A side waiting for an answer serves the other side's calls meanwhile,
so a Learner's ``env.step`` can run an evaluation that calls back into ``act``. Calls
without an answer that matters (``observe``, ``start_episode``) are queued and sent with
the next call, so a training step costs one round trip.
"""

from __future__ import annotations

import copyreg
import io
import multiprocessing as mp
import os
import pickle
import threading
import time
import traceback
from dataclasses import dataclass
from typing import Any, Callable

import gymnasium as gym
import numpy as np

from embodied_bench.api import Transition
from embodied_bench.harness import link
from embodied_bench.harness.ledger import AgentError, BudgetExceeded

_DEFERRED = ("observe", "observe_play", "start_episode")
_METHODS = ("act", "observe", "observe_play", "learn", "demonstrate", "pretrain", "start_episode")
CREATE_SECONDS = 600.0
"""Time for the agent's import and ``__init__`` when calls have a time limit."""


@dataclass(frozen=True)
class Limits:
    """What an isolated agent may use."""

    run_seconds: float | None = None
    """Wall-clock time of the whole run (harness time included); None: no limit."""
    call_seconds: float | None = 60.0
    """Time for one call into the agent (``act``, ``observe``, ...); ``learn`` is bounded by
    ``run_seconds`` only, but each env call it makes counts as an answer. None: no limit."""
    memory_mb: int | None = None
    """Address-space limit of the agent's process in MiB (Linux); None: no limit."""

    def to_dict(self) -> dict[str, Any]:
        return {"run_seconds": self.run_seconds, "call_seconds": self.call_seconds, "memory_mb": self.memory_mb}


class _Remote(Exception):
    """The other side answered a call with an error."""


class _Passed(Exception):
    """An error to hand to the other side as the answer to its call."""


class _Stop(Exception):
    pass


class _SendError(Exception):
    """A value that cannot be pickled."""


def _plain_dtype(dtype: Any) -> np.dtype:
    """The dtype named by ``dtype``, a string, when it is a plain number type (no fields,
    no sub-arrays, no Python objects): all an array from the agent's process may hold."""
    if type(dtype) is not str:
        raise pickle.UnpicklingError("an array's dtype must be given by name")
    kind = np.dtype(dtype)
    if kind.kind not in "biufc" or kind.fields is not None or kind.subdtype is not None:
        raise pickle.UnpicklingError(f"arrays of {dtype} cannot cross; only numbers and booleans")
    return kind


def _array(data: bytes, dtype: str, shape: tuple) -> np.ndarray:
    """An array rebuilt from its bytes (writable, as the sender's was)."""
    if type(data) is not bytes or type(shape) is not tuple or not all(type(n) is int for n in shape):
        raise pickle.UnpicklingError("a malformed array")
    return np.frombuffer(data, _plain_dtype(dtype)).reshape(shape).copy()


def _scalar(data: bytes, dtype: str) -> np.generic:
    return _array(data, dtype, ())[()]


def _reduce_array(array: np.ndarray) -> tuple:
    # Several times faster than NumPy's own pickling for the small arrays of a step, and
    # the only form of an array the harness loads.
    if type(array) is not np.ndarray or array.dtype.kind not in "biufc" or array.dtype.fields is not None:
        return array.__reduce_ex__(pickle.HIGHEST_PROTOCOL)
    return _array, (array.tobytes(), array.dtype.str, array.shape)


def _reduce_scalar(value: np.generic) -> tuple:
    return _scalar, (value.tobytes(), value.dtype.str)


_DISPATCH = copyreg.dispatch_table.copy()
_DISPATCH[np.ndarray] = _reduce_array
for _type in {np.dtype(code).type for code in "?bBhHiIlLqQefdgFDG"}:
    _DISPATCH[_type] = _reduce_scalar
_ARRAY_ANSWER = b"\x01"  # first byte of an answer that is one array (a pickle starts with 0x80)

# What the harness accepts from the agent's process: plain data (built by the pickle's own
# opcodes: lists, dicts, sets, bytes, ...) and arrays and NumPy numbers in the form above.
# Nothing else: a pickle can name any callable, and even harmless-looking ones are not
# (``list(range(10**12))`` from a tiny message; NumPy's own array reconstruction can be
# given a dtype whose flags lie, and crash the harness).
_SAFE = {
    "builtins": {"complex", "slice"},
    "collections": {"OrderedDict"},
    __name__: {"_array", "_scalar"},
}


class _DataOnly(pickle.Unpickler):
    def find_class(self, module: str, name: str) -> Any:
        if name in _SAFE.get(module, ()):
            return super().find_class(module, name)
        raise pickle.UnpicklingError(f"the agent's process sent a {module}.{name}; only plain data and NumPy arrays may cross")


class _Channel:
    """One end of the pipe: ``call`` sends a request and serves the other side's requests
    until its answer comes. ``trusted=False`` (the harness's end) loads only plain data and
    lets its own handlers' errors propagate instead of sending them over."""

    def __init__(self, conn: Any, handlers: dict[str, Callable[..., Any]], wait: Callable[[Any, str], None] | None = None, trusted: bool = True) -> None:
        self.conn = conn
        self.handlers = handlers
        self.wait = wait  # raises when the other side takes too long
        self.trusted = trusted
        self.queued: list[tuple[str, tuple]] = []

    def post(self, name: str, args: tuple) -> None:
        self.queued.append((name, args))

    def call(self, name: str, *args: Any) -> Any:
        queued, self.queued = self.queued, []
        self.send(("call", name, args, queued))
        while True:
            if self.wait is not None:
                self.wait(self.conn, name)
            message = self._recv()
            kind = message[0]
            if kind == "ok":
                return message[1]
            if kind == "err":
                raise _Remote(message[1])
            self._serve(message)

    def serve_forever(self) -> None:
        while True:
            self._serve(self._recv())

    def _serve(self, message: tuple) -> None:
        _, name, args, queued = message
        current = name
        try:
            for current, q_args in queued:
                self._dispatch(current, q_args)
            current = name
            value = self._dispatch(name, args)
        except _Passed as exc:
            self.send(("err", str(exc)))
            return
        except _Stop:
            raise
        except BaseException as exc:
            if not self.trusted:
                raise  # the harness's own error: its run handles it
            self.send(("err", _describe(current, exc)))
            return
        try:
            self.send(("ok", value))
        except _SendError as exc:
            self.send(("err", f"{name} returned a {type(value).__name__} that cannot be sent to the harness: {exc}"))

    def _dispatch(self, name: str, args: tuple) -> Any:
        try:
            return self.handlers[name](*args)
        except _Remote as exc:  # the other side's error, passed back to it as its answer
            raise _Passed(str(exc)) from None

    def send(self, message: tuple) -> None:
        value = message[1] if message[0] == "ok" else None
        if type(value) is np.ndarray and value.dtype.kind in "biuf" and value.ndim == 1:
            # The hot answer (an action): dtype and bytes, loaded without a pickle.
            self.conn.send_bytes(_ARRAY_ANSWER + value.dtype.str.encode() + b"|" + value.tobytes())
            return
        buffer = io.BytesIO()
        pickler = pickle.Pickler(buffer, protocol=pickle.HIGHEST_PROTOCOL)
        pickler.dispatch_table = _DISPATCH
        try:
            pickler.dump(message)
        except Exception as exc:  # noqa: BLE001  (pickling raises many kinds)
            raise _SendError(f"{type(exc).__name__}: {exc}") from None
        self.conn.send_bytes(buffer.getvalue())

    def _recv(self) -> tuple:
        data = self.conn.recv_bytes()
        try:
            if data[:1] == _ARRAY_ANSWER:
                dtype, _, raw = data[1:].partition(b"|")
                return ("ok", _array(raw, dtype.decode(), (-1,)))
            if self.trusted:
                return pickle.loads(data)
            return _DataOnly(io.BytesIO(data)).load()
        except Exception as exc:  # noqa: BLE001
            if self.trusted:
                raise
            raise _Remote(f"the agent's process sent something the harness does not load: {exc}") from None


def _describe(name: str, exc: BaseException) -> str:
    where = "__init__ (or while importing it)" if name == "create" else name
    tb = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
    return f"the agent raised in {where}: {type(exc).__name__}: {exc}\n{tb}"


# -- the agent's process ----------------------------------------------------------------------


class _StandInEnv(gym.Env):
    """What an isolated Learner trains on: the task's spaces, and ``reset``/``step`` that
    run in the harness (through the budget ledger); ``copies``/``vector`` as the ledger
    env's, each copy a stand-in for the harness's copy of that index."""

    def __init__(self, channel: _Channel, observation_space: gym.Space, action_space: gym.Space, max_episode_steps: int | None, index: int = 0) -> None:
        self._channel = channel
        self.observation_space = observation_space
        self.action_space = action_space
        self._max_episode_steps = max_episode_steps
        self._index = index
        self._copies: list[_StandInEnv] = [self]

    def reset(self, *, seed: int | None = None, options: dict | None = None):
        return self._channel.call("env_reset", self._index, seed, options)

    def step(self, action):
        try:
            return self._channel.call("env_step", self._index, action)
        except _Remote as exc:
            if str(exc) == "budget exceeded":
                raise BudgetExceeded("the training budget is used up") from None
            raise

    def copies(self, n: int) -> list["_StandInEnv"]:
        try:
            count = self._channel.call("env_copies", n)
        except _Remote as exc:
            raise ValueError(str(exc)) from None
        while len(self._copies) < count:
            self._copies.append(_StandInEnv(self._channel, self.observation_space, self.action_space, self._max_episode_steps, len(self._copies)))
        return self._copies[:count]

    def vector(self, n: int) -> gym.vector.VectorEnv:
        envs = self.copies(n)
        return gym.vector.SyncVectorEnv([lambda e=e: e for e in envs])


def _agent_main(recipe: Any, ref: str, info: Any, seed: int, memory_mb: int | None) -> None:
    """Entry point of the agent's process."""
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the harness's to handle: it stops this process
    if memory_mb is not None:
        import resource

        limit = int(memory_mb) * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    state: dict[str, Any] = {}
    channel = _Channel(link.connect(recipe), {})

    def create() -> dict[str, Any]:
        from embodied_bench.api import contract_of, is_privileged, requirements_of
        from embodied_bench.registry import resolve_agent
        from embodied_bench.results import provenance

        _, cls = resolve_agent(ref)
        if is_privileged(cls):
            raise TypeError(f"{ref} is a privileged agent: it needs the simulator, so it cannot run isolated")
        agent = state["agent"] = cls(info, seed)
        config = getattr(agent, "config", None)
        methods = [m for m in _METHODS if callable(getattr(agent, m, None))]
        return {
            "contract": contract_of(agent),
            "methods": methods,
            "config": config.to_dict() if callable(getattr(config, "to_dict", None)) else None,
            "class": f"{cls.__module__}:{cls.__qualname__}",
            "source_hash": provenance.source_hash(cls),
            "requires": list(requirements_of(cls)),
        }

    def method(name: str) -> Callable[..., Any]:
        return lambda *args: getattr(state["agent"], name)(*args)

    def learn(budget: int) -> bool:
        env = _StandInEnv(channel, info.observation_space, info.action_space, info.max_episode_steps)
        try:
            state["agent"].learn(env, budget)
        except BudgetExceeded:
            return True
        return False

    def stop() -> None:
        raise _Stop

    channel.handlers.update({"create": create, "learn": learn, "stop": stop, "flush": lambda: None})
    channel.handlers.update({m: method(m) for m in ("act", "demonstrate", "pretrain", "start_episode")})
    channel.handlers["observe"] = lambda fields: state["agent"].observe(Transition(*fields))
    channel.handlers["observe_play"] = lambda fields: state["agent"].observe_play(Transition(*fields))
    try:
        channel.serve_forever()
    except (_Stop, EOFError, OSError):
        pass
    finally:
        os._exit(0)  # no interpreter teardown: the agent's atexit hooks and threads get no say


# -- the harness's side -------------------------------------------------------------------------


class _Guarded:
    """The harness's end of the link, with a deadline set while a call might block: a send
    the agent never reads, a wait (beyond its own time limit), a message left unfinished.
    The watchdog kills the agent's process once ``until`` has passed."""

    GRACE = 5.0

    def __init__(self, conn: Any) -> None:
        self.conn = conn
        self.until: float | None = None

    def _armed(self, seconds: float | None, call: Callable[..., Any], *args: Any) -> Any:
        self.until = None if seconds is None else time.monotonic() + seconds
        try:
            return call(*args)
        finally:
            self.until = None

    def send_bytes(self, data: bytes) -> None:
        self._armed(self.GRACE + len(data) / 1e7, self.conn.send_bytes, data)

    def poll(self, timeout: float | None) -> bool:
        return self._armed(None if timeout is None else timeout + self.GRACE, self.conn.poll, timeout)

    def recv_bytes(self) -> bytes:
        return self._armed(self.GRACE, self.conn.recv_bytes, link.MAX_MESSAGE)

    def close(self) -> None:
        self.conn.close()


class IsolatedAgent:
    """Stands in for the agent inside the harness: every call goes to the agent's process.
    Has exactly the optional methods the agent has, so the harness's
    ``getattr(agent, "demonstrate", None)`` checks work unchanged."""

    def __init__(self, ref: str, info: Any, seed: int, limits: Limits = Limits()) -> None:
        self.limits = limits
        self._deadline = time.monotonic() + limits.run_seconds if limits.run_seconds else None
        self._stalled = False
        self._closed = False
        self._process: Any = None
        self._channel: Any = None
        try:
            ctx = mp.get_context("spawn")  # a fresh interpreter: nothing of the harness's memory
            parent, recipe = link.make_pair(ctx)
            guard = _Guarded(parent)
            self._channel = _Channel(guard, {"env_reset": self._env_reset, "env_step": self._env_step, "env_copies": self._env_copies}, self._wait, trusted=False)
            self._process = ctx.Process(target=_agent_main, args=(recipe, ref, info, seed, limits.memory_mb), daemon=True, name="embodied-bench-agent")
            self._process.start()
            (recipe[0] if isinstance(recipe, tuple) else recipe).close()  # only the agent's process holds its end: its death closes the pipe
            threading.Thread(target=self._watch, args=(guard,), daemon=True, name="embodied-bench-watchdog").start()
            self._env: Any = None
            self._envs: list[Any] = []
            made = self._call("create")
            if not (isinstance(made, dict) and made.get("contract") in ("agent", "learner") and isinstance(made.get("methods"), list)):
                raise AgentError("the agent's process answered create with something malformed")
            self.contract: str = made["contract"]
            config = made.get("config")
            self.config_dict: dict | None = config if isinstance(config, dict) else None
            requires = made.get("requires")
            if not (isinstance(requires, list) and all(isinstance(n, str) for n in requires)):
                raise AgentError("the agent's process described its requirements malformed")
            self.identity = {"class": str(made.get("class")), "source_hash": str(made.get("source_hash")), "requires": requires}
            for name in set(made["methods"]) & set(_METHODS):  # never a name of this object's own
                if name in _DEFERRED:
                    setattr(self, name, self._deferred(name))
                elif name != "learn":
                    setattr(self, name, self._direct(name))
            if self.contract == "learner":
                self.learn = self._learn
        except BaseException:
            self.close()  # the process, the pipe and the shared memory go with the failed start
            raise

    # what the harness calls

    def _direct(self, name: str) -> Callable[..., Any]:
        def call(*args: Any) -> Any:
            return self._call(name, *args)

        return call

    def _deferred(self, name: str) -> Callable[..., None]:
        if name in ("observe", "observe_play"):  # a plain tuple pickles faster than the NamedTuple's class
            return lambda transition: self._channel.post(name, (tuple(transition),))

        def post(*args: Any) -> None:
            self._channel.post(name, args)

        return post

    def _learn(self, env: gym.Env, budget: int) -> None:
        self._env = env
        self._envs = [env]
        try:
            stopped = self._call("learn", budget)
        finally:
            self._env = None
            self._envs = []
        if stopped:
            raise BudgetExceeded("the learner was stopped at the budget")

    def flush(self) -> None:
        """Deliver queued calls (the last ``observe``) before the run ends."""
        if self._channel.queued:
            self._call("flush")

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        if self._process is not None and self._process.pid is not None and self._process.is_alive():
            try:
                self._channel.send(("call", "stop", (), []))
            except (OSError, _SendError):
                pass
            self._process.join(timeout=2.0)
            if self._process.is_alive():
                self._process.kill()
                self._process.join(timeout=2.0)
        if self._channel is not None:
            self._channel.conn.close()

    def _watch(self, guard: _Guarded) -> None:
        """Kills the agent's process when the harness is stuck on it past a limit: in the
        middle of a message the agent never finishes, or a send it never reads."""
        while not self._closed:
            time.sleep(0.2)
            until = guard.until
            if until is not None and time.monotonic() > until and not self._closed:
                self._stalled = True
                self._process.kill()
                return

    # plumbing

    def _call(self, name: str, *args: Any) -> Any:
        try:
            return self._channel.call(name, *args)
        except _Remote as exc:
            raise AgentError(str(exc)) from None
        except _SendError as exc:
            raise AgentError(f"cannot send {name}'s arguments to the agent's process: {exc}") from None
        except (EOFError, OSError):
            raise AgentError(self._death(name)) from None

    def _death(self, name: str) -> str:
        self._process.join(timeout=2.0)
        if self._stalled:
            return f"the agent's process stalled the link to the harness during {name} and was killed"
        if self._process.is_alive():  # the link broke with the process alive: a message the harness refuses
            self._process.kill()
            self._process.join(timeout=2.0)
            return f"the agent's process sent a message the harness does not accept during {name} (over {link.MAX_MESSAGE} bytes?)"
        code = self._process.exitcode
        how = f"was killed by signal {-code}" if code is not None and code < 0 else f"exited with code {code}"
        hint = " (out of memory?)" if code == -9 else ""
        return f"the agent's process {how}{hint} during {name}"

    def _wait(self, conn: Any, name: str) -> None:
        timeout = self.limits.call_seconds if name not in ("learn", "create") else None
        if name == "create" and self.limits.call_seconds is not None:
            timeout = CREATE_SECONDS  # imports and networks can take minutes; never for ever
        now = time.monotonic()
        if self._deadline is not None:
            left = self._deadline - now
            timeout = left if timeout is None else min(timeout, left)
        if timeout is None:
            conn.poll(None)
            return
        if conn.poll(max(timeout, 0.0)):
            return
        self._process.kill()
        if name == "create":
            raise AgentError(f"the agent's __init__ (with its imports) did not finish within {CREATE_SECONDS:g} s")
        self._process.join(timeout=2.0)
        if self._deadline is not None and time.monotonic() >= self._deadline:
            raise AgentError(f"the run exceeded its time limit of {self.limits.run_seconds:g} s (during {name})")
        raise AgentError(f"the agent did not answer {name} within {self.limits.call_seconds:g} s")

    def _copy(self, index: Any) -> Any:
        if type(index) is not int or not 0 <= index < len(self._envs):
            raise _Passed(f"no training env {index!r}; ask for copies first")
        return self._envs[index]

    def _env_reset(self, index: int, seed: int | None, options: dict | None) -> Any:
        return self._copy(index).reset(seed=seed, options=options)

    def _env_step(self, index: int, action: Any) -> Any:
        try:
            return self._copy(index).step(action)
        except BudgetExceeded:
            raise _Passed("budget exceeded") from None

    def _env_copies(self, n: Any) -> int:
        if type(n) is not int:
            raise _Passed("copies(n) takes an int")
        if self._env is None:
            raise _Passed("copies(n) is for the env that learn() was given, while learn() runs")
        try:
            made = self._env.copies(n)
        except (ValueError, RuntimeError) as exc:
            raise _Passed(str(exc)) from None
        # Never shrink: stand-in envs of earlier copies keep the indices they were given.
        if len(made) > len(self._envs):
            self._envs = made
        return len(made)


def _describe_main(conn: Any, ref: str) -> None:
    try:
        from embodied_bench.api import contract_of, is_privileged, requirements_of
        from embodied_bench.registry import resolve_agent
        from embodied_bench.results import provenance

        name, cls = resolve_agent(ref)
        requirements_of(cls)  # a malformed declaration is refused before anything runs
        conn.send(("ok", {"name": name, "contract": contract_of(cls), "privileged": is_privileged(cls), "source_hash": provenance.source_hash(cls)}))
    except BaseException as exc:  # noqa: BLE001  (any failure of the user's module is the answer)
        conn.send(("err", f"{type(exc).__name__}: {exc}"))
    finally:
        conn.close()


def describe(ref: str, timeout: float = 120.0) -> dict[str, Any]:
    """Name, contract, privileged flag and source hash of the agent ``ref``, found in a
    process of its own (an isolated agent's code never runs in the harness's process).
    Raises ValueError with the reason when it cannot be loaded."""
    ctx = mp.get_context("spawn")
    parent, child = ctx.Pipe(duplex=False)
    process = ctx.Process(target=_describe_main, args=(child, ref), daemon=True)
    process.start()
    child.close()
    try:
        if not parent.poll(timeout):
            raise ValueError(f"loading it took longer than {timeout:g} s")
        kind, value = _DataOnly(io.BytesIO(parent.recv_bytes())).load()
    except EOFError:
        raise ValueError("the process loading it died") from None
    except pickle.UnpicklingError as exc:
        raise ValueError(str(exc)) from None
    finally:
        parent.close()
        process.join(timeout=5.0)
        if process.is_alive():
            process.kill()
    if kind != "ok":
        raise ValueError(value)
    return value
