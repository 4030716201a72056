"""The layout DESIGN.md promises: every package folder installed, no top-level imports of
``tasks`` or ``baselines``."""

from __future__ import annotations

import configparser
import re

from conftest import ROOT


def _declared() -> tuple[set[str], dict[str, str]]:
    cfg = configparser.ConfigParser()
    cfg.read(ROOT / "setup.cfg")
    packages = {p.strip() for p in cfg["options"]["packages"].splitlines() if p.strip()}
    mapping = {}
    for line in cfg["options"]["package_dir"].splitlines():
        if "=" in line:
            name, folder = (s.strip() for s in line.split("="))
            mapping[name] = folder
    return packages, mapping


def _package_folders() -> dict[str, str]:
    """Every folder with an __init__.py, by the dotted name it installs as."""
    _, mapping = _declared()
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


def test_every_package_folder_is_listed_in_setup_cfg():
    packages, _ = _declared()
    folders = _package_folders()
    missing = sorted(set(folders) - packages)
    assert not missing, f"package folders missing from setup.cfg [options] packages: {missing}"
    stale = sorted(packages - set(folders))
    assert not stale, f"setup.cfg lists packages with no folder: {stale}"
    assert "embodied_bench.tasks.treat_reach" in packages


def test_tasks_and_baselines_install_under_embodied_bench():
    _, mapping = _declared()
    assert mapping == {"embodied_bench.tasks": "tasks", "embodied_bench.baselines": "baselines"}
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
