from __future__ import annotations

import pytest

from apps.cameras.models import Camera, Orientation
from apps.cameras.services import share_grant

# Cameras per city: (facility, orientation). The simulator address is loopback, allowed in tests.
CAMERAS = {
    "kpu_out": ("kpu_office", Orientation.OUTWARD),
    "kpu_in": ("kpu_office", Orientation.INWARD),
    "bws_out": ("bawaslu_office", Orientation.OUTWARD),
    "bws_in": ("bawaslu_office", Orientation.INWARD),
    "wh_out": ("warehouse", Orientation.OUTWARD),
    "wh_in": ("warehouse", Orientation.INWARD),
}


def make_camera(city, facility: str, orientation: str, name: str) -> Camera:
    return Camera.objects.create(
        facility=city.facilities[facility], name=name, source_kind="mjpeg",
        url=f"http://127.0.0.1:8554/mjpeg/{name.replace(' ', '-')}", orientation=orientation,
    )


@pytest.fixture
def cameras(world):
    """Each city's six cameras; every outward one shared with its city's Polres, Kodim and
    Satpol PP by the owner agency's official."""
    result = {}
    for city in (world.a, world.b):
        for key, (facility, orientation) in CAMERAS.items():
            camera = make_camera(city, facility, orientation, f"{key} {city.key}")
            result[(city.key, key)] = camera
            if orientation == Orientation.OUTWARD:
                owner = "bawaslu" if facility == "bawaslu_office" else "kpu"
                for grantee in ("polres", "kodim", "satpol"):
                    share_grant(camera=camera, grantee=city.agencies[grantee],
                                basis="MoU KPU–Polri 29/12/2022", by=city.users[owner])
    return result
