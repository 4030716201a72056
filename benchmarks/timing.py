"""Timing a simulator's own step function from inside an env, for the "env step over raw
simulator steps" ratios (two clock reads per call: negligible next to a physics step)."""

from __future__ import annotations

import time
from typing import Any


class CallClock:
    """``with CallClock(module, "name") as clock:`` times every call of ``module.name``."""

    def __init__(self, module: Any, name: str) -> None:
        self.module, self.name = module, name
        self.seconds = 0.0
        self._real = getattr(module, name)

    def __enter__(self) -> "CallClock":
        real = self._real

        def timed(*args: Any, **kwargs: Any) -> Any:
            start = time.perf_counter()
            try:
                return real(*args, **kwargs)
            finally:
                self.seconds += time.perf_counter() - start

        setattr(self.module, self.name, timed)
        return self

    def __exit__(self, *exc: Any) -> None:
        setattr(self.module, self.name, self._real)


def time_steps(env: Any, actions: Any, module: Any, name: str) -> tuple[float, float]:
    """Seconds per ``env.step`` over ``actions``, and per step inside ``module.name``."""
    with CallClock(module, name) as clock:
        start = time.perf_counter()
        for action in actions:
            env.step(action)
        per_step = (time.perf_counter() - start) / len(actions)
    return per_step, clock.seconds / len(actions)


def time_oracle_episodes(env: Any, oracle: Any, layouts: int, max_decisions: int, module: Any, name: str) -> tuple[float, float, int]:
    """The oracle on held-out layouts ``0 .. layouts-1`` (at most ``max_decisions`` per
    episode, the registered time limit the unwrapped env lacks): seconds in ``env.step``,
    seconds inside ``module.name``, decisions."""
    in_step, decisions = 0.0, 0
    clock = CallClock(module, name)
    for i in range(layouts):
        obs, _ = env.reset(seed=i, options={"layout": i})
        for _ in range(max_decisions):
            action = oracle.act(obs)
            with clock:
                start = time.perf_counter()
                obs, _, terminated, truncated, _ = env.step(action)
                in_step += time.perf_counter() - start
            decisions += 1
            if terminated or truncated:
                break
    return in_step, clock.seconds, decisions
