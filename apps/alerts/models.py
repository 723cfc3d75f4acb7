from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from apps.accounts.models import Role
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
    # The escalation chain (apps.alerts.escalation): the chain step whose people were told
    # last (0: the people on duty), and when the next notice is due (empty: none pending,
    # e.g. answered). A notice is claimed by a conditional update on both.
    escalation_step = models.PositiveSmallIntegerField(default=0)
    escalation_due_at = models.DateTimeField(null=True, blank=True, db_index=True)
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
                   models.Index(fields=["first_raised_at", "id"], name="alert_raised_idx"),
                   # The API's list, most recently raised first, a page at a time: without
                   # it every alert in scope was sorted for each page (30 ms at city scale).
                   models.Index(fields=["last_raised_at", "id"], name="alert_last_raised_idx"),
                   # The tamper alerts open during a day (camera uptime, guard coverage):
                   # those still open or resolved since, not every camera's history.
                   models.Index(fields=["resolved_at"], condition=Q(kind="tamper"),
                                name="alert_tamper_resolved_idx")]

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
        ESCALATED = "escalated", _("Escalated")

    alert = models.ForeignKey(Alert, on_delete=models.CASCADE, related_name="events")
    action = models.CharField(_("action"), max_length=12, choices=Action.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
        related_name="+",
    )
    comment = models.TextField(_("comment"), blank=True)
    at = models.DateTimeField(default=timezone.now)
    # A notice of the escalation chain (a high alert's raise, or a step fired): who was told.
    # `step` 0 is the people on duty, 1… the chain's steps (`role`); `repeat` counts the last
    # step's repeats. Without a step, an event is told to everyone who may see the alert.
    step = models.PositiveSmallIntegerField(_("escalation step"), null=True, blank=True)
    role = models.CharField(_("role"), max_length=20, blank=True)
    repeat = models.PositiveSmallIntegerField(default=0)
    notified = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True,
                                      verbose_name=_("notified"), related_name="alert_notices")

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


# The roles a chain step may call: the people who may act on an alert
# (apps.access.policy.jurisdiction.ALERT_OPERATORS).
STEP_ROLES = [(role.value, role.label) for role in
              (Role.OPERATOR, Role.POST_COMMANDER, Role.COMMANDER)]


class EscalationChain(models.Model):
    """Who is told, one step after another, about an unanswered alert of `severity` at the
    facilities of `region` and the regions below it (the nearest region's chain applies;
    without one, apps.alerts.escalation.DEFAULT_STEPS). The last step repeats every
    `repeat_minutes` until someone acknowledges."""

    region = models.ForeignKey("org.Region", verbose_name=_("region"), on_delete=models.PROTECT,
                               related_name="+")
    severity = models.PositiveSmallIntegerField(
        _("severity"), choices=[(s.value, s.label) for s in Alert.Severity
                                if s >= Alert.Severity.HIGH])
    repeat_minutes = models.PositiveSmallIntegerField(
        _("repeat the last step every (minutes)"), default=5,
        validators=[MinValueValidator(1), MaxValueValidator(120)])

    class Meta:
        verbose_name = _("escalation chain")
        verbose_name_plural = _("escalation chains")
        ordering = ["region__path", "severity"]
        constraints = [models.UniqueConstraint(fields=["region", "severity"],
                                               name="escalation_chain_unique")]

    def __str__(self) -> str:
        return f"{self.region} · {self.get_severity_display()}"


class EscalationStep(models.Model):
    """One step of a chain: the people of `role` who may see the alert are told
    `delay_minutes` after the previous notice (the first step: after the raise)."""

    chain = models.ForeignKey(EscalationChain, on_delete=models.CASCADE, related_name="steps")
    position = models.PositiveSmallIntegerField(_("order"))
    role = models.CharField(_("role"), max_length=20, choices=STEP_ROLES)
    delay_minutes = models.PositiveSmallIntegerField(
        _("after (minutes)"), validators=[MaxValueValidator(240)],
        help_text=_("Minutes after the previous notice without an answer."))

    class Meta:
        verbose_name = _("escalation step")
        verbose_name_plural = _("escalation steps")
        ordering = ["chain", "position"]
        constraints = [models.UniqueConstraint(fields=["chain", "position"],
                                               name="escalation_step_unique_position")]

    def __str__(self) -> str:
        return f"{self.position}. {self.get_role_display()} (+{self.delay_minutes} min)"


class CommandWatch(models.Model):
    """An operator's watch at the command center covering `region` (and the regions below
    it): the operators on watch now are the first told of a high alert there. Guards and
    Padal are on the post rosters (apps.duty); the command center has no posts, so its
    watches are kept here."""

    person = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("operator"),
                               on_delete=models.PROTECT, related_name="command_watches")
    region = models.ForeignKey("org.Region", verbose_name=_("region"), on_delete=models.PROTECT,
                               related_name="+")
    start = models.DateTimeField(_("start"))
    end = models.DateTimeField(_("end"))

    class Meta:
        verbose_name = _("command-center watch")
        verbose_name_plural = _("command-center watches")
        ordering = ["-start"]
        constraints = [models.CheckConstraint(condition=Q(end__gt=F("start")),
                                              name="command_watch_ends_after_start")]
        indexes = [models.Index(fields=["start", "end"], name="alerts_watch_period")]

    def __str__(self) -> str:
        return f"{self.person} · {self.region} · {self.start:%Y-%m-%d %H:%M}"
