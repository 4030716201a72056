"""What every baseline's configuration shares: per-task defaults and a JSON form.

A config is a frozen dataclass with a docstring under every field. ``for_task(task)``
gives its defaults on a task: the plain defaults, changed where the task's registration
says so (``baseline_config`` keyed by the baseline's name, in the task's family package,
with the reason for each change). ``to_json`` / ``from_json`` round-trip it, so a run can
say exactly what it ran."""

from __future__ import annotations

import dataclasses
import json
from typing import Any, ClassVar, TypeVar

C = TypeVar("C", bound="BaselineConfig")


class BaselineConfig:
    """Mixin for the baselines' frozen config dataclasses."""

    BASELINE: ClassVar[str]
    """The registered name of the baseline this configures: the key of its per-task
    changes in a task's ``baseline_config``."""

    @classmethod
    def overrides(cls, task: Any) -> dict[str, Any]:
        """The fields ``task`` (a name, ``TaskInfo``, ``TaskSpec`` or ``Task``) changes for
        this baseline (an adapt variant made with ``run --phases``: its plain task's). An
        unregistered task is an error, never silently the defaults."""
        from embodied_bench.registry import task_of

        name = task if isinstance(task, str) else getattr(task, "name")
        return dict(task_of(name).baseline_config.get(cls.BASELINE, {}))

    @classmethod
    def for_task(cls: type[C], task: Any) -> C:
        """The documented defaults on ``task``."""
        changes = cls.overrides(task)
        names = {f.name for f in dataclasses.fields(cls)}  # type: ignore[arg-type]
        unknown = sorted(set(changes) - names)
        if unknown:
            raise ValueError(f"task {getattr(task, 'name', task)} sets {', '.join(unknown)} for {cls.BASELINE}, which {cls.__name__} has not")
        return dataclasses.replace(cls(), **changes)

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
