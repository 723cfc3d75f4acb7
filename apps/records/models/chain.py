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


class ChainVerification(models.Model):
    """One walk of the whole chain (apps.records.chain.chain_verify) and what it found.

    The walk grows with the history (tens of seconds for a city's year), so it runs in the
    background — on a schedule or on an administrator's request — and
    the integrity page shows the latest result instead of walking the chain per request."""

    class Trigger(models.TextChoices):
        SCHEDULE = "schedule", _("scheduled")
        REQUEST = "request", _("requested")

    trigger = models.CharField(_("started by"), max_length=10, choices=Trigger.choices)
    requested_by = models.ForeignKey("accounts.User", verbose_name=_("requested by"),
                                     null=True, blank=True, on_delete=models.SET_NULL,
                                     related_name="+")
    files = models.BooleanField(_("files re-hashed"), default=False)
    started_at = models.DateTimeField(_("started at"), default=timezone.now)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    entries = models.PositiveBigIntegerField(_("entries"), default=0)
    head_seq = models.PositiveBigIntegerField(_("head sequence"), default=0)
    head_hash = models.CharField(_("head hash"), max_length=64, blank=True, default="")
    files_checked = models.PositiveIntegerField(_("files checked"), default=0)
    anchors_checked = models.PositiveIntegerField(_("anchors checked"), default=0)
    problem_count = models.PositiveIntegerField(_("problems"), default=0)
    # The first SHOWN_PROBLEMS problems as apps.records.chain.Problem fields.
    problems = models.JSONField(_("first problems"), default=list, blank=True)

    SHOWN_PROBLEMS = 100

    class Meta:
        verbose_name = _("chain verification")
        verbose_name_plural = _("chain verifications")
        ordering = ["-started_at"]

    def __str__(self) -> str:
        return f"{self.started_at:%Y-%m-%d %H:%M} #{self.head_seq}"

    @property
    def ok(self) -> bool:
        return self.finished_at is not None and self.problem_count == 0
