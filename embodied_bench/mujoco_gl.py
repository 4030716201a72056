"""MuJoCo, imported and rendered with messages that say what to install when OpenGL is
missing (MuJoCo picks its GL back end from ``MUJOCO_GL`` when it is imported)."""

from __future__ import annotations

import os
from typing import Any

_HOW = (
    "Set MUJOCO_GL=egl and install Mesa's EGL (Debian/Ubuntu: apt-get install libegl1 libgl1-mesa-dri), "
    "or MUJOCO_GL=osmesa with libosmesa6, or run where a display exists (MUJOCO_GL=glfw)."
)


def _backend() -> str:
    return os.environ.get("MUJOCO_GL", "(unset: GLFW, which needs a display)")


try:
    import mujoco  # noqa: F401  (re-exported)
except ImportError:
    raise
except Exception as exc:  # PyOpenGL fails inside mujoco's import when the chosen GL library is absent
    raise RuntimeError(f"MuJoCo could not load its OpenGL back end MUJOCO_GL={_backend()}: {type(exc).__name__}: {exc}. {_HOW}") from exc


def renderer(model: Any, height: int, width: int) -> Any:
    """An offscreen ``mujoco.Renderer``, or a RuntimeError naming what to install."""
    try:
        return mujoco.Renderer(model, height, width)
    except Exception as exc:
        raise RuntimeError(f"MuJoCo cannot render offscreen with MUJOCO_GL={_backend()}: {exc}. {_HOW}") from exc
