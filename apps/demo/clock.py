"""A replay clock for the demo's history.

The demo's two weeks of history are appended through the application's own services, in
time order, as if each entry happened at its moment: while the clock runs, `timezone.now()`
(and every model field whose default is `timezone.now`) answers the replayed moment. So the
records, their chain entries, the alerts they raise and the daily anchors all carry the
times of the history, and `verify_records` walks a chain built exactly as the field pages
build it.

Only the demo builder uses it, in its own process, for the length of the replay.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime

from django.apps import apps
from django.utils import timezone

_REAL_NOW = timezone.now


class ReplayClock:
    def __init__(self) -> None:
        self.current: datetime | None = None

    def now(self) -> datetime:
        return self.current if self.current is not None else _REAL_NOW()

    def set(self, moment: datetime) -> None:
        self.current = moment


def _dynamic_now() -> datetime:
    return timezone.now()  # the module attribute: the replay clock while it runs


def _fields_defaulting_to_now():
    for model in apps.get_models():
        for field in model._meta.concrete_fields:
            if field.default is _REAL_NOW:
                yield field


def _reset_default_cache(field) -> None:
    # Field._get_default is a cached_property holding the default callable itself.
    field.__dict__.pop("_get_default", None)


@contextmanager
def replaying() -> Iterator[ReplayClock]:
    clock = ReplayClock()
    fields = list(_fields_defaulting_to_now())
    for field in fields:
        field.default = _dynamic_now
        _reset_default_cache(field)
    timezone.now = clock.now
    try:
        yield clock
    finally:
        timezone.now = _REAL_NOW
        for field in fields:
            field.default = _REAL_NOW
            _reset_default_cache(field)
