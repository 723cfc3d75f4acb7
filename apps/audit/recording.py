"""Writing the audit trail: model signals on the audited models, inside the change's transaction.

Every save or delete of an audited model (through the admin, the portal's services or the ORM)
adds an `AuditEntry` with the values before and after. The admin and the services run in a
transaction and the signals fire inside it, so the entry commits or rolls back with the change.
Who acted comes from the request being served (`AuditContextMiddleware`) or from `acting()`
around a command; without either, the entry says "system".
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache

from django.apps import apps
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.db.models.signals import m2m_changed, post_delete, post_save, pre_save
from django.urls import reverse

from apps.audit.models import AuditEntry

# Audited models (app_label.model_name) and the fields left out as noise.
AUDITED: dict[str, frozenset[str]] = {
    "accounts.user": frozenset({"last_login"}),
    "accounts.roleassignment": frozenset(),
    "cameras.camera": frozenset(),
    "cameras.camerashare": frozenset(),
    "places.facility": frozenset(),
    "places.operation": frozenset(),
    "access.regiongrant": frozenset(),
    "org.agency": frozenset(),
}
# Fields whose values never enter the trail, only the fact that they changed.
SECRET_MARKERS = ("password", "token", "secret")
CHANGED = "changed"

Source = AuditEntry.Source


@dataclass(frozen=True)
class _Context:
    request: object | None = None
    actor_id: int | None = None
    source: str = Source.SYSTEM


_context: ContextVar[_Context] = ContextVar("audit_context", default=_Context())  # noqa: B039


@contextmanager
def acting(user=None, source: str = Source.SYSTEM) -> Iterator[None]:
    """Attribute the changes made inside to `user` (commands, tasks, tests)."""
    token = _context.set(_Context(actor_id=getattr(user, "pk", None), source=source))
    try:
        yield
    finally:
        _context.reset(token)


@cache
def _admin_prefix() -> str:
    return reverse("admin:index")


class AuditContextMiddleware:
    """Changes made while serving a request are attributed to the person signed in."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        source = Source.ADMIN if request.path_info.startswith(_admin_prefix()) else Source.WEB
        token = _context.set(_Context(request=request, source=source))
        try:
            return self.get_response(request)
        finally:
            _context.reset(token)


def _actor_id() -> int | None:
    context = _context.get()
    if context.request is not None:
        user = getattr(context.request, "user", None)
        return user.pk if user is not None and user.is_authenticated else None
    return context.actor_id


# --- values ----------------------------------------------------------------------------------


def _label(model: type[models.Model]) -> str:
    return f"{model._meta.app_label}.{model._meta.model_name}"


def _fields(model: type[models.Model]) -> list[models.Field]:
    left_out = AUDITED[_label(model)]
    return [f for f in model._meta.concrete_fields if f.name not in left_out]


def _is_secret(field: models.Field) -> bool:
    return any(marker in field.name for marker in SECRET_MARKERS)


def _plain(field: models.Field, value):
    """A JSON value that compares equal for equal field values (datetimes in UTC)."""
    try:
        value = field.to_python(value)
    except Exception:  # noqa: BLE001  (an odd value is recorded as it is)
        return str(value)
    if isinstance(value, datetime) and value.tzinfo is not None:
        value = value.astimezone(UTC)
    return json.loads(json.dumps(value, cls=DjangoJSONEncoder, default=str))


def _values(instance: models.Model) -> dict[str, object]:
    return {f.attname: getattr(instance, f.attname) for f in _fields(type(instance))}


def _write(instance: models.Model, action: str, changes: dict) -> None:
    AuditEntry.objects.create(
        actor_id=_actor_id(), source=_context.get().source, action=action,
        target_type=_label(type(instance)), target_id=str(instance.pk)[:64],
        target_repr=str(instance)[:200], changes=changes,
    )


def record(instance: models.Model, changes: dict, action: str = AuditEntry.Action.UPDATE) -> None:
    """An entry for a change the signals do not see (e.g. a queryset update)."""
    _write(instance, action, changes)


# --- signal receivers ------------------------------------------------------------------------


def _audited(sender) -> bool:
    return _label(sender) in AUDITED


def _before_save(sender, instance, raw=False, update_fields=None, **kwargs) -> None:
    if raw or not _audited(sender) or instance.pk is None:
        return
    if update_fields is not None and set(update_fields) <= AUDITED[_label(sender)]:
        return  # e.g. last_login at each login
    fields = [f.attname for f in _fields(sender)]
    instance._audit_before = sender._base_manager.filter(pk=instance.pk).values(*fields).first()


def _after_save(sender, instance, created, raw=False, **kwargs) -> None:
    if raw or not _audited(sender):
        return
    fields = {f.attname: f for f in _fields(sender)}
    after = _values(instance)
    before = None if created else getattr(instance, "_audit_before", None)
    instance._audit_before = None
    changes: dict[str, object] = {}
    for attname, field in fields.items():
        new = _plain(field, after[attname])
        if before is None:
            if created and new not in (None, "", [], {}):
                changes[attname] = CHANGED if _is_secret(field) else {"after": new}
            continue
        old = _plain(field, before.get(attname))
        if old != new:
            changes[attname] = CHANGED if _is_secret(field) else {"before": old, "after": new}
    if created:
        _write(instance, AuditEntry.Action.CREATE, changes)
    elif changes:
        _write(instance, AuditEntry.Action.UPDATE, changes)


def _after_delete(sender, instance, **kwargs) -> None:
    if not _audited(sender):
        return
    changes = {
        f.attname: CHANGED if _is_secret(f) else {"before": _plain(f, getattr(instance, f.attname))}
        for f in _fields(sender)
    }
    _write(instance, AuditEntry.Action.DELETE, changes)


def _m2m_changed(sender, instance, action, model, pk_set, reverse=False, **kwargs) -> None:
    if reverse or not _audited(type(instance)):
        return
    if action not in ("post_add", "post_remove", "post_clear"):
        return
    field = next((f.name for f in type(instance)._meta.many_to_many
                  if f.remote_field.through is sender), "relation")
    key = {"post_add": "added", "post_remove": "removed", "post_clear": "cleared"}[action]
    _write(instance, AuditEntry.Action.UPDATE, {field: {key: sorted(pk_set or [])}})


def connect() -> None:
    for label in AUDITED:
        model = apps.get_model(label)
        pre_save.connect(_before_save, sender=model, dispatch_uid=f"audit.before_save.{label}")
        post_save.connect(_after_save, sender=model, dispatch_uid=f"audit.after_save.{label}")
        post_delete.connect(_after_delete, sender=model, dispatch_uid=f"audit.delete.{label}")
        for field in model._meta.many_to_many:
            m2m_changed.connect(_m2m_changed, sender=field.remote_field.through,
                                dispatch_uid=f"audit.m2m.{label}.{field.name}")
