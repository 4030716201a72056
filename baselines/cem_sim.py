"""``cem-sim``: the objective-driven planner with a perfect world model, the task's own
simulator (a privileged view: ``mujoco.rollout`` in batch on MuJoCo tasks,
``saveState``/``restoreState`` on PyBullet). On control tasks it plans with the
cross-entropy method over action sequences (``baselines.cem``); on skill tasks, where a
decision is a jump or a pick-and-place, with a beam search over decisions
(``baselines.search``), a plan ending higher up the furniture valued higher. Plans that
incur guardrail cost are penalised out of contention. It does not learn: it is the
reference for what planning with a perfect model achieves at any budget, and ``cem-learned``
runs the same search on a model it learns."""

from __future__ import annotations

import copy
import hashlib
import zlib
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
from embodied_bench.baselines.cem import CEMConfig, CEMPlanner
from embodied_bench.baselines.config import BaselineConfig
from embodied_bench.baselines.search import BeamSearch, SearchConfig

from embodied_bench.api import PrivilegedView, TaskInfo, Transition
from embodied_bench.registry import load_reference

PLANNERS = ("cem", "beam")


@dataclass(frozen=True)
class PlannerChoice:
    """Which search a planner runs, shared by ``cem-sim`` and ``cem-learned`` (each task's
    registration chooses, the same for both, so they differ in their model alone)."""

    planner: str = "cem"
    """``"cem"``: the cross-entropy method over action sequences (the ``CEMConfig``
    fields); ``"beam"``: the beam search over decisions (the ``search_*`` fields)."""
    search_depth: int = 3
    """Beam search: decisions searched ahead."""
    search_width: int = 4
    """Beam search: plans kept at each depth."""
    search_branching: int = 24
    """Beam search: candidate actions tried from each kept plan in each round. A decision
    simulates at most ``search_branching × search_iterations × (1 + search_width ×
    (search_depth - 1))`` model steps (``SearchConfig.rollouts_per_decision``)."""
    value_weight: float = 1.0
    """Beam search: weight of the model's value of where a plan ends (for the simulator,
    the task's graded score there: the height reached)."""
    search_iterations: int = 1
    """Beam search, Box actions: rounds of candidates from each kept plan, each after the
    first drawn around the best of the one before."""
    search_elites: int = 4
    """Beam search, Box actions: the best candidates each round refits to."""
    search_discount: float = 1.0
    """Beam search: weight of a reward ``t`` decisions ahead, ``search_discount ** t``
    (and of the value where a plan ends); below 1, the goal reached sooner wins."""

    def search(self, cost_penalty: float) -> SearchConfig:
        return SearchConfig(self.search_depth, self.search_width, self.search_branching, self.value_weight, self.search_iterations, self.search_elites, cost_penalty, self.search_discount)

    def check_planner(self, cost_penalty: float) -> None:
        """Raise ValueError for an unknown planner or a beam search that cannot run."""
        if self.planner not in PLANNERS:
            raise ValueError(f"planner must be one of {PLANNERS}, got {self.planner!r}")
        if self.planner == "beam":
            self.search(cost_penalty)


@dataclass(frozen=True)
class CEMSimConfig(CEMConfig, PlannerChoice, BaselineConfig):
    """The planner's search (``CEMConfig`` or the beam search of ``PlannerChoice``) and how
    the simulator runs. Each task's registration sets the search so a decision costs at
    most a few seconds on one core (``baseline_config["cem-sim"]`` in its family package,
    with the reasons)."""

    threads: int = 1
    """Native threads for ``mujoco.rollout`` (1 keeps parallel runs, ``--jobs``, from
    competing for cores; the rollouts are identical for any count)."""
    practice: str = "plan"
    """How it acts in training: ``"plan"`` (as it evaluates) or ``"random"`` (uniform
    actions). It learns nothing, so its practice changes none of its scores; random
    practice spares the planning where a search costs seconds a decision (its training
    cost is then a random agent's, which its records say)."""

    BASELINE: ClassVar[str] = "cem-sim"
    """The baseline this configures (the key of its per-task changes)."""

    def __post_init__(self) -> None:
        super().__post_init__()
        self.check_planner(self.cost_penalty)
        if self.practice not in ("plan", "random"):
            raise ValueError(f"practice must be 'plan' or 'random', got {self.practice!r}")


class CEMSim:
    """Planning with the task's simulator as world model (privileged: a reference, never
    ranked): CEM on control tasks, a beam search over decisions on skill tasks."""

    privileged = True
    config_class = CEMSimConfig
    deterministic = True
    """Same seed, same library versions: the same curve, exactly."""
    official_seeds = 5
    """Seeds of its official references (a search that simulates thousands of jumps a
    decision is too dear for ten; the leaderboard marks the row)."""

    def __init__(self, task: TaskInfo, seed: int, privileged: PrivilegedView, config: CEMSimConfig | None = None) -> None:
        self.config = config or CEMSimConfig.for_task(task)
        self.view = privileged
        # The planner's stream is the run's agent seed, and this agent's name keeps it apart
        # from any other agent given the same seed.
        rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(zlib.crc32(b"cem-sim"),)))
        c = self.config
        self.cem = CEMPlanner(task.action_space, c, rng) if c.planner == "cem" else None
        proposals = load_reference(task.action_proposals) if task.action_proposals else None
        self.beam = BeamSearch(task.action_space, c.search(c.cost_penalty), rng, proposals) if c.planner == "beam" else None
        # Random practice draws from a stream of its own: the planner's is untouched.
        self.space = copy.deepcopy(task.action_space)
        self.space.seed(int(np.random.SeedSequence(seed, spawn_key=(zlib.crc32(b"cem-sim"), 1)).generate_state(1, np.uint32)[0]))
        self._models: dict[int, Any] = {}
        # An evaluation episode's plans are kept by the observations so far: a held-out
        # layout met again at a later checkpoint gets the plans it got before, without
        # searching again (it learns nothing, so a new search could only differ by its
        # random draws). Still deterministic: what is memoised depends on the seed alone.
        self._memo: dict[bytes, np.ndarray] = {}
        self._history = hashlib.sha256()

    def start_episode(self, explore: bool) -> None:
        if self.cem is not None:
            self.cem.reset()
        self._history = hashlib.sha256()

    def _model(self) -> Any:
        env = self.view.env
        model = self._models.get(id(env))
        if model is None or model.env is not env:
            model = self._models[id(env)] = self.view.world_model(self.config.threads)
        return model

    def act(self, observation: Any, explore: bool) -> np.ndarray:
        if explore and self.config.practice == "random":
            return self.space.sample()
        if self.cem is not None:
            return self.cem.act(self._model().rollout)
        self._history.update(np.ascontiguousarray(observation).tobytes())
        key = self._history.digest()
        if explore or key not in self._memo:
            action = self.beam.plan(self._model())
            if not explore:
                self._memo[key] = action
            return action
        return self._memo[key]

    def observe(self, transition: Transition) -> None:
        """Planning with a perfect model leaves nothing to learn."""
