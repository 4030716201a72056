"""What happens before the budget in a protocol variant (``TaskSpec.protocol``):

* **watch**: ``pretrain(episodes)`` gets the task's dataset episodes with their actions and
  rewards removed (``embodied_bench.datasets.watch``). An agent without ``pretrain`` runs
  all the same and its record says it did not watch: its gain is 0 by construction.
* **play**: ``play_budget`` interactions (in the task's budget unit: env steps, or
  episodes) on training layouts with no reward and no success: an Agent acts
  (``explore=True``) and its ``observe_play`` gets transitions whose reward is 0, whose
  success is False, whose step info holds the guardrail cost alone, and where an episode
  the env ended arrives truncated, not terminated. The end of an episode itself is not
  hidden: where a task ends episodes early only on success, an early end tells it. An
  Agent without ``observe_play`` acts but learns nothing from play (``observe`` would take
  the zero rewards for real ones), and its record says it did not play. A Learner plays
  in ``play(env, budget)`` if it has one, on an env that hides the same, refuses any step
  past the play budget and any call once ``play`` has returned; one without ``play`` does
  not play. Guardrail cost is counted and reported, as always. Play is counted by a
  ledger of its own; the task's budget and evaluations start after it.
"""

from __future__ import annotations

from typing import Any

import gymnasium as gym

from embodied_bench.api import TaskSpec, Transition
from embodied_bench.harness.ledger import ActionChecker, BudgetExceeded

PLAY_INFO = ("cost",)
"""What play shows of the step info (everything else may tell the reward: a distance to
the goal, items placed right)."""


class PlayLedger:
    """Play's own count: steps, episodes and guardrail cost, within ``budget`` of the
    task's budget unit (``"steps"``: env steps; ``"episodes"``: episodes begun)."""

    __slots__ = ("budget", "unit", "env_steps", "episodes", "started", "cost")

    def __init__(self, budget: int, unit: str = "steps") -> None:
        self.budget = budget
        self.unit = unit
        self.env_steps = 0
        self.episodes = 0
        self.started = 0
        self.cost = 0.0

    def can_step(self) -> bool:
        return self.unit != "steps" or self.env_steps < self.budget

    def can_start(self) -> bool:
        return self.can_step() and (self.unit != "episodes" or self.started < self.budget)

    def record(self, played: bool) -> dict[str, Any]:
        return {"budget": self.budget, "unit": self.unit, "env_steps": self.env_steps, "episodes": self.episodes, "cost": self.cost, "played": played}


def watch(agent: Any, spec: TaskSpec) -> dict[str, Any]:
    """Show ``agent`` the watch variant's episodes; what the run records of it."""
    from embodied_bench import datasets

    shown, meta = datasets.watch(spec)
    pretrain = getattr(agent, "pretrain", None)
    if pretrain is not None:
        pretrain(shown)
    return {**meta, "watched": pretrain is not None}


def _hide(reward: float, terminated: bool, truncated: bool, info: dict[str, Any]) -> tuple[float, bool, bool, dict[str, Any]]:
    return 0.0, False, bool(terminated or truncated), {k: info[k] for k in PLAY_INFO if k in info}


def play_agent(agent: Any, env: gym.Env, ledger: PlayLedger, checker: ActionChecker, env_seed: int) -> bool:
    """The Agent contract's play: the harness steps the training env ``ledger.budget`` times
    if the agent has ``observe_play``; whether it played."""
    observe = getattr(agent, "observe_play", None)
    if observe is None:
        return False
    act = agent.act
    start = getattr(agent, "start_episode", None)
    demonstrate = getattr(agent, "demonstrate", None)
    seed: int | None = env_seed
    while ledger.can_start():
        obs, reset_info = env.reset(seed=seed)
        seed = None
        ledger.started += 1
        if start is not None:
            start(True)
        # As in training (and as a Learner sees in its reset info): a household's demonstration.
        if demonstrate is not None and "demonstrations" in reset_info:
            demonstrate(list(reset_info["demonstrations"]))
        while ledger.can_step():
            action = checker(act(obs, True), f"play step {ledger.env_steps}")
            next_obs, reward, terminated, truncated, info = env.step(action)
            cost = float(info["cost"])
            _, terminated_, truncated_, _ = _hide(reward, terminated, truncated, info)
            observe(Transition(obs, action, 0.0, next_obs, terminated_, truncated_, cost, False))
            ledger.env_steps += 1
            ledger.cost += cost
            obs = next_obs
            if terminated or truncated:
                ledger.episodes += 1
                break
    return True


class PlayOver(RuntimeError):
    """A call on the play env after ``play`` returned (the task's env is another one)."""


class PlayEnv(gym.Env):
    """The env a Learner plays in: rewards 0, no success, only the guardrail cost in the
    step info, every ended episode truncated, no step past the play budget or outside an
    episode, and nothing at all once ``play`` has returned (``close_play``). Like the
    ledger env it is not a ``gym.Wrapper``: ``unwrapped`` is itself, not the simulator."""

    def __init__(self, env: gym.Env, ledger: PlayLedger, checker: ActionChecker) -> None:
        self.__env = env
        self.ledger = ledger
        self.checker = checker
        self._in_episode = False
        self._over = False
        self.observation_space = env.observation_space
        self.action_space = env.action_space
        self.spec = env.spec
        self.metadata = env.metadata
        self.render_mode = env.render_mode

    def _check_open(self) -> None:
        if self._over:
            raise PlayOver("the play env was used after play() returned; train on the env learn() is given")

    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None):
        self._check_open()
        ledger = self.ledger
        if self._in_episode:
            ledger.episodes += 1  # an abandoned episode still counts
            self._in_episode = False
        if not ledger.can_start():
            raise BudgetExceeded(f"the play budget of {ledger.budget} {ledger.unit} is spent")
        obs, info = self.__env.reset(seed=seed, options=options)
        ledger.started += 1
        self._in_episode = True
        return obs, info

    def step(self, action: Any):
        self._check_open()
        ledger = self.ledger
        if not self._in_episode:
            raise RuntimeError("play: step() called before reset() or after the episode ended")
        if not ledger.can_step():
            raise BudgetExceeded(f"the play budget of {ledger.budget} {ledger.unit} is spent")
        action = self.checker(action, f"play step {ledger.env_steps}")
        obs, reward, terminated, truncated, info = self.__env.step(action)
        ledger.env_steps += 1
        ledger.cost += float(info["cost"])
        if terminated or truncated:
            ledger.episodes += 1
            self._in_episode = False
        reward, terminated, truncated, info = _hide(reward, terminated, truncated, info)
        return obs, reward, terminated, truncated, info

    def render(self):
        self._check_open()
        return self.__env.render()

    def close_play(self) -> None:
        self._over = True


def play_learner(learner: Any, env: gym.Env, ledger: PlayLedger, checker: ActionChecker, env_seed: int) -> bool:
    """The Learner contract's play, if it has ``play``; whether it played."""
    play = getattr(learner, "play", None)
    if play is None:
        return False
    # Seeds the env's layout stream; the learner's own resets begin (and count) its episodes.
    env.reset(seed=env_seed)
    playing = PlayEnv(env, ledger, checker)
    try:
        play(playing, ledger.budget)
    except BudgetExceeded:
        pass
    finally:
        playing.close_play()
    return True
