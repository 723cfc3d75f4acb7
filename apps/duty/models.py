"""Guard duty (penjagaan 1x24 jam): posts, coverage standards, shifts and attendance.

Words used as users say them:
- a *post* (pos jaga) is a place at a facility where guards stand, e.g. the main gate;
- a *shift* (sif, giliran jaga) puts one person at one post for a stretch of time;
- the *Padal* (perwira pengendali) is the post commander who plans the roster;
- *serah terima* is the handover note the outgoing guard leaves for the next shift.

Times are stored in UTC; pages show them in the facility's own zone (WIB/WITA/WIT).
"""

from __future__ import annotations

from datetime import time, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from apps.org.models import Agency

# Longest shift the portal accepts. PostgreSQL also enforces it (migration 0002).
MAX_SHIFT = timedelta(hours=24)

SECURITY_PILLAR_CHOICES = [
    (value, label) for value, label in Agency.Pillar.choices
    if value in Agency.SECURITY_PILLARS
]


def _validate_pillars(value) -> None:
    allowed = {value for value, _label in SECURITY_PILLAR_CHOICES}
    if not isinstance(value, list) or not all(isinstance(v, str) and v in allowed for v in value):
        raise ValidationError(_("Required pillars must be among Polri, TNI and Pemda."))


class GuardPost(models.Model):
    """A guard post (pos jaga) at a facility."""

    facility = models.ForeignKey(
        "places.Facility", verbose_name=_("facility"), on_delete=models.PROTECT,
        related_name="guard_posts",
    )
    name = models.CharField(_("name"), max_length=120)
    description = models.CharField(_("description"), max_length=255, blank=True)
    is_main = models.BooleanField(
        _("main post"), default=False,
        help_text=_("The main post carries the operation's standard (its minimum guards "
                    "around the clock) while the post has no standard of its own."),
    )
    lone_check_minutes = models.PositiveSmallIntegerField(
        _("lone-post check (minutes)"), null=True, blank=True,
        validators=[MinValueValidator(5), MaxValueValidator(240)],
        help_text=_("A guard on shift here confirms “I am safe” at least this often; "
                    "empty: no check."),
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("guard post")
        verbose_name_plural = _("guard posts")
        ordering = ["facility__name", "-is_main", "name"]
        constraints = [
            models.UniqueConstraint(fields=["facility", "name"], name="guard_post_unique_name"),
            # The coverage loader gives the operation's standard to this one post: two main
            # posts would double the facility's requirement.
            models.UniqueConstraint(
                fields=["facility"], condition=Q(is_main=True), name="guard_post_one_main",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.facility} · {self.name}"

    def get_absolute_url(self) -> str:
        return reverse("duty:roster", args=[self.pk])


class CoverageStandard(models.Model):
    """How many guards a post needs during a daily band of local time, from a date on.

    While any of a post's own standards is valid, the post's own standards replace the
    operation's default for that post; outside those periods the default applies again. Where
    two of a post's standards overlap, the strictest wins (most guards, every pillar asked).
    """

    post = models.ForeignKey(
        GuardPost, verbose_name=_("post"), on_delete=models.CASCADE, related_name="standards"
    )
    band_start = models.TimeField(
        _("from (local time)"), default=time(0),
        help_text=_("Equal start and end mean around the clock; a start after the end "
                    "wraps midnight (18:00–06:00)."),
    )
    band_end = models.TimeField(_("until (local time)"), default=time(0))
    min_personnel = models.PositiveSmallIntegerField(_("minimum personnel"))
    required_pillars = models.JSONField(
        _("required pillars"), default=list, blank=True, validators=[_validate_pillars],
        help_text=_("At least one person of each of these pillars must be present."),
    )
    valid_from = models.DateTimeField(_("valid from"), default=timezone.now)
    valid_until = models.DateTimeField(_("valid until"), null=True, blank=True)
    note = models.CharField(_("note"), max_length=255, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("coverage standard")
        verbose_name_plural = _("coverage standards")
        ordering = ["post", "valid_from", "band_start"]
        constraints = [
            models.CheckConstraint(
                condition=Q(valid_until__isnull=True) | Q(valid_until__gt=F("valid_from")),
                name="coverage_standard_ends_after_start",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.post}: {self.min_personnel} ({self.band_start:%H:%M}–{self.band_end:%H:%M})"

    def clean(self) -> None:
        if self.valid_until and self.valid_from and self.valid_until <= self.valid_from:
            raise ValidationError({"valid_until": _("The standard must end after it starts.")})


class ShiftQuerySet(models.QuerySet):
    def published(self):
        return self.filter(published_at__isnull=False)

    def overlapping(self, start, end):
        """Shifts sharing an instant with [start, end): touching ends do not overlap."""
        return self.filter(start__lt=end, end__gt=start)


class Shift(models.Model):
    """One person at one post from `start` to `end` (half-open). A shift without a person is
    an open slot still to be filled. Nobody is ever on two overlapping shifts: PostgreSQL
    refuses it with an exclusion constraint (migration 0002); on SQLite the roster services
    check inside the same write transaction."""

    post = models.ForeignKey(
        GuardPost, verbose_name=_("post"), on_delete=models.PROTECT, related_name="shifts"
    )
    person = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("person"), null=True, blank=True,
        on_delete=models.PROTECT, related_name="shifts",
    )
    # Copied at assignment: a later transfer must not rewrite who guarded for which pillar.
    pillar = models.CharField(_("pillar"), max_length=10, blank=True)
    start = models.DateTimeField(_("start"))
    end = models.DateTimeField(_("end"))
    note = models.CharField(_("note"), max_length=255, blank=True)
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)
    # Set once by the duty checks (a conditional update), so a missed check-in is recorded
    # and alerted exactly once.
    missed_check_in_at = models.DateTimeField(_("missed check-in recorded"), null=True,
                                              blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
        related_name="+",
    )
    updated_at = models.DateTimeField(default=timezone.now)

    objects = ShiftQuerySet.as_manager()

    class Meta:
        verbose_name = _("shift")
        verbose_name_plural = _("shifts")
        ordering = ["start", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(end__gt=F("start")), name="shift_ends_after_start"),
        ]
        indexes = [
            models.Index(fields=["start", "end"], name="duty_shift_period"),
            models.Index(fields=["person", "start"], name="duty_shift_person_start"),
            models.Index(fields=["post", "start"], name="duty_shift_post_start"),
        ]

    def __str__(self) -> str:
        who = self.person or _("(open slot)")
        return f"{self.post} · {who} · {self.start:%Y-%m-%d %H:%M}"

    def get_absolute_url(self) -> str:
        return reverse("duty:shift_edit", args=[self.pk])

    @property
    def duration(self) -> timedelta:
        return self.end - self.start


class Attendance(models.Model):
    """A person's presence on their shift: check-in, check-out and the handover note.

    The server's receive times are authoritative and never change; the device times are what
    the phone said (a phone may sync late). Written by the check-in services only."""

    shift = models.OneToOneField(
        Shift, verbose_name=_("shift"), on_delete=models.PROTECT, related_name="attendance"
    )
    # Copied from the shift so coverage reads one table (and a reassignment after the fact
    # cannot move a presence to someone else).
    person = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("person"), on_delete=models.PROTECT,
        related_name="attendances",
    )
    post = models.ForeignKey(
        GuardPost, verbose_name=_("post"), on_delete=models.PROTECT, related_name="attendances"
    )
    pillar = models.CharField(_("pillar"), max_length=10, blank=True)
    checked_in_at = models.DateTimeField(_("checked in at"), db_index=True)
    check_in_received_at = models.DateTimeField(_("check-in received at"), default=timezone.now)
    check_in_device_time = models.DateTimeField(_("check-in device time"), null=True, blank=True)
    check_in_delayed = models.BooleanField(
        _("check-in sent late"), default=False,
        help_text=_("The phone's time was more than an hour before the server received it."),
    )
    late_minutes = models.PositiveIntegerField(_("minutes late"), default=0)
    latitude = models.DecimalField(_("latitude"), max_digits=9, decimal_places=6, null=True,
                                   blank=True)
    longitude = models.DecimalField(_("longitude"), max_digits=9, decimal_places=6, null=True,
                                    blank=True)
    accuracy_m = models.PositiveIntegerField(_("location accuracy (m)"), null=True, blank=True)
    # Re-encoded JPEG under a generated name; served only by duty:attendance_photo.
    photo = models.FileField(_("photo"), upload_to="duty/attendance/", blank=True)
    checked_out_at = models.DateTimeField(_("checked out at"), null=True, blank=True)
    check_out_received_at = models.DateTimeField(_("check-out received at"), null=True,
                                                 blank=True)
    check_out_device_time = models.DateTimeField(_("check-out device time"), null=True,
                                                 blank=True)
    check_out_delayed = models.BooleanField(_("check-out sent late"), default=False)
    early_leave_minutes = models.PositiveIntegerField(_("minutes left early"), default=0)
    handover_note = models.TextField(_("handover note (serah terima)"), blank=True,
                                     max_length=4000)

    class Meta:
        verbose_name = _("attendance")
        verbose_name_plural = _("attendance")
        ordering = ["-checked_in_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(checked_out_at__isnull=True)
                | Q(checked_out_at__gte=F("checked_in_at")),
                name="attendance_out_after_in",
            ),
        ]
        indexes = [
            models.Index(fields=["post", "checked_in_at"], name="duty_attendance_post_in"),
            # Coverage reads the check-outs of its period (apps.duty.loading), not the history.
            models.Index(fields=["checked_out_at"], name="duty_attendance_out"),
        ]

    def __str__(self) -> str:
        return f"{self.person} @ {self.post} {self.checked_in_at:%Y-%m-%d %H:%M}"

    @property
    def is_open(self) -> bool:
        return self.checked_out_at is None


class SafetyConfirmation(models.Model):
    """"Saya aman": a guard on a lone-post shift confirms they are safe (apps.duty.safety).
    Who, where and when, with the phone's location when it allowed it."""

    shift = models.ForeignKey(Shift, verbose_name=_("shift"), on_delete=models.PROTECT,
                              related_name="safety_confirmations")
    person = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("person"),
                               on_delete=models.PROTECT, related_name="+")
    post = models.ForeignKey(GuardPost, verbose_name=_("post"), on_delete=models.PROTECT,
                             related_name="safety_confirmations")
    at = models.DateTimeField(_("confirmed at"), default=timezone.now)
    latitude = models.DecimalField(_("latitude"), max_digits=9, decimal_places=6, null=True,
                                   blank=True)
    longitude = models.DecimalField(_("longitude"), max_digits=9, decimal_places=6, null=True,
                                    blank=True)
    accuracy_m = models.PositiveIntegerField(_("location accuracy (m)"), null=True, blank=True)

    class Meta:
        verbose_name = _("safety confirmation")
        verbose_name_plural = _("safety confirmations")
        ordering = ["-at"]
        indexes = [models.Index(fields=["shift", "at"], name="duty_safety_shift_at")]

    def __str__(self) -> str:
        return f"{self.person} @ {self.post} {self.at:%Y-%m-%d %H:%M}"


class PanicPress(models.Model):
    """One press of the panic button (tombol darurat), kept as sent. `client_key` is made by
    the phone for the press: a resend (the phone never saw the answer, or sent it from its
    offline queue) finds this row instead of raising again."""

    client_key = models.UUIDField(_("client key"), unique=True)
    person = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("person"),
                               on_delete=models.PROTECT, related_name="+")
    facility = models.ForeignKey("places.Facility", verbose_name=_("facility"),
                                 on_delete=models.PROTECT, related_name="+")
    post = models.ForeignKey(GuardPost, verbose_name=_("post"), null=True, blank=True,
                             on_delete=models.PROTECT, related_name="+")
    # How the place was found: the shift now, the last patrol visit, or the agency's region.
    located_by = models.CharField(_("place from"), max_length=10)
    alert = models.ForeignKey("alerts.Alert", verbose_name=_("alert"), on_delete=models.PROTECT,
                              related_name="+")
    received_at = models.DateTimeField(_("received at"), default=timezone.now, db_index=True)
    device_time = models.DateTimeField(_("device time"), null=True, blank=True)
    latitude = models.DecimalField(_("latitude"), max_digits=9, decimal_places=6, null=True,
                                   blank=True)
    longitude = models.DecimalField(_("longitude"), max_digits=9, decimal_places=6, null=True,
                                    blank=True)
    accuracy_m = models.PositiveIntegerField(_("location accuracy (m)"), null=True, blank=True)

    class Meta:
        verbose_name = _("panic press")
        verbose_name_plural = _("panic presses")
        ordering = ["-received_at"]
        indexes = [models.Index(fields=["person", "received_at"], name="duty_panic_person_at")]

    def __str__(self) -> str:
        return f"{self.person} {self.received_at:%Y-%m-%d %H:%M}"
