"""Agents for the benchmarks (loaded by file path)."""

import numpy as np


class ZeroAgent:
    """Always the zero action: the cheapest possible agent, so harness overhead shows most."""

    def __init__(self, task, seed):
        self.action = np.zeros(task.action_space.shape, task.action_space.dtype)

    def act(self, observation, explore):
        return self.action

    def observe(self, transition):
        pass
