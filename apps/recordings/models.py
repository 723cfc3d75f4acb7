"""The index of recorded video: one row per segment file in the "recordings" storage."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _


class RecordingSegment(models.Model):
    """One segment file (fragmented MP4, at most about a minute) of one camera: its span,
    size and SHA-256 (checked against the file by integrity checks), what happened in it, and
    whether it is held (attached to an incident or an export: retention never deletes it)."""

    camera = models.ForeignKey(
        "cameras.Camera", verbose_name=_("camera"), on_delete=models.CASCADE,
        related_name="recording_segments",
    )
    start = models.DateTimeField(_("start"))
    end = models.DateTimeField(_("end"))
    bytes = models.PositiveBigIntegerField(_("size (bytes)"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    packets = models.PositiveIntegerField(_("packets"), default=0)
    storage_name = models.CharField(_("file"), max_length=255, unique=True)
    has_motion = models.BooleanField(_("motion"), default=False)
    has_tamper = models.BooleanField(_("tampering"), default=False)
    alerts = models.ManyToManyField(
        "alerts.Alert", verbose_name=_("alerts"), blank=True, related_name="recording_segments",
    )
    held = models.BooleanField(_("held"), default=False)
    hold_reason = models.CharField(_("hold reason"), max_length=200, blank=True)
    held_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("held by"), null=True, blank=True,
        on_delete=models.PROTECT, related_name="+",
    )
    held_at = models.DateTimeField(_("held at"), null=True, blank=True)
    created_at = models.DateTimeField(_("recorded at"), auto_now_add=True)
    # When verify_records last re-hashed the file and what it found ("" when it matched):
    # each walk checks the least recently checked segments first (apps.recordings.integrity).
    checked_at = models.DateTimeField(_("file checked at"), null=True, blank=True)
    check_problem = models.CharField(_("file problem"), max_length=8, blank=True)

    class Meta:
        verbose_name = _("recording segment")
        verbose_name_plural = _("recording segments")
        ordering = ["camera", "start"]
        indexes = [
            # The timeline and playback: a camera's segments over a span.
            models.Index(fields=["camera", "start"]),
            # Retention walks everything oldest-first.
            models.Index(fields=["start"]),
            # The integrity walk: never checked first (IS NULL), then the longest unchecked.
            models.Index(fields=["checked_at", "id"], name="recording_segment_check_order"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(end__gte=F("start")),
                                   name="recording_segment_end_after_start"),
            models.CheckConstraint(condition=Q(held=False) | ~Q(hold_reason=""),
                                   name="recording_segment_hold_has_reason"),
        ]

    def __str__(self) -> str:
        return f"{self.camera_id} {self.start:%Y-%m-%d %H:%M:%S}"


# Evidence exports, their files and the holds they put on segments (a module of their own).
from apps.recordings.evidence_models import (  # noqa: E402
    EvidenceExport,
    EvidenceFile,
    HoldRelease,
    SegmentHold,
)

__all__ = ["EvidenceExport", "EvidenceFile", "HoldRelease", "RecordingSegment", "SegmentHold"]
