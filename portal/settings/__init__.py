"""Settings for Posko: `DJANGO_SETTINGS_MODULE=portal.settings` (manage.py, asgi, Celery) is
the mode the environment asks for, as README "Modes" says: cluster mode when REDIS_URL is set
(portal.settings.cluster), else embedded mode (portal.settings.embedded). The test suite names
its own, portal.settings.test.

The mode is loaded when Django first reads a setting from here, not when this package is
imported: importing portal.settings.test imports this package first, and must not load
embedded mode, which refuses to start without its key files."""

from __future__ import annotations

from importlib import import_module
from types import ModuleType


def _mode() -> ModuleType:
    from portal.settings.base import REDIS_URL  # after reading .env, as every mode does

    return import_module("portal.settings.cluster" if REDIS_URL else "portal.settings.embedded")


def __getattr__(name: str) -> object:
    if not name.isupper():  # only settings are the mode's; anything else is missing here
        raise AttributeError(name)
    return getattr(_mode(), name)


def __dir__() -> list[str]:
    return dir(_mode())
