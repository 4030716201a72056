"""Watch-phase datasets: episodes of a task in its own observation and action spaces, on
training layouts only, stored as Minari datasets (the Farama standard: load one with
``minari.load_dataset``) and made by ``embodied-bench datasets make``, never downloaded.

Two datasets per task version that has an expert (``Task.expert``, else its oracle):

* ``expert``: ``EPISODES`` episodes of the expert;
* ``mixed``: as many episodes, a third each of the expert, a novice (the expert's action,
  replaced by a uniformly random one with probability ``NOVICE_RANDOM`` at every step) and
  a uniformly random agent, in that order, episode after episode.

Each is deterministic (layouts and random draws from ``SeedSequence``), its id says the
task version and the dataset's own version (``embodied-bench/<task>-v<N>/<kind>-v0``), and
its content hash (``content_hash``: the episodes' arrays and the infos an agent is shown,
not the files, whose HDF5 metadata may differ) goes into every run that watches it. The
training layouts are drawn for the whole dataset at once, so one made with another
``--episodes`` is another dataset (its hash says so), not a prefix of this one. Minari
keeps datasets in ``MINARI_DATASETS_PATH`` or ``~/.minari/datasets``, and ``make`` writes
each beside it and renames it into place. Files always hold the actions, the rewards and,
per step, ``infos["success"]``, ``infos["cost"]`` and ``infos["expert_action"]`` (whether
the expert chose that action: False for the random agent and a novice's random steps);
the harness removes all but success and cost before an agent watches
(``watch_episodes``).

Making needs the ``datasets`` extra (``minari[create]``, which brings JAX); loading only
the ``watch`` extra (``minari[hdf5]``)."""

from __future__ import annotations

import copy
import hashlib
import os
import shutil
import tempfile
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

import embodied_bench
from embodied_bench import layouts
from embodied_bench.results import provenance
from embodied_bench.api import WATCH_DATASETS, Episode, Task, TaskSpec
from embodied_bench.registry import TASKS, load_reference

KINDS = WATCH_DATASETS
SUITES = ("ett-core-v1", "ett-warmup-v1")
"""The suites whose tasks ``embodied-bench datasets make`` makes datasets for by default."""
EPISODES = 60
"""Episodes per dataset (a watch variant shows the first ``watch_episodes``)."""
MIXED = ("expert", "novice", "random")
"""Who acts in episode ``k`` of a mixed dataset: ``MIXED[k % 3]``."""
NOVICE_RANDOM = 0.5
"""A novice's chance, at every step, of a uniformly random action instead of the expert's."""
DATASET_VERSION = 0
"""Bumped whenever how datasets are made changes (a new id: old runs keep theirs)."""
INSTALL_MAKE = "pip install 'embodied-bench[datasets]'"
INSTALL_LOAD = "pip install 'embodied-bench[watch]'"
_KIND_KEY = {"expert": 1, "mixed": 2}


class DatasetError(ValueError):
    """A dataset that cannot be made or used: one line saying what to do."""


class DatasetMissing(DatasetError):
    """A dataset that is not made here (Minari itself is installed)."""


def dataset_id(spec: TaskSpec, kind: str) -> str:
    """``embodied-bench/<task>-v<N>/<kind>-v<dataset version>`` of the plain task."""
    if kind not in KINDS:
        raise DatasetError(f"dataset kind {kind!r}: choose one of {', '.join(KINDS)}")
    plain = TASKS.get(spec.plain_name).spec
    return f"embodied-bench/{plain.id}-v{plain.version}/{kind}-v{DATASET_VERSION}"


def _minari(creating: bool) -> Any:
    try:
        import minari
        import h5py  # noqa: F401  (Minari's file format)

        if creating:
            import jax  # noqa: F401  (Minari's episode buffers)
    except ImportError:
        raise DatasetError(f"{'making' if creating else 'reading'} datasets needs Minari: {INSTALL_MAKE if creating else INSTALL_LOAD}") from None
    return minari


def expert_class(task: Task) -> type:
    """The class of the task's expert (a privileged agent); DatasetError where it has none."""
    ref = task.expert or task.spec.oracle
    if ref is None:
        raise DatasetError(f"task {task.name} has no expert to make datasets with: {task.no_expert or 'no oracle'}")
    return load_reference(ref)


@dataclass(frozen=True)
class Made:
    dataset_id: str
    episodes: int
    steps: int
    sha256: str
    success: float
    """The share of its episodes that succeeded."""


def episodes(task: Task, kind: str, count: int = EPISODES, seed: int = 0) -> Iterator[dict[str, Any]]:
    """The episodes of a dataset, each a dict of arrays (``observations`` ``(T + 1, ...)``,
    ``actions``, ``rewards``, ``terminations``, ``truncations`` ``(T, ...)``, ``success``
    and ``cost`` per step) and its ``layout_seed``, on training layouts drawn from ``seed``."""
    from embodied_bench.harness.runner import make_env, privileged_view, task_info

    spec = TASKS.get(task.spec.plain_name).spec
    cls = expert_class(task)
    env = make_env(spec, "train")
    try:
        ss = np.random.SeedSequence([seed, _KIND_KEY[kind]])
        rng = np.random.default_rng(ss.spawn(1)[0])
        seeds = [int(s) for s in rng.choice(layouts.EVAL_BASE, size=count, replace=False)]
        space = copy.deepcopy(env.action_space)
        space.seed(int(ss.generate_state(1, np.uint32)[0]))
        view = privileged_view(spec)
        view._switch(env)
        expert = cls(task_info(spec, env), int(ss.generate_state(2, np.uint32)[1]), privileged=view)
        for k, layout_seed in enumerate(seeds):
            who = "expert" if kind == "expert" else MIXED[k % len(MIXED)]
            obs, info = env.reset(seed=layout_seed, options={"layout_seed": layout_seed})
            if callable(getattr(expert, "start_episode", None)):
                expert.start_episode(False)
            if callable(getattr(expert, "demonstrate", None)) and "demonstrations" in info:
                expert.demonstrate(list(info["demonstrations"]))
            data: dict[str, list] = {"observations": [obs], "actions": [], "rewards": [], "terminations": [], "truncations": [], "success": [], "cost": [], "expert_action": []}
            while True:
                guess = who == "random" or (who == "novice" and rng.random() < NOVICE_RANDOM)
                action = space.sample() if guess else expert.act(obs, False)
                obs, reward, terminated, truncated, info = env.step(action)
                for key, value in (("observations", obs), ("actions", action), ("rewards", reward), ("terminations", terminated), ("truncations", truncated), ("success", bool(info["success"])), ("cost", float(info["cost"])), ("expert_action", not guess)):
                    data[key].append(value)
                if terminated or truncated:
                    break
            yield {"layout_seed": layout_seed, "behaviour": who, **{key: np.asarray(value) for key, value in data.items()}}
    finally:
        env.close()


def content_hash(arrays: Iterator[tuple[np.ndarray, ...]]) -> str:
    """sha256 over the episodes' arrays in order (dtype, shape and bytes of each)."""
    digest = hashlib.sha256()
    for parts in arrays:
        for a in parts:
            a = np.ascontiguousarray(a)
            digest.update(f"{a.dtype.str}{a.shape}".encode())
            digest.update(a.tobytes())
    return digest.hexdigest()


def _episode_arrays(ep: Any) -> tuple[np.ndarray, ...]:
    # The infos too: success and cost are what a watching agent is shown.
    return (np.asarray(ep.observations), np.asarray(ep.actions), np.asarray(ep.rewards), np.asarray(ep.terminations), np.asarray(ep.truncations), np.asarray(ep.infos["success"]), np.asarray(ep.infos["cost"], float))


def make(task_name: str, kind: str, count: int = EPISODES, replace: bool = False) -> Made:
    """Make (or, unless ``replace``, keep) the dataset ``kind`` of a task."""
    minari = _minari(creating=True)
    from minari.data_collector import EpisodeBuffer

    task = TASKS.get(task_name)
    did = dataset_id(task.spec, kind)
    if did in minari.list_local_datasets() and not replace:
        return describe(did)
    buffers, successes = [], []
    for k, ep in enumerate(episodes(task, kind, count)):
        successes.append(bool(ep["success"].any()))
        buffers.append(
            EpisodeBuffer(
                id=k,
                seed=ep["layout_seed"],
                options={"layout_seed": ep["layout_seed"]},
                observations=list(ep["observations"]),
                actions=list(ep["actions"]),
                rewards=list(ep["rewards"]),
                terminations=list(ep["terminations"]),
                truncations=list(ep["truncations"]),
                infos={"success": list(ep["success"]), "cost": list(ep["cost"]), "expert_action": list(ep["expert_action"])},
            )
        )
    env = TASKS.get(task.spec.plain_name).spec
    _create_atomically(minari, did, buffers, env, kind, task)
    return describe(did)


def _create_atomically(minari: Any, did: str, buffers: list, env: TaskSpec, kind: str, task: Task) -> None:
    """Write the dataset beside Minari's folder and rename it into place, so a crash leaves
    the old dataset (or none), never half a new one. Minari writes where
    ``MINARI_DATASETS_PATH`` points, so that is pointed at the staging folder meanwhile."""
    from minari.storage.datasets_root_dir import get_dataset_path

    root = get_dataset_path()
    final = get_dataset_path(did)
    staging = Path(tempfile.mkdtemp(prefix=".making-", dir=root))
    before = os.environ.get("MINARI_DATASETS_PATH")
    try:
        os.environ["MINARI_DATASETS_PATH"] = str(staging)
        try:
            with warnings.catch_warnings():
                # A dataset made here has no author e-mail; it is evaluated on its own env.
                warnings.filterwarnings("ignore", message=".*(author_email|eval_env).*")
                _create(minari, did, buffers, env, kind, task)
        except (ValueError, OSError) as exc:
            raise DatasetError(f"dataset {did} could not be written under {root}: {exc}") from None
        finally:
            if before is None:
                del os.environ["MINARI_DATASETS_PATH"]
            else:
                os.environ["MINARI_DATASETS_PATH"] = before
        # Minari's namespace descriptions, where the namespaces are new here.
        made = staging / did
        for level in range(did.count("/")):
            namespace = Path(*Path(did).parts[: level + 1])
            meta = staging / namespace / "namespace_metadata.json"
            (root / namespace).mkdir(parents=True, exist_ok=True)
            if meta.exists() and not (root / namespace / meta.name).exists():
                shutil.copy2(meta, root / namespace / meta.name)
        if final.exists():
            os.replace(final, staging / "replaced")
        os.replace(made, final)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _create(minari: Any, did: str, buffers: list, env: TaskSpec, kind: str, task: Task) -> None:
    minari.create_dataset_from_buffers(
        did,
        buffers,
        env=env.gym_id,
        algorithm_name=f"embodied-bench {kind}: " + ("the task's expert" if kind == "expert" else "a third each of the expert, a novice and random actions"),
        author="embodied-bench",
        code_permalink=f"embodied-bench {embodied_bench.__version__}" + (f", git {provenance.git_revision()}" if provenance.git_revision() else ""),
        description=f"{kind} episodes of {task.spec.plain_name} on training layouts, made by `embodied-bench datasets make` (dataset version {DATASET_VERSION}).",
    )


def describe(did: str) -> Made:
    """What a local dataset holds and its content hash."""
    minari = _minari(creating=False)
    try:
        data = minari.load_dataset(did)
    except (FileNotFoundError, ValueError):
        raise DatasetMissing(f"no dataset {did} here; make it with `embodied-bench datasets make`") from None
    eps = list(data.iterate_episodes())
    return Made(did, len(eps), int(sum(len(e.rewards) for e in eps)), content_hash(_episode_arrays(e) for e in eps), float(np.mean([bool(np.asarray(e.infos["success"]).any()) for e in eps])))


def watch(spec: TaskSpec) -> tuple[list[Episode], dict[str, Any]]:
    """What a watch variant shows: its dataset's first ``watch_episodes`` episodes with
    actions and rewards removed (observations, each step's guardrail cost, and whether the
    episode succeeded), and what its run records (dataset id, episodes, content hash)."""
    minari = _minari(creating=False)
    did = dataset_id(spec, spec.watch_dataset)
    try:
        data = minari.load_dataset(did)
    except (FileNotFoundError, ValueError):
        raise DatasetMissing(f"task {spec.name} watches dataset {did}, which is not here; make it with `embodied-bench datasets make --task {spec.plain_name}`") from None
    eps = list(data.iterate_episodes())
    if len(eps) < spec.watch_episodes:
        raise DatasetError(f"dataset {did} holds {len(eps)} episodes, task {spec.name} watches {spec.watch_episodes}; remake it with `embodied-bench datasets make --task {spec.plain_name} --replace`")
    shown = eps[: spec.watch_episodes]
    episodes_ = [Episode(observations=np.asarray(e.observations), costs=np.asarray(e.infos["cost"], float), success=bool(np.asarray(e.infos["success"]).any()), meta={"dataset_episode": int(e.id)}) for e in shown]
    return episodes_, {"dataset": did, "episodes": len(shown), "sha256": content_hash(_episode_arrays(e) for e in eps)}
