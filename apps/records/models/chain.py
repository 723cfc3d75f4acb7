"""The hash chain over every field record, and its published daily anchors."""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from apps.records.models.sealed import SealedModel


class ChainEntry(SealedModel):
    """One record's place in the chain.

    `content_hash` is the SHA-256 of the record's stored fields; `entry_hash` covers this
    entry's fields and `prev_hash` (the previous entry's `entry_hash`), so changing, removing
    or inserting any record or entry breaks every later link. See apps.records.chain."""

    chained = False

    seq = models.PositiveBigIntegerField(_("sequence"), unique=True)
    record_type = models.CharField(_("record type"), max_length=60)
    record_id = models.PositiveBigIntegerField(_("record id"))
    content_hash = models.CharField(_("content hash"), max_length=64)
    prev_hash = models.CharField(_("previous entry hash"), max_length=64)
    entry_hash = models.CharField(_("entry hash"), max_length=64, unique=True)
    created_at = models.DateTimeField(_("appended at"))

    class Meta(SealedModel.Meta):
        verbose_name = _("chain entry")
        verbose_name_plural = _("chain entries")
        ordering = ["seq"]
        constraints = [
            # chain_append relies on these: a record enters the chain once, and two writers
            # that somehow read the same head cannot both append after it (no fork).
            models.UniqueConstraint(fields=["record_type", "record_id"],
                                    name="chain_entry_one_per_record"),
            models.UniqueConstraint(fields=["prev_hash"], name="chain_entry_no_fork"),
        ]

    def __str__(self) -> str:
        return f"#{self.seq} {self.record_type}:{self.record_id}"


class ChainAnchor(SealedModel):
    """The chain head at the end of a day, published in that day's report (laporan harian).

    Signed with a key that is not in the database (apps.records.signing), so an anchor
    rewritten here no longer verifies; copies kept outside the database (the witness
    directory, webhook payloads, the printed report) let anyone prove later that the history
    up to that entry was not rewritten, even consistently."""

    chained = False

    day = models.DateField(_("day"), unique=True)
    seq = models.PositiveBigIntegerField(_("sequence"))
    entry_hash = models.CharField(_("entry hash"), max_length=64)
    published_at = models.DateTimeField(_("published at"), default=timezone.now)
    # Ed25519 over apps.records.anchors.anchor_message(); empty only on anchors published
    # before anchors were signed (verify_records reports those).
    key_id = models.CharField(_("signing key"), max_length=16, blank=True, default="")
    signature = models.CharField(_("signature"), max_length=100, blank=True, default="")

    class Meta(SealedModel.Meta):
        verbose_name = _("chain anchor")
        verbose_name_plural = _("chain anchors")
        ordering = ["-day"]

    def __str__(self) -> str:
        return f"{self.day}: #{self.seq} {self.entry_hash[:12]}…"
