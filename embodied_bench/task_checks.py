"""The checks every registered task must pass, as functions (the way gymnasium's
``check_env`` is one): the test suite runs each on every task of the registry, and a
family's author can run ``check_task`` on a task of their own before registering more.

Each check raises ``AssertionError`` with what is wrong, naming the task."""

from __future__ import annotations

import dataclasses
import warnings
from collections.abc import Callable

import gymnasium as gym
import numpy as np
from gymnasium.utils.env_checker import check_env

from embodied_bench.api import Task
from embodied_bench.registry import AGENTS, RegistryError, load_reference
from embodied_bench.harness.runner import HiddenLayouts, evaluation_layouts


def _make(task: Task, split: str = "train") -> gym.Env:
    from embodied_bench.harness.runner import make_env

    return make_env(task.spec, split)


def check_gymnasium_api(task: Task) -> None:
    """``gymnasium``'s own env checker passes on both layout splits, with its warnings as
    errors."""
    for split in ("train", "eval"):
        env = _make(task, split).unwrapped
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("error")
                check_env(env, skip_render_check=True)
        finally:
            env.close()


def _rollout(task: Task, seed: int) -> list:
    steps = min(50, max(2, (task.max_episode_steps or 100) // 2))
    env = _make(task)
    env.action_space.seed(seed)
    obs, _ = env.reset(seed=seed)
    out = [obs]
    for _ in range(steps):
        obs, reward, terminated, truncated, info = env.step(env.action_space.sample())
        out.append((obs, reward, terminated, truncated, info["success"], info["cost"]))
        if terminated or truncated:
            obs, _ = env.reset()
            out.append(obs)
    env.close()
    return out


def _equal(a: object, b: object) -> bool:
    if isinstance(a, np.ndarray):
        return np.array_equal(a, b)
    if isinstance(a, tuple):
        return isinstance(b, tuple) and len(a) == len(b) and all(_equal(x, y) for x, y in zip(a, b))
    return a == b


def check_seeded_determinism(task: Task) -> None:
    """The same seed and actions give the same observations, rewards and flags."""
    a, b = _rollout(task, 7), _rollout(task, 7)
    assert len(a) == len(b) and all(_equal(x, y) for x, y in zip(a, b)), f"{task.name}: two rollouts with seed 7 differ"


def check_randomised_starts(task: Task) -> None:
    """Different seeds start from different states (the layouts come from the seed)."""
    env = _make(task)
    firsts = [env.reset(seed=s)[0] for s in range(5)]
    env.close()
    assert len({f.tobytes() for f in firsts}) == 5, f"{task.name}: five seeds gave fewer than five first observations"


def check_info_and_action_bounds(task: Task) -> None:
    """Box actions lie in [-1, 1] (or the space is MultiDiscrete); every step reports a
    bool ``success`` and a ``cost`` >= 0, at the action space's extremes too."""
    env = _make(task)
    space = env.action_space
    env.reset(seed=0)
    if isinstance(space, gym.spaces.Box):
        assert np.all(space.low == -1) and np.all(space.high == 1), f"{task.name}: Box actions must lie in [-1, 1]"
        extremes = (space.low, space.high, np.zeros(space.shape, space.dtype))
    else:
        assert isinstance(space, gym.spaces.MultiDiscrete), f"{task.name}: actions must be Box or MultiDiscrete, not {space}"
        extremes = (np.zeros_like(space.nvec), space.nvec - 1)
    for action in extremes:
        _, _, terminated, truncated, info = env.step(action)
        assert isinstance(info["success"], bool) and info["cost"] >= 0.0, f"{task.name}: info must hold a bool success and a cost >= 0"
        if terminated or truncated:
            env.reset()
    env.close()


def check_held_out_layouts(task: Task) -> None:
    """Evaluation layouts never come from the training range, and the other way round."""
    spec = task.spec
    train, evaluation = _make(task, "train"), _make(task, "eval")
    train.reset(seed=0)
    train_seeds = {train.reset()[1]["layout_seed"] for _ in range(12)}
    eval_seeds = [evaluation.reset(seed=i, options={"layout": i})[1]["layout_seed"] for i in range(spec.eval_episodes)]
    assert len(set(eval_seeds)) == spec.eval_episodes, f"{task.name}: held-out layouts repeat"
    assert train_seeds.isdisjoint(eval_seeds), f"{task.name}: a training reset served a held-out layout"
    for options in ({"layout": 0}, {"layout_seed": eval_seeds[0]}):
        try:
            train.reset(options=options)
        except ValueError:
            continue
        raise AssertionError(f"{task.name}: the training env served {options}")
    train.close()
    evaluation.close()


def check_demonstrations(task: Task) -> None:
    """One-shot tasks, and only they, come with demonstrations on reset (reports read
    checkpoint 0 of a one-shot task as its first-attempt score)."""
    env = _make(task)
    _, info = env.reset(seed=0)
    env.close()
    assert ("demonstrations" in info) == task.spec.one_shot, f"{task.name}: one_shot is {task.spec.one_shot}, but reset info {'has' if 'demonstrations' in info else 'lacks'} demonstrations"


def check_observation_layout(task: Task) -> None:
    """The env publishes ``observation_layout`` naming every entry of its observation."""
    env = _make(task)
    layout = getattr(env.unwrapped, "observation_layout", None)
    shape = env.observation_space.shape
    env.close()
    assert layout is not None, f"{task.name}: the env publishes no observation_layout"
    assert shape is not None and (layout.size,) == shape, f"{task.name}: observation_layout has {layout.size} entries, the observation space {shape}"


def check_declared_facts(task: Task) -> None:
    """What the task declares names real things: its baselines and the ones left out are
    registered agents, every per-baseline config change is a field of that baseline's
    config, its oracle and world model load, and its CI budget keeps every checkpoint."""
    names = set(AGENTS.names())
    for name in (*task.baselines, *task.left_out, *task.baseline_config):
        assert name in names, f"{task.name}: names baseline {name!r}, which is not a registered agent"
    for name, changes in task.baseline_config.items():
        config = getattr(AGENTS.get(name), "config_class", None)
        assert config is not None, f"{task.name}: sets a config for {name}, which has none"
        fields = {f.name for f in dataclasses.fields(config)}
        unknown = sorted(set(changes) - fields)
        assert not unknown, f"{task.name}: sets {', '.join(unknown)} for {name}, which {config.__name__} has not"
        config.for_task(task)  # the changed config is valid (its own checks pass)
    for label, ref in (("oracle", task.spec.oracle), ("world model", task.world_model), ("action proposals", task.action_proposals)):
        if ref is not None:
            try:
                assert callable(load_reference(ref)), f"{task.name}: its {label} {ref} is not callable"
            except RegistryError as exc:
                raise AssertionError(f"{task.name}: its {label} {ref} does not load: {exc}") from None
    if "scripted" in task.baselines:
        assert task.spec.oracle is not None, f"{task.name}: runs scripted but has no oracle"
    levels, block = task.spec.levels, task.spec.level_block
    assert not levels or task.spec.eval_episodes % (len(levels) * block) == 0, f"{task.name}: {task.spec.eval_episodes} held-out layouts do not divide into its {len(levels)} levels of blocks of {block}"
    ci = task.spec.scaled(task.ci_budget.budget_scale)
    assert len(ci.checkpoints()) == len(task.spec.checkpoints()), f"{task.name}: its CI budget changes the number of checkpoints"
    assert task.ci_budget.eval_episodes <= task.spec.eval_episodes, f"{task.name}: its CI budget evaluates more layouts than the task has"


def check_levels_and_scores(task: Task) -> None:
    """A task with levels labels every layout with one of them (held-out layout ``i``:
    ``spec.level_of(i)``); a task with a graded score reports ``info["partial"]`` in [0, 1]
    every step, 1 exactly when it reports success."""
    spec = task.spec
    evaluation = _make(task, "eval")
    count = min(spec.eval_episodes, 2 * max(1, len(spec.levels)) * spec.level_block)
    # Hidden layouts (official reruns, a salt only for this check) keep the levels too.
    hidden = HiddenLayouts.from_salt("level-check-" + "0" * 20, spec.eval_episodes)
    for which, options in (("held-out", evaluation_layouts(spec, None)), ("hidden", evaluation_layouts(spec, hidden))):
        for i in range(0, count, spec.level_block):
            _, info = evaluation.reset(seed=i, options=options[i])
            if spec.levels:
                assert info.get("level") == spec.level_of(i), f"{task.name}: {which} layout {i} is labelled {info.get('level')!r}, its level is {spec.level_of(i)!r}"
            else:
                assert "level" not in info, f"{task.name}: labels layouts with levels it does not declare"
    evaluation.close()
    if not spec.graded_score:
        return
    env = _make(task)
    env.action_space.seed(3)
    env.reset(seed=3)
    for _ in range(min(30, task.max_episode_steps or 30)):
        _, _, terminated, truncated, info = env.step(env.action_space.sample())
        partial = info.get("partial")
        assert isinstance(partial, float) and 0.0 <= partial <= 1.0, f"{task.name}: info['partial'] is {partial!r}, not a number in [0, 1]"
        assert (partial == 1.0) == info["success"], f"{task.name}: info['partial'] is {partial} with success {info['success']}"
        if terminated or truncated:
            env.reset()
    env.close()


def check_action_proposals(task: Task) -> None:
    """A task's action proposals are actions of its space, from an observation alone."""
    if task.action_proposals is None:
        return
    env = _make(task)
    obs, _ = env.reset(seed=0)
    proposals = np.asarray(load_reference(task.action_proposals)(obs))
    assert proposals.ndim >= 1 and len(proposals) >= 1, f"{task.name}: its action proposals are empty"
    assert all(env.action_space.contains(np.asarray(a, env.action_space.dtype)) for a in proposals), f"{task.name}: a proposed action lies outside the action space"
    env.close()


CHECKS: tuple[Callable[[Task], None], ...] = (
    check_gymnasium_api,
    check_seeded_determinism,
    check_randomised_starts,
    check_info_and_action_bounds,
    check_held_out_layouts,
    check_demonstrations,
    check_observation_layout,
    check_levels_and_scores,
    check_action_proposals,
    check_declared_facts,
)
"""Every check, in the order the test suite runs them."""


def check_task(task: Task) -> None:
    """Run every check on ``task``; the first failure raises."""
    for check in CHECKS:
        check(task)
