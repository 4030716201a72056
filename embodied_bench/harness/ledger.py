"""The budget ledger: counts every training interaction an agent causes and makes a step
past the budget impossible, for both contracts."""

from __future__ import annotations

from typing import Any, Callable

import gymnasium as gym
import numpy as np

from embodied_bench.api import TaskSpec


class BudgetExceeded(RuntimeError):
    """Raised by the ledger env when a Learner asks for an interaction past its budget.
    The harness treats it as the end of training, not as a failure."""


class AgentError(RuntimeError):
    """The agent broke the contract (an action outside the space, NaN, ...)."""


class TaskError(RuntimeError):
    """The task reported something it must not (a graded score outside [0, 1], a level it
    does not define): the run fails with the task and the value, so a task bug never
    becomes a number on the board."""


class BudgetLedger:
    """Training interactions so far, in env steps and episodes, and where the next
    checkpoint is. ``used`` is measured in the task's budget unit."""

    __slots__ = ("budget", "unit", "env_steps", "episodes_started", "episodes_done", "train_cost", "_checkpoints", "_next")

    def __init__(self, spec: TaskSpec) -> None:
        self.budget = spec.budget
        self.unit = spec.budget_unit
        self.env_steps = 0
        self.episodes_started = 0
        self.episodes_done = 0
        self.train_cost = 0.0
        # Checkpoint 0 included: an Agent is evaluated there before it acts, a Learner when it
        # first resets the ledger env (so it may build its model inside ``learn``).
        self._checkpoints = spec.checkpoints()
        self._next = 0

    @property
    def used(self) -> int:
        return self.env_steps if self.unit == "steps" else self.episodes_done

    @property
    def next_checkpoint(self) -> int | None:
        return self._checkpoints[self._next] if self._next < len(self._checkpoints) else None

    def pop_checkpoint(self) -> int:
        point = self._checkpoints[self._next]
        self._next += 1
        return point

    def remaining_checkpoints(self) -> list[int]:
        return self._checkpoints[self._next :]

    def can_step(self) -> bool:
        return self.unit != "steps" or self.env_steps < self.budget

    def can_reset(self) -> bool:
        return self.unit != "episodes" or self.episodes_started < self.budget


class ActionChecker:
    """Validates agent actions against the action space; fast for Box spaces (the hot
    path), exact ``contains`` for anything else. Returns the action as the space's dtype."""

    def __init__(self, space: gym.Space) -> None:
        self.space = space
        self._box = isinstance(space, gym.spaces.Box)
        if self._box:
            self._shape = space.shape
            self._dtype = space.dtype
            self._low = space.low
            self._high = space.high
            # Small actions with uniform bounds are checked element by element in Python,
            # which is ten times faster than numpy reductions at this size.
            lo, hi = np.unique(space.low), np.unique(space.high)
            uniform = lo.size == 1 and hi.size == 1
            self._small = (float(lo[0]), float(hi[0])) if uniform and int(np.prod(space.shape)) <= 16 else None
            self._uniform = (float(lo[0]), float(hi[0])) if uniform else None

    def __call__(self, action: Any, where: str) -> Any:
        if self._box:
            try:
                a = np.asarray(action, dtype=self._dtype)
            except (TypeError, ValueError):
                raise AgentError(f"{where}: the agent returned {action!r}, not an array for {self.space}") from None
            if a.shape != self._shape:
                what = "None" if action is None else f"an action of shape {a.shape}"
                raise AgentError(f"{where}: the agent returned {what}, but the action space is {self.space}")
            # NaN fails every comparison below, so it is caught too.
            if self._small is not None:
                lo, hi = self._small
                for value in a.ravel().tolist():
                    if not lo <= value <= hi:
                        break
                else:
                    return a
            elif self._uniform is not None:
                if self._uniform[0] <= a.min() and a.max() <= self._uniform[1]:
                    return a
            elif (a >= self._low).all() and (a <= self._high).all():
                return a
            problem = "NaN" if np.isnan(a).any() else "an action outside the action space"
            raise AgentError(f"{where}: the agent returned {problem} ({self.space}): {_short(action)}")
        if self.space.contains(action):
            return action
        raise AgentError(f"{where}: the agent returned an action outside the action space {self.space}: {_short(action)}")


def _short(value: Any) -> str:
    text = np.array2string(np.asarray(value), precision=4, threshold=8) if _is_array_like(value) else repr(value)
    return text if len(text) < 120 else text[:117] + "..."


def _is_array_like(value: Any) -> bool:
    try:
        np.asarray(value, dtype=float)
        return True
    except (TypeError, ValueError):
        return False


class StepCounter:
    """Counts every ``step`` call on an env's base object, whichever wrapper or reference it
    comes through, so the harness can tell whether an agent stepped the env behind the
    ledger's back (the instance attribute shadows the class's ``step``)."""

    def __init__(self, env: gym.Env) -> None:
        self.count = 0
        base = env.unwrapped
        original = base.step

        def counted(action: Any):
            self.count += 1
            return original(action)

        base.step = counted  # type: ignore[method-assign]


class LedgerEnv(gym.Env):
    """The env a Learner trains on: counts interactions in the ledger, refuses any past the
    budget (``BudgetExceeded``), checks actions, and runs the evaluation when a checkpoint
    is crossed (``on_checkpoint(point)``), before returning the step. Checkpoint 0 is
    evaluated on the first ``reset``, before any step counts. It is not a
    ``gym.Wrapper``: ``unwrapped`` is the ledger env itself, so the simulator behind it is
    not handed out (full isolation is a separate process: ``--isolate``)."""

    MAX_COPIES = 64
    """The most envs a learner may train on at once (``copies``)."""

    def __init__(self, env: gym.Env, ledger: BudgetLedger, checker: ActionChecker, on_checkpoint: Callable[[int], None], spawn: Callable[[int], gym.Env] | None = None) -> None:
        self.__env = env
        self.ledger = ledger
        self.checker = checker
        self.on_checkpoint = on_checkpoint
        self._spawn = spawn
        self._copies: list[LedgerEnv] = [self]
        self._in_episode = False
        self.observation_space = env.observation_space
        self.action_space = env.action_space
        self.spec = env.spec
        self.metadata = env.metadata
        self.render_mode = env.render_mode

    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None):
        ledger = self.ledger
        if ledger.next_checkpoint == 0:
            # The learner's first touch of the env: the policy it holds now is checkpoint 0.
            self.on_checkpoint(ledger.pop_checkpoint())
        if self._in_episode and ledger.unit == "episodes":
            # An abandoned episode still counts as practice.
            self._finish_episode()
        if not ledger.can_reset():
            raise BudgetExceeded(f"the budget of {ledger.budget} episodes is used up; no further episode may start")
        obs, info = self.__env.reset(seed=seed, options=options)
        ledger.episodes_started += 1
        self._in_episode = True
        return obs, info

    def step(self, action: Any):
        ledger = self.ledger
        if not self._in_episode:
            raise RuntimeError("step() called before reset() or after the episode ended")
        if not ledger.can_step():
            raise BudgetExceeded(f"the budget of {ledger.budget} env steps is used up; step refused")
        action = self.checker(action, f"training step {ledger.env_steps}")
        obs, reward, terminated, truncated, info = self.__env.step(action)
        ledger.env_steps += 1
        ledger.train_cost += info["cost"]
        if terminated or truncated:
            self._finish_episode()
        elif ledger.unit == "steps" and ledger.env_steps == ledger.next_checkpoint:
            self.on_checkpoint(ledger.pop_checkpoint())
        return obs, reward, terminated, truncated, info

    def copies(self, n: int) -> list["LedgerEnv"]:
        """``n`` training envs for a learner that steps several at once (this one first):
        each copy has its own layouts, seeded from the run's env seed, and every step or
        episode of any of them counts against the one budget, in the one ledger. The budget
        stays exact (the step that reaches it is the last any copy may take) and the
        evaluations run on the harness's schedule, at the exact step counts. Asking again
        gives the same copies (more if ``n`` is larger)."""
        if not 1 <= int(n) <= self.MAX_COPIES:
            raise ValueError(f"copies(n): n must lie in [1, {self.MAX_COPIES}], got {n}")
        if self._spawn is None and n > 1:
            raise RuntimeError("this ledger env cannot make copies")
        while len(self._copies) < n:
            self._copies.append(LedgerEnv(self._spawn(len(self._copies)), self.ledger, self.checker, self.on_checkpoint))
        return self._copies[:n]

    def vector(self, n: int) -> gym.vector.VectorEnv:
        """``copies(n)`` as a gymnasium ``SyncVectorEnv`` (episodes reset themselves)."""
        envs = self.copies(n)
        return gym.vector.SyncVectorEnv([lambda e=e: e for e in envs])

    def render(self):
        return self.__env.render()

    def _finish_episode(self) -> None:
        ledger = self.ledger
        self._in_episode = False
        ledger.episodes_done += 1
        if ledger.used == ledger.next_checkpoint:
            self.on_checkpoint(ledger.pop_checkpoint())
