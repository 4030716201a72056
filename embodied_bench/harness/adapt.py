"""Adapt variants (``TaskSpec.phases``): the world changes inside the budget, at a step the
agent is not told.

* Training: ``PhasedEnv`` holds one env per phase, each made with its change's keyword
  arguments. At every reset it asks the ledger how much of the budget is spent and moves
  to the phase in force; an episode begun before a phase's start ends in the world it began
  in. The agent sees only what the world does: the spaces of every phase are the same (a
  change that alters them fails the run), and nothing in the observation says which phase
  it is. A phase's env is seeded once, when first used, from the run's env seed.
* Evaluation: every checkpoint evaluates every phase's world, each on its own env, on the
  same held-out layout indices: the same episodes at every checkpoint, so their number
  never tells the agent that a change is near (and a new world is scored at its change,
  before any step in it). The curve's numbers are those of the phase the checkpoint
  belongs to (``TaskSpec.phase_evaluated``), and ``phases.csv`` holds every (checkpoint,
  phase) row.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Iterable

import gymnasium as gym
import numpy as np

from embodied_bench.api import Phase, PrivilegedView, TaskSpec
from embodied_bench.harness.ledger import BudgetLedger, StepCounter, TaskError


def phase_seed(env_seed: int, phase: int) -> int:
    """The seed of phase ``phase``'s training env (phase 0 uses the run's env seed as a
    plain task does)."""
    if phase == 0:
        return env_seed
    return int(np.random.SeedSequence(env_seed, spawn_key=(0xADA, phase)).generate_state(1, np.uint32)[0])


def check_spaces(spec: TaskSpec, first: gym.Env, other: gym.Env, phase: Phase) -> None:
    """A change must not tell itself through the spaces."""
    for name in ("observation_space", "action_space"):
        if getattr(first, name) != getattr(other, name):
            raise TaskError(f"task {spec.name}: world change {phase.label} alters the {name.replace('_', ' ')}; a change must keep the spaces the same")


class PhasedEnv(gym.Env):
    """The training env of an adapt variant (see the module docstring). ``ledger``: the
    run's (how much of the budget is spent); ``make(phase)``: a training env in that
    phase's world; ``view``: a privileged agent's view, moved to each new phase's
    simulator."""

    def __init__(self, spec: TaskSpec, ledger: BudgetLedger, make: Callable[[int], gym.Env], env_seed: int, view: PrivilegedView | None = None) -> None:
        self._spec = spec
        self._ledger = ledger
        self._make = make
        self._env_seed = env_seed
        self._view = view
        self.envs: dict[int, gym.Env] = {}
        self.counters: dict[int, StepCounter] = {}
        self.switches: list[tuple[int, int]] = []
        """``(phase, training env steps of the run when this env entered it)`` for each
        phase entered after the first."""
        self.current = 0
        self._env = self._phase_env(0)
        self.observation_space = self._env.observation_space
        self.action_space = self._env.action_space
        self.metadata = self._env.metadata
        self.render_mode = self._env.render_mode
        self.spec = self._env.spec

    def _phase_env(self, i: int) -> gym.Env:
        if i not in self.envs:
            env = self._make(i)
            if self.envs:
                check_spaces(self._spec, self.envs[0], env, self._spec.phases[i])
            self.envs[i] = env
            self.counters[i] = StepCounter(env)
        return self.envs[i]

    @property
    def count(self) -> int:
        """Steps taken on every phase's env (the harness's check against the ledger)."""
        return sum(c.count for c in self.counters.values())

    @property
    def unwrapped(self) -> gym.Env:  # the simulator of the phase in force
        return self._env.unwrapped

    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None):
        phase = self._spec.phase_at(self._ledger.used)
        if phase != self.current:
            fresh = phase not in self.envs
            self._env = self._phase_env(phase)
            self.current = phase
            self.switches.append((phase, self._ledger.env_steps))
            if fresh and seed is None:
                seed = phase_seed(self._env_seed, phase)
            if self._view is not None:
                self._view._switch(self._env)
        return self._env.reset(seed=seed, options=options)

    def step(self, action: Any):
        return self._env.step(action)

    def render(self) -> Any:
        return self._env.render()

    def close(self) -> None:
        for env in self.envs.values():
            env.close()


def phase_record(spec: TaskSpec, switches: Iterable[tuple[int, int]]) -> list[dict[str, Any]]:
    """What a run records of its phases: each change, where it begins in the budget, and
    the run's training step at which the world really changed: the first reset after the
    start of any of its training envs (``switches`` of them all; None for a phase no env
    reached)."""
    began: dict[int, int] = {0: 0}
    for phase, step in switches:
        began[phase] = min(step, began.get(phase, step))
    return [{"phase": i, "change": p.change, "start": p.start, "env_kwargs": dict(p.env_kwargs), "began_at_env_step": began.get(i)} for i, p in enumerate(spec.phases)]
