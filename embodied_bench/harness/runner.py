"""Runs one (agent, task, seed) for its budget and writes the run record.

Seeding, the wrapper stack and both contracts' loops are all in this file, so a reader
can see in one place what an agent is given and when it is evaluated:

* ``SeedSequence(seed)`` spawns two children: the agent's seed and the training env's.
* The training env is ``gymnasium.make(gym_id, layout_split="train")``; the evaluation env
  is ``gymnasium.make(gym_id, layout_split="eval")`` and episode ``i`` of every checkpoint
  is ``reset(seed=i, options={"layout": i})`` -- identical for every agent, so
  comparisons between agents are paired. For hidden evaluation layouts
  (``EMBODIED_BENCH_EVAL_SALT``) a job carries only the layout seeds its salt selects
  (``Job.hidden_layouts``) and the salt's id for the record, never the salt.
* Checkpoints at 0, every ``eval_every`` budget units, and at the budget; evaluation
  calls ``act(obs, explore=False)`` only, never ``observe``, and costs no budget. An
  Agent is evaluated at 0 before it acts; a Learner when it first resets the ledger env
  (so it may build its model inside ``learn``, as Stable-Baselines3 code does), or once
  after ``learn`` returns if it never touched the env.
"""

from __future__ import annotations

import numbers
import signal
import threading
import time
import traceback
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import gymnasium as gym
import numpy as np

from embodied_bench import layouts, video
from embodied_bench.api import (
    PrivilegedView,
    TaskInfo,
    TaskSpec,
    Transition,
    contract_of,
    is_privileged,
    requirements_of,
)
from embodied_bench.datasets import DatasetError
from embodied_bench.harness import adapt, interrupt, phases
from embodied_bench.harness.clips import Clips
from embodied_bench.harness.isolation import IsolatedAgent, Limits
from embodied_bench.harness.ledger import (
    ActionChecker,
    AgentError,
    BudgetExceeded,
    BudgetLedger,
    LedgerEnv,
    StepCounter,
    TaskError,
)
from embodied_bench.results import provenance
from embodied_bench.results.provenance import sha256_text
from embodied_bench.results.records import (
    EVAL_COLUMNS,
    clear_outputs,
    LEVELS_FILE,
    PHASES_FILE,
    SCHEMA_VERSION,
    read_run_json,
    run_dir,
    write_curve,
    write_levels,
    write_phases,
    write_run_json,
)
from embodied_bench.video import VideoOptions

Progress = Callable[[tuple], None]
"""Receives ``("steps", key, n)`` as training steps are taken (at checkpoints) and
``("eval", key, checkpoint)``."""


@dataclass(frozen=True)
class Job:
    """One run, picklable so it can travel to a worker process."""

    agent: str
    """How the agent was named: registered name, ``module:Class`` or ``file.py:Class``."""
    spec: TaskSpec
    """The protocol to run, budget scale already applied (a worker needs no registry
    lookup for the task)."""
    seed: int
    out: str
    budget_scale: float = 1.0
    """The scale that produced ``spec.budget`` (recorded for provenance)."""
    eval_reduced: bool = False
    """Whether ``spec.eval_episodes`` was cut below the task's own (``--eval-episodes``):
    recorded, so reports can say the scores are not the task's protocol."""
    hidden_layouts: HiddenLayouts | None = None
    """The hidden evaluation layouts to use instead of the public ones."""
    isolation: Limits | None = None
    """Run the agent in a process of its own under these limits (None: in this process)."""
    video: VideoOptions | None = None
    """Record clips of evaluation episodes (``run --record-video``); None: no clips."""


@dataclass
class Outcome:
    key: str
    status: str
    folder: str
    env_steps: int = 0
    error: str | None = None


def split_seed(seed: int) -> tuple[int, int]:
    """``(agent_seed, env_seed)`` from one run seed, through ``numpy.random.SeedSequence``."""
    agent_ss, env_ss = np.random.SeedSequence(seed).spawn(2)
    return int(agent_ss.generate_state(1, np.uint32)[0]), int(env_ss.generate_state(1, np.uint32)[0])


def make_env(spec: TaskSpec, split: str, phase: int = 0, **kwargs: Any) -> gym.Env:
    """``gymnasium.make`` of the task's env on a layout split, in the world of ``phase``
    (an adapt variant's phases; a single-world reference lives in its change all along),
    ``kwargs`` on top. An old version is made without gymnasium's "out of date" warning: it
    was named on purpose (its references, its suite), and its runs say which version they
    are."""
    world = spec.phases[phase].env_kwargs if spec.phases else {}
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*is out of date.*")
        return gym.make(spec.gym_id, layout_split=split, **{**spec.env_kwargs, **world, **kwargs})


def make_envs(spec: TaskSpec, render_eval: bool = False, ledger: BudgetLedger | None = None, env_seed: int = 0, view: PrivilegedView | None = None) -> tuple[gym.Env, gym.Env]:
    """The training env and the evaluation env (rendering frames when ``render_eval``:
    clips). An adapt variant's training env is a ``PhasedEnv`` that follows ``ledger``
    through the phases (its evaluation env is phase 0's; ``_Run`` makes the others)."""
    return make_train_env(spec, ledger, env_seed, view), make_env(spec, "eval", **({"render_mode": "rgb_array"} if render_eval else {}))


def make_train_env(spec: TaskSpec, ledger: BudgetLedger | None, env_seed: int, view: PrivilegedView | None = None) -> gym.Env:
    """The task's training env; for an adapt variant, a ``PhasedEnv`` following ``ledger``."""
    if not spec.phases:
        return make_env(spec, "train")
    if ledger is None:
        raise ValueError(f"task {spec.name} changes its world as the budget is spent: its training env needs the run's ledger")
    return adapt.PhasedEnv(spec, ledger, lambda phase: make_env(spec, "train", phase), env_seed, view)


def step_counter(env: gym.Env) -> Any:
    """What counts the steps of a training env (a ``PhasedEnv`` counts its phases' own)."""
    return env if isinstance(env, adapt.PhasedEnv) else StepCounter(env)


def task_info(spec: TaskSpec, env: gym.Env) -> TaskInfo:
    return TaskInfo(
        task_id=spec.id,
        gym_id=spec.gym_id,
        version=spec.version,
        observation_space=env.observation_space,
        action_space=env.action_space,
        budget=spec.budget,
        budget_unit=spec.budget_unit,
        eval_every=spec.eval_every,
        cost_limit=spec.cost_limit,
        max_episode_steps=env.spec.max_episode_steps if env.spec is not None else None,
        observation_layout=getattr(env.unwrapped, "observation_layout", None),
        action_proposals=_proposals_of(spec),
    )


def _proposals_of(spec: TaskSpec) -> str | None:
    from embodied_bench.registry import TASKS, task_of

    return task_of(spec).action_proposals if spec.name in TASKS or spec.plain_name in TASKS else None


@dataclass(frozen=True)
class HiddenLayouts:
    """Hidden evaluation layouts of one task: what a job needs of a salt, without it."""

    salt_id: str
    seeds: tuple[int, ...]

    @classmethod
    def from_salt(cls, salt: str, episodes: int) -> "HiddenLayouts":
        return cls(layouts.salt_id(salt), tuple(layouts.hidden_eval_seed(i, salt) for i in range(episodes)))


def privileged_view(spec: TaskSpec) -> PrivilegedView:
    """What a privileged agent is given on ``spec``'s task: the protocol, and the world
    model the task names in its registration (if any)."""
    from embodied_bench.registry import load_reference, task_of

    entry = task_of(spec).world_model
    return PrivilegedView(spec, load_reference(entry) if entry is not None else None)


def evaluation_layouts(spec: TaskSpec, hidden: HiddenLayouts | None) -> list[dict[str, int]]:
    """The ``reset`` options of each evaluation episode: the public held-out layouts, or
    the hidden ones."""
    if hidden is None:
        return [{"layout": i} for i in range(spec.eval_episodes)]
    if len(hidden.seeds) != spec.eval_episodes:
        raise ValueError(f"{len(hidden.seeds)} hidden layouts for {spec.eval_episodes} evaluation episodes")
    return [{"layout_seed": seed} for seed in hidden.seeds]


def evaluation_record(salt_id: str | None) -> dict[str, str | None]:
    """What a run records about its evaluation layouts: the salt's id, never the salt."""
    if salt_id is None:
        return {"layouts": "public", "salt_id": None}
    return {"layouts": "hidden", "salt_id": salt_id}


def _episode_score(spec: TaskSpec, info: dict[str, Any], success: bool, index: int) -> float:
    """The graded score an episode ended with (its success where the task grades nothing
    else). A task bug never becomes a number: a task that declares a graded score and
    reports none, reports one that is not a number in [0, 1] (NaN included), or reports 1
    without success (or success without 1) fails the run, naming the task and the value."""
    where = f"info['partial'], evaluation episode {index}"
    if "partial" not in info:
        if spec.graded_score:
            raise TaskError(f"task {spec.name} declares a graded score but reported none ({where}): a task bug, not a result")
        return float(success)
    partial = info["partial"]
    if isinstance(partial, (bool, np.bool_)) or not isinstance(partial, numbers.Real) or not 0.0 <= float(partial) <= 1.0:  # NaN fails too
        raise TaskError(f"task {spec.name} reported a graded score of {partial!r} ({where}); it must be a number in [0, 1]: a task bug, not a result")
    if (float(partial) == 1.0) != success:
        raise TaskError(f"task {spec.name} reported a graded score of {partial!r} with success {success} ({where}); the score is 1 exactly on success: a task bug, not a result")
    return float(partial)


def _episode_level(spec: TaskSpec, info: dict[str, Any], index: int) -> str | None:
    """The level a held-out layout is labelled with; one the task does not define, or
    another than the stratification gives layout ``index`` (public or hidden: hidden
    layouts keep their index's place in the blocks of levels), fails the run."""
    if not spec.levels:
        return None
    level = info.get("level")
    if level not in spec.levels:
        raise TaskError(f"task {spec.name} labelled evaluation layout {index} with level {level!r}, which it does not define (levels: {', '.join(spec.levels)})")
    if level != spec.level_of(index):
        raise TaskError(f"task {spec.name} labelled evaluation layout {index} with level {level!r}; its stratified level is {spec.level_of(index)!r}")
    return level


def evaluate(agent: Any, env: gym.Env, spec: TaskSpec, checker: ActionChecker, where: str, hidden: HiddenLayouts | None = None, clips: Clips | None = None) -> tuple[dict[str, float], list[dict[str, Any]]]:
    """Mean success, graded score, return, cost and length over the task's held-out
    evaluation layouts (or the ``hidden`` ones), and per level of difficulty (one row per
    level the task defines). Demonstrations a layout comes with (``info["demonstrations"]``
    on reset: one-shot tasks) go to ``agent.demonstrate`` before its attempt. ``clips``:
    record the first episodes (it only renders what happens)."""
    act = agent.act
    demonstrate = getattr(agent, "demonstrate", None)
    start = getattr(agent, "start_episode", None)
    successes = partials = returns = costs = lengths = 0.0
    per_level: dict[str, list[float]] = {name: [0, 0.0, 0.0, 0.0, 0.0, 0.0] for name in spec.levels}
    for i, options in enumerate(evaluation_layouts(spec, hidden)):
        obs, reset_info = env.reset(seed=i, options=options)
        level = _episode_level(spec, reset_info, i)
        recording = clips.begin(env, i) if clips is not None else None
        if start is not None:
            start(False)
        if demonstrate is not None and "demonstrations" in reset_info:
            demonstrate(list(reset_info["demonstrations"]))
        ret = cost = 0.0
        steps = 0
        success = False
        info: dict[str, Any] = {}
        while True:
            action = checker(act(obs, False), f"{where}, evaluation episode {i}")
            obs, reward, terminated, truncated, info = env.step(action)
            if recording is not None:
                recording.step()
            ret += reward
            cost += info["cost"]
            steps += 1
            success = success or bool(info["success"])
            if terminated or truncated:
                break
        if recording is not None:
            recording.end()
        partial = _episode_score(spec, info, success, i)
        successes += success
        partials += partial
        returns += ret
        costs += cost
        lengths += steps
        if level is not None:
            row = per_level[level]
            row[0] += 1
            for k, value in enumerate((success, partial, ret, cost, steps), start=1):
                row[k] += value
    n = spec.eval_episodes
    scores = {"eval_success": successes / n, "eval_partial": partials / n, "eval_return": returns / n, "eval_cost": costs / n, "eval_length": lengths / n}
    # Levels without episodes (fewer --eval-episodes than levels) get no row.
    levels = [{"level": name, "episodes": row[0], **{col: row[k] / row[0] for k, col in enumerate(EVAL_COLUMNS, start=1)}} for name, row in per_level.items() if row[0]]
    return scores, levels


@dataclass
class _Run:
    """State shared by the loop and the evaluation callback of one run."""

    spec: TaskSpec
    folder: Path
    record: dict[str, Any]
    agent: Any
    ledger: BudgetLedger
    eval_env: gym.Env
    train_env: gym.Env
    checker: ActionChecker
    view: PrivilegedView | None
    progress: Progress | None
    key: str
    hidden: HiddenLayouts | None = None
    rows: list[dict[str, Any]] = field(default_factory=list)
    level_rows: list[dict[str, Any]] = field(default_factory=list)
    copies: list[tuple[gym.Env, StepCounter]] = field(default_factory=list)
    """Training env copies a learner asked for, and their step counters."""
    clips: Clips | None = None
    play: phases.PlayLedger | None = None
    """Play's ledger (play variants)."""
    phase_rows: list[dict[str, Any]] = field(default_factory=list)
    """Adapt variants: one row per (checkpoint, phase evaluated)."""
    phase_evals: dict[int, tuple[gym.Env, StepCounter]] = field(default_factory=dict)
    """Adapt variants: the evaluation env of each phase after the first, made when first
    evaluated, and its step counter."""
    eval_kwargs: dict[str, Any] = field(default_factory=dict)
    """What every evaluation env is made with beyond the phase's world (rendering)."""
    t0: float = field(default_factory=time.perf_counter)
    cpu0: float = field(default_factory=time.process_time)
    eval_seconds: float = 0.0
    eval_steps: int = 0
    demonstrations: int = 0
    _reported_steps: int = 0

    def checkpoint(self, point: int, stands_for: int = 1) -> None:
        """Evaluate at ``point`` of the budget (and, ``stands_for`` > 1, for the checkpoints
        after it too: a learner that stopped early)."""
        t = time.perf_counter()
        clips = self.clips.at(len(self.rows), point, stands_for) if self.clips is not None else None
        spec = self.spec
        if not spec.phases:
            scores, levels = self._evaluate(self.eval_env, f"checkpoint {point}", clips)
        else:
            # Every world at every checkpoint: earlier ones (forgetting), the new one at its
            # change (how far it set the agent back), and always the same episodes, whose
            # number never tells a change is near. Clips show the current one.
            current = spec.phase_evaluated(point)
            for phase in range(len(spec.phases)):
                found = self._evaluate(self.phase_eval_env(phase), f"checkpoint {point}, phase {phase} ({spec.phases[phase].label})", clips if phase == current else None)
                if phase == current:
                    scores, levels = found
                self.phase_rows.append({"checkpoint": len(self.rows), "budget_used": point, "env_steps": self.ledger.env_steps, "phase": phase, "change": spec.phases[phase].change, "current": int(phase == current), **found[0]})
            write_phases(self.folder, self.phase_rows)
        if self.view is not None:
            self.view._switch(self.train_env)
        self.eval_seconds += time.perf_counter() - t
        self.add_row(point, scores, levels)

    def _evaluate(self, env: gym.Env, where: str, clips: Any) -> tuple[dict[str, float], list[dict[str, Any]]]:
        if self.view is not None:
            self.view._switch(env)
        scores, levels = evaluate(self.agent, env, self.spec, self.checker, where, self.hidden, clips)
        self.eval_steps += round(scores["eval_length"] * self.spec.eval_episodes)
        return scores, levels

    def phase_eval_env(self, phase: int) -> gym.Env:
        """The evaluation env of ``phase``'s world (phase 0's is ``eval_env``)."""
        if phase == 0:
            return self.eval_env
        if phase not in self.phase_evals:
            env = make_env(self.spec, "eval", phase, **self.eval_kwargs)
            self.phase_evals[phase] = (env, StepCounter(env))
            adapt.check_spaces(self.spec, self.eval_env, env, self.spec.phases[phase])
        return self.phase_evals[phase][0]

    def add_row(self, point: int, scores: dict[str, float], levels: list[dict[str, Any]]) -> None:
        if levels:
            self.level_rows += [{"checkpoint": len(self.rows), "budget_used": point, **row} for row in levels]
            write_levels(self.folder, self.level_rows)
        ledger = self.ledger
        self.rows.append(
            {
                "checkpoint": len(self.rows),
                "budget_used": point,
                "env_steps": ledger.env_steps,
                "train_episodes": ledger.episodes_done,
                "train_cost": ledger.train_cost,
                **scores,
                "wall_seconds": round(time.perf_counter() - self.t0, 3),
            }
        )
        write_curve(self.folder, self.rows)
        if self.progress is not None:
            self.progress(("steps", self.key, ledger.env_steps - self._reported_steps))
            self._reported_steps = ledger.env_steps


def _agent_loop(run: _Run, agent: Any, env: gym.Env, env_seed: int | None) -> None:
    """The Agent contract: the harness steps the env and feeds every training transition
    to ``observe``. Kept lean: this is the hot path."""
    ledger, checker, spec = run.ledger, run.checker, run.spec
    act, observe, step = agent.act, agent.observe, env.step
    demonstrate = getattr(agent, "demonstrate", None)
    start = getattr(agent, "start_episode", None)
    by_steps = spec.budget_unit == "steps"
    run.checkpoint(ledger.pop_checkpoint())  # checkpoint 0, before the agent acts
    next_cp = ledger.next_checkpoint
    seed = env_seed  # None: play seeded the env's stream already
    while ledger.can_reset() and ledger.can_step():
        obs, reset_info = env.reset(seed=seed)
        if run.view is not None:
            run.view._switch(env)  # after the reset: an adapt variant's may change the world
        seed = None
        ledger.episodes_started += 1
        if start is not None:
            start(True)
        if demonstrate is not None and "demonstrations" in reset_info:
            run.demonstrations += 1
            demonstrate(list(reset_info["demonstrations"]))
        while True:
            n = ledger.env_steps
            action = checker(act(obs, True), f"training step {n}")
            next_obs, reward, terminated, truncated, info = step(action)
            cost = info["cost"]
            observe(Transition(obs, action, reward, next_obs, terminated, truncated, cost, info["success"]))
            ledger.env_steps = n = n + 1
            ledger.train_cost += cost
            obs = next_obs
            done = terminated or truncated
            if done:
                ledger.episodes_done += 1
            if by_steps:
                if n == next_cp:
                    run.checkpoint(ledger.pop_checkpoint())
                    next_cp = ledger.next_checkpoint
                    if next_cp is None:
                        return
            elif done and ledger.episodes_done == next_cp:
                run.checkpoint(ledger.pop_checkpoint())
                next_cp = ledger.next_checkpoint
            if done:
                break


def _learner_loop(run: _Run, learner: Any, env: gym.Env, env_seed: int | None) -> bool:
    """The Learner contract. Returns True when the ledger had to stop the learner."""

    def spawn(i: int) -> gym.Env:
        # Copy i of the training env (``LedgerEnv.copies``): its own layouts, seeded from
        # the run's env seed, every step counted like the first env's.
        seed = int(np.random.SeedSequence(copy_seed, spawn_key=(i,)).generate_state(1, np.uint32)[0])
        copy = make_train_env(run.spec, run.ledger, seed)
        run.copies.append((copy, step_counter(copy)))
        copy.reset(seed=seed)
        return copy

    copy_seed = env_seed if env_seed is not None else run.record["env_seed"]

    ledger_env = LedgerEnv(env, run.ledger, run.checker, run.checkpoint, spawn)
    # Seed the training env once (unless play did); the learner's own resets continue its stream.
    if env_seed is not None:
        env.reset(seed=env_seed)
    stopped = False
    try:
        learner.learn(ledger_env, run.spec.budget)
    except BudgetExceeded:
        stopped = True
    remaining = run.ledger.remaining_checkpoints()
    if remaining and run.spec.phases:
        # The policy it ended with meets every world still to come: each checkpoint left
        # is evaluated, as its phases differ.
        for point in remaining:
            run.checkpoint(point)
    elif remaining:
        # The learner stopped early (or never touched the env, so not even checkpoint 0 was
        # evaluated): the policy it ended with is the policy at every checkpoint left, so
        # it is evaluated once and that row repeated.
        run.checkpoint(remaining[0], stands_for=len(remaining))
        last = len(run.rows) - 1
        for point in remaining[1:]:
            row = run.rows[last]
            levels = [{k: v for k, v in r.items() if k not in ("checkpoint", "budget_used")} for r in run.level_rows if r["checkpoint"] == last]
            run.add_row(point, {k: row[k] for k in EVAL_COLUMNS}, levels)
    return stopped


def initial_record(job: Job, context: dict[str, Any] | None = None) -> tuple[dict[str, Any], Path, str, type | None]:
    """The record of ``job`` as it starts (status ``running``), its folder, its key and the
    agent class (None for an isolated agent, whose code is never imported here). Executors
    that run jobs elsewhere use it to record a run whose worker died."""
    from embodied_bench.registry import agent_name as name_of
    from embodied_bench.registry import resolve_agent

    spec = job.spec
    isolated = job.isolation is not None
    agent_name, cls = (name_of(job.agent), None) if isolated else resolve_agent(job.agent)
    folder = run_dir(Path(job.out), spec.name, agent_name, job.seed)
    key = f"{spec.name}/{agent_name}/seed-{job.seed}"
    agent_seed, env_seed = split_seed(job.seed)
    privileged = cls is not None and is_privileged(cls)
    requires = requirements_of(cls) if cls is not None else ()
    record: dict[str, Any] = {
        "schema_version": SCHEMA_VERSION,
        "status": "running",
        "error": None,
        "task": {
            "id": spec.id,
            "gym_id": spec.gym_id,
            "version": spec.version,
            "hash": provenance.task_hash(spec),
            "spec": spec.to_dict(),
        },
        "agent": {
            "name": agent_name,
            "ref": job.agent,
            "class": f"{cls.__module__}:{cls.__qualname__}" if cls is not None else None,
            "source_hash": provenance.source_hash(cls) if cls is not None else None,
            "privileged": privileged,
            "contract": None,
            "requires": list(requires),
            "isolation": job.isolation.to_dict() if isolated else None,
        },
        "seed": job.seed,
        "agent_seed": agent_seed,
        "env_seed": env_seed,
        "budget": {"amount": spec.budget, "unit": spec.budget_unit, "scale": job.budget_scale, "eval_every": spec.eval_every, "eval_episodes": spec.eval_episodes, "eval_reduced": job.eval_reduced},
        "evaluation": evaluation_record(job.hidden_layouts.salt_id if job.hidden_layouts else None),
        "ledger": None,
        "versions": provenance.versions(requires),
        "git": provenance.git_revision(),
        "host": provenance.host(),
        "started_at": _now(),
        "finished_at": None,
        "wall_seconds": None,
        "cpu_seconds": None,
        "train_seconds": None,
        "eval_seconds": None,
        "curve_sha256": None,
        **(context or {}),
    }
    return record, folder, key, cls


def made_since_planned(folder: Path, key: str) -> Outcome | None:
    """A ``kept`` outcome when ``folder`` holds a complete run, else None. A plan never
    hands out such a folder, so another process finished the run after the plan was made
    (two commands writing to one folder): it is kept, never written over."""
    if (read_run_json(folder) or {}).get("status") != "complete":
        return None
    return Outcome(key, "kept", str(folder), 0, "a complete run appeared in its folder after the plan was made (another process made it); kept, not redone")


def run_one(job: Job, progress: Progress | None = None, context: dict[str, Any] | None = None) -> Outcome:
    """Run ``job`` to the end and write its record. Never raises for a failing agent: the
    run is recorded ``failed`` with its traceback. Ctrl-C records it ``interrupted``. A
    folder that holds a complete run by the time the job starts is left alone (``kept``)."""
    spec = job.spec
    isolated = job.isolation is not None
    # An isolated agent's code is never imported here: its own process reports what it is.
    record, folder, key, cls = initial_record(job, context)
    agent_seed, env_seed = record["agent_seed"], record["env_seed"]
    privileged = record["agent"]["privileged"]
    made = made_since_planned(folder, key)
    if made is not None:
        return made
    folder.mkdir(parents=True, exist_ok=True)
    clear_outputs(folder)
    write_run_json(folder, record)

    run: _Run | None = None
    clips = _clips(job, folder)
    if clips is not None:
        record["video"] = clips.record()
        write_run_json(folder, record)
    isolated_agent: IsolatedAgent | None = None
    envs: tuple[gym.Env, ...] = ()
    status, error, stopped = "complete", None, False
    previous_handler: Any = None
    try:
        with interrupt.armed():
            ledger = BudgetLedger(spec)
            view = privileged_view(spec) if privileged else None
            render_eval = clips is not None and clips.error is None
            train_env, eval_env = envs = make_envs(spec, render_eval, ledger, env_seed, view)
            counters = (step_counter(train_env), StepCounter(eval_env))
            info = task_info(spec, train_env)
            if isolated:
                agent = isolated_agent = IsolatedAgent(job.agent, info, agent_seed, job.isolation)
                record["agent"].update(isolated_agent.identity)
                record["versions"] = provenance.versions(tuple(isolated_agent.identity["requires"]))
                contract, config_dict = isolated_agent.contract, isolated_agent.config_dict
            else:
                agent = cls(info, agent_seed, privileged=view) if privileged else cls(info, agent_seed)
                contract = contract_of(agent)
                # The hyperparameters the run used, when the agent says (baselines do).
                config = getattr(agent, "config", None)
                config_dict = config.to_dict() if callable(getattr(config, "to_dict", None)) else None
            record["agent"]["contract"] = contract
            if config_dict is not None:
                record["agent"]["config"] = config_dict
            run = _Run(spec, folder, record, agent, ledger, eval_env, train_env, ActionChecker(train_env.action_space), view, progress, key, job.hidden_layouts, clips=clips)
            if render_eval:
                run.eval_kwargs = {"render_mode": "rgb_array"}
            if view is not None:
                view._switch(train_env)
            task_seed: int | None = env_seed
            if spec.protocol == "watch":
                record["watch"] = phases.watch(agent, spec)
            elif spec.protocol == "play":
                run.play = phases.PlayLedger(spec.play_budget, spec.budget_unit)
                if contract == "learner":
                    played = not isolated and phases.play_learner(agent, train_env, run.play, run.checker, env_seed)
                else:
                    played = phases.play_agent(agent, train_env, run.play, run.checker, env_seed)
                record["play"] = run.play.record(played)
                task_seed = None if played else env_seed
            if contract == "learner":
                stopped = _learner_loop(run, agent, train_env, task_seed)
            else:
                _agent_loop(run, agent, train_env, task_seed)
            if isolated_agent is not None:
                isolated_agent.flush()  # the last observe: its errors count too
            _check_counts(run, *counters)
    except KeyboardInterrupt:
        if not interrupt.installed() and threading.current_thread() is threading.main_thread():
            # Called as a library without the guard: a second Ctrl-C must not cut the record short.
            previous_handler = signal.signal(signal.SIGINT, signal.SIG_IGN)
        status, error = "interrupted", "interrupted (Ctrl-C or SIGTERM); rerun with --resume to redo it"
    except (AgentError, TaskError, DatasetError) as exc:
        status, error = "failed", str(exc)
    except Exception as exc:
        status = "failed"
        error = f"{type(exc).__name__}: {exc}\n{traceback.format_exc()}"
    finally:
        if isolated_agent is not None:
            isolated_agent.close()
        for env in [*envs, *(copy for copy, _ in (run.copies if run is not None else ())), *(env for env, _ in (run.phase_evals.values() if run is not None else ()))]:
            try:
                env.close()
            except Exception:  # closing must never hide the run's own outcome
                pass
    if clips is not None:
        record["video"] = clips.record()
    try:
        outcome = _finish(record, folder, run, status, error, stopped, key)
    finally:
        if previous_handler is not None:
            signal.signal(signal.SIGINT, previous_handler)
    if status == "interrupted" and not interrupt.installed():
        # A library caller looping over runs must stop too; the record is written.
        raise KeyboardInterrupt
    return outcome


def _clips(job: Job, folder: Path) -> Clips | None:
    """The run's clips when it records any; without the video libraries, a ``Clips`` that
    says why there are none (the run itself goes on)."""
    if job.video is None:
        return None
    clips = Clips(job.video, folder, len(job.spec.checkpoints()) - 1)
    try:
        video.require()
    except video.VideoUnavailable as exc:
        clips.fail(exc)
    return clips


def _check_counts(run: _Run, train: Any, evaluation: StepCounter) -> None:
    """Every env step must have gone through the ledger or the evaluation."""
    counted = run.ledger.env_steps + (run.play.env_steps if run.play is not None else 0)
    if train.count + sum(counter.count for _, counter in run.copies) != counted:
        raise AgentError(
            f"the training envs were stepped {train.count + sum(c.count for _, c in run.copies)} times but the budget ledgers saw {counted}: "
            "the agent stepped the env behind the ledger's back"
        )
    evaluated = evaluation.count + sum(counter.count for _, counter in run.phase_evals.values())
    if evaluated != run.eval_steps:
        raise AgentError(f"the evaluation envs were stepped {evaluated} times, the evaluation itself took {run.eval_steps} steps")


def _finish(record: dict[str, Any], folder: Path, run: _Run | None, status: str, error: str | None, stopped: bool, key: str) -> Outcome:
    env_steps = 0
    if run is not None:
        ledger = run.ledger
        env_steps = ledger.env_steps
        wall = time.perf_counter() - run.t0
        record["ledger"] = {
            "env_steps": ledger.env_steps,
            "episodes_started": ledger.episodes_started,
            "episodes_done": ledger.episodes_done,
            "train_cost": ledger.train_cost,
            "budget_used": ledger.used,
            "stopped_by_ledger": stopped,
            "training_demonstrations": run.demonstrations,
        }
        record["wall_seconds"] = round(wall, 3)
        # CPU time of the harness's process (an isolated agent's own process not included):
        # what a run costs on a machine whose other cores are busy.
        record["cpu_seconds"] = round(time.process_time() - run.cpu0, 3)
        record["eval_seconds"] = round(run.eval_seconds, 3)
        record["train_seconds"] = round(wall - run.eval_seconds, 3)
        if status == "complete" and len(run.rows) != len(run.spec.checkpoints()):
            status, error = "failed", f"the curve has {len(run.rows)} checkpoints, expected {len(run.spec.checkpoints())}"
        # What is on disk, not the rows in memory: a run stopped between taking a row and
        # writing its file (Ctrl-C or an agent's error inside a checkpoint's evaluations) has
        # rows that no file holds yet, and its record must still be written.
        for name, field_ in (("curve.csv", "curve_sha256"), (LEVELS_FILE, "levels_sha256"), (PHASES_FILE, "phases_sha256")):
            if (folder / name).is_file():
                record[field_] = sha256_text((folder / name).read_text(encoding="utf-8"))
        if run.spec.phases:
            envs = [run.train_env, *(copy for copy, _ in run.copies)]
            record["phases"] = adapt.phase_record(run.spec, [s for env in envs if isinstance(env, adapt.PhasedEnv) for s in env.switches])
    record["status"] = status
    record["error"] = error
    record["finished_at"] = _now()
    write_run_json(folder, record)
    return Outcome(key, status, str(folder), env_steps, error)


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")
