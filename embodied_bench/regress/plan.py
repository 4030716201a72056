"""What ``regress`` reruns: (task, agent name, agent reference) pairs, from the registry
(each task names the baselines that run on it and its CI budget), a reference folder's
manifest, or agents the user names."""

from __future__ import annotations

from embodied_bench.registry import AGENTS, TASKS, RegistryError, agent_name

REFERENCE_SEEDS: tuple[int, ...] = (0, 1, 2)
"""The seeds every reference is made with."""

CI_SUBSET: tuple[str, ...] = ("random", "scripted", "cem-sim")
"""The cheap, deterministic baselines the project's own CI reruns (``regress --ci-subset``)
on the newest version of every task."""
CI_SUBSET_OLD: tuple[str, ...] = ("random", "scripted")
"""What it reruns on older task versions: they share their code with the newest, whose
planner runs already cover it, and each of these takes seconds."""


class SelectionError(ValueError):
    """A selection of agents or tasks that names nothing to rerun (one line for users)."""


def _names(option: str, value: str | None) -> list[str] | None:
    if value is None:
        return None
    items = list(dict.fromkeys(v.strip() for v in value.split(",") if v.strip()))
    if not items:
        raise SelectionError(f"{option}: give comma-separated names, e.g. {option} random,scripted")
    return items


def _tasks(value: str | None, made: dict[str, dict[str, str]]) -> list[str]:
    """Versioned task names: those given (a bare id is its newest version), else what the
    reference folder holds, else every registered task."""
    given = _names("--tasks", value)
    if given is None:
        return [t for t in made if t in TASKS] if made else TASKS.names()
    out = []
    for name in given:
        try:
            out.append(TASKS.canonical(name))
        except RegistryError as exc:
            raise SelectionError(f"--tasks: {exc}") from None
    return list(dict.fromkeys(out))


def select_pairs(agents: str | None, tasks: str | None, made: dict[str, dict[str, str]] | None) -> list[tuple[str, str, str]]:
    """``(task, agent name, agent ref)`` to rerun, ordered by task then agent. Baselines run
    where their task says they do (``Task.baselines``); another agent (``module:Class``,
    ``file.py:Class``, or a name the reference folder's manifest lists) on every chosen
    task it has references for. Without ``agents``: what the reference folder was made with
    (``made``, task -> agent name -> ref), else every baseline of every chosen task."""
    made = made or {}
    task_sel = _tasks(tasks, made)
    known = {name: ref for listed in made.values() for name, ref in listed.items()}
    baselines = sorted({a for t in TASKS.names() for a in TASKS.get(t).baselines})
    pairs: list[tuple[str, str, str]] = []
    chosen = _names("--agents", agents)
    if chosen is None:
        for t in task_sel:
            source = made.get(t) if made else {a: a for a in TASKS.get(t).baselines}
            pairs += [(t, name, ref) for name, ref in (source or {}).items()]
    for item in chosen or []:
        if item in baselines and item not in known:
            pairs += [(t, item, item) for t in task_sel if item in TASKS.get(t).baselines]
        elif item in known:
            pairs += [(t, item, made[t][item]) for t in task_sel if item in made.get(t, {})]
        elif ":" in item:
            pairs += [(t, agent_name(item), item) for t in task_sel]
        elif item in AGENTS:
            raise SelectionError(f"--agents: {item} is a registered agent, but no task names it among its reference baselines")
        else:
            raise SelectionError(f"--agents: {item} is neither a baseline with references ({', '.join(baselines)}) nor module:Class or path/to/file.py:Class")
    if not pairs:
        raise SelectionError(f"no reference runs for agents {agents or 'any'} on tasks {','.join(task_sel)} (see `embodied-bench regress --help`)")
    return sorted(set(pairs), key=lambda p: (task_sel.index(p[0]), p[1]))


def ci_pairs(tasks: str | None, made: dict[str, dict[str, str]] | None) -> list[tuple[str, str, str]]:
    """``regress --ci-subset``: ``CI_SUBSET`` on the newest version of each chosen task and
    ``CI_SUBSET_OLD`` on older ones, wherever the task runs them."""
    pairs = [p for p in select_pairs(",".join(CI_SUBSET), tasks, made) if p[1] in (CI_SUBSET if TASKS.is_newest(p[0]) else CI_SUBSET_OLD)]
    if not pairs:
        raise SelectionError(f"no reference runs of the CI subset on tasks {tasks or 'any'}")
    return pairs
