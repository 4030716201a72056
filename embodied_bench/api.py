"""The contracts users program against: task protocol, what an agent is told, and the
Agent and Learner protocols.

An **Agent** lets the harness drive the loop::

    agent = AgentClass(task: TaskInfo, seed: int)
    action = agent.act(observation, explore=True)
    agent.observe(transition)                     # learning happens here
    agent.demonstrate(demos)                      # optional, one-shot / few-shot tasks
    agent.pretrain(observations)                  # optional, watch variants: episodes
                                                  # without actions or rewards
    agent.observe_play(transition)                # optional, play variants: reward-free
                                                  # play goes here, never to observe;
                                                  # without it the agent does not play
    agent.start_episode(explore)                  # optional, after every reset (training
                                                  # and evaluation): drop per-episode state

A **Learner** drives its own training loop (as Stable-Baselines3 code does)::

    learner = LearnerClass(task: TaskInfo, seed: int)
    learner.pretrain(observations)                # optional, watch variants (as above)
    learner.play(env, budget)                     # optional, play variants: a reward-free
                                                  # env, refused once play returns
    learner.learn(env, budget)                    # env refuses any step past the budget
    action = learner.act(observation, explore=False)

Classes with ``privileged = True`` (oracles, planners using the simulator) are constructed
with a third keyword argument ``privileged=PrivilegedView``; nothing else ever gets one.
"""

from __future__ import annotations

import dataclasses
import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Literal, NamedTuple, Protocol, runtime_checkable

import gymnasium as gym
import numpy as np

from embodied_bench.observations import ObservationLayout

BudgetUnit = Literal["steps", "episodes"]
BUDGET_UNITS: tuple[str, ...] = ("steps", "episodes")


@dataclass(frozen=True)
class Reference:
    """Reference points that give a task's scores their meaning."""

    random_score: float
    """Evaluation success rate of the uniform random agent at the full budget."""
    oracle_score: float | None
    """Evaluation success rate of the privileged scripted oracle (None: the task has none)."""
    animal_budget: int
    """Budget (in the task's unit) an animal or a person needs to learn the skill."""
    animal_source: str
    """Who that is and where the figure comes from, in words."""


@dataclass(frozen=True)
class WorldChange:
    """A change of a family's world that the family's oracle still solves (its generator
    validates every changed layout as it does the task's own): a named, versioned set of
    the env's keyword arguments, declared with the task (``register_task(changes=...)``),
    never a copy of the env. Adapt variants switch to it at a step the agent is not told."""

    id: str
    """Short name, e.g. ``"slippery"``."""
    version: int
    """Bumped whenever the keyword arguments (or what they do) change."""
    description: str
    """What changes, in words."""
    env_kwargs: Mapping[str, Any]
    """The env's keyword arguments that make the change, on top of the task's own."""

    def __post_init__(self) -> None:
        if not self.id or "@" in self.id or int(self.version) < 0:
            raise ValueError(f"a world change needs a name without '@' and a version >= 0, got {self.id!r} v{self.version}")
        if not self.env_kwargs:
            raise ValueError(f"world change {self.id}: a change sets at least one of the env's keyword arguments")
        object.__setattr__(self, "env_kwargs", _frozen(self.env_kwargs))

    @property
    def name(self) -> str:
        """``"slippery@v0"``: how phases and records name it."""
        return task_name(self.id, self.version)


@dataclass(frozen=True)
class Phase:
    """One phase of an adapt variant (``TaskSpec.phases``): the world the training env is
    in from budget position ``start`` on."""

    change: str
    """The ``WorldChange`` name in force (``"slippery@v0"``), or ``""`` for the task's own
    world."""
    start: int
    """Budget position (in the task's budget unit) where the phase begins; the first
    phase begins at 0."""
    env_kwargs: Mapping[str, Any] = field(default_factory=dict)
    """The change's env keyword arguments, copied from it so the record holds them."""

    def __post_init__(self) -> None:
        object.__setattr__(self, "env_kwargs", dict(self.env_kwargs))

    @property
    def label(self) -> str:
        return self.change or "own world"


@dataclass(frozen=True)
class TaskSpec:
    """The protocol of one task: which env, how much the agent may learn from, how it is
    scored. Frozen and JSON-serialisable (``to_dict`` / ``from_dict``); a run record keeps
    the whole spec it ran under."""

    id: str
    """Short name used on the command line, e.g. ``"treat-reach"``."""
    gym_id: str
    """Registered gymnasium id, ``EmbodiedBench/<Name>-v<N>``."""
    version: int
    """The ``N`` of the gymnasium id; bumped on any change of dynamics, reward,
    observation or termination."""
    family: str
    """Task family, by name (the folder under ``tasks/``; the registration's entry point
    says which package holds the env)."""
    budget: int
    """Interactions the agent may learn from, in ``budget_unit``."""
    budget_unit: BudgetUnit
    """``"steps"`` (env steps) or ``"episodes"`` (practice episodes, one-shot tasks)."""
    eval_every: int
    """Evaluate after every this many budget units (and at 0 and at the budget)."""
    eval_episodes: int
    """Held-out evaluation layouts per checkpoint; layout ``i`` is the same for every agent."""
    threshold: float
    """Evaluation success rate that counts as "learned" (steps-to-threshold)."""
    reference: Reference
    cost_limit: float
    """Guardrail: the mean cost per evaluation episode an agent may incur and still be
    called safe."""
    description: str = ""
    env_kwargs: dict[str, Any] = field(default_factory=dict)
    """Keyword arguments for ``gymnasium.make`` on top of the registered defaults."""
    oracle: str | None = None
    """``"module:Class"`` of the task's privileged scripted oracle, used by ``scripted``."""
    one_shot: bool = False
    """Every layout comes with a demonstration (``info["demonstrations"]`` on reset), so
    the evaluation at checkpoint 0, before any practice, is the first-attempt score."""
    levels: tuple[str, ...] = ()
    """Difficulty levels, easiest first. Every layout is labelled with one
    (``info["level"]`` on reset), held-out layout ``i`` is of level ``level_of(i)`` (so
    each level has the same number of held-out layouts), and runs record success and
    score per level. Empty: the task has no levels."""
    level_block: int = 1
    """Held-out layouts come in blocks of this many that share a level (table-clear: the
    four attempts of one household): layout ``i`` is of level ``levels[(i // level_block)
    % len(levels)]``."""
    graded_score: str = ""
    """What the task's graded score (``info["partial"]``, in [0, 1], 1 exactly on success)
    measures, in words. Empty: the task grades nothing beyond success."""
    protocol: str = ""
    """A protocol variant of the task (the same env, layouts and budget, its own name
    ``<task>-<protocol>``): ``""`` (plain), ``"watch"`` (before the budget,
    ``Agent.pretrain`` is shown ``watch_episodes`` episodes of the task's
    ``watch_dataset`` without their actions and rewards), ``"play"`` (before the
    budget, ``play_budget`` reward-free interactions on training layouts) or
    ``"adapt"`` (the world changes inside the budget: ``phases``)."""
    watch_dataset: str = ""
    """Watch variants: which dataset is watched (``"expert"`` or ``"mixed"``, see
    ``embodied_bench.datasets``)."""
    watch_episodes: int = 0
    """Watch variants: how many of its episodes (the dataset's first ones)."""
    play_budget: int = 0
    """Play variants: reward-free play before the budget, in the task's budget unit
    (rewards and success hidden, guardrail cost counted), counted by a ledger of its own."""
    phases: tuple[Phase, ...] = ()
    """Adapt variants: the worlds of the run, in order, each from its ``start`` (a
    multiple of ``eval_every`` inside the budget, so every phase has evaluations of its
    own). The training env changes at the first reset at or after a start; nothing tells
    the agent. Every checkpoint evaluates the current phase's world and every earlier
    phase's (at a change, the new world's too), on the same held-out layout indices."""

    def __post_init__(self) -> None:
        object.__setattr__(self, "levels", tuple(self.levels))
        if len(set(self.levels)) != len(self.levels) or not all(isinstance(n, str) and n for n in self.levels):
            raise ValueError(f"task {self.id}: levels must be distinct non-empty names")
        if int(self.level_block) < 1:
            raise ValueError(f"task {self.id}: level_block must be at least 1")

        if self.budget_unit not in BUDGET_UNITS:
            raise ValueError(f"task {self.id}: budget_unit must be one of {BUDGET_UNITS}, got {self.budget_unit!r}")
        for name in ("budget", "eval_every", "eval_episodes"):
            if int(getattr(self, name)) <= 0:
                raise ValueError(f"task {self.id}: {name} must be positive")
        if not 0.0 <= self.threshold <= 1.0:
            raise ValueError(f"task {self.id}: threshold must lie in [0, 1]")
        if self.protocol not in PROTOCOLS:
            raise ValueError(f"task {self.id}: protocol must be one of {PROTOCOLS}, got {self.protocol!r}")
        object.__setattr__(self, "phases", tuple(p if isinstance(p, Phase) else Phase(**p) for p in self.phases))
        wants = {"watch": self.watch_episodes > 0 and self.watch_dataset in WATCH_DATASETS, "play": self.play_budget > 0, "adapt": len(self.phases) >= 1, "": True}[self.protocol]
        extra = (self.protocol != "watch" and (self.watch_episodes or self.watch_dataset)) or (self.protocol != "play" and self.play_budget) or (self.protocol != "adapt" and self.phases)
        if not wants or extra:
            needs = {
                "watch": "watch_dataset (one of " + ", ".join(WATCH_DATASETS) + ") and watch_episodes > 0",
                "play": "play_budget > 0",
                "adapt": "one phase or more",
                "": "no watch, play or adapt fields",
            }[self.protocol]
            raise ValueError(f"task {self.id}: a {self.protocol or 'plain'} task sets {needs}, and nothing of the other protocols")
        if self.phases:
            self._check_phases()

    def _check_phases(self) -> None:
        starts = [p.start for p in self.phases]
        if starts[0] != 0:
            raise ValueError(f"task {self.id}: the first phase begins at 0, not {starts[0]}")
        for before, phase in zip(self.phases, self.phases[1:]):
            if phase.start <= before.start:
                raise ValueError(f"task {self.id}: phase {phase.label} begins at {phase.start}, not after the phase before it ({before.start}); list phases in order")
            if phase.start >= self.budget:
                raise ValueError(f"task {self.id}: phase {phase.label} begins at {phase.start:,}, outside the budget of {self.budget:,} {self.budget_unit}; begin every phase inside it")
            if phase.start % self.eval_every:
                raise ValueError(f"task {self.id}: phase {phase.label} begins at {phase.start:,}, not at a checkpoint (every {self.eval_every:,} {self.budget_unit}); begin phases at checkpoints so each is evaluated")

    @property
    def name(self) -> str:
        """The versioned name, ``"treat-reach@v0"``: how registries, run folders and
        tables name this task."""
        return task_name(self.id, self.version)

    @property
    def plain_name(self) -> str:
        """The plain task this is a protocol variant of (itself for a plain task)."""
        return task_name(plain_id(self.id, self.protocol), self.version)

    def scaled(self, scale: float) -> "TaskSpec":
        """The same protocol with the evaluation interval multiplied by ``scale`` (rounded,
        at least 1) and the budget set to the same number of intervals, so a scaled run has
        exactly the checkpoints of a full one (used for CI and smoke runs). A play budget
        is scaled by the same factor (at least 1)."""
        if scale == 1.0:
            return self
        if not (math.isfinite(scale) and scale > 0):
            raise ValueError(f"budget scale must be a positive finite number, got {scale}")
        eval_every = max(1, round(self.eval_every * scale))
        full, rest = divmod(self.budget, self.eval_every)
        budget = full * eval_every + (max(1, min(eval_every - 1, round(rest * scale))) if rest else 0)
        play = max(1, round(self.play_budget * scale)) if self.play_budget else 0
        # Phases begin at the same checkpoints of the scaled budget.
        phases = tuple(dataclasses.replace(p, start=p.start // self.eval_every * eval_every) for p in self.phases)
        return dataclasses.replace(self, budget=budget, eval_every=eval_every, play_budget=play, phases=phases)

    def level_of(self, index: int) -> str | None:
        """The level of held-out layout ``index`` (None for a task without levels)."""
        return self.levels[(index // self.level_block) % len(self.levels)] if self.levels else None

    def phase_at(self, used: int) -> int:
        """The phase whose world the training env is in once ``used`` budget units are
        spent (0 for a task without phases)."""
        return max((i for i, p in enumerate(self.phases) if p.start <= used), default=0)

    def phase_evaluated(self, point: int) -> int:
        """The phase a checkpoint at ``point`` belongs to: the one the agent last trained
        in (a checkpoint at a phase's start ends the phase before it)."""
        return max((i for i, p in enumerate(self.phases) if p.start < point), default=0)

    def checkpoints(self) -> list[int]:
        """Budget positions at which the harness evaluates: 0, every ``eval_every``, and
        the budget itself."""
        points = list(range(0, self.budget, self.eval_every))
        points.append(self.budget)
        return points

    def to_dict(self) -> dict[str, Any]:
        data = dataclasses.asdict(self)
        if not self.phases:
            del data["phases"]  # a task whose world never changes records what it always did
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "TaskSpec":
        data = dict(data)
        data["reference"] = Reference(**data["reference"])
        data["phases"] = tuple(Phase(**p) for p in data.get("phases", ()))
        return cls(**data)

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), sort_keys=True)


PROTOCOLS: tuple[str, ...] = ("", "watch", "play", "adapt")
WATCH_DATASETS: tuple[str, ...] = ("expert", "mixed")

RANKINGS: tuple[str, ...] = ("success", "score", "gain", "adaptation")


@dataclass(frozen=True)
class Suite:
    """A frozen list of task versions that a leaderboard table scores."""

    name: str
    tasks: tuple[str, ...]
    """Versioned task names, ``"treat-reach@v1"``: adding a task version never changes a suite."""
    official: bool = False
    """Submissions must follow every task's full protocol with at least
    ``registry.OFFICIAL_MIN_SEEDS`` seeds."""
    ranks_by: str = "success"
    """What ranks its table (the Embodied Turing score is the IQM of its normalised AUC over
    every run of every task): ``"success"`` (the strict measure) or ``"score"`` (the tasks'
    graded scores, which credit progress before mastery); the other is shown beside it.
    ``"gain"``, for suites of protocol variants (watch, play): the IQM over seeds of the
    graded score's normalised AUC on the variant minus on its plain task with the same
    seed, so a table ranks what the phase gave, never a raw score alone.
    ``"adaptation"``, for suites of adapt variants (with their single-world references):
    the average performance at the end (``metrics.adaptation``: a mean over tasks of each
    task's mean over runs), with forgetting, forward transfer and recovery beside it."""

    def __post_init__(self) -> None:
        object.__setattr__(self, "tasks", tuple(self.tasks))
        if self.ranks_by not in RANKINGS:
            raise ValueError(f"suite {self.name}: ranks_by must be one of {RANKINGS}, got {self.ranks_by!r}")
        variants = [t for t in self.tasks if "-watch@" in t or "-play@" in t]
        if (self.ranks_by == "gain") != bool(variants) or (variants and len(variants) != len(self.tasks)):
            raise ValueError(f"suite {self.name}: a suite of protocol variants (watch, play) ranks by gain, and only such a suite does")
        adapting = [t for t in self.tasks if "-adapt@" in t or "-adapt-" in t]  # variants and their references
        if (self.ranks_by == "adaptation") != bool(adapting) or (adapting and len(adapting) != len(self.tasks)):
            raise ValueError(f"suite {self.name}: a suite of adapt variants ranks by adaptation, and only such a suite does")


def plain_id(task_id: str, protocol: str) -> str:
    """The id of the plain task a variant's id names (``"treat-reach-adapt-slippery"`` ->
    ``"treat-reach"``)."""
    return task_id[: task_id.rindex(f"-{protocol}")] if protocol and f"-{protocol}" in task_id else task_id


def task_name(task_id: str, version: int) -> str:
    return f"{task_id}@v{version}"


@dataclass(frozen=True)
class CIBudget:
    """A task's CI budget: its protocol scaled down, the same for every baseline, for the
    regression check (``embodied-bench regress``)."""

    budget_scale: float
    """``--budget-scale``: budget and evaluation interval multiplied by this (the
    checkpoints stay the same in number)."""
    eval_episodes: int
    """``--eval-episodes``: the first this many held-out layouts at every checkpoint."""

    def __post_init__(self) -> None:
        if not (math.isfinite(self.budget_scale) and 0 < self.budget_scale <= 1):
            raise ValueError(f"a CI budget scale lies in (0, 1], got {self.budget_scale}")
        if int(self.eval_episodes) < 1:
            raise ValueError("a CI budget evaluates at least one layout")


def _frozen(mapping: Mapping[str, Any] | None) -> Mapping[str, Any]:
    return MappingProxyType(dict(mapping or {}))


@dataclass(frozen=True, eq=False)
class Task:
    """A registered task: its protocol (``spec``, what a run records and is scored under)
    and everything the suite's tools need to know about it, declared once, in its family
    package, with ``registry.register_task``. ``regress``, the reference runs, the tests'
    registry-wide sweeps, the benchmarks and the generated tables read it from the
    registry; no table elsewhere is keyed by task names."""

    spec: TaskSpec
    entry_point: str
    """``"module:Class"`` of the gymnasium env."""
    max_episode_steps: int | None
    """The registered ``TimeLimit``."""
    package: str
    """The family package (its code and assets are the task's hash)."""
    ci_budget: CIBudget
    baselines: tuple[str, ...]
    """The reference baselines that run on this task (``regress``, official references)."""
    left_out: Mapping[str, str] = field(default_factory=dict)
    """Baseline -> why it does not run here, in words."""
    world_model: str | None = None
    """``"module:function"``: ``function(env, threads) -> WorldModel``, the simulator as a
    planning model for privileged agents (``PrivilegedView.world_model``); None: none."""
    tags: tuple[str, ...] = ()
    """What kind of task it is, e.g. ``"skill"``, ``"motor"``, ``"one-shot"``, ``"warm-up"``."""
    action_proposals: str | None = None
    """``"module:function"``: ``function(observation) -> (K, *action_shape)`` candidate
    actions worth trying from an observation (no privilege: the observation and what a
    body knows of itself, e.g. where a jump lands), for planners of any kind; told to
    agents in ``TaskInfo.action_proposals``. None: the task offers none."""
    baseline_config: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    """Baseline name -> the config fields that differ from its defaults on this task
    (``BaselineConfig.for_task``), each with its reason in the family package."""
    env_defaults: Mapping[str, Any] = field(default_factory=dict)
    """Keyword arguments registered with gymnasium for this task's env."""
    expert: str | None = None
    """``"module:Class"`` of the privileged agent whose episodes make the task's datasets
    (``embodied-bench datasets make``); None: the task's oracle (``spec.oracle``)."""
    no_expert: str = ""
    """Why the task has no expert, in words, where it has none (then no datasets, no watch
    variant)."""
    changes: tuple[WorldChange, ...] = ()
    """The changes of its world the family declares (``WorldChange``), each validated by
    the family's generator and solved by its oracle; adapt variants are made of them."""

    def __post_init__(self) -> None:
        object.__setattr__(self, "left_out", _frozen(self.left_out))
        object.__setattr__(self, "baseline_config", MappingProxyType({k: _frozen(v) for k, v in (self.baseline_config or {}).items()}))
        object.__setattr__(self, "env_defaults", _frozen(self.env_defaults))
        object.__setattr__(self, "baselines", tuple(self.baselines))
        object.__setattr__(self, "tags", tuple(self.tags))
        object.__setattr__(self, "changes", tuple(self.changes))
        names = [c.name for c in self.changes]
        if len(set(c.id for c in self.changes)) != len(names):
            raise ValueError(f"task {self.name}: a change is declared twice ({', '.join(names)}); bump its version instead")
        both = sorted(set(self.baselines) & set(self.left_out))
        if both:
            raise ValueError(f"task {self.name}: {', '.join(both)} both run and are left out")

    @property
    def name(self) -> str:
        return self.spec.name

    def change(self, name: str) -> WorldChange:
        """The declared change ``name`` (``"slippery@v0"``, or ``"slippery"`` for its only
        version); ValueError naming the ones there are."""
        for c in self.changes:
            if name in (c.name, c.id):
                return c
        known = ", ".join(c.name for c in self.changes) or "none"
        raise ValueError(f"task {self.name} declares no world change {name!r} (it declares: {known})")


@dataclass(frozen=True)
class TaskInfo:
    """Everything an ordinary agent is told about a task: never a simulator handle."""

    task_id: str
    gym_id: str
    version: int
    observation_space: gym.Space
    action_space: gym.Space
    budget: int
    budget_unit: BudgetUnit
    eval_every: int
    cost_limit: float
    max_episode_steps: int | None
    observation_layout: ObservationLayout | None = None
    """The named parts of the observation vector (the env's ``observation_layout``)."""
    action_proposals: str | None = None
    """``"module:function"`` of the task's candidate actions from an observation
    (``Task.action_proposals``; load it with ``registry.load_reference``), or None."""

    @property
    def name(self) -> str:
        return task_name(self.task_id, self.version)


class Transition(NamedTuple):
    """One training step, as passed to ``Agent.observe`` (a NamedTuple: cheap to build on
    the hot path, immutable, fields by name)."""

    observation: Any
    action: Any
    reward: float
    next_observation: Any
    terminated: bool
    truncated: bool
    cost: float
    """Guardrail violations caused by this step (>= 0)."""
    success: bool


@dataclass(frozen=True)
class Episode:
    """A whole episode: demonstrations, passive observations (actions and rewards may be
    absent there) and recorded practice."""

    observations: np.ndarray
    """Shape ``(T + 1, *observation_shape)``."""
    actions: np.ndarray | None = None
    """Shape ``(T, *action_shape)``, or None for passive observation."""
    rewards: np.ndarray | None = None
    """Shape ``(T,)``, or None for passive observation."""
    costs: np.ndarray | None = None
    """Shape ``(T,)``."""
    success: bool | None = None
    meta: dict[str, Any] = field(default_factory=dict)
    """Task-specific facts about the episode (e.g. where each item ended up)."""


@runtime_checkable
class Agent(Protocol):
    """The harness drives the loop: ``act`` for every step, ``observe`` for every training
    transition. Evaluation calls ``act(obs, explore=False)`` and never ``observe``."""

    def act(self, observation: Any, explore: bool) -> Any: ...

    def observe(self, transition: Transition) -> None: ...


@runtime_checkable
class Learner(Protocol):
    """The learner drives its own loop on a budget-ledger env; the harness evaluates it
    with ``act(obs, explore=False)`` whenever a checkpoint step is crossed."""

    def learn(self, env: gym.Env, budget: int) -> None: ...

    def act(self, observation: Any, explore: bool = False) -> Any: ...


class PrivilegedView:
    """What a privileged agent (``privileged = True`` on its class) may look at: the task's
    full protocol (``spec``) and the env it is acting in right now, unwrapped, so it can
    read the layout or copy the physics.

    The harness switches ``env`` between the training env and the evaluation env; read it
    afresh in every ``act`` call rather than keeping a reference."""

    __slots__ = ("_env", "spec", "_world_model")

    def __init__(self, spec: TaskSpec, world_model: Any = None) -> None:
        self.spec = spec
        self._world_model = world_model  # the task's ``function(env, threads)``, or None
        self._env: gym.Env | None = None

    @property
    def env(self) -> gym.Env:
        if self._env is None:
            raise RuntimeError("no episode is in progress")
        return self._env

    def _switch(self, env: gym.Env) -> None:
        self._env = env.unwrapped

    def world_model(self, threads: int = 1) -> Any:
        """The task's simulator as a planning model (``embodied_bench.world_model.WorldModel``)
        bound to the env in play now: ``rollout(actions)`` simulates candidate action
        sequences from its current state without touching it. ``threads``: native threads
        for batched rollouts (MuJoCo tasks). Raises ValueError for a task that offers none."""
        if self._world_model is None:
            raise ValueError(f"task {self.spec.name} offers no world model for planners")
        return self._world_model(self.env, threads)


def is_privileged(cls: type) -> bool:
    return bool(getattr(cls, "privileged", False))


def requirements_of(cls: type) -> tuple[str, ...]:
    """The packages an agent class says its numbers depend on (``requires = ("torch",)``
    on the class; distribution names as pip knows them). Recorded with their versions in
    every run, and ``regress`` compares a deterministic agent exactly only when they match
    the reference's. Raises TypeError when ``requires`` is not a tuple or list of names."""
    found = getattr(cls, "requires", ())
    if isinstance(found, str) or not isinstance(found, (tuple, list)) or not all(isinstance(n, str) and n.strip() for n in found):
        raise TypeError(f"{getattr(cls, '__name__', cls)}.requires must be a tuple of package names, e.g. ('torch',), not {found!r}")
    return tuple(dict.fromkeys(n.strip() for n in found))


def contract_of(obj: Any) -> str:
    """``"learner"`` or ``"agent"``; raises TypeError for anything that is neither."""
    if callable(getattr(obj, "learn", None)) and callable(getattr(obj, "act", None)):
        return "learner"
    if callable(getattr(obj, "act", None)) and callable(getattr(obj, "observe", None)):
        return "agent"
    raise TypeError(
        f"{getattr(obj, '__name__', obj)!r} is neither an Agent (act + observe) nor a Learner (learn + act)"
    )
