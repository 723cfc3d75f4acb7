"""Evidence exports: recorded footage handed over as a bundle that proves itself.

- `EvidenceExport`: what was asked (cameras, span, who, why, on what legal basis) and how
  the building went. When the bundle is complete the row is appended to the records' hash
  chain (apps.records.chain_links) and the application never changes it again: the custody
  record. A failed export never enters the chain.
- `EvidenceFile`: each file of a complete bundle (one MP4 per camera, the manifest, the PDF)
  with its SHA-256, stored in the "recordings" storage; append-only and chained, so
  `verify_records` re-hashes each file against it.
- `SegmentHold` and `HoldRelease`: the segments an export covers are held (retention never
  deletes them) by the export itself and by each incident it is attached to; only a
  commander releases a hold, with a reason. Both append-only and chained: holding and
  releasing are part of the custody. `RecordingSegment.held` is their summary, for
  retention (apps.recordings.exports.holds_refresh).
"""

from __future__ import annotations

from dataclasses import dataclass
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.files.storage import storages
from django.db import models
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from apps.records.models.sealed import SealedModel

STORAGE = "recordings"


@dataclass(frozen=True)
class StoredFile:
    """A file in the "recordings" storage by name: what `verify_records` opens to re-hash
    (the same `name` and `open()` as a model's FieldFile)."""

    name: str

    def open(self, mode: str = "rb"):
        return storages[STORAGE].open(self.name, mode)


class EvidenceExport(models.Model):
    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Being made")
        DONE = "done", _("Complete")
        FAILED = "failed", _("Failed")

    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("exported by"),
                                     on_delete=models.PROTECT, related_name="+")
    # Copied at the time of the request: a later transfer must not rewrite who exported as whom.
    agency = models.ForeignKey("org.Agency", verbose_name=_("agency"), null=True,
                               on_delete=models.PROTECT, related_name="+")
    cameras = models.ManyToManyField("cameras.Camera", verbose_name=_("cameras"),
                                     related_name="+")
    start = models.DateTimeField(_("from"))
    end = models.DateTimeField(_("until"))
    # The zone the span was entered in (the cameras' facilities'), for every page and paper.
    zone = models.CharField(_("time zone"), max_length=40)
    reason = models.TextField(_("reason"), max_length=2000)
    legal_basis = models.CharField(_("legal basis"), max_length=255)
    # The segments the bundle is made of, chosen (and held) when it was asked for.
    segments = models.ManyToManyField("recordings.RecordingSegment", related_name="exports")
    status = models.CharField(_("status"), max_length=8, choices=Status.choices,
                              default=Status.QUEUED)
    error = models.CharField(_("error"), max_length=500, blank=True)
    requested_at = models.DateTimeField(_("requested at"), default=timezone.now)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    class Meta:
        verbose_name = _("evidence export")
        verbose_name_plural = _("evidence exports")
        ordering = ["-requested_at", "-pk"]
        constraints = [
            models.CheckConstraint(condition=Q(end__gt=F("start")),
                                   name="evidence_export_end_after_start"),
            models.CheckConstraint(condition=~Q(reason="") & ~Q(legal_basis=""),
                                   name="evidence_export_reason_and_basis"),
        ]

    def __str__(self) -> str:
        return _("Evidence export #%(pk)d") % {"pk": self.pk}

    def get_absolute_url(self) -> str:
        return reverse("exports:detail", args=[self.pk])

    @property
    def finished(self) -> bool:
        return self.status in (self.Status.DONE, self.Status.FAILED)

    @property
    def zoneinfo(self) -> ZoneInfo:
        """The zone the span is shown in (the `in_zone` template filter reads it)."""
        return ZoneInfo(self.zone)


class EvidenceFile(SealedModel):
    class Kind(models.TextChoices):
        VIDEO = "video", _("Video")
        MANIFEST = "manifest", _("Manifest (JSON)")
        PDF = "pdf", _("Manifest (PDF)")

    export = models.ForeignKey(EvidenceExport, on_delete=models.PROTECT, related_name="files")
    kind = models.CharField(_("kind"), max_length=8, choices=Kind.choices)
    camera = models.ForeignKey("cameras.Camera", verbose_name=_("camera"), null=True,
                               blank=True, on_delete=models.PROTECT, related_name="+")
    # The file's name inside the bundle (the ZIP), and where it is stored.
    name = models.CharField(_("name"), max_length=120)
    storage_name = models.CharField(_("file"), max_length=255, unique=True)
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    bytes = models.PositiveBigIntegerField(_("size (bytes)"))
    # A video's footage: the first and last moment it shows, and whether privacy masks were
    # burned in (the exporter was outside the owner agency of a masked camera).
    start = models.DateTimeField(_("from"), null=True, blank=True)
    end = models.DateTimeField(_("until"), null=True, blank=True)
    masked = models.BooleanField(_("masked"), default=False)

    class Meta(SealedModel.Meta):
        verbose_name = _("evidence file")
        verbose_name_plural = _("evidence files")
        ordering = ["export", "pk"]

    def __str__(self) -> str:
        return self.name

    @property
    def stored(self) -> StoredFile:
        return StoredFile(self.storage_name)


class SegmentHold(SealedModel):
    """The export's segments are held: by the export (`incident` empty) or because it was
    attached to `incident`. Active until a HoldRelease names it."""

    export = models.ForeignKey(EvidenceExport, on_delete=models.PROTECT, related_name="holds")
    incident = models.ForeignKey("records.Incident", verbose_name=_("incident"), null=True,
                                 blank=True, on_delete=models.PROTECT,
                                 related_name="export_holds")
    reason = models.CharField(_("reason"), max_length=200)
    held_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("held by"),
                                on_delete=models.PROTECT, related_name="+")
    held_at = models.DateTimeField(_("held at"), default=timezone.now)

    class Meta(SealedModel.Meta):
        verbose_name = _("recording hold")
        verbose_name_plural = _("recording holds")
        ordering = ["held_at", "pk"]
        constraints = [
            # An export is attached to an incident once (exports.export_attach relies on it).
            models.UniqueConstraint(fields=["export", "incident"],
                                    name="segment_hold_once_per_incident"),
        ]

    def __str__(self) -> str:
        return self.reason


class HoldRelease(SealedModel):
    hold = models.OneToOneField(SegmentHold, on_delete=models.PROTECT, related_name="release")
    released_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("released by"),
                                    on_delete=models.PROTECT, related_name="+")
    reason = models.CharField(_("reason"), max_length=500)
    released_at = models.DateTimeField(_("released at"), default=timezone.now)

    class Meta(SealedModel.Meta):
        verbose_name = _("hold release")
        verbose_name_plural = _("hold releases")

    def __str__(self) -> str:
        return f"{self.hold}: {self.reason}"
