"""The layout DESIGN.md promises: every package folder installed (found by setup.py, so a
new family needs no packaging edit), no top-level imports of ``tasks`` or ``baselines``."""

from __future__ import annotations

import configparser
import re

from conftest import ROOT


def _declared() -> dict:
    """What setup.py hands setuptools (its ``setup(...)`` keyword arguments)."""
    import runpy

    import setuptools

    captured: dict = {}
    real = setuptools.setup
    setuptools.setup = lambda **kwargs: captured.update(kwargs)
    try:
        runpy.run_path(str(ROOT / "setup.py"), run_name="__main__")
    finally:
        setuptools.setup = real
    return captured


def _package_folders(mapping: dict[str, str]) -> dict[str, str]:
    """Every folder with an __init__.py, by the dotted name it installs as."""
    found = {}
    for init in ROOT.rglob("__init__.py"):
        rel = init.parent.relative_to(ROOT).as_posix()
        if rel.startswith((".", "build", "tests")) or ".venv" in rel or "egg-info" in rel:
            continue
        dotted = rel.replace("/", ".")
        for name, folder in mapping.items():
            if rel == folder or rel.startswith(folder + "/"):
                dotted = name + rel[len(folder) :].replace("/", ".")
        found[dotted] = rel
    return found


def test_every_package_folder_is_packaged_without_listing_it(monkeypatch):
    monkeypatch.chdir(ROOT)  # setuptools runs setup.py from the project folder
    declared = _declared()
    packages, mapping = set(declared["packages"]), declared["package_dir"]
    folders = _package_folders(mapping)
    assert sorted(set(folders) - packages) == [], "package folders setup.py does not find"
    assert sorted(packages - set(folders)) == [], "packages with no folder"
    assert {"embodied_bench.tasks.treat_reach", "embodied_bench.cli", "embodied_bench.regress"} <= packages
    cfg = configparser.ConfigParser()
    cfg.read(ROOT / "setup.cfg")
    assert "packages" not in cfg["options"], "setup.cfg must not list packages: setup.py finds them"


def test_tasks_and_baselines_install_under_embodied_bench(monkeypatch):
    monkeypatch.chdir(ROOT)
    assert _declared()["package_dir"] == {"embodied_bench.tasks": "tasks", "embodied_bench.baselines": "baselines"}
    import embodied_bench.baselines
    import embodied_bench.tasks

    assert embodied_bench.tasks.__file__.endswith("tasks/__init__.py")
    assert embodied_bench.baselines.__file__.endswith("baselines/__init__.py")


def test_nothing_imports_top_level_tasks_or_baselines():
    bad = re.compile(r"^\s*(from|import)\s+(tasks|baselines)(\.|\s|$)", re.M)
    offenders = [
        str(p.relative_to(ROOT))
        for p in ROOT.rglob("*.py")
        if ".venv" not in p.parts and "build" not in p.parts and bad.search(p.read_text(encoding="utf-8"))
    ]
    assert offenders == []


def test_pyproject_holds_only_the_build_system():
    import tomllib

    data = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert set(data) == {"build-system"}
    assert any(r.replace(" ", "").startswith("setuptools>=64") for r in data["build-system"]["requires"])
