"""``ppo`` and ``sac``: the Stable-Baselines3 reference baselines, run through the Learner
contract (``learn(env, budget)`` on the harness's budget-ledger env, then
``act(observation, explore=False)``).

Stable-Baselines3 and PyTorch are an optional extra (``pip install "embodied-bench[sb3]"``).
They are imported when a learner is constructed, not when this module is, so listing the
registered agents (``embodied-bench agents`` imports every agent class) keeps working
without them.

Hyperparameters are frozen dataclasses (``PPOConfig``, ``SACConfig``). A learner built by
the harness (``cls(task, seed)``) uses ``Config.for_task(task)``: Stable-Baselines3's
defaults, with the changes the task's registration makes (and gives its reasons for). To run other values, subclass
the learner in a file and pass ``config=`` to ``super().__init__``, then run it as
``--agent my_file.py:MyPPO``.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any, ClassVar

import gymnasium as gym
import numpy as np

from embodied_bench.baselines.config import BaselineConfig

from embodied_bench.api import TaskInfo
from embodied_bench.harness.ledger import BudgetExceeded

INSTALL_HINT = (
    'pip install "embodied-bench[sb3]" (for a CPU-only PyTorch, which is much smaller, run '
    "pip install torch --index-url https://download.pytorch.org/whl/cpu first)"
)


def _import_sb3() -> tuple[Any, Any]:
    """``(torch, stable_baselines3)``, or an ImportError that says how to install them."""
    try:
        import stable_baselines3
        import torch
    except ImportError as exc:
        raise ImportError(f"the ppo and sac baselines need Stable-Baselines3 and PyTorch: {INSTALL_HINT} ({exc})") from exc
    return torch, stable_baselines3


def _sb3_seed(seed: int) -> int:
    # SB3 seeds numpy's legacy global generator with it, which takes only 32-bit seeds.
    return int(np.random.SeedSequence(seed).generate_state(1, np.uint32)[0])


class _SpacesOnly(gym.Env):
    """A stand-in that carries a task's spaces, so the model is built at construction and
    ``learn`` attaches the harness's env with ``set_env``. Built on the real env, SB3's
    ``seed=`` would re-seed it (``VecEnv.seed``) with the agent's seed, and the training
    layouts would no longer come from the run's env seed. SB3 never resets or steps it."""

    def __init__(self, observation_space: gym.Space, action_space: gym.Space) -> None:
        self.observation_space = observation_space
        self.action_space = action_space

    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None):
        raise RuntimeError("the stand-in env only carries spaces; learn() trains on the harness's env")

    def step(self, action: Any):
        raise RuntimeError("the stand-in env only carries spaces; learn() trains on the harness's env")


def _tuple_field(obj: Any, name: str) -> None:
    # JSON turns tuples into lists; store a tuple again so configs round-trip, stay hashable
    # and compare equal.
    object.__setattr__(obj, name, tuple(int(n) for n in getattr(obj, name)))


@dataclass(frozen=True)
class _PerTaskConfig(BaselineConfig):
    """What both configs share: where torch runs, and ``net_arch`` kept a tuple."""

    device: str = "cpu"
    """Torch device. CPU: networks this small run faster there than on a GPU, and curves
    stay identical from machine to machine."""
    torch_threads: int = 1
    """``torch.set_num_threads`` (for the whole process): one thread is fastest for these
    small networks and keeps parallel runs (``--jobs``) from competing for cores."""
    n_envs: int = 1
    """Training envs stepped together (the ledger env's ``copies``: each its own layouts,
    every step counted in the one budget): one policy call per ``n_envs`` steps. A PPO
    rollout is ``n_steps`` steps of each env."""

    def __post_init__(self) -> None:
        _tuple_field(self, "net_arch")


@dataclass(frozen=True)
class PPOConfig(_PerTaskConfig):
    """PPO hyperparameters: Stable-Baselines3's defaults, except where a task's budget or
    episode structure needs others (``baseline_config["ppo"]`` in the task's family
    package, with the reason)."""

    BASELINE: ClassVar[str] = "ppo"
    """The baseline this configures (the key of its per-task changes)."""

    learning_rate: float = 3e-4
    """Adam step size, constant over training."""
    n_steps: int = 2048
    """Env steps per rollout; the policy is updated after each. Steps of a last,
    unfinished rollout when the budget runs out are never trained on, so a task whose
    budget holds few rollouts of 2048 sets a shorter one."""
    batch_size: int = 64
    """Minibatch size of each gradient step; a divisor of ``n_steps``, so no minibatch is
    truncated."""
    n_epochs: int = 10
    """Passes over each rollout."""
    gamma: float = 0.99
    """Discount factor."""
    gae_lambda: float = 0.95
    """Generalised advantage estimation trade-off between bias and variance."""
    clip_range: float = 0.2
    """PPO's clipping of the probability ratio."""
    ent_coef: float = 0.0
    """Entropy bonus."""
    vf_coef: float = 0.5
    """Weight of the value loss."""
    max_grad_norm: float = 0.5
    """Gradient clipping by global norm."""
    net_arch: tuple[int, ...] = (64, 64)
    """Hidden layer sizes of the policy network and, separately, of the value network."""



@dataclass(frozen=True)
class SACConfig(_PerTaskConfig):
    """SAC hyperparameters: Stable-Baselines3's defaults, except where a task's budget or
    episode structure needs others (``baseline_config["sac"]`` in the task's family
    package, with the reason). SAC acts in continuous (Box) action spaces only."""

    BASELINE: ClassVar[str] = "sac"
    """The baseline this configures (the key of its per-task changes)."""

    learning_rate: float = 3e-4
    """Adam step size of actor, critics and entropy coefficient, constant over training."""
    buffer_size: int = 1_000_000
    """Replay buffer capacity in transitions: every step of any task's budget (the largest,
    cat-climb-motor, is 1,000,000; about 0.7 GB there), so nothing is forgotten. Memory
    grows as it fills."""
    learning_starts: int = 100
    """Uniformly random steps before the first gradient step."""
    batch_size: int = 256
    """Transitions per gradient step."""
    tau: float = 0.005
    """Polyak averaging rate of the target critics."""
    gamma: float = 0.99
    """Discount factor."""
    train_freq: int = 1
    """Env steps between updates."""
    gradient_steps: int = 1
    """Gradient steps per update."""
    ent_coef: str | float = "auto"
    """Entropy coefficient: a number, or ``"auto"`` (learned, optionally ``"auto_0.1"`` to
    set its initial value) towards the target entropy of minus the action dimension."""
    net_arch: tuple[int, ...] = (256, 256)
    """Hidden layer sizes of the actor and of each critic."""



class _SB3Learner:
    """The Learner contract around one SB3 model. The model is built at construction on
    the task's spaces and trains on the harness's env in ``learn``. Attaching that env with
    ``set_env`` leaves it unseeded: the harness seeded it from the run's env seed, and
    SB3's ``seed=`` would otherwise re-seed it on the first reset with the agent's seed.
    (A learner may as well build its model inside ``learn``, as SB3's quick-start does:
    ``examples/sb3_ppo.py``.)"""

    algorithm: ClassVar[str]
    """The SB3 class: ``"PPO"`` or ``"SAC"``."""
    deterministic: ClassVar[bool] = False
    """Seeded, but PyTorch's CPU kernels may sum in a different order on another CPU, so
    ``regress`` compares these statistically."""
    requires: ClassVar[tuple[str, ...]] = ("torch", "stable-baselines3")
    """The packages their numbers depend on (recorded with their versions in every run)."""

    def __init__(self, task: TaskInfo, seed: int, config: PPOConfig | SACConfig) -> None:
        torch, sb3 = _import_sb3()
        self.task = task
        if task.budget_unit == "episodes" and config.n_envs > 1:
            # Copies start episodes side by side, which an episode budget may not allow
            # (the ledger refuses a start past it): one env, and the run records it.
            config = dataclasses.replace(config, n_envs=1)
        self.config = config
        torch.set_num_threads(config.torch_threads)
        # The config's fields are named after SB3's keyword arguments, so every one reaches it.
        kwargs = dataclasses.asdict(config)
        del kwargs["torch_threads"]
        self.n_envs = kwargs.pop("n_envs")
        kwargs["policy_kwargs"] = {"net_arch": list(kwargs.pop("net_arch"))}
        from stable_baselines3.common.vec_env import DummyVecEnv

        # One env goes in plain (SB3 wraps it), as before copies existed: the same numbers.
        stand_in = _SpacesOnly(task.observation_space, task.action_space)
        if self.n_envs > 1:
            stand_in = DummyVecEnv([lambda: _SpacesOnly(task.observation_space, task.action_space)] * self.n_envs)
        self.model = getattr(sb3, self.algorithm)("MlpPolicy", stand_in, seed=_sb3_seed(seed), verbose=0, **kwargs)

    def learn(self, env: gym.Env, budget: int) -> None:
        """Train for the whole budget. In env steps, SB3 is asked for exactly ``budget``;
        in episodes, for more steps than the episodes can take, so the ledger ends it.
        Either way the ledger refusing a step or a reset (``BudgetExceeded``: PPO asks for
        a whole rollout past the budget) is the normal end of training."""
        from stable_baselines3.common.vec_env import DummyVecEnv

        self.model.set_env(env if self.n_envs == 1 else DummyVecEnv([lambda e=e: e for e in env.copies(self.n_envs)]))
        if self.task.budget_unit == "steps":
            total = budget
        elif self.task.max_episode_steps:
            total = budget * self.task.max_episode_steps + 1
        else:
            total = 2**62  # no step limit is known: only the ledger can end training
        try:
            self.model.learn(total_timesteps=total)
        except BudgetExceeded:
            pass

    def act(self, observation: Any, explore: bool = False) -> Any:
        action, _ = self.model.predict(observation, deterministic=not explore)
        return action


class PPOLearner(_SB3Learner):
    """Stable-Baselines3 PPO with MLP networks, for Box and MultiDiscrete actions."""

    algorithm = "PPO"
    config_class = PPOConfig

    def __init__(self, task: TaskInfo, seed: int, config: PPOConfig | None = None) -> None:
        super().__init__(task, seed, config or PPOConfig.for_task(task))


class SACLearner(_SB3Learner):
    """Stable-Baselines3 SAC with MLP networks, for Box actions only."""

    algorithm = "SAC"
    config_class = SACConfig

    def __init__(self, task: TaskInfo, seed: int, config: SACConfig | None = None) -> None:
        if not isinstance(task.action_space, gym.spaces.Box):
            raise TypeError(
                f"sac acts in continuous (Box) action spaces only; task {task.task_id} has {task.action_space} "
                "(use ppo there)"
            )
        super().__init__(task, seed, config or SACConfig.for_task(task))
