from __future__ import annotations

import ipaddress
from collections.abc import Iterator

import pytest

from apps.camsim import CameraSpec, Simulator
from apps.core.netguard import UrlPolicy
from apps.vision.videocapture import enable_file_sources
from tests.vision.helpers import PASSWORD


@pytest.fixture(scope="session")
def loopback_policy() -> UrlPolicy:
    enable_file_sources()
    return UrlPolicy((ipaddress.ip_network("127.0.0.0/8"),), allow_file=True)


@pytest.fixture(scope="module")
def simulator() -> Iterator[Simulator]:
    cameras = [
        CameraSpec("cam-a", 320, 180, 15.0, bitrate=400_000),
        CameraSpec("cam-b", 320, 180, 15.0, bitrate=400_000),
        CameraSpec(
            "cam-auth", 320, 180, 15.0, bitrate=400_000, username="operator", password=PASSWORD
        ),
    ]
    with Simulator(cameras) as sim:
        yield sim
