"""Append-only models: a row is written once and never changed or removed by the application.

Every guard an ORM caller could reach refuses: `save()` of an existing row, `delete()`,
`QuerySet.update()/delete()/bulk_update()`, and `bulk_create()` (which would skip the hash
chain). A correction is a new row that references the original (`amends`). The database
refuses UPDATE and DELETE too (triggers: migration 0002 on PostgreSQL, 0004 on SQLite; and
the grants in the README), so a bug or a shell session cannot quietly rewrite history
either; anything done behind all of that is caught by `verify_records` against the signed
anchors and their copies outside the database (apps.records.chain, apps.records.anchors).
"""

from __future__ import annotations

from django.db import models, transaction

from apps.records.chain_links import chain_append


class SealedRecordError(RuntimeError):
    """Raised on any attempt to change or delete an append-only record."""


class SealedQuerySet(models.QuerySet):
    def _refuse(self, *args, **kwargs):
        raise SealedRecordError(
            f"{self.model.__name__} records are append-only: add an amendment instead."
        )

    update = _refuse
    delete = _refuse
    bulk_update = _refuse
    bulk_create = _refuse  # rows must pass through save() to join the hash chain
    _raw_delete = _refuse  # the deletion collector's fast path


SealedManager = models.Manager.from_queryset(SealedQuerySet)


class SealedModel(models.Model):
    """Base of every append-only record. Inserting one appends it to the hash chain in the
    same transaction, whoever inserts it (service, demo builder or shell)."""

    # ChainEntry and ChainAnchor are sealed but are the chain itself.
    chained = True

    objects = SealedManager()

    class Meta:
        abstract = True
        # Related-object access and deletion use the base manager: make it the guarded one.
        base_manager_name = "objects"

    def save(self, *args, **kwargs) -> None:
        if not self._state.adding:
            raise SealedRecordError(
                f"{type(self).__name__} #{self.pk} is append-only: add an amendment instead."
            )
        kwargs["force_insert"] = True
        # One unit with its chain entry. No savepoint of its own: a caller that recovers from
        # a failed insert wraps it in its own atomic block (they all do), and two fewer
        # round trips here are two fewer while the chain is locked.
        with transaction.atomic(using=kwargs.get("using"), savepoint=False):
            super().save(*args, **kwargs)
            if self.chained:
                chain_append(record=self)

    def delete(self, *args, **kwargs):
        raise SealedRecordError(f"{type(self).__name__} #{self.pk} is append-only.")
