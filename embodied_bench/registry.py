"""One ``Registry`` class for tasks, suites and agents, and the gymnasium registration of
tasks. Entries may be objects or lazy ``"module:attr"`` strings, resolved on first use."""

from __future__ import annotations

import dataclasses
import difflib
import hashlib
import importlib
import importlib.util
import inspect
import json
import sys
import warnings
from pathlib import Path
from typing import Any, Generic, Iterator, TypeVar

import gymnasium as gym

from embodied_bench.api import CIBudget, Phase, Suite, Task, TaskSpec, WorldChange, plain_id, task_name

T = TypeVar("T")


class RegistryError(LookupError):
    """Unknown name, bad reference or name collision; its message is one line for users."""


def load_reference(ref: str) -> Any:
    """Resolve ``"package.module:attr"`` or ``"path/to/file.py:attr"``."""
    module_part, sep, attr = ref.rpartition(":")
    if not sep or not module_part or not attr:
        raise RegistryError(f"{ref!r} is not of the form module:Class or path/to/file.py:Class")
    if module_part.endswith(".py"):
        path = Path(module_part)
        if not path.is_file():
            raise RegistryError(f"agent file {module_part} does not exist (given as {ref!r})")
        module = _load_file_module(path.resolve())
    else:
        module = _import_module(module_part, ref)
    try:
        return getattr(module, attr)
    except AttributeError:
        names = [n for n, v in vars(module).items() if inspect.isclass(v) and not n.startswith("_")]
        hint = _nearest(attr, names)
        raise RegistryError(f"{module_part} has no attribute {attr!r}{hint}") from None


def _import_module(name: str, ref: str) -> Any:
    """Import ``name``; a module in the current folder is found too, as ``python -m``
    would find it (console scripts do not put the current folder on ``sys.path``)."""
    try:
        return importlib.import_module(name)
    except ModuleNotFoundError as exc:
        cwd = str(Path.cwd())
        if exc.name != name.split(".")[0] or cwd in sys.path:
            raise RegistryError(f"cannot import module {name!r} (given as {ref!r}): {exc}") from None
    sys.path.append(cwd)
    try:
        return importlib.import_module(name)
    except ModuleNotFoundError as exc:
        raise RegistryError(f"cannot import module {name!r} (given as {ref!r}): {exc}") from None


def _load_file_module(path: Path) -> Any:
    # A stable module name per file, so loading it again (e.g. in a worker) reuses it.
    name = "embodied_bench_user_" + hashlib.sha1(str(path).encode()).hexdigest()[:12]
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise RegistryError(f"cannot load {path.name} as a Python module")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    except BaseException:
        del sys.modules[name]
        raise
    return module


def _nearest(name: str, candidates: list[str]) -> str:
    close = difflib.get_close_matches(name, candidates, n=3, cutoff=0.4)
    if not close:
        close = [c for c in candidates if name.lower() in c.lower()][:3]
    return f"; did you mean {', '.join(close)}?" if close else ""


class Registry(Generic[T]):
    """Named entries of one kind. Registering a taken name is an error; aliases resolve to
    the same entry (a task's gymnasium id, for instance)."""

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self._entries: dict[str, T | str] = {}
        self._aliases: dict[str, str] = {}

    def register(self, name: str, entry: T | str, *, aliases: tuple[str, ...] = ()) -> None:
        for key in (name, *aliases):
            if key in self._entries or key in self._aliases:
                raise RegistryError(f"{self.kind} {key!r} is already registered")
        self._entries[name] = entry
        for alias in aliases:
            self._aliases[alias] = name

    def canonical(self, name: str) -> str:
        if name in self._entries:
            return name
        if name in self._aliases:
            return self._aliases[name]
        raise RegistryError(f"unknown {self.kind} {name!r}{_nearest(name, self.names() + list(self._aliases))}")

    def get(self, name: str) -> T:
        key = self.canonical(name)
        entry = self._entries[key]
        if isinstance(entry, str):
            entry = load_reference(entry)
            self._entries[key] = entry
        return entry  # type: ignore[return-value]

    def names(self) -> list[str]:
        return sorted(self._entries)

    def __contains__(self, name: object) -> bool:
        return name in self._entries or name in self._aliases

    def __iter__(self) -> Iterator[str]:
        return iter(self.names())

    def __len__(self) -> int:
        return len(self._entries)


class TaskRegistry(Registry[Task]):
    """Tasks keyed by versioned name, ``"cat-climb-skill@v0"``, with the gymnasium id as
    an alias; a bare id, ``"cat-climb-skill"``, names the newest registered version. Old
    versions stay registered and runnable as long as their code exists."""

    def __init__(self) -> None:
        super().__init__("task")
        self._newest: dict[str, tuple[int, str]] = {}

    def add(self, task: Task) -> None:
        spec = task.spec
        if spec.id in self._entries or spec.id in self._aliases:
            raise RegistryError(f"task id {spec.id!r} collides with a registered name")
        # The gym id names the plain task; its protocol variants share the env.
        self.register(task.name, task, aliases=() if spec.protocol else (spec.gym_id,))
        if spec.version > self._newest.get(spec.id, (-1, ""))[0]:
            self._newest[spec.id] = (spec.version, task.name)

    def names(self) -> list[str]:
        """Versioned names by task and version, each version's watch and play variants
        right after it (alphabetical order would put ``cat-climb-skill-play@v1`` before
        ``cat-climb-skill@v0``)."""

        def key(name: str) -> tuple[str, int, str]:
            spec = self._entries[name].spec  # type: ignore[union-attr]  (add() stores Task objects)
            return (plain_id(spec.id, spec.protocol), spec.version, spec.id)

        return sorted(self._entries, key=key)

    def canonical(self, name: str) -> str:
        if name in self._newest and name not in self._entries:
            return self._newest[name][1]
        try:
            return super().canonical(name)
        except RegistryError:
            raise RegistryError(f"unknown task {name!r}{_nearest(name, self.names() + list(self._newest))}") from None

    def __contains__(self, name: object) -> bool:
        return super().__contains__(name) or name in self._newest

    def ids(self) -> list[str]:
        """The bare task ids, each naming its newest version."""
        return sorted(self._newest)

    def is_newest(self, name: str) -> bool:
        key = self.canonical(name)
        return self._newest[self.get(key).spec.id][1] == key

    def unregister(self, name: str) -> None:
        """Remove a task (tests that register a family of their own clean up with it)."""
        key = self.canonical(name)
        task = self.get(key)
        del self._entries[key]
        self._aliases = {a: n for a, n in self._aliases.items() if n != key}
        rest = [self.get(n) for n in self.names() if self.get(n).spec.id == task.spec.id]
        if rest:
            newest = max(rest, key=lambda t: t.spec.version)
            self._newest[task.spec.id] = (newest.spec.version, newest.name)
        else:
            del self._newest[task.spec.id]
        if not task.spec.protocol:
            gym.registry.pop(task.spec.gym_id, None)


TASKS = TaskRegistry()
SUITES: Registry[Suite] = Registry("suite")
AGENTS: Registry[type] = Registry("agent")
BASELINE_ROLES: dict[str, str] = {}
"""The project's baselines by what they are (``ROLES``), set by ``register_baseline``:
the official results' tables pick their columns by it."""
ROLES = ("random", "model-free", "learned-model planner", "simulator planner", "oracle")


def register_baseline(name: str, reference: str, *, role: str) -> None:
    """Register one of the project's agents (``"module:Class"``, imported when first used)
    with what it is among ``ROLES``."""
    if role not in ROLES:
        raise RegistryError(f"baseline {name}: role {role!r} is not one of {', '.join(ROLES)}")
    AGENTS.register(name, reference)
    BASELINE_ROLES[name] = role


def register_task(
    spec: TaskSpec,
    entry_point: str,
    *,
    max_episode_steps: int | None,
    ci_budget: CIBudget,
    baselines: tuple[str, ...],
    left_out: dict[str, str] | None = None,
    world_model: str | None = None,
    tags: tuple[str, ...] = (),
    baseline_config: dict[str, dict[str, Any]] | None = None,
    env_defaults: dict[str, Any] | None = None,
    action_proposals: str | None = None,
    expert: str | None = None,
    no_expert: str = "",
    changes: tuple[WorldChange, ...] = (),
) -> Task:
    """Register a task with gymnasium (string entry point, lazy import) and with ``TASKS``:
    its protocol and every fact the suite's tools read about it (see ``api.Task``). The
    family package is the entry point's package."""
    if spec.gym_id.rsplit("-v", 1)[-1] != str(spec.version):
        raise RegistryError(f"task {spec.id}: gym id {spec.gym_id} does not end in -v{spec.version}")
    module = entry_point.partition(":")[0]
    task = Task(
        spec=spec,
        entry_point=entry_point,
        max_episode_steps=max_episode_steps,
        package=module.rpartition(".")[0] or module,
        ci_budget=ci_budget,
        baselines=tuple(baselines),
        left_out=left_out or {},
        world_model=world_model,
        tags=tuple(tags),
        action_proposals=action_proposals,
        baseline_config=baseline_config or {},
        env_defaults=env_defaults or {},
        expert=expert,
        no_expert=no_expert,
        changes=tuple(changes),
    )
    TASKS.add(task)
    gym.register(id=spec.gym_id, entry_point=entry_point, max_episode_steps=max_episode_steps, kwargs=dict(task.env_defaults))
    return task


def adapt_phases(task: Task, phases: Any) -> tuple[Phase, ...]:
    """``Phase``s from ``(change, start)`` pairs naming ``task``'s declared changes (``""``:
    its own world), each with the change's env keyword arguments."""
    out = []
    for change, start in phases:
        try:
            kwargs = dict(task.change(change).env_kwargs) if change else {}
            name = task.change(change).name if change else ""
        except ValueError as exc:
            raise RegistryError(str(exc)) from None
        out.append(Phase(name, int(start), kwargs))
    return tuple(out)


def register_variant(task_name: str, protocol: str, *, baselines: tuple[str, ...] | None = None, **fields: Any) -> Task:
    """Register a protocol variant of a registered task (``"watch"``, ``"play"`` or
    ``"adapt"``, with its ``TaskSpec`` fields; an adapt variant's ``phases`` as
    ``(change name, start)`` pairs): the same env, layouts, budget and facts, named
    ``<id>-<protocol>@v<N>`` (not a copy of the env; its gym id stays the plain task's).
    ``baselines``: the reference baselines whose gain the variant shows (default: the
    plain task's); the others stay left out for the plain task's reasons."""
    base = TASKS.get(task_name)
    if base.spec.protocol:
        raise RegistryError(f"{task_name} is a protocol variant already")
    if "phases" in fields:
        fields["phases"] = adapt_phases(base, fields["phases"])
    try:
        spec = dataclasses.replace(base.spec, id=f"{base.spec.id}-{protocol}", protocol=protocol, **fields)
    except ValueError as exc:
        raise RegistryError(str(exc)) from None
    chosen = tuple(baselines) if baselines is not None else base.baselines
    task = dataclasses.replace(base, spec=spec, tags=(*base.tags, protocol), baselines=chosen, left_out={k: v for k, v in base.left_out.items() if k not in chosen})
    TASKS.add(task)
    return task


def register_adapt(task_name: str, phases: Any, *, budget: int, eval_every: int, baselines: tuple[str, ...] | None = None) -> Task:
    """Register the adapt variant of ``task_name`` (``<id>-adapt@v<N>``): ``phases`` as
    ``(change name, start)`` pairs (``""``: the task's own world) of equal length inside
    ``budget``, and with it one single-world reference per world it visits
    (``<id>-adapt-<change id or "own">@v<N>``: the same agent learning that world alone for
    one phase's length, evaluated as often), against which forward transfer is measured."""
    base = TASKS.get(task_name)
    resolved = adapt_phases(base, phases)
    lengths = {b.start - a.start for a, b in zip(resolved, resolved[1:])} | {budget - resolved[-1].start}
    if len(lengths) != 1:
        raise RegistryError(f"{task_name}: the phases of an adapt variant are of equal length (so each has a single-world reference), got starts {[p.start for p in resolved]} in a budget of {budget}")
    variant = register_variant(task_name, "adapt", baselines=baselines, budget=budget, eval_every=eval_every, phases=phases)
    length = lengths.pop()
    for i in dict((p.change, i) for i, p in enumerate(resolved)).values():
        task_id = adapt_reference(variant.spec, i).rpartition("@v")[0]
        spec = dataclasses.replace(variant.spec, id=task_id, budget=length, phases=(dataclasses.replace(resolved[i], start=0),))
        TASKS.add(dataclasses.replace(variant, spec=spec, tags=(*variant.tags, "adapt-reference")))
    return variant


def task_of(spec: TaskSpec | str) -> Task:
    """The registered task a spec (or a versioned task name) runs: itself, or for an adapt
    variant made on the command line (``run --phases``) the plain task whose family it
    changes (its facts, e.g. the baselines' per-task configs, are that task's)."""
    name = spec if isinstance(spec, str) else spec.name
    if name in TASKS or "-adapt-" not in name:
        return TASKS.get(name)
    task_id, _, version = name.rpartition("@v")
    return TASKS.get(task_name(plain_id(task_id, "adapt"), int(version)))


def custom_adapt(task: str, phases: str) -> TaskSpec:
    """An adapt variant of ``task`` with the phases of ``run --phases``:
    ``CHANGE:START,...`` (the task's own world from 0 to the first start), inside the
    task's budget; its id names the list (``<id>-adapt-<6 hex digits>``). Each change's
    env is made once, train and eval, so one its family cannot validate is refused here.
    RegistryError (one line) for a list that does not parse, an unknown change, a start
    outside the budget or off the checkpoints."""
    base = TASKS.get(task)
    if base.spec.protocol:
        raise RegistryError(f"--phases changes a plain task's world; {base.name} is a {base.spec.protocol} variant")
    pairs: list[tuple[str, int]] = [("", 0)]
    for part in filter(None, (p.strip() for p in phases.split(","))):
        change, sep, start = part.rpartition(":")
        if not sep or not change or not start.strip().replace("_", "").isdigit():
            raise RegistryError(f"--phases {phases!r}: {part!r} is not CHANGE:START (e.g. slippery@v0:50000)")
        pairs.append((change.strip(), int(start.replace("_", ""))))
        if pairs[-1][1] == 0:
            raise RegistryError(f"--phases {phases!r}: {part!r} begins at 0, where the task's own world runs; begin each change after it")
    if len(pairs) < 2:
        raise RegistryError(f"--phases {phases!r}: name at least one CHANGE:START")
    resolved = adapt_phases(base, pairs)
    digest = hashlib.sha256(json.dumps([[p.change, p.start] for p in resolved]).encode()).hexdigest()[:6]
    try:
        spec = dataclasses.replace(base.spec, id=f"{base.spec.id}-adapt-{digest}", protocol="adapt", phases=resolved)
    except ValueError as exc:
        raise RegistryError(f"--phases {phases!r}: {exc}") from None
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*is out of date.*")
        own = gym.make(spec.gym_id, layout_split="train", **spec.env_kwargs)
        try:
            for phase in resolved[1:]:
                for split in ("train", "eval"):
                    try:
                        env = gym.make(spec.gym_id, layout_split=split, **{**spec.env_kwargs, **phase.env_kwargs})
                    except (ValueError, TypeError) as exc:
                        raise RegistryError(f"--phases: {base.name}'s family cannot make world change {phase.change} ({exc})") from None
                    same = env.observation_space == own.observation_space and env.action_space == own.action_space
                    env.close()
                    if not same:
                        raise RegistryError(f"--phases: world change {phase.change} alters {base.name}'s observation or action space; a change must keep them")
        finally:
            own.close()
    return spec


def adapt_reference(spec: TaskSpec, phase: int) -> str:
    """The name of the single-world reference of ``phase`` of adapt variant ``spec``
    (``register_adapt``): ``<variant>-<change id, or "own">@v<N>``."""
    world = spec.phases[phase].change.partition("@")[0] or "own"
    return task_name(f"{spec.id}-{world}", spec.version)


def declared_changes() -> list[tuple[str, WorldChange, list[str]]]:
    """Every world change the plain tasks declare, once per family: ``(family, change,
    the tasks that declare it)``."""
    found: dict[tuple[str, str], tuple[WorldChange, list[str]]] = {}
    for name in TASKS.names():
        task = TASKS.get(name)
        for change in task.changes if not task.spec.protocol else ():
            found.setdefault((task.spec.family, change.name), (change, []))[1].append(name)
    return [(family, change, tasks) for (family, _), (change, tasks) in found.items()]


OFFICIAL_SUITES: set[str] = set()
"""Suites whose leaderboard submissions must follow the full protocol (every task's
budget and held-out layouts, at least ``OFFICIAL_MIN_SEEDS`` seeds); filled by
``register_suite``."""
OFFICIAL_MIN_SEEDS = 10


def register_suite(name: str, task_names: tuple[str, ...], *, official: bool = False, ranks_by: str = "success") -> Suite:
    """A suite is a frozen tuple of task versions (``"treat-reach@v0"``): adding a version
    of a task never changes a suite; a new list is a new suite. ``ranks_by``: what ranks
    its leaderboard table (``Suite.ranks_by``)."""
    for task in task_names:
        if "@v" not in task:
            raise RegistryError(f"suite {name}: name each task with its version (e.g. {task}@v0); suites are frozen")
        if TASKS.canonical(task) != task:
            raise RegistryError(f"suite {name}: {task} is not a registered task version")
    suite = Suite(name, tuple(task_names), official, ranks_by)
    SUITES.register(name, suite)
    if official:
        OFFICIAL_SUITES.add(name)
    return suite


def agent_name(ref: str) -> str:
    """The display name ``resolve_agent`` gives ``ref``, without importing the agent's code
    (isolated runs never load it in the harness's process)."""
    if ":" in ref and ref not in AGENTS:
        return ref.rpartition(":")[2]
    return AGENTS.canonical(ref)


def resolve_agent(name: str) -> tuple[str, type]:
    """``(display name, class)`` for a registered name, ``module:Class`` or
    ``path/to/file.py:Class``."""
    if ":" in name and name not in AGENTS:
        cls = load_reference(name)
        display = name.rpartition(":")[2]
    else:
        display = AGENTS.canonical(name)
        cls = AGENTS.get(display)
    if not inspect.isclass(cls):
        raise RegistryError(f"{name!r} is not a class")
    return display, cls


def resolve_tasks(task_names: tuple[str, ...], suite_names: tuple[str, ...]) -> list[TaskSpec]:
    """Task specs for the names given (``id`` for the newest version, ``id@vN`` or the
    gym id for a given one) and every task of each suite, in order, without repeats."""
    names: list[str] = []
    for suite in suite_names:
        names.extend(SUITES.get(suite).tasks)
    names.extend(task_names)
    seen: dict[str, TaskSpec] = {}
    for name in names:
        key = TASKS.canonical(name)
        seen.setdefault(key, TASKS.get(key).spec)
    return list(seen.values())
