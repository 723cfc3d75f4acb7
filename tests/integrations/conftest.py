"""Integrations fixtures on top of the cast (tests/cast.py): in city A an outward camera at
the warehouse and an inward camera at the KPU office."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from apps.cameras.models import Camera
from tests.cast import gate_and_inside_cameras


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
    outward, inward = gate_and_inside_cameras(a)
    return HookWorld(world, outward, inward)
