"""Integrations fixtures on top of the cast (tests/cast.py): in city A an outward camera at
the warehouse and an inward camera at the KPU office."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from apps.cameras.models import Camera, Orientation

INWARD_NAME = "Ruang server rahasia"


@dataclass
class HookWorld:
    world: object
    outward: Camera
    inward: Camera

    def user(self, name: str, city: str = "A"):
        return getattr(self.world, city.lower()).users[name]


@pytest.fixture
def hooks(world) -> HookWorld:
    a = world.a
    outward = Camera.objects.create(
        facility=a.facilities["warehouse"], name="Gerbang gudang", source_kind="mjpeg",
        url="http://127.0.0.1:8554/mjpeg/gate", orientation=Orientation.OUTWARD)
    inward = Camera.objects.create(
        facility=a.facilities["kpu_office"], name=INWARD_NAME, source_kind="mjpeg",
        url="http://127.0.0.1:8554/mjpeg/inside", orientation=Orientation.INWARD)
    return HookWorld(world, outward, inward)
