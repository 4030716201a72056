"""Agents used by the tests, loaded by file path (``tests/agents_for_tests.py:Class``) so
worker processes can load them too."""

from __future__ import annotations

import os
import time

import numpy as np
from embodied_bench.tasks.treat_reach.oracle import TreatReachOracle

from embodied_bench.api import TaskInfo, Transition


class CountingAgent:
    """Random actions; counts observe calls and remembers whether evaluation ever observed."""

    def __init__(self, task: TaskInfo, seed: int) -> None:
        self.rng = np.random.default_rng(seed)
        self.observed = 0

    def act(self, observation, explore):
        return self.rng.uniform(-1, 1, 2).astype(np.float32)

    def observe(self, transition: Transition) -> None:
        self.observed += 1


class OutOfBoundsAgent(CountingAgent):
    def act(self, observation, explore):
        return np.array([3.0, 0.0], np.float32)


class NaNAgent(CountingAgent):
    def act(self, observation, explore):
        return np.array([np.nan, 0.0], np.float32)


class CrashingAgent(CountingAgent):
    def observe(self, transition: Transition) -> None:
        raise ZeroDivisionError("the agent divided by zero on purpose")


class GreedyLearner:
    """A learner that ignores its budget: it keeps stepping until the ledger stops it."""

    def __init__(self, task: TaskInfo, seed: int) -> None:
        self.rng = np.random.default_rng(seed)
        self.steps = 0

    def learn(self, env, budget: int) -> None:
        env.reset()
        while True:
            _, _, terminated, truncated, _ = env.step(self.rng.uniform(-1, 1, 2).astype(np.float32))
            self.steps += 1
            if terminated or truncated:
                env.reset()

    def act(self, observation, explore=False):
        return np.zeros(2, np.float32)


class LazyLearner(GreedyLearner):
    """Stops after a tenth of its budget."""

    def learn(self, env, budget: int) -> None:
        env.reset()
        for _ in range(budget // 10):
            _, _, terminated, truncated, _ = env.step(np.zeros(2, np.float32))
            if terminated or truncated:
                env.reset()


class LayoutSpy:
    """Privileged: records which layout it acts in, in training and in evaluation."""

    privileged = True
    seen: list[tuple[bool, int]] = []

    def __init__(self, task: TaskInfo, seed: int, privileged) -> None:
        self.view = privileged
        self.log: list[tuple[bool, int]] = []

    def act(self, observation, explore):
        self.log.append((explore, self.view.env.layout.seed))
        LayoutSpy.seen = self.log
        return np.zeros(2, np.float32)

    def observe(self, transition: Transition) -> None:
        pass


class SlowAgent(TreatReachOracle):
    """The treat-reach oracle, slowed to 2 ms a step while training (evaluation stays
    fast), so a test can interrupt it mid-run."""

    def act(self, observation, explore):
        if explore:
            time.sleep(0.002)
        return super().act(observation, explore)


class BypassLearner(GreedyLearner):
    """Digs the simulator out from under the ledger env and steps it directly."""

    def learn(self, env, budget: int) -> None:
        inner = env._LedgerEnv__env
        inner.reset()
        for _ in range(budget + 50):
            _, _, terminated, truncated, _ = inner.step(np.zeros(2, np.float32))
            if terminated or truncated:
                inner.reset()


class ImpatientLearner(GreedyLearner):
    """Abandons every episode after 5 steps (episode budgets count abandoned episodes)."""

    def learn(self, env, budget: int) -> None:
        while True:
            env.reset()
            for _ in range(5):
                env.step(np.zeros(2, np.float32))


class CtrlCAgent(CountingAgent):
    """Acts as if the user pressed Ctrl-C during training."""

    def observe(self, transition: Transition) -> None:
        raise KeyboardInterrupt


class NoneAgent(CountingAgent):
    def act(self, observation, explore):
        return None


class HouseholdSpy:
    """Privileged: logs every demonstration and action with the household and attempt."""

    privileged = True
    log: list[tuple] = []

    def __init__(self, task: TaskInfo, seed: int, privileged) -> None:
        self.view = privileged
        HouseholdSpy.log = self.log = []

    def demonstrate(self, demos) -> None:
        assert len(demos) == 1
        self.log.append(("demo", demos[0].meta["household"]))

    def act(self, observation, explore):
        env = self.view.env
        self.log.append(("act", env.household.seed, env.layout_attempt, explore))
        return np.array([7, 0], np.int64)  # an empty slot: the episode runs out quickly

    def observe(self, transition: Transition) -> None:
        pass


class SaltSniffer(CountingAgent):
    """Fails its run if the hidden-layout salt is anywhere in its environment."""

    def __init__(self, task: TaskInfo, seed: int) -> None:
        super().__init__(task, seed)
        self._check()

    def _check(self) -> None:
        import os

        if any("secret" in v for v in os.environ.values()) or os.environ.get("EMBODIED_BENCH_EVAL_SALT"):
            raise RuntimeError("the agent could read the evaluation salt")

    def act(self, observation, explore):
        self._check()
        return super().act(observation, explore)


def _fault(kind: str) -> bool:
    import os

    return os.environ.get("EB_TEST_FAULT") == kind


class _Exploit:
    def __reduce__(self):
        return (os.system, ("echo exploited > /dev/null",))


class FaultyAgent(CountingAgent):
    """Random actions, or the fault named by the environment variable EB_TEST_FAULT (so a
    test can make a run fail and then finish it with --resume)."""

    def __init__(self, task: TaskInfo, seed: int) -> None:
        super().__init__(task, seed)
        if _fault("init"):
            raise RuntimeError("broken on purpose in __init__")

    def act(self, observation, explore):
        import os
        import signal

        if _fault("act"):
            raise RuntimeError("broken on purpose in act")
        if _fault("sleep"):
            time.sleep(3600)
        if _fault("slow"):
            time.sleep(0.5)
        if _fault("memory"):
            hog = []
            while True:
                hog.append(np.ones(10_000_000))
        if _fault("die"):
            os.kill(os.getpid(), signal.SIGKILL)
        if _fault("shape"):
            return np.zeros(5, np.float32)
        if _fault("nan"):
            return np.array([np.nan, 0.0], np.float32)
        if _fault("unpicklable"):
            return lambda: None
        if _fault("flood"):  # an answer larger than the harness accepts
            return np.zeros(10_000_000)
        if _fault("malicious"):  # a pickle that would run code in whoever loads it
            return _Exploit()
        if _fault("stall"):  # the start of a huge message on the link's pipe, then nothing
            import gc
            import struct

            from embodied_bench.harness.link import Link

            pipe = next(o for o in gc.get_objects() if isinstance(o, Link)).pipe
            os.write(pipe.fileno(), struct.pack("!i", 1_000_000) + b"x" * 10)
            time.sleep(3600)
        return super().act(observation, explore)

    def observe(self, transition: Transition) -> None:
        if _fault("observe"):
            raise RuntimeError("broken on purpose in observe")
        super().observe(transition)


class EnvSnoop(CountingAgent):
    """Fails its run if it can reach an env object through the garbage collector or the
    call stack: what an isolated agent must never find."""

    def act(self, observation, explore):
        import gc
        import inspect
        import warnings

        import gymnasium

        self.calls = getattr(self, "calls", 0) + 1
        if self.calls % 400 != 1:  # a full search is slow: the first call and every 400th
            return super().act(observation, explore)
        with warnings.catch_warnings():  # probing every object can touch deprecated attributes
            warnings.simplefilter("ignore")
            found = sum(isinstance(o, gymnasium.Env) for o in gc.get_objects())
        for frame_info in inspect.stack():
            found += sum(isinstance(v, gymnasium.Env) for v in frame_info.frame.f_locals.values())
        if found:
            raise RuntimeError(f"reached {found} env objects")
        return super().act(observation, explore)


class CopiesLearner(GreedyLearner):
    """Steps three copies of the training env in turn until the ledger stops it."""

    def learn(self, env, budget: int) -> None:
        envs = env.copies(3)
        for e in envs:
            e.reset()
        while True:
            for e in envs:
                _, _, terminated, truncated, _ = e.step(self.rng.uniform(-1, 1, 2).astype(np.float32))
                self.steps += 1
                if terminated or truncated:
                    e.reset()

    def act(self, observation, explore=False):
        return np.full(2, np.tanh(self.steps / 100.0), np.float32)  # changes as it trains


class VectorLearner(CopiesLearner):
    """The same through a gymnasium vector env of two copies."""

    def learn(self, env, budget: int) -> None:
        vec = env.vector(2)
        vec.reset(seed=None)
        while True:
            vec.step(self.rng.uniform(-1, 1, (2, 2)).astype(np.float32))
            self.steps += 2


class Watcher(CountingAgent):
    """Keeps what it was shown while watching (class-level: the test reads it back)."""

    shown: list = []

    def __init__(self, task: TaskInfo, seed: int) -> None:
        super().__init__(task, seed)
        type(self).shown = []

    def pretrain(self, observations) -> None:
        type(self).shown = list(observations)


class PlayLogger(CountingAgent):
    """Logs every transition it observes, play's and the task's (class-level)."""

    log: list = []

    def __init__(self, task: TaskInfo, seed: int) -> None:
        super().__init__(task, seed)
        type(self).log = []

    def observe(self, transition: Transition) -> None:
        type(self).log.append(transition)

    def observe_play(self, transition: Transition) -> None:
        type(self).log.append(transition)


class PlayingLearner(GreedyLearner):
    """Plays until the play env refuses a step, then learns as GreedyLearner does."""

    refused = False
    kept_refused = False
    infos: set = set()

    def play(self, env, budget: int) -> None:
        from embodied_bench.harness.ledger import BudgetExceeded

        self.kept = env
        type(self).infos = set()
        env.reset()
        try:
            for _ in range(budget + 1):
                _, reward, terminated, truncated, info = env.step(self.rng.uniform(-1, 1, 2).astype(np.float32))
                assert reward == 0.0 and not terminated
                type(self).infos |= set(info)
                if truncated:
                    env.reset()
        except BudgetExceeded:
            type(self).refused = True
            raise

    def learn(self, env, budget: int) -> None:
        from embodied_bench.harness.phases import PlayOver

        try:
            self.kept.reset()  # the play env, kept past play(): refused
        except PlayOver:
            type(self).kept_refused = True
        super().learn(env, budget)
