"""A Stable-Baselines3 learner written the way SB3's quick-start writes one: the model is
built inside ``learn``, on the env the harness hands over (SB3 needs an env to build a
model). Run it with

    embodied-bench run --agent examples/sb3_ppo.py:QuickstartPPO --task treat-reach --seeds 3 --out runs/

Needs the ``sb3`` extra (``pip install "embodied-bench[sb3]"``). The harness evaluates
checkpoint 0 when ``learn`` first resets the env, so ``act`` is never called before the
model exists.
"""

from __future__ import annotations

from stable_baselines3 import PPO


class QuickstartPPO:
    """PPO with SB3's defaults, built in ``learn``."""

    requires = ("torch", "stable-baselines3")
    """The packages its numbers depend on: ``regress`` compares it exactly only when their
    versions match the reference's too."""

    def __init__(self, task, seed):
        self.seed = seed
        self.model = None

    def learn(self, env, budget):
        self.model = PPO("MlpPolicy", env, seed=self.seed, verbose=0)
        self.model.learn(total_timesteps=budget)

    def act(self, observation, explore=False):
        action, _ = self.model.predict(observation, deterministic=not explore)
        return action
