"""Named parts of a flat observation vector, so nobody decodes raw offsets.

Every task env publishes ``observation_layout`` (as gymnasium's MuJoCo envs publish
``observation_structure``), and agents get it in ``TaskInfo.observation_layout``::

    layout = task.observation_layout
    treat = layout.read(obs, "treat")                 # (3,)
    categories = layout.read(obs, "items.category")   # (8, 6): one row per item slot

A field is a name and a shape; a name and the labels of a one-hot vector (its size is
theirs, ``layout.labels("items.category")`` names each entry); or a name, a nested layout
and a count (repeated records, stored one after the other, e.g. table-clear's item slots)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Union

import numpy as np

Shape = tuple[int, ...]


@dataclass(frozen=True)
class Field:
    name: str
    shape: Shape
    """Shape of the field; for a repeated record, ``(count, record size)``."""
    start: int
    record: "ObservationLayout | None" = None
    """The layout of each record of a repeated field."""
    labels: tuple[str, ...] = ()
    """What each entry of a one-hot field stands for."""

    @property
    def size(self) -> int:
        return int(np.prod(self.shape, dtype=np.int64))

    @property
    def slice(self) -> slice:
        return slice(self.start, self.start + self.size)


Spec = Union[tuple[str, int], tuple[str, Shape], tuple[str, "ObservationLayout", int]]


class ObservationLayout:
    """The fields of a flat observation, in order. ``ObservationLayout(("cat", 16),
    ("treat", 3), ("items", ITEM, 8))``: sizes, shapes, or a nested layout repeated."""

    def __init__(self, *fields: Spec) -> None:
        self.fields: dict[str, Field] = {}
        start = 0
        for spec in fields:
            if len(spec) == 3:
                name, record, count = spec  # type: ignore[misc]
                if not isinstance(record, ObservationLayout) or int(count) < 1:
                    raise ValueError(f"field {name!r}: a repeated field is (name, layout, count >= 1)")
                field = Field(name, (int(count), record.size), start, record)
            else:
                name, shape = spec  # type: ignore[misc]
                labels: tuple[str, ...] = ()
                if isinstance(shape, tuple) and shape and all(isinstance(n, str) for n in shape):
                    labels, shape = shape, (len(shape),)
                shape = (int(shape),) if isinstance(shape, (int, np.integer)) else tuple(int(n) for n in shape)
                field = Field(name, shape, start, labels=labels)
            if not name or "." in name or name in self.fields:
                raise ValueError(f"field name {name!r} is empty, has a dot, or is used twice")
            if field.size < 1:
                raise ValueError(f"field {name!r} has no entries")
            self.fields[name] = field
            start += field.size
        self.size = start

    def _find(self, name: str) -> tuple[Field, Field | None]:
        head, _, rest = name.partition(".")
        if head not in self.fields:
            raise KeyError(f"no observation field {head!r} (fields: {', '.join(self.fields)})")
        outer = self.fields[head]
        if not rest:
            return outer, None
        if outer.record is None:
            raise KeyError(f"observation field {head!r} has no parts")
        inner, deeper = outer.record._find(rest)
        if deeper is not None:
            raise KeyError(f"{name!r}: layouts nest one level deep")
        return outer, inner

    def __getitem__(self, name: str) -> slice:
        """The slice of a top-level field (``"treat"``) in the flat vector."""
        outer, inner = self._find(name)
        if inner is not None:
            raise KeyError(f"{name!r} is a part of repeated records, not one slice; use read()")
        return outer.slice

    def shape(self, name: str) -> Shape:
        outer, inner = self._find(name)
        return outer.shape if inner is None else (outer.shape[0], *inner.shape)

    def read(self, observation: np.ndarray, name: str) -> np.ndarray:
        """Field ``name`` of ``observation`` (``(..., size)``), shaped ``(..., *shape)``:
        ``"treat"``, or a part of every record of a repeated field, ``"items.held"``."""
        obs = np.asarray(observation)
        if obs.shape[-1] != self.size:
            raise ValueError(f"an observation of {obs.shape[-1]} entries, but the layout has {self.size}")
        outer, inner = self._find(name)
        part = obs[..., outer.slice].reshape(*obs.shape[:-1], *outer.shape)
        if inner is None:
            return part
        return part[..., inner.slice].reshape(*obs.shape[:-1], outer.shape[0], *inner.shape)

    def labels(self, name: str) -> tuple[str, ...]:
        """What each entry of a one-hot field stands for (``"items.category"``)."""
        outer, inner = self._find(name)
        found = (inner or outer).labels
        if not found:
            raise KeyError(f"observation field {name!r} has no labels")
        return found

    def names(self) -> list[str]:
        """Every readable name: top-level fields and the parts of repeated records."""
        out = []
        for name, f in self.fields.items():
            out.append(name)
            if f.record is not None:
                out += [f"{name}.{part}" for part in f.record.fields]
        return out

    def __eq__(self, other: object) -> bool:
        return isinstance(other, ObservationLayout) and [(f.name, f.shape, f.record, f.labels) for f in self.fields.values()] == [(f.name, f.shape, f.record, f.labels) for f in other.fields.values()]

    def __hash__(self) -> int:
        return hash(tuple((f.name, f.shape) for f in self.fields.values()))

    def __repr__(self) -> str:
        parts = ", ".join(f"{f.name}{list(f.shape)}" for f in self.fields.values())
        return f"ObservationLayout({parts}; {self.size} entries)"
