from __future__ import annotations

from collections.abc import Iterator

import pytest

from apps.camsim import CameraSpec, Simulator


@pytest.fixture(scope="module")
def simulator() -> Iterator[Simulator]:
    """An open camera and one that asks for a password (its challenge is what is tested)."""
    cameras = [
        CameraSpec("cam-a", 320, 180, 15.0, bitrate=400_000),
        CameraSpec("cam-auth", 320, 180, 15.0, bitrate=400_000, username="operator",
                   password="camsim-test"),
    ]
    with Simulator(cameras) as sim:
        yield sim
