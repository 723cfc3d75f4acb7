"""Pieces shared by the record services: idempotent inserts and photo storage."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Generic, TypeVar
from uuid import UUID

from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.db import IntegrityError, models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.core.photos import NormalisedPhoto
from apps.records.models import RecordPhoto

T = TypeVar("T", bound=models.Model)


@dataclass(frozen=True)
class Saved(Generic[T]):
    """A record and whether this call created it (False: a resend of the same entry)."""

    record: T
    created: bool


def key_conflict() -> ValidationError:
    return ValidationError(_("This entry key was already used by someone else."),
                           code="key_conflict")


def existing_by_key(model: type[T], key: UUID, *, owner_field: str, owner_id: int | None
                    ) -> T | None:
    """The record an earlier send of the same entry created, if any. Someone else's record
    with this key is a conflict, never a silent merge."""
    existing = model._default_manager.filter(client_key=key).first()
    if existing is not None and getattr(existing, owner_field) != owner_id:
        raise key_conflict()
    return existing


def store_photos(photos: list[NormalisedPhoto]) -> list[tuple[NormalisedPhoto, str]]:
    """Write the files before the transaction (slow work outside the chain lock)."""
    stored = []
    try:
        for photo in photos:
            name = default_storage.save(f"records/photos/{photo.content.name}", photo.content)
            stored.append((photo, name))
    except Exception:
        discard_files([name for _photo, name in stored])
        raise
    return stored


def discard_files(names: list[str]) -> None:
    for name in names:
        default_storage.delete(name)


def attach_photos(stored: list[tuple[NormalisedPhoto, str]], *, uploaded_by, **parent
                  ) -> list[RecordPhoto]:
    now = timezone.now()
    rows = []
    for photo, name in stored:
        row = RecordPhoto(image=name, sha256=photo.sha256, size=photo.size, width=photo.width,
                          height=photo.height, uploaded_by=uploaded_by, uploaded_at=now,
                          **parent)
        row.save()
        rows.append(row)
    return rows


def insert_once(*, model: type[T], key: UUID, owner_field: str, owner_id: int | None,
                write: Callable[[], T], files: list[str]) -> Saved[T]:
    """Run `write` in a transaction; if another send of the same entry won the race (the
    unique key), return its record and drop this send's files."""
    try:
        with transaction.atomic():
            return Saved(write(), True)
    except IntegrityError:
        discard_files(files)
        existing = model._default_manager.filter(client_key=key).first()
        if existing is None:
            raise
        if getattr(existing, owner_field) != owner_id:
            raise key_conflict() from None
        return Saved(existing, False)
    except BaseException:
        discard_files(files)
        raise
