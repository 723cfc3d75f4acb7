"""The beat schedule, collected from the apps: each declares its periodic tasks beside them,
as `BEAT_SCHEDULE` in its `schedule` module (entry name: {"task": registered task name,
"schedule": seconds}). Celery beat (portal.celery) and embedded mode's in-process scheduler
(apps.core.background) both run this one collection."""

from __future__ import annotations

from importlib import import_module

from django.apps import apps
from django.core.exceptions import ImproperlyConfigured
from django.utils.module_loading import module_has_submodule


def beat_schedule() -> dict[str, dict]:
    schedule: dict[str, dict] = {}
    for config in apps.get_app_configs():
        if not module_has_submodule(config.module, "schedule"):
            continue
        entries = import_module(f"{config.name}.schedule").BEAT_SCHEDULE
        if twice := schedule.keys() & entries.keys():
            raise ImproperlyConfigured(f"Beat schedule entries declared twice: {sorted(twice)}")
        schedule |= entries
    return schedule
