"""Everything about the package is declared in setup.cfg except its package list, found
here: every package folder of embodied_bench/, tasks/ and baselines/ (the last two install
as embodied_bench.tasks and embodied_bench.baselines), so a new task family, a folder under
tasks/, needs no packaging edit."""

from setuptools import find_packages, setup

MAPPED = {"embodied_bench.tasks": "tasks", "embodied_bench.baselines": "baselines"}


def packages() -> list[str]:
    found = [p for p in find_packages(include=["embodied_bench", "embodied_bench.*"])]
    for name, folder in MAPPED.items():
        found += [name] + [f"{name}.{p}" for p in find_packages(folder)]
    return sorted(found)


setup(packages=packages(), package_dir=MAPPED)
