"""The beam search that cem-sim and cem-learned share (``baselines.search``), on toy models
whose best plans are known by hand."""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import pytest
from embodied_bench.baselines.search import BeamSearch, SearchConfig

FINISH, WAIT = 0, 1


class _FinishOrWait:
    """A state is how many decisions were waited. FINISH ends the episode with reward 1,
    or 1.01 after a wait (a shaped reward that is a little better later); WAIT earns 0.
    ``cost_on_finish``: finishing after a wait incurs guardrail cost 1."""

    def __init__(self, cost_on_finish: bool = False) -> None:
        self.cost_on_finish = cost_on_finish

    def root(self) -> np.ndarray:
        return np.zeros(1, int)

    def step(self, states, index, actions):
        waited = states[index]
        finish = actions[:, 0] == FINISH
        rewards = np.where(finish, np.where(waited > 0, 1.01, 1.0), 0.0)
        costs = (finish & (waited > 0) & self.cost_on_finish).astype(float)
        return waited + ~finish, rewards, costs, finish, np.zeros(len(index))


def _plan(model, **config) -> int:
    search = BeamSearch(gym.spaces.MultiDiscrete([2]), SearchConfig(**{"depth": 3, "width": 2, "branching": 2, **config}), np.random.default_rng(0))
    return int(search.plan(model)[0])


def test_undiscounted_it_puts_the_goal_off_and_a_discount_reaches_it_now():
    # The plain sum prefers "wait, then finish" (1.01 > 1): model-predictive control that
    # replans each decision would wait forever. Discounted by 0.9 (0.909 < 1), it finishes.
    assert _plan(_FinishOrWait()) == WAIT
    assert _plan(_FinishOrWait(), discount=0.9) == FINISH


def test_a_plan_that_incurs_cost_loses_to_any_that_does_not():
    assert _plan(_FinishOrWait(cost_on_finish=True)) == FINISH


def test_the_value_beyond_the_horizon_decides_between_unfinished_plans():
    class Corridor:
        """Position on a line; moving right is worth 1 a step beyond the horizon only."""

        def root(self):
            return np.zeros(1)

        def step(self, states, index, actions):
            pos = states[index] + np.where(actions[:, 0] == 1, 1.0, -1.0)
            n = len(index)
            return pos, np.zeros(n), np.zeros(n), np.zeros(n, bool), pos

    assert _plan(Corridor(), depth=2) == 1
    assert _plan(Corridor(), depth=2, value_weight=-1.0) == 0


@pytest.mark.parametrize("field, value", [("discount", 0.0), ("discount", 1.5), ("depth", 0), ("width", 0)])
def test_a_search_that_cannot_run_is_refused(field, value):
    with pytest.raises(ValueError, match=field):
        SearchConfig(**{field: value})


class _Table:
    """Rewards, values and ends by the path of actions taken: ``table[path] = (reward,
    value, done)``; a path not in the table earns nothing and goes on."""

    def __init__(self, table: dict) -> None:
        self.table = table

    def root(self):
        return [()]

    def step(self, states, index, actions):
        paths = [states[i] + (int(a[0]),) for i, a in zip(index, actions)]
        rows = [self.table.get(p, (0.0, 0.0, False)) for p in paths]
        r, v, d = (np.array([row[k] for row in rows]) for k in range(3))
        return paths, r, np.zeros(len(paths)), d.astype(bool), v


def test_the_value_where_a_plan_ends_is_discounted_once_per_decision():
    # One decision ahead: 1 now (value 0), or nothing now and a value of 1.5 after it:
    # 0.5 * 1.5 < 1 < 0.8 * 1.5.
    table = _Table({(0,): (1.0, 0.0, False), (1,): (0.0, 1.5, False)})
    assert _plan(table, depth=1, discount=0.5) == 0
    assert _plan(table, depth=1, discount=0.8) == 1


def test_a_reward_one_decision_ahead_is_discounted_once():
    # 0.6 and done now, or 1 a decision later: 0.5 * 1 < 0.6 < 0.7 * 1.
    table = _Table({(0,): (0.6, 0.0, True), (1, 0): (1.0, 0.0, True)})
    assert _plan(table, depth=2, discount=0.5) == 0
    assert _plan(table, depth=2, discount=0.7) == 1


def test_rollouts_per_decision_counts_the_model_steps():
    class Counting:
        steps = 0

        def root(self):
            return np.zeros(1)

        def step(self, states, index, actions):
            Counting.steps += len(index)
            n = len(index)
            return states[index], np.zeros(n), np.zeros(n), np.zeros(n, bool), actions[:, 0]

    config = SearchConfig(depth=3, width=4, branching=8)
    BeamSearch(gym.spaces.Box(-1.0, 1.0, (1,)), config, np.random.default_rng(0)).plan(Counting())
    assert Counting.steps == config.rollouts_per_decision == 8 * (1 + 4 * 2)
