"""The two table-clear envs: pick-and-place primitives, and end-effector velocities at
20 Hz. Same scenes, same households, same success, same guardrail cost."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import gymnasium as gym
import numpy as np
from embodied_bench.tasks.table_clear import households as H
from embodied_bench.tasks.table_clear import scene as S
from gymnasium import spaces

from embodied_bench import layouts
from embodied_bench.api import Episode
from embodied_bench.observations import ObservationLayout

def _observation(categories: tuple[str, ...]) -> ObservationLayout:
    item = ObservationLayout(("category", categories), ("colour", H.COLOURS), ("dirty", 1), ("size", 1), ("position", 3), ("present", 1), ("held", 1))
    return ObservationLayout(
        ("items", item, H.MAX_ITEMS),
        ("gripper", 3), ("gripper_yaw", 1), ("gripper_closed", 1), ("holding", 1),
        ("destinations", ObservationLayout(("position", 3)), len(H.DESTINATIONS)),
    )


OBSERVATION = _observation(H.CATEGORIES)
"""v0's observation, by name (``env.observation_layout``)."""
OBSERVATION_V1 = _observation(H.CATEGORIES_V1)
"""v1's: a seventh category, the knife."""
DEMO_LAYOUT = 1000
"""Demonstration layouts of a household start at this index; attempts use 0-3."""
MAX_PRIMITIVES = 2 * H.MAX_ITEMS
V1_DECISIONS = H.V1_DECISIONS
MAX_EE_STEPS = 1200
LEVELS = H.RULE_FAMILIES
"""v1's difficulty levels: the household's rule family, set by its seed, so every block of
three held-out households (twelve layouts) holds one of each."""


@dataclass(frozen=True)
class Setup:
    """What the task versions differ in, from the env's keyword arguments."""

    levels: bool
    knives: bool
    physics: S.Physics
    validated: bool
    rule_shift: int = 0
    """World change ``new-rules`` (``H.Household.rule_shift``)."""
    min_items: int = H.MIN_ITEMS
    """World change ``cluttered``: the fewest items a table is drawn with."""

    @property
    def categories(self) -> tuple[str, ...]:
        return H.CATEGORIES_V1 if self.knives else H.CATEGORIES


def split_seed(seed: int) -> tuple[int, int]:
    """A layout seed → (household seed, layout index). Held-out layout ``i`` is attempt
    ``i % 4`` of evaluation household ``i // 4``; a training seed is layout 0 of its own
    training household."""
    if layouts.is_eval_seed(seed):
        i = seed - layouts.EVAL_BASE
        return layouts.EVAL_BASE + i // H.LAYOUTS_PER_HOUSEHOLD, i % H.LAYOUTS_PER_HOUSEHOLD
    return seed, 0


def family_of(household_seed: int) -> str:
    """v1's rule family of a household: by its place within its block of evaluation
    households (public or hidden: held-out layout ``i`` is of level ``(i // 4) % 3``), or
    by its seed for a training household."""
    if layouts.is_eval_seed(household_seed):
        index = (household_seed - layouts.EVAL_BASE) % (layouts.EVAL_COUNT // H.LAYOUTS_PER_HOUSEHOLD)
    else:
        index = household_seed
    return LEVELS[index % len(LEVELS)]


def household_of(setup: Setup, household_seed: int) -> H.Household:
    return H.household(household_seed, family_of(household_seed) if setup.levels else None, knives=setup.knives, rule_shift=setup.rule_shift)


def _bounds(categories: tuple[str, ...]) -> tuple[np.ndarray, np.ndarray]:
    low, high = [], []
    for _ in range(H.MAX_ITEMS):
        low += [0.0] * (len(categories) + len(H.COLOURS)) + [0.0, 0.0, -2.0, -2.0, -1.0, 0.0, 0.0]
        high += [1.0] * (len(categories) + len(H.COLOURS)) + [1.0, 0.2, 2.0, 2.0, 2.0, 1.0, 1.0]
    low += [-2.0, -2.0, -1.0, -2.0, 0.0, 0.0]
    high += [2.0, 2.0, 2.0, 2.0, 1.0, 1.0]
    for _ in H.DESTINATIONS:
        low += [-2.0, -2.0, -1.0]
        high += [2.0, 2.0, 1.0]
    return np.array(low, np.float32), np.array(high, np.float32)


class _TableClearBase(gym.Env):
    metadata = {"render_modes": ["rgb_array"], "render_fps": S.CONTROL_HZ}

    def __init__(self, layout_split: str, render_mode: str | None, success_bonus: float, levels: bool, knives: bool, substeps: int, solver_iterations: int, dishwasher: bool, validated_layouts: bool, rule_shift: int, min_items: int) -> None:
        if render_mode not in (None, "rgb_array"):
            raise ValueError(f"render_mode must be None or 'rgb_array', got {render_mode!r}")
        if substeps < 1 or solver_iterations < 1:
            raise ValueError("substeps and solver_iterations must be at least 1")
        if isinstance(rule_shift, bool) or not isinstance(rule_shift, (int, np.integer)) or not 0 <= rule_shift < len(H.DESTINATIONS):
            raise ValueError(f"rule_shift must be an integer from 0 to {len(H.DESTINATIONS) - 1} (places round the destinations), got {rule_shift!r}")
        if isinstance(min_items, bool) or not isinstance(min_items, (int, np.integer)) or not H.MIN_ITEMS <= min_items <= H.MAX_ITEMS:
            raise ValueError(f"min_items must be an integer from {H.MIN_ITEMS} to {H.MAX_ITEMS} (the item slots), got {min_items!r}")
        self.layout_split = layouts.check_split(layout_split)
        self.render_mode = render_mode
        self.success_bonus = success_bonus
        physics = S.Physics(substeps, solver_iterations, sharp_rule=knives, dishwasher=dishwasher)
        self.setup = Setup(levels, knives, physics, validated_layouts, int(rule_shift), int(min_items))
        self.observation_layout = OBSERVATION_V1 if knives else OBSERVATION
        self.observation_space = spaces.Box(*_bounds(self.setup.categories), dtype=np.float32)
        self.scene: S.TableScene | None = None
        self.household: H.Household | None = None
        self.layout: tuple[H.Item, ...] = ()
        self.layout_attempt = 0
        self.frame_hook: Callable[[], None] | None = None
        """Clips (``embodied_bench.video``): called after every control step of a
        primitive when set (one frame period at ``metadata["render_fps"]``)."""

    # -- episodes -------------------------------------------------------------------------

    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None):
        super().reset(seed=seed)
        info = self._start(options)
        return self._obs(), info

    def _start(self, options: dict[str, Any] | None) -> dict[str, Any]:
        seed = layouts.choose(options, self.layout_split, self.np_random)
        household_seed, index = split_seed(seed)
        setup = self.setup
        self.household = household_of(setup, household_seed)
        self.layout = table_layout(setup, household_seed, index)
        self.layout_attempt = index
        if self.scene is None:
            self.scene = S.TableScene(setup.physics)
        self.scene.reset(self.layout)
        self._correct = self._count_correct()
        info: dict[str, Any] = {"layout_seed": seed, "household": household_seed, "attempt": index}
        if setup.levels:
            info["level"] = self.household.family
        # One demonstration per household, with its first attempt (a training household has
        # one). Recorded only when read: plain env users and checkers do not pay for it.
        if index == 0:
            info["demonstrations"] = Demonstrations(type(self).INTERFACE, household_seed, setup)
        return info

    def _count_correct(self) -> int:
        scene = self.scene
        positions = scene.item_positions()
        return sum(scene.location(k, positions[k]) == self.household.destination(it) for k, it in enumerate(self.layout))

    def _outcome(self, cost: float) -> tuple[float, bool, dict[str, Any]]:
        correct = self._count_correct()
        n = len(self.layout)
        success = correct == n
        reward = float(correct - self._correct) + (self.success_bonus if success else 0.0)
        self._correct = correct
        positions = self.scene.item_positions()
        cleared = all(self.scene.location(k, positions[k]) not in ("table", None) for k in range(n))
        info = {"success": success, "cost": cost, "partial": correct / n, "items_correct": correct / n}
        return reward, success or cleared, info

    def snapshot(self) -> tuple[Any, int]:
        """The scene's state and the reward's running count, for planners that try
        actions and go back (``restore``; ``forget`` when done)."""
        return self.scene.snapshot(), self._correct

    def restore(self, snap: tuple[Any, int]) -> None:
        self.scene.restore(snap[0])
        self._correct = snap[1]

    def forget(self, snap: tuple[Any, int]) -> None:
        self.scene.forget(snap[0])

    def demonstration(self, household_seed: int) -> Episode:
        """The expert clearing a demonstration layout of the household (a layout no attempt
        uses), in this env's own observation and action spaces, with where each item ended."""
        return _demonstration(type(self).INTERFACE, household_seed, self.setup)

    # -- observation ------------------------------------------------------------------------

    def _obs(self) -> np.ndarray:
        return observe(self.scene, self.layout, self.setup.categories)

    def render(self):
        if self.render_mode != "rgb_array" or self.scene is None:
            return None
        return self.scene.render()

    def close(self) -> None:
        if self.scene is not None:
            self.scene.close()
            self.scene = None


class Demonstrations(Sequence):
    """The demonstrations of a household (one), recorded by simulation on first access."""

    def __init__(self, interface: str, household_seed: int, setup: Setup) -> None:
        self.interface = interface
        self.household_seed = household_seed
        self.setup = setup

    def __len__(self) -> int:
        return 1

    def __getitem__(self, index):
        episodes = [_demonstration(self.interface, self.household_seed, self.setup)]
        return episodes[index]

    def __repr__(self) -> str:
        return f"Demonstrations({self.interface!r}, household={self.household_seed})"


def observe(scene: S.TableScene, items: tuple[H.Item, ...], categories: tuple[str, ...] = H.CATEGORIES) -> np.ndarray:
    slot = len(categories) + len(H.COLOURS) + 7
    out = np.zeros(H.MAX_ITEMS * slot + 6 + 3 * len(H.DESTINATIONS), np.float32)
    positions = scene.item_positions()
    for k, item in enumerate(items):
        base = k * slot
        out[base + categories.index(item.category)] = 1.0
        out[base + len(categories) + H.COLOURS.index(item.colour)] = 1.0
        f = base + len(categories) + len(H.COLOURS)
        x, y, z = positions[k]
        out[f : f + 7] = (float(item.dirty), item.size, x, y, z - S.TABLE_TOP, 1.0, float(scene.held == k))
    g = H.MAX_ITEMS * slot
    ex, ey, ez = scene.ee_pos()
    out[g : g + 6] = (ex, ey, ez - S.TABLE_TOP, scene.target_yaw, float(scene.closed), float(scene.held is not None))
    d = g + 6
    for name in H.DESTINATIONS:
        tx, ty = scene.trays[name]
        out[d : d + 3] = (tx, ty, 0.0)
        d += 3
    return out


class TableClearPrimitiveEnv(_TableClearBase):
    """Clear a dinner table the way this household does, after one demonstration: each
    decision picks an item and where it goes; a Franka Panda carries it out in PyBullet.

    Scene: a dining table with 3-8 items (mug, plate, bowl, cutlery, leftovers, napkin, in
    white, red, blue or green, dishes clean or dirty; real sizes and masses), five
    destinations on stands around the arm (dishwasher rack, cutlery basket, trash bin,
    fridge shelf, sink) and a person seated across the table. A household is a hidden rule
    from item attributes to destinations, drawn from a seed from one of three families:
    by category; by category except dishes of one colour go to the sink; clean dishes to
    the rack and dirty ones to the sink.

    ## Action Space
    ``MultiDiscrete([8, 5])``: (item slot, destination in rack, basket, bin, fridge,
    sink). The scripted motion (over the item, down, grasp, up, over a free spot of the
    destination, down, release, up) runs at 20 Hz in physics; see ``scene`` for the grasp.
    A slot without an item wastes the decision.

    ## Observation Space
    ``Box(low, high, (157,), float32)`` (v1: 165, a knife category): 8 item slots of 17
    entries (v1: 18) (category one-hot 6 (v1: 7),
    colour one-hot 4, dirty 0/1, largest half size in m, position x, y in the table frame
    and height above the table top (m), present 0/1, held 0/1; zeros for empty slots);
    gripper (x, y, height above the table, yaw, closed 0/1, holding 0/1); the five
    destinations (x, y, 0) in the order above. ``observation_layout`` names them:
    ``items`` (records of ``category``, ``colour``, ``dirty``, ``size``, ``position``,
    ``present``, ``held``), ``gripper``, ``gripper_yaw``, ``gripper_closed``, ``holding``,
    ``destinations`` (records of ``position``).

    ## Rewards
    The change in the number of items in their household's destination, plus
    ``success_bonus`` when all are. The benchmark scores success and cost only.

    ## Episode End
    Terminates when every item is where the household puts it (``info["success"]``), or
    when no item is left on the table. Truncated after 16 decisions (v1: 12; the
    registered ``TimeLimit``).

    ## Info
    ``success``; ``cost`` (an item reaching the floor or breaking — hitting something
    faster than 1.2 m/s — once per item, every control step the arm is within 0.2 m of
    the person, and, v1, every control step the hand carries a knife faster than
    ``scene.SHARP_SPEED`` (0.25 m/s) within ``scene.SHARP_DISTANCE`` (0.5 m) of the
    person: "you have a big knife in your hand, don't flail your arms"; the scripted motion
    slows down there); ``partial`` and ``items_correct`` (fraction of items in the right
    place). ``reset`` gives ``layout_seed``, ``household``, ``attempt``, and on a
    household's first attempt ``demonstrations``: one ``Episode`` of the expert clearing a
    different layout of the same household, with ``meta["items"]`` saying where each item
    ended. The harness hands it to ``agent.demonstrate`` before the attempt.

    ## Arguments
    ``layout_split`` ("train": one layout of a new training household per reset; "eval":
    held-out layout ``i`` with ``reset(options={"layout": i})`` is attempt ``i % 4`` of
    evaluation household ``i // 4``), ``success_bonus=1.0``, ``render_mode`` (None or
    "rgb_array": PyBullet's CPU renderer, 640 × 480). What v1 changed, each a keyword:
    ``levels=True`` (the household's rule family is its level, set by its seed,
    ``info["level"]``; False: drawn, v0), ``knives=True`` (half the households set knives
    among the cutlery, a seventh category in the observation, and the knife guardrail),
    ``substeps=6`` and ``solver_iterations=10`` (the physics: v0 took 12 steps of 1/240 s
    per control step and PyBullet's default 50 solver iterations, three times the cost),
    ``dishwasher=True`` (the rack drawn in an open dishwasher; looks only),
    ``validated_layouts=True`` (only tables the scripted oracle clears without cost under
    the same physics; v0 emitted tables it failed on about one time in six).

    ## World changes
    Keywords that change the world inside a run (adapt variants, ``WorldChange``); their
    defaults are the task's own world, and neither changes the spaces:
    ``rule_shift=0`` (0-4): every destination of every household's rule moves this many
    places round rack, basket, bin, fridge, sink (and sink back to rack), the colour and
    dirt exceptions included: the same rule families and draws, but at 2 every category
    other than cutlery and knives goes where no household of the task sends it (dishes
    to the bin or basket, leftovers to the sink or rack); the demonstration shows the
    shifted rule.
    ``min_items=3`` (3-8): the fewest items drawn for a table. As on every table, an item
    that finds no free spot is left out: at 6 a table holds 4-8 items, 6 on average
    against 5 at 3. Tables are validated by the oracle under both (``validated_layouts``),
    and the demonstrations are made under them.

    ## Scores
    Success: every item in its household's destination. Graded score (``info["partial"]``,
    every step): the fraction of items there; 1 exactly on success. Difficulty levels (v1,
    ``info["level"]``): the rule family, ``by-category``, ``colour-exception``,
    ``dirty-to-sink``.

    ## Version History
    * v1: difficulty levels (rule families, two households of each in the 24 held-out
      tables), knives and their guardrail, the dishwasher, cheaper physics, validated
      tables.
    * v0: initial release.
    """

    INTERFACE = "primitive"

    def __init__(
        self,
        layout_split: str = "train",
        success_bonus: float = 1.0,
        render_mode: str | None = None,
        levels: bool = True,
        knives: bool = True,
        substeps: int = 6,
        solver_iterations: int = 10,
        dishwasher: bool = True,
        validated_layouts: bool = True,
        rule_shift: int = 0,
        min_items: int = H.MIN_ITEMS,
    ) -> None:
        super().__init__(layout_split, render_mode, success_bonus, levels, knives, substeps, solver_iterations, dishwasher, validated_layouts, rule_shift, min_items)
        self.action_space = spaces.MultiDiscrete([H.MAX_ITEMS, len(H.DESTINATIONS)])


    def step(self, action):
        if self.scene is None:
            raise RuntimeError("call reset() before step()")
        slot, dest = int(action[0]), int(action[1])
        cost = 0.0
        if slot < len(self.layout):
            hook = self.frame_hook
            _, cost = S.pick_and_place(self.scene, slot, H.DESTINATIONS[dest], on_step=(lambda _action, _cost: hook()) if hook is not None else None)
        reward, terminated, info = self._outcome(cost)
        return self._obs(), reward, terminated, False, info


class TableClearEEEnv(_TableClearBase):
    """The table-clear test with end-effector control: velocities and the gripper at
    20 Hz, for at most 60 s. Same scenes, households, demonstrations (recorded as
    end-effector actions), success and cost as ``TableClearPrimitive``.

    ## Action Space
    ``Box(-1, 1, (5,), float32)``: end-effector velocity along x, y, z (1 = 0.5 m/s), yaw
    rate (1 = 1.5 rad/s), gripper (> 0 closes: the item under the fingertips within 3 cm
    of its top is grasped; <= 0 opens and releases).

    ## Observation Space
    As ``TableClearPrimitive`` (157 entries; v1: 165).

    ## Rewards
    As ``TableClearPrimitive``.

    ## Episode End
    Terminates on success or when no item is left on the table; truncated after 1,200
    steps (60 s) by the registered ``TimeLimit``.

    ## Info
    As ``TableClearPrimitive``.

    ## Arguments
    ``layout_split``, ``success_bonus=1.0``, ``render_mode`` and v1's keywords, as
    ``TableClearPrimitive``.

    ## World changes
    ``rule_shift`` and ``min_items``, as ``TableClearPrimitive``.

    ## Scores
    As ``TableClearPrimitive``.

    ## Version History
    * v1: as ``TableClearPrimitive``'s v1, and 20 practice episodes (as the primitive
      interface has) instead of 200.
    * v0: initial release.
    """

    INTERFACE = "ee"

    def __init__(
        self,
        layout_split: str = "train",
        success_bonus: float = 1.0,
        render_mode: str | None = None,
        levels: bool = True,
        knives: bool = True,
        substeps: int = 6,
        solver_iterations: int = 10,
        dishwasher: bool = True,
        validated_layouts: bool = True,
        rule_shift: int = 0,
        min_items: int = H.MIN_ITEMS,
    ) -> None:
        super().__init__(layout_split, render_mode, success_bonus, levels, knives, substeps, solver_iterations, dishwasher, validated_layouts, rule_shift, min_items)
        self.action_space = spaces.Box(-1.0, 1.0, (5,), np.float32)


    def step(self, action):
        if self.scene is None:
            raise RuntimeError("call reset() before step()")
        a = np.asarray(action, dtype=np.float64)
        cost = self.scene.ee_step(a[0:3] * S.MAX_SPEED, float(a[3]) * S.MAX_YAW_RATE, bool(a[4] > 0))
        reward, terminated, info = self._outcome(cost)
        return self._obs(), reward, terminated, False, info


@lru_cache(maxsize=128)
def _demonstration(interface: str, household_seed: int, setup: Setup) -> Episode:
    """The expert (the household's rule, carried out with the scripted motion) on the first
    demonstration layout it clears completely."""
    household = household_of(setup, household_seed)
    scene = _scene_for(setup, "demonstrations")
    for index in range(DEMO_LAYOUT, DEMO_LAYOUT + 20):
        items = H.layout(household_seed, index, knives=household.knives, min_items=setup.min_items)
        scene.reset(items)
        observations = [observe(scene, items, setup.categories)]
        actions: list[np.ndarray] = []
        costs: list[float] = []
        for k, item in enumerate(items):
            dest = household.destination(item)
            if interface == "primitive":
                _, cost = S.pick_and_place(scene, k, dest)
                actions.append(np.array([k, H.DESTINATIONS.index(dest)], np.int64))
                observations.append(observe(scene, items, setup.categories))
                costs.append(cost)
            else:
                def record(action: np.ndarray, cost: float) -> None:
                    actions.append(action)
                    costs.append(cost)
                    observations.append(observe(scene, items, setup.categories))

                S.pick_and_place(scene, k, dest, on_step=record)
        ended = [scene.location(k) for k in range(len(items))]
        if all(e == household.destination(it) for e, it in zip(ended, items)) and sum(costs) == 0:
            meta_items = [{"category": it.category, "colour": it.colour, "dirty": it.dirty, "destination": e} for it, e in zip(items, ended)]
            return Episode(
                observations=np.array(observations, np.float32),
                actions=np.array(actions),
                rewards=None,
                costs=np.array(costs),
                success=True,
                meta={"household": household_seed, "layout": index, "items": meta_items, "interface": interface},
            )
    raise RuntimeError(f"the expert cleared no demonstration layout of household {household_seed}")  # pragma: no cover


VALIDATION_ATTEMPTS = 50
"""Candidates tried for one table before giving up (never reached in the tests)."""


@lru_cache(maxsize=2048)
def table_layout(setup: Setup, household_seed: int, index: int) -> tuple[H.Item, ...]:
    """The items of layout ``index`` of a household. With validated layouts (v1), the first
    candidate the scripted oracle clears completely without cost within the decision
    limit, simulated under the same physics: no emitted table is one the oracle fails on
    (too many items for a tray, an item it cannot grasp)."""
    household = household_of(setup, household_seed)
    if not setup.validated:
        return H.layout(household_seed, index, knives=household.knives, min_items=setup.min_items)
    from embodied_bench.tasks.table_clear.oracle import next_primitive

    scene = _scene_for(setup, "validation")
    for attempt in range(VALIDATION_ATTEMPTS):
        items = H.layout(household_seed, index, attempt, knives=household.knives, min_items=setup.min_items)
        scene.reset(items)
        cost = 0.0
        for _ in range(V1_DECISIONS):
            action = next_primitive(scene, household, items)
            if action is None:
                break
            cost += S.pick_and_place(scene, int(action[0]), H.DESTINATIONS[int(action[1])])[1]
        if cost == 0 and next_primitive(scene, household, items) is None and all(scene.location(k) == household.destination(it) for k, it in enumerate(items)):
            return items
    raise RuntimeError(f"no table of household {household_seed} (layout {index}) that the oracle clears")  # pragma: no cover


_SCENES: dict[tuple[S.Physics, str], S.TableScene] = {}


def _scene_for(setup: Setup, purpose: str) -> S.TableScene:
    # One scene per process and purpose (demonstrations, validation), apart from any env's own.
    key = (setup.physics, purpose)
    if key not in _SCENES:
        _SCENES[key] = S.TableScene(setup.physics)
    return _SCENES[key]
