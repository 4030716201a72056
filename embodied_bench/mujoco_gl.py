"""MuJoCo, imported and rendered with messages that say what to install when OpenGL is
missing (MuJoCo picks its GL back end from ``MUJOCO_GL`` when it is imported).

Importing this module on Linux without a display, with ``MUJOCO_GL`` unset and an EGL
library installed (found with ``ctypes.util.find_library``), sets ``MUJOCO_GL=egl`` for
the process and the processes it starts, so offscreen rendering works headless."""

from __future__ import annotations

import ctypes.util
import os
import sys
from typing import Any

_HOW = (
    "Set MUJOCO_GL=egl and install Mesa's EGL (Debian/Ubuntu: apt-get install libegl1 libgl1-mesa-dri), "
    "or MUJOCO_GL=osmesa with libosmesa6, or run where a display exists (MUJOCO_GL=glfw)."
)


def _backend() -> str:
    return os.environ.get("MUJOCO_GL", "(unset: GLFW, which needs a display)")


# Headless Linux (no display to open a GLFW window on) with an EGL library: render
# offscreen with EGL, which Mesa provides on a CPU, unless the user chose a back end. It is
# chosen before MuJoCo is imported, which is when MuJoCo reads the choice; without EGL the
# default stays, so simulation works and only rendering says what to install.
if (
    sys.platform.startswith("linux")
    and "MUJOCO_GL" not in os.environ
    and not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))
    and "mujoco" not in sys.modules
    and ctypes.util.find_library("EGL") is not None
):
    os.environ["MUJOCO_GL"] = "egl"

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
