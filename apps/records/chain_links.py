"""How a record becomes a link of the hash chain: the canonical content hash of its row, the
entry hash that ties it to the previous entry, and the append itself, run by
SealedModel.save() in the record's own transaction. The walk that verifies the links is
apps.records.chain; the signed copies, apps.records.anchors. (The chain entry model is looked
up by name: the models call this module when they are saved.)"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, date, datetime, time
from decimal import Decimal
from uuid import UUID

from django.apps import apps
from django.db import connection, models
from django.db.models.fields.files import FieldFile
from django.utils import timezone

GENESIS = "0" * 64
CHAIN_VERSION = "posko-chain-v1"
# Any constant works; it names "the records chain" among the database's advisory locks.
ADVISORY_LOCK_KEY = 0x506F736B6F  # "Posko"


def record_type(model: type[models.Model] | models.Model) -> str:
    return model._meta.label_lower


def _canonical(value):
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat() if timezone.is_aware(value) else value.isoformat()
    if isinstance(value, date | time):
        return value.isoformat()
    if isinstance(value, UUID):
        return str(value)
    if isinstance(value, FieldFile):
        return value.name or ""
    if isinstance(value, dict):
        return {str(k): _canonical(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_canonical(v) for v in value]
    raise TypeError(f"cannot hash a {type(value).__name__}")


def content_of(record: models.Model) -> dict:
    """The stored columns of `record`, by column attribute name, in canonical form."""
    return {
        f.attname: _canonical(f.value_from_object(record))
        for f in record._meta.concrete_fields
    }


def content_hash(record: models.Model) -> str:
    payload = json.dumps(
        {"type": record_type(record), "fields": content_of(record)},
        sort_keys=True, separators=(",", ":"), ensure_ascii=False,
    )
    return hashlib.sha256(payload.encode()).hexdigest()


def entry_hash(*, seq: int, record_type: str, record_id: int, content_hash: str,
               prev_hash: str, created_at: datetime) -> str:
    text = "\n".join([CHAIN_VERSION, str(seq), record_type, str(record_id), content_hash,
                      prev_hash, created_at.astimezone(UTC).isoformat()])
    return hashlib.sha256(text.encode()).hexdigest()


def _lock_chain() -> None:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [ADVISORY_LOCK_KEY])
    # SQLite: the IMMEDIATE transaction already holds the database's single write lock.


def chain_append(*, record: models.Model) -> models.Model:
    """Append `record` (just inserted, in the caller's transaction) to the chain."""
    if not connection.in_atomic_block:
        raise RuntimeError("chain_append must run inside the record's transaction")
    # The record's own hash first: every append waits for the lock, so it holds it only for
    # reading the head and writing the entry.
    stored = type(record)._base_manager.get(pk=record.pk)
    label = record_type(record)
    digest = content_hash(stored)
    _lock_chain()
    ChainEntry = apps.get_model("records", "ChainEntry")
    head = ChainEntry.objects.order_by("-seq").values("seq", "entry_hash").first()
    seq = head["seq"] + 1 if head else 1
    prev = head["entry_hash"] if head else GENESIS
    # Whole microseconds, as both databases store them: the verifier recomputes this.
    created_at = timezone.now()
    entry = ChainEntry(
        seq=seq, record_type=label, record_id=record.pk, content_hash=digest, prev_hash=prev,
        created_at=created_at,
        entry_hash=entry_hash(seq=seq, record_type=label, record_id=record.pk,
                              content_hash=digest, prev_hash=prev, created_at=created_at),
    )
    entry.save()
    return entry
