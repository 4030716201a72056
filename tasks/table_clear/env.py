"""The two table-clear envs: pick-and-place primitives, and end-effector velocities at
20 Hz. Same scenes, same households, same success, same guardrail cost."""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from typing import Any

import gymnasium as gym
import numpy as np
from embodied_bench.tasks.table_clear import households as H
from embodied_bench.tasks.table_clear import scene as S
from gymnasium import spaces

from embodied_bench import layouts
from embodied_bench.api import Episode

SLOT_FEATURES = len(H.CATEGORIES) + len(H.COLOURS) + 7
OBS_DIM = H.MAX_ITEMS * SLOT_FEATURES + 6 + 3 * len(H.DESTINATIONS)
DEMO_LAYOUT = 1000
"""Demonstration layouts of a household start at this index; attempts use 0-3."""
MAX_PRIMITIVES = 2 * H.MAX_ITEMS
MAX_EE_STEPS = 1200


def split_seed(seed: int) -> tuple[int, int]:
    """A layout seed → (household seed, layout index). Held-out layout ``i`` is attempt
    ``i % 4`` of evaluation household ``i // 4``; a training seed is layout 0 of its own
    training household."""
    if layouts.is_eval_seed(seed):
        i = seed - layouts.EVAL_BASE
        return layouts.EVAL_BASE + i // H.LAYOUTS_PER_HOUSEHOLD, i % H.LAYOUTS_PER_HOUSEHOLD
    return seed, 0


def _bounds() -> tuple[np.ndarray, np.ndarray]:
    low, high = [], []
    for _ in range(H.MAX_ITEMS):
        low += [0.0] * (len(H.CATEGORIES) + len(H.COLOURS)) + [0.0, 0.0, -2.0, -2.0, -1.0, 0.0, 0.0]
        high += [1.0] * (len(H.CATEGORIES) + len(H.COLOURS)) + [1.0, 0.2, 2.0, 2.0, 2.0, 1.0, 1.0]
    low += [-2.0, -2.0, -1.0, -2.0, 0.0, 0.0]
    high += [2.0, 2.0, 2.0, 2.0, 1.0, 1.0]
    for _ in H.DESTINATIONS:
        low += [-2.0, -2.0, -1.0]
        high += [2.0, 2.0, 1.0]
    return np.array(low, np.float32), np.array(high, np.float32)


class _TableClearBase(gym.Env):
    metadata = {"render_modes": ["rgb_array"], "render_fps": S.CONTROL_HZ}

    def __init__(self, layout_split: str, render_mode: str | None, success_bonus: float) -> None:
        if render_mode not in (None, "rgb_array"):
            raise ValueError(f"render_mode must be None or 'rgb_array', got {render_mode!r}")
        self.layout_split = layouts.check_split(layout_split)
        self.render_mode = render_mode
        self.success_bonus = success_bonus
        self.observation_space = spaces.Box(*_bounds(), dtype=np.float32)
        self.scene: S.TableScene | None = None
        self.household: H.Household | None = None
        self.layout: tuple[H.Item, ...] = ()
        self.layout_attempt = 0

    # -- episodes -------------------------------------------------------------------------

    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None):
        super().reset(seed=seed)
        info = self._start(options)
        return self._obs(), info

    def _start(self, options: dict[str, Any] | None) -> dict[str, Any]:
        seed = layouts.choose(options, self.layout_split, self.np_random)
        household_seed, index = split_seed(seed)
        self.household = H.household(household_seed)
        self.layout = H.layout(household_seed, index)
        self.layout_attempt = index
        if self.scene is None:
            self.scene = S.TableScene()
        self.scene.reset(self.layout)
        self._correct = self._count_correct()
        info: dict[str, Any] = {"layout_seed": seed, "household": household_seed, "attempt": index}
        # One demonstration per household, with its first attempt (a training household has
        # one). Recorded only when read: plain env users and checkers do not pay for it.
        if index == 0:
            info["demonstrations"] = Demonstrations(type(self).INTERFACE, household_seed)
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

    def demonstration(self, household_seed: int) -> Episode:
        """The expert clearing a demonstration layout of the household (a layout no attempt
        uses), in this env's own observation and action spaces, with where each item ended."""
        return _demonstration(type(self).INTERFACE, household_seed)

    # -- observation ------------------------------------------------------------------------

    def _obs(self) -> np.ndarray:
        return observe(self.scene, self.layout)

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

    def __init__(self, interface: str, household_seed: int) -> None:
        self.interface = interface
        self.household_seed = household_seed

    def __len__(self) -> int:
        return 1

    def __getitem__(self, index):
        episodes = [_demonstration(self.interface, self.household_seed)]
        return episodes[index]

    def __repr__(self) -> str:
        return f"Demonstrations({self.interface!r}, household={self.household_seed})"


def observe(scene: S.TableScene, items: tuple[H.Item, ...]) -> np.ndarray:
    out = np.zeros(OBS_DIM, np.float32)
    positions = scene.item_positions()
    for k, item in enumerate(items):
        base = k * SLOT_FEATURES
        out[base + H.CATEGORIES.index(item.category)] = 1.0
        out[base + len(H.CATEGORIES) + H.COLOURS.index(item.colour)] = 1.0
        f = base + len(H.CATEGORIES) + len(H.COLOURS)
        x, y, z = positions[k]
        out[f : f + 7] = (float(item.dirty), item.size, x, y, z - S.TABLE_TOP, 1.0, float(scene.held == k))
    g = H.MAX_ITEMS * SLOT_FEATURES
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
    ``Box(low, high, (157,), float32)``: 8 item slots of 17 entries (category one-hot 6,
    colour one-hot 4, dirty 0/1, largest half size in m, position x, y in the table frame
    and height above the table top (m), present 0/1, held 0/1; zeros for empty slots);
    gripper (x, y, height above the table, yaw, closed 0/1, holding 0/1); the five
    destinations (x, y, 0) in the order above.

    ## Rewards
    The change in the number of items in their household's destination, plus
    ``success_bonus`` when all are. The benchmark scores success and cost only.

    ## Episode End
    Terminates when every item is where the household puts it (``info["success"]``), or
    when no item is left on the table. Truncated after 16 decisions (the registered
    ``TimeLimit``).

    ## Info
    ``success``; ``cost`` (an item reaching the floor or breaking — hitting something
    faster than 1.2 m/s — once per item, and every control step the arm is within 0.2 m
    of the person); ``partial`` and ``items_correct`` (fraction of items in the right
    place). ``reset`` gives ``layout_seed``, ``household``, ``attempt``, and on a
    household's first attempt ``demonstrations``: one ``Episode`` of the expert clearing a
    different layout of the same household, with ``meta["items"]`` saying where each item
    ended. The harness hands it to ``agent.demonstrate`` before the attempt.

    ## Arguments
    ``layout_split`` ("train": one layout of a new training household per reset; "eval":
    held-out layout ``i`` with ``reset(options={"layout": i})`` is attempt ``i % 4`` of
    evaluation household ``i // 4``), ``success_bonus=1.0``, ``render_mode`` (None or
    "rgb_array": PyBullet's CPU renderer, 640 × 480).

    ## Version History
    * v0: initial release.
    """

    INTERFACE = "primitive"

    def __init__(self, layout_split: str = "train", success_bonus: float = 1.0, render_mode: str | None = None) -> None:
        super().__init__(layout_split, render_mode, success_bonus)
        self.action_space = spaces.MultiDiscrete([H.MAX_ITEMS, len(H.DESTINATIONS)])


    def step(self, action):
        if self.scene is None:
            raise RuntimeError("call reset() before step()")
        slot, dest = int(action[0]), int(action[1])
        cost = 0.0
        if slot < len(self.layout):
            _, cost = S.pick_and_place(self.scene, slot, H.DESTINATIONS[dest])
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
    As ``TableClearPrimitive`` (157 entries).

    ## Rewards
    As ``TableClearPrimitive``.

    ## Episode End
    Terminates on success or when no item is left on the table; truncated after 1,200
    steps (60 s) by the registered ``TimeLimit``.

    ## Info
    As ``TableClearPrimitive``.

    ## Arguments
    ``layout_split``, ``success_bonus=1.0``, ``render_mode``.

    ## Version History
    * v0: initial release.
    """

    INTERFACE = "ee"

    def __init__(self, layout_split: str = "train", success_bonus: float = 1.0, render_mode: str | None = None) -> None:
        super().__init__(layout_split, render_mode, success_bonus)
        self.action_space = spaces.Box(-1.0, 1.0, (5,), np.float32)


    def step(self, action):
        if self.scene is None:
            raise RuntimeError("call reset() before step()")
        a = np.asarray(action, dtype=np.float64)
        cost = self.scene.ee_step(a[0:3] * S.MAX_SPEED, float(a[3]) * S.MAX_YAW_RATE, bool(a[4] > 0))
        reward, terminated, info = self._outcome(cost)
        return self._obs(), reward, terminated, False, info


@lru_cache(maxsize=128)
def _demonstration(interface: str, household_seed: int) -> Episode:
    """The expert (the household's rule, carried out with the scripted motion) on the first
    demonstration layout it clears completely."""
    household = H.household(household_seed)
    scene = _demo_scene()
    for index in range(DEMO_LAYOUT, DEMO_LAYOUT + 20):
        items = H.layout(household_seed, index)
        scene.reset(items)
        observations = [observe(scene, items)]
        actions: list[np.ndarray] = []
        costs: list[float] = []
        for k, item in enumerate(items):
            dest = household.destination(item)
            if interface == "primitive":
                _, cost = S.pick_and_place(scene, k, dest)
                actions.append(np.array([k, H.DESTINATIONS.index(dest)], np.int64))
                observations.append(observe(scene, items))
                costs.append(cost)
            else:
                def record(action: np.ndarray, cost: float) -> None:
                    actions.append(action)
                    costs.append(cost)
                    observations.append(observe(scene, items))

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


_DEMO_SCENE: list[S.TableScene] = []


def _demo_scene() -> S.TableScene:
    # One scene per process for recording demonstrations, apart from any env's own.
    if not _DEMO_SCENE:
        _DEMO_SCENE.append(S.TableScene())
    return _DEMO_SCENE[0]
