"""Candidate primitives from what the arm sees, for planners (``Task.action_proposals``):
every (item on the table, destination) pair, so a search spends nothing on empty slots."""

from __future__ import annotations

import numpy as np
from embodied_bench.tasks.table_clear import households as H
from embodied_bench.tasks.table_clear.env import OBSERVATION_V1


def primitive_proposals(observation: np.ndarray) -> np.ndarray:
    """``(K, 2)`` (slot, destination) actions of ``TableClearPrimitive`` v1 for the items
    present in ``observation``; the last slot if none is."""
    present = OBSERVATION_V1.read(np.asarray(observation), "items.present")[:, 0] > 0.5
    slots = np.flatnonzero(present)
    if not len(slots):
        slots = np.array([H.MAX_ITEMS - 1])
    return np.array([[k, d] for k in slots for d in range(len(H.DESTINATIONS))], np.int64)
