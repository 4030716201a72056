"""The layout-split contract every task env follows: training layouts come from seeds in
``[0, EVAL_BASE)``; held-out evaluation layout ``i`` is seed ``EVAL_BASE + i``. An env made
with ``layout_split="train"`` never serves an evaluation seed, and the other way round."""

from __future__ import annotations

from typing import Any

import numpy as np

EVAL_BASE = 2**31
EVAL_COUNT = 1000
SPLITS = ("train", "eval")


def check_split(split: str) -> str:
    if split not in SPLITS:
        raise ValueError(f"layout_split must be 'train' or 'eval', got {split!r}")
    return split


def eval_seed(index: int) -> int:
    if not 0 <= index < EVAL_COUNT:
        raise ValueError(f"evaluation layout index must lie in [0, {EVAL_COUNT}), got {index}")
    return EVAL_BASE + index


def is_eval_seed(seed: int) -> bool:
    return seed >= EVAL_BASE


def choose(options: dict[str, Any] | None, split: str, rng: np.random.Generator) -> int:
    """The layout seed for a ``reset``: ``options["layout"] = i`` picks held-out layout i
    (eval split only), ``options["layout_seed"]`` a seed of the env's own split; otherwise
    one is drawn from the split with the env's ``np_random``."""
    options = options or {}
    if "layout" in options:
        if split != "eval":
            raise ValueError("reset(options={'layout': i}) selects held-out layouts; it needs layout_split='eval'")
        return eval_seed(int(options["layout"]))
    if "layout_seed" in options:
        seed = int(options["layout_seed"])
        if seed < 0 or is_eval_seed(seed) != (split == "eval"):
            raise ValueError(f"layout seed {seed} is outside the {split} range of this env")
        return seed
    if split == "eval":
        return eval_seed(int(rng.integers(EVAL_COUNT)))
    return int(rng.integers(EVAL_BASE))
