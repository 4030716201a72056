"""The layout-split contract every task env follows: training layouts come from seeds in
``[0, EVAL_BASE)``; held-out evaluation layout ``i`` is seed ``EVAL_BASE + i``. An env made
with ``layout_split="train"`` never serves an evaluation seed, and the other way round.

Hidden evaluation layouts (official results): with a secret salt, layout ``i`` is seed
``EVAL_BASE + k * EVAL_COUNT + i`` for a block ``k >= 1`` derived from the salt, so nobody
without the salt can know, let alone tune to, the rooms an agent is scored on. The block
keeps ``i``'s position within a block of ``EVAL_COUNT``, so tasks that group layouts
(table-clear: four attempts per household) group hidden ones the same way."""

from __future__ import annotations

import hashlib
from typing import Any

import numpy as np

EVAL_BASE = 2**31
EVAL_COUNT = 1000
SPLITS = ("train", "eval")
SALT_ENV = "EMBODIED_BENCH_EVAL_SALT"
"""The environment variable holding the secret that selects hidden evaluation layouts."""
MIN_SALT_CHARS = 16
"""A shorter salt could be guessed from its recorded hash."""
_HIDDEN_BLOCKS = 2**40


def check_split(split: str) -> str:
    if split not in SPLITS:
        raise ValueError(f"layout_split must be 'train' or 'eval', got {split!r}")
    return split


def eval_seed(index: int) -> int:
    if not 0 <= index < EVAL_COUNT:
        raise ValueError(f"evaluation layout index must lie in [0, {EVAL_COUNT}), got {index}")
    return EVAL_BASE + index


def _salt_digest(salt: str, purpose: str) -> bytes:
    return hashlib.sha256(f"embodied-bench/{purpose}/v1\0{salt}".encode()).digest()


def check_salt(salt: str) -> str:
    if len(salt) < MIN_SALT_CHARS:
        raise ValueError(
            f"{SALT_ENV} is {len(salt)} characters long; use at least {MIN_SALT_CHARS} random ones, "
            'e.g. python -c "import secrets; print(secrets.token_hex(32))"'
        )
    return salt


def hidden_eval_seed(index: int, salt: str) -> int:
    """The seed of hidden evaluation layout ``index`` for ``salt``."""
    block = 1 + int.from_bytes(_salt_digest(check_salt(salt), "eval-layouts")[:8], "big") % _HIDDEN_BLOCKS
    return eval_seed(index) + block * EVAL_COUNT


def salt_id(salt: str) -> str:
    """What a run records about the salt: a hash that tells salts apart and cannot be
    turned back into the salt (nor into its layout seeds, which use another hash)."""
    return _salt_digest(check_salt(salt), "salt-id").hex()


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
