from __future__ import annotations

import pytest

from embodied_bench.registry import (
    AGENTS,
    SUITES,
    TASKS,
    Registry,
    RegistryError,
    load_reference,
    resolve_agent,
    resolve_tasks,
)


def test_name_collision_is_an_error():
    reg: Registry[int] = Registry("thing")
    reg.register("a", 1, aliases=("A",))
    with pytest.raises(RegistryError, match="already registered"):
        reg.register("a", 2)
    with pytest.raises(RegistryError, match="already registered"):
        reg.register("b", 2, aliases=("A",))


def test_lazy_entries_resolve_once():
    reg: Registry[object] = Registry("thing")
    reg.register("json-dumps", "json:dumps")
    import json

    assert reg.get("json-dumps") is json.dumps
    assert reg._entries["json-dumps"] is json.dumps


def test_unknown_names_suggest_the_nearest():
    with pytest.raises(RegistryError, match="did you mean treat-reach"):
        TASKS.get("treat-rech").spec
    with pytest.raises(RegistryError, match="did you mean random"):
        AGENTS.get("randon")
    with pytest.raises(RegistryError, match="did you mean ett-warmup-v1, ett-warmup-v0"):
        SUITES.get("ett-warmup")


def test_tasks_resolve_by_short_name_gym_id_and_suite():
    by_name = resolve_tasks(("treat-reach",), ())
    by_versioned = resolve_tasks(("treat-reach@v1",), ())
    by_id = resolve_tasks(("EmbodiedBench/TreatReach-v1",), ())
    by_suite = resolve_tasks(("treat-reach",), ("ett-warmup-v1",))
    assert [s.name for s in by_name] == [s.name for s in by_versioned] == [s.name for s in by_id] == [s.name for s in by_suite] == ["treat-reach@v1"]
    # An old version by its versioned name or gym id; a bare name is the newest, so a
    # suite of old versions and the bare name are two tasks.
    assert [s.name for s in resolve_tasks(("EmbodiedBench/TreatReach-v0",), ())] == ["treat-reach@v0"]
    assert [s.name for s in resolve_tasks(("treat-reach",), ("ett-warmup-v0",))] == ["treat-reach@v0", "treat-reach@v1"]


def test_agent_references(tmp_path):
    assert resolve_agent("random")[0] == "random"
    assert resolve_agent("embodied_bench.baselines.random_agent:RandomAgent")[0] == "RandomAgent"
    f = tmp_path / "a.py"
    f.write_text("class Mine:\n    def act(self, o, e): pass\n    def observe(self, t): pass\n")
    assert resolve_agent(f"{f}:Mine")[0] == "Mine"
    with pytest.raises(RegistryError, match="does not exist"):
        load_reference(f"{tmp_path}/nope.py:Mine")
    with pytest.raises(RegistryError, match="has no attribute 'Mne'.*did you mean Mine"):
        load_reference(f"{f}:Mne")
    with pytest.raises(RegistryError, match="cannot import module"):
        load_reference("no_such_module_xyz:Thing")


def test_spec_round_trips_through_json():
    import json

    from embodied_bench.api import TaskSpec

    spec = TASKS.get("treat-reach").spec
    again = TaskSpec.from_dict(json.loads(spec.to_json()))
    assert again == spec
    scaled = spec.scaled(0.1)
    assert (scaled.budget, scaled.eval_every) == (10_000, 1_000)
    assert len(scaled.checkpoints()) == len(spec.checkpoints()) == 11
