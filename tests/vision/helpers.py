"""Shared helpers for the vision tests: generated frames."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import TypeVar

import numpy as np

from apps.camsim.scene import SceneRenderer, SceneState

T = TypeVar("T")
CLOCK = datetime(2024, 2, 14, 10, 0, 0)
# Has the characters that break URLs when put in userinfo unencoded.
PASSWORD = "s3cr3t:P@ss/w0rd"


def scene_frames(
    seconds: float,
    fps: float = 5.0,
    *,
    size: tuple[int, int] = (320, 180),
    change_at: float | None = None,
    before: SceneState | None = None,
    after: SceneState | None = None,
) -> Iterator[tuple[float, np.ndarray]]:
    """(t, BGR frame) pairs of the simulator's gate, switching scene state at `change_at`."""
    renderer = SceneRenderer(*size, name="test-cam")
    before = before or SceneState()
    for index in range(round(seconds * fps)):
        t = index / fps
        state = after if after is not None and change_at is not None and t >= change_at else before
        yield t, renderer.render(state, t, CLOCK + timedelta(seconds=t))
