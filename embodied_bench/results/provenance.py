"""Where a result came from: package versions, git revision, host, source hashes."""

from __future__ import annotations

import functools
import hashlib
import importlib.metadata
import inspect
import platform
import subprocess
import sys
from pathlib import Path
from typing import Any

_PACKAGES = ("numpy", "gymnasium", "mujoco", "pybullet", "pandas", "torch", "stable-baselines3", "embodied-bench")
_HASHED_SUFFIXES = {".py", ".xml", ".urdf", ".obj", ".stl", ".json", ".csv", ".png", ".txt"}


def versions(extra: tuple[str, ...] = ()) -> dict[str, str | None]:
    """Python's version and those of the packages every record names, plus ``extra`` (the
    packages an agent ``requires``); None for a package that is not installed."""
    found = dict(_base_versions())
    for name in extra:
        if name not in found:
            found[name] = _version(name)
    return found


@functools.cache
def _base_versions() -> dict[str, str | None]:
    return {"python": platform.python_version(), **{name: _version(name) for name in _PACKAGES}}


@functools.cache
def _version(name: str) -> str | None:
    try:
        return importlib.metadata.version(name)
    except importlib.metadata.PackageNotFoundError:
        return None


@functools.cache
def git_revision() -> str | None:
    """The git commit of the embodied-bench checkout in use (``+dirty`` with local
    changes), or None for an installed wheel."""
    here = Path(__file__).resolve().parent
    source_root = here.parent.parent  # the checkout holding embodied_bench/ (for an editable install)
    try:
        top = subprocess.run(["git", "-C", str(here), "rev-parse", "--show-toplevel"], capture_output=True, text=True, timeout=10)
        if top.returncode != 0 or Path(top.stdout.strip()).resolve() != source_root:
            return None  # an installed copy inside some other repository
        rev = subprocess.run(["git", "-C", str(here), "rev-parse", "HEAD"], capture_output=True, text=True, timeout=10)
        if rev.returncode != 0:
            return None
        dirty = subprocess.run(["git", "-C", str(here), "status", "--porcelain", "--untracked-files=no"], capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.SubprocessError):
        return None
    return rev.stdout.strip() + ("+dirty" if dirty.stdout.strip() else "")


def host() -> dict[str, Any]:
    return {"name": platform.node(), "platform": platform.platform(), "machine": platform.machine(), "cpu": cpu(), "python_executable_name": Path(sys.executable).name}


@functools.cache
def cpu() -> dict[str, str | None]:
    """What of the processor can move a simulation's last digits: its vendor (approximate
    instructions such as SSE's reciprocal square root differ between vendors) and the
    highest SIMD target NumPy dispatches to here (``AVX2``, ``AVX512_SKX``,
    ``AVX512_ICL``, ...: other code paths, other rounding). The same code on the same
    library versions gave other table-clear curves on an AMD EPYC machine (AVX512_ICL)
    than on the machine the first references were made on, which recorded no processor.
    ``model`` is for people; ``regress`` compares vendor and SIMD level."""
    vendor = model = None
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            key, _, value = line.partition(":")
            key = key.strip()
            if key == "vendor_id" and vendor is None:
                vendor = value.strip()
            elif key == "model name" and model is None:
                model = value.strip()
    except OSError:  # not Linux
        model = platform.processor() or None
    return {"vendor": vendor, "model": model, "simd": _simd_level()}


def _simd_level() -> str | None:
    try:
        from numpy._core import _multiarray_umath as umath
    except ImportError:  # pragma: no cover  (NumPy 1.x)
        from numpy.core import _multiarray_umath as umath
    found = [t for t in getattr(umath, "__cpu_dispatch__", []) if getattr(umath, "__cpu_features__", {}).get(t)]
    baseline = getattr(umath, "__cpu_baseline__", [])
    levels = found or baseline
    return levels[-1] if levels else None


def _hash_files(files: list[Path], root: Path) -> str:
    digest = hashlib.sha256()
    for path in sorted(files):
        digest.update(path.relative_to(root).as_posix().encode())
        digest.update(b"\0")
        digest.update(path.read_bytes())
        digest.update(b"\0")
    return digest.hexdigest()


@functools.cache
def package_hash(package_dir: str) -> str:
    """sha256 over the source and asset files of a package folder (names and bytes)."""
    root = Path(package_dir)
    files = [p for p in root.rglob("*") if p.is_file() and p.suffix in _HASHED_SUFFIXES and "__pycache__" not in p.parts]
    return _hash_files(files, root)


def task_hash(spec: Any) -> str:
    """Hash of the code and assets of a task's family package (``spec``: its
    ``TaskSpec``): any change to the env shows up here."""
    from embodied_bench.registry import task_of

    package = task_of(spec).package
    module = sys.modules.get(package) or importlib.import_module(package)
    return package_hash(str(Path(module.__file__).resolve().parent))


def source_hash(cls: type) -> str | None:
    """sha256 of the file that defines ``cls`` (None when it has no file, e.g. built in a REPL)."""
    try:
        path = inspect.getsourcefile(cls)
    except TypeError:
        return None
    if path is None or not Path(path).is_file():
        return None
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def sha256_text(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()
