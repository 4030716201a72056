"""The privileged scripted oracle for cat-climb-skill: it reads the room, finds the route
with fewest climbs by graph search, and solves the ballistics of each jump
(``physics.plan_jump``): the same planner that validated every room the generator emits."""

from __future__ import annotations

from typing import Any

import numpy as np
from embodied_bench.tasks.cat_climb import physics as P
from embodied_bench.tasks.cat_climb.env import CatClimbSkillEnv

from embodied_bench.api import PrivilegedView, TaskInfo, Transition


class CatClimbOracle:
    """Route by breadth-first search over feasible jumps; each jump by ballistics."""

    privileged = True

    def __init__(self, task: TaskInfo, seed: int, privileged: PrivilegedView) -> None:
        self.view = privileged

    def act(self, observation: Any, explore: bool = False) -> np.ndarray:
        env: Any = self.view.env
        sim, room = env.sim, env.layout
        x, y, _ = sim.pos
        plan = P.plan_jump(room, float(x), float(y), sim.piece_under(), env.jump_strength)
        if plan is None:
            # Lost (never seen in validated rooms): a gentle hop straight up to gather itself.
            return np.array([0.0, 1.0, -1.0], np.float32)
        return CatClimbSkillEnv.to_action(*plan, sim.yaw(), env.jump_strength)

    def observe(self, transition: Transition) -> None:
        """The oracle does not learn."""
