from __future__ import annotations

from dataclasses import dataclass

import pytest

from tests.cast import City, build_city


@dataclass
class World:
    a: City
    b: City


@pytest.fixture
def world(db) -> World:
    return World(a=build_city("A", "Asia/Jakarta"), b=build_city("B", "Asia/Makassar"))


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture(autouse=True)
def _in_memory_channel_layer(settings):
    settings.CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}


@pytest.fixture
def background_runner():
    """The embedded-mode in-process runner, as `manage.py serve` starts it."""
    from apps.core.background import runner

    runner.start()
    yield runner
    runner.stop()
