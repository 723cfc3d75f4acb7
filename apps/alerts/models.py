from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from apps.alerts import texts


class Alert(models.Model):
    """Something a person must look at. Every issue raises into this one model through
    `apps.alerts.services.alert_raise`; a repeating condition updates its open alert."""

    class Kind(models.TextChoices):
        MOTION = "motion", _("Motion while armed")
        CAMERA_OFFLINE = "camera_offline", _("Camera offline")
        TAMPER = "tamper", _("Camera tampering")
        POST_UNDERSTAFFED = "post_understaffed", _("Post understaffed")
        MISSED_CHECK_IN = "missed_check_in", _("Missed check-in")
        UNASSIGNED_SHIFT = "unassigned_shift", _("Shift without personnel")
        PATROL_OVERDUE = "patrol_overdue", _("Patrol overdue")
        LOGISTICS_DISCREPANCY = "logistics_discrepancy", _("Logistics discrepancy")
        INCIDENT = "incident", _("Incident")
        STORAGE = "storage", _("Storage problem")
        PANIC = "panic", _("Panic button")
        LONE_WORKER_OVERDUE = "lone_overdue", _("Lone guard not confirmed")
        OTHER = "other", _("Other")

    class Severity(models.IntegerChoices):
        LOW = 1, _("Low")
        MEDIUM = 2, _("Medium")
        HIGH = 3, _("High")
        CRITICAL = 4, _("Critical")

    class State(models.TextChoices):
        OPEN = "open", _("Open")
        ACKNOWLEDGED = "acknowledged", _("Acknowledged")
        RESOLVED = "resolved", _("Resolved")

    kind = models.CharField(_("kind"), max_length=30, choices=Kind.choices)
    severity = models.PositiveSmallIntegerField(_("severity"), choices=Severity.choices)
    facility = models.ForeignKey(
        "places.Facility", verbose_name=_("facility"), on_delete=models.PROTECT,
        related_name="alerts",
    )
    camera = models.ForeignKey(
        "cameras.Camera", verbose_name=_("camera"), null=True, blank=True,
        on_delete=models.PROTECT, related_name="alerts",
    )
    # Text in the default language as written when raised: what is shown when `params` has
    # no message (alerts from before it existed, free text). See apps.alerts.texts.
    title = models.CharField(_("title"), max_length=200)
    detail = models.TextField(_("detail"), blank=True)
    # The message code and its parameters: the title and detail are made from them in the
    # reader's language when shown.
    params = models.JSONField(_("parameters"), default=dict, blank=True)
    evidence = models.FileField(_("evidence"), upload_to="evidence/%Y/%m/%d/", blank=True)
    state = models.CharField(
        _("state"), max_length=12, choices=State.choices, default=State.OPEN, db_index=True
    )
    dedup_key = models.CharField(
        _("deduplication key"), max_length=200,
        help_text=_("Repeats of the same condition update the open alert with this key."),
    )
    occurrences = models.PositiveIntegerField(_("occurrences"), default=1)
    first_raised_at = models.DateTimeField(_("first raised"), default=timezone.now)
    last_raised_at = models.DateTimeField(_("last raised"), default=timezone.now)
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("assigned to"), null=True, blank=True,
        on_delete=models.PROTECT, related_name="assigned_alerts",
    )
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
        related_name="+",
    )
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
        related_name="+",
    )
    resolved_at = models.DateTimeField(null=True, blank=True)
    escalated_at = models.DateTimeField(null=True, blank=True)
    # The id of the newest AlertEvent: the sequence number clients resync from.
    last_seq = models.PositiveBigIntegerField(default=0, db_index=True)

    class Meta:
        verbose_name = _("alert")
        verbose_name_plural = _("alerts")
        ordering = ["-last_raised_at"]
        constraints = [
            # alert_raise relies on this: one unresolved alert per condition, even under races.
            models.UniqueConstraint(
                fields=["dedup_key"], condition=~Q(state="resolved"),
                name="alert_one_unresolved_per_key",
            ),
        ]
        indexes = [models.Index(fields=["facility", "state"]),
                   # The alerts of a day or a week at the facilities in scope.
                   models.Index(fields=["facility", "first_raised_at"]),
                   # The review list: a week of a whole city's alerts, newest first, a page
                   # at a time (apps.alerts.review).
                   models.Index(fields=["first_raised_at", "id"], name="alert_raised_idx")]

    def __str__(self) -> str:
        # Used wherever no viewer is known (choice labels, admin headings, logs): it names no
        # camera. Pages show `shown_title` of apps.alerts.redaction.for_viewer's copies.
        return f"{self.get_kind_display()} #{self.pk}"

    def get_absolute_url(self) -> str:
        return reverse("alerts:detail", args=[self.pk])

    @property
    def is_open(self) -> bool:
        return self.state != self.State.RESOLVED

    @property
    def shown_title(self) -> str:
        """The title in the active language (of a redacted copy: the kind)."""
        return texts.render(self)[0]

    @property
    def shown_detail(self) -> str:
        return texts.render(self)[1]


class AlertEvent(models.Model):
    """Append-only history of an alert. Its id is the alert sequence number: a client that
    missed pushes asks for events after the last id it saw."""

    class Action(models.TextChoices):
        RAISED = "raised", _("Raised")
        # No longer written (a repeat counts on the alert); kept for the history stored.
        REPEATED = "repeated", _("Repeated")
        REOPENED = "reopened", _("Raised again")
        CLEARED = "cleared", _("Resolved automatically")
        ACKNOWLEDGED = "acknowledged", _("Acknowledged")
        ASSIGNED = "assigned", _("Assigned")
        RESOLVED = "resolved", _("Resolved")
        ESCALATED = "escalated", _("Escalated to the commander")

    alert = models.ForeignKey(Alert, on_delete=models.CASCADE, related_name="events")
    action = models.CharField(_("action"), max_length=12, choices=Action.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
        related_name="+",
    )
    comment = models.TextField(_("comment"), blank=True)
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("alert event")
        verbose_name_plural = _("alert events")
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.get_action_display()} #{self.alert_id}"

    @property
    def shown_comment(self) -> str:
        """The comment; for an automatic resolution, why, in the active language."""
        if self.action == self.Action.CLEARED and not self.comment:
            return texts.cleared_reason(self.alert.kind)
        return self.comment


class AlertEvidence(models.Model):
    """A frame kept as evidence for an alert (before/after the event), privacy masks burned in.
    The SHA-256 lets a later check prove the file was not changed."""

    alert = models.ForeignKey(Alert, on_delete=models.CASCADE, related_name="frames")
    camera = models.ForeignKey(
        "cameras.Camera", on_delete=models.PROTECT, related_name="evidence_frames"
    )
    taken_at = models.DateTimeField()
    offset_seconds = models.FloatField(
        help_text=_("Seconds relative to the event (negative: before).")
    )
    image = models.FileField(upload_to="evidence/%Y/%m/%d/")
    sha256 = models.CharField(max_length=64)

    class Meta:
        verbose_name = _("evidence frame")
        verbose_name_plural = _("evidence frames")
        ordering = ["alert", "taken_at"]

    def __str__(self) -> str:
        return f"#{self.alert_id} {self.offset_seconds:+.1f}s"
