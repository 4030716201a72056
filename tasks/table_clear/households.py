"""Households and table layouts for table-clear: which items are on the table, and the
hidden rule of where each one goes. Pure data from seeds; no simulator."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

CATEGORIES = ("mug", "plate", "bowl", "cutlery", "leftovers", "napkin")
CATEGORIES_V1 = (*CATEGORIES, "knife")
"""v1 sets a knife among the cutlery in some households."""
SHARP = ("knife",)
"""Sharp items: carrying one fast near the person costs (``scene.SHARP_SPEED``)."""
COLOURS = ("white", "red", "blue", "green")
DESTINATIONS = ("rack", "basket", "bin", "fridge", "sink")
MAX_ITEMS = 8
V1_DECISIONS = 12
"""v1's decision limit of the primitive interface: a validated table needs at most 8 (its
items) and leaves 4 for retries."""
MIN_ITEMS = 3
"""The fewest items drawn for a table (the ``min_items`` world change draws more)."""
LAYOUTS_PER_HOUSEHOLD = 4
"""Held-out evaluation layout ``i`` belongs to household ``i // 4``; its demonstration is
a fifth layout of that household, never one the agent is tested on."""

# (shape, half extents or radius/half-height (m), mass (kg)) with real table-ware sizes.
SHAPES: dict[str, tuple[str, tuple[float, ...], float]] = {
    "mug": ("cylinder", (0.04, 0.05), 0.30),
    "plate": ("cylinder", (0.09, 0.01), 0.40),
    "bowl": ("cylinder", (0.07, 0.03), 0.25),
    "cutlery": ("box", (0.09, 0.012, 0.006), 0.05),
    "leftovers": ("box", (0.035, 0.035, 0.02), 0.10),
    "napkin": ("box", (0.06, 0.06, 0.004), 0.02),
    "knife": ("box", (0.11, 0.01, 0.006), 0.08),
}

# Where each category may go: a household picks one per category.
CHOICES: dict[str, tuple[str, ...]] = {
    "mug": ("rack", "sink"),
    "plate": ("rack", "sink"),
    "bowl": ("rack", "sink"),
    "cutlery": ("basket", "sink"),
    "leftovers": ("bin", "fridge"),
    "napkin": ("bin", "basket"),
    "knife": ("basket", "sink"),
}
RULE_FAMILIES = ("by-category", "colour-exception", "dirty-to-sink")
DISHES = ("mug", "plate", "bowl")


@dataclass(frozen=True)
class Item:
    category: str
    colour: str
    dirty: bool
    x: float
    y: float

    @property
    def half_height(self) -> float:
        shape, size, _ = SHAPES[self.category]
        return size[1] if shape == "cylinder" else size[2]

    @property
    def size(self) -> float:
        """Largest horizontal half extent (m)."""
        shape, size, _ = SHAPES[self.category]
        return size[0] if shape == "cylinder" else max(size[0], size[1])


@dataclass(frozen=True)
class Household:
    seed: int
    family: str
    by_category: tuple[tuple[str, str], ...]
    special_colour: str | None = None
    knives: bool = False
    """v1: this household sets knives among its cutlery."""
    rule_shift: int = 0
    """World change ``new-rules``: every destination of the rule moves this many places
    round ``DESTINATIONS`` (0: the task's own households)."""

    def destination(self, item: Item) -> str:
        """The household's rule: where ``item`` belongs."""
        if self.family == "colour-exception" and item.colour == self.special_colour and item.category in DISHES:
            where = "sink"  # the good china is washed by hand
        elif self.family == "dirty-to-sink" and item.category in DISHES:
            where = "sink" if item.dirty else "rack"
        else:
            where = dict(self.by_category)[item.category]
        if not self.rule_shift:
            return where
        return DESTINATIONS[(DESTINATIONS.index(where) + self.rule_shift) % len(DESTINATIONS)]


def household(seed: int, family: str | None = None, knives: bool = False, rule_shift: int = 0) -> Household:
    """The household of ``seed``. ``family``: its rule family (v1's difficulty levels set
    it; None: drawn, v0). ``knives``: v1 households, half of which set knives among the
    cutlery (drawn from a stream of its own, so v0's households are unchanged).
    ``rule_shift``: the ``new-rules`` world change (``Household.rule_shift``); the draws
    are the same, only where they send things moves."""
    rng = np.random.default_rng(np.random.SeedSequence([0x7AB1E, int(seed)]))
    drawn = RULE_FAMILIES[int(rng.integers(len(RULE_FAMILIES)))]
    family = family or drawn
    mapping = tuple((c, CHOICES[c][int(rng.integers(len(CHOICES[c])))]) for c in CATEGORIES)
    special = COLOURS[1 + int(rng.integers(len(COLOURS) - 1))] if family == "colour-exception" else None
    if not knives:
        return Household(int(seed), family, mapping, special, rule_shift=int(rule_shift))
    extra = np.random.default_rng(np.random.SeedSequence([0x4B1FE, int(seed)]))
    knife = ("knife", CHOICES["knife"][int(extra.integers(2))])
    return Household(int(seed), family, (*mapping, knife), special, bool(extra.random() < 0.5), int(rule_shift))


def layout(household_seed: int, index: int, attempt: int = 0, knives: bool = False, min_items: int = MIN_ITEMS) -> tuple[Item, ...]:
    """Table layout ``index`` of a household: ``min_items``-8 items (3 unless a world
    change sets more) at non-overlapping spots on the table (table frame: origin at the
    table's centre, the arm at -x). ``attempt`` > 0 draws another candidate for the same
    place (v1 emits only layouts its oracle clears). ``knives``: half the cutlery is
    knives (a household that sets them, v1)."""
    key = [0x1A70, int(household_seed), int(index)] + ([int(attempt)] if attempt else [])
    rng = np.random.default_rng(np.random.SeedSequence(key))
    sharp = np.random.default_rng(np.random.SeedSequence([0x5AB, *key[1:]])) if knives else None
    n = int(rng.integers(min_items, MAX_ITEMS + 1))
    items: list[Item] = []
    for _ in range(n):
        category = CATEGORIES[int(rng.integers(len(CATEGORIES)))]
        if sharp is not None and category == "cutlery" and sharp.random() < 0.5:
            category = "knife"
        colour = COLOURS[int(rng.integers(len(COLOURS)))]
        dirty = bool(rng.random() < 0.5) if category in DISHES else False
        probe = Item(category, colour, dirty, 0.0, 0.0)
        for _ in range(200):
            x, y = float(rng.uniform(-0.3, 0.05)), float(rng.uniform(-0.22, 0.22))
            if all((x - o.x) ** 2 + (y - o.y) ** 2 > (probe.size + o.size + 0.03) ** 2 for o in items):
                items.append(Item(category, colour, dirty, x, y))
                break
    return tuple(items)
