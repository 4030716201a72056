"""What every baseline's configuration shares: per-task defaults and a JSON form.

A config is a frozen dataclass with a docstring under every field. ``for_task(task_id)``
gives the documented defaults for a task (``PER_TASK`` lists what differs there);
``to_json`` / ``from_json`` round-trip it, so a run can say exactly what it ran."""

from __future__ import annotations

import dataclasses
import json
from typing import Any, ClassVar, TypeVar

C = TypeVar("C", bound="BaselineConfig")


class BaselineConfig:
    """Mixin for the baselines' frozen config dataclasses."""

    PER_TASK: ClassVar[dict[str, dict[str, Any]]] = {}
    """Task id -> the fields that differ from the defaults there."""

    @classmethod
    def for_task(cls: type[C], task_id: str) -> C:
        """The documented defaults for ``task_id`` (unknown tasks get the plain defaults)."""
        return dataclasses.replace(cls(), **cls.PER_TASK.get(task_id, {}))

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)  # type: ignore[call-overload]

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), sort_keys=True)

    @classmethod
    def from_json(cls: type[C], text: str) -> C:
        data = json.loads(text)
        fields = {f.name: f for f in dataclasses.fields(cls)}  # type: ignore[arg-type]
        unknown = sorted(set(data) - set(fields))
        if unknown:
            raise ValueError(f"{cls.__name__} has no field(s) {', '.join(unknown)}")
        # JSON has no tuples: give tuple-valued fields their tuple back.
        for name, value in data.items():
            if isinstance(value, list) and isinstance(fields[name].default, tuple):
                data[name] = tuple(value)
        return cls(**data)
