"""Patrols (patroli) and their checkpoint visits.

- A *checkpoint* (titik pantau) is a spot at a facility with a printed QR label: the main
  gate, a fence corner, the warehouse door. Its label holds a signed token (apps.records
  .tokens) and a short code to type when the phone's camera fails.
- A *patrol* is a team (a leader and personnel of one or more pillars) going round
  checkpoints on foot, by motorcycle or by car; the leader starts it and ends it.
- A *visit* is one checkpoint scanned: device time beside server time, optional location,
  the situation (aman/kondusif, or an issue found), notes and photos.
"""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from apps.records.models.sealed import SealedModel

_LAT = [MinValueValidator(-90), MaxValueValidator(90)]
_LON = [MinValueValidator(-180), MaxValueValidator(180)]


class Checkpoint(models.Model):
    """Configuration, not a record: it may be renamed, moved or retired. Raising
    `token_version` (printing new labels) makes every older label of it useless."""

    facility = models.ForeignKey(
        "places.Facility", verbose_name=_("facility"), on_delete=models.PROTECT,
        related_name="checkpoints",
    )
    name = models.CharField(_("name"), max_length=80)
    description = models.CharField(_("description"), max_length=200, blank=True)
    code = models.CharField(_("short code"), max_length=8, unique=True, editable=False)
    token_version = models.PositiveSmallIntegerField(_("label version"), default=1,
                                                     editable=False)
    latitude = models.DecimalField(_("latitude"), max_digits=9, decimal_places=6, null=True,
                                   blank=True, validators=_LAT)
    longitude = models.DecimalField(_("longitude"), max_digits=9, decimal_places=6, null=True,
                                    blank=True, validators=_LON)
    active = models.BooleanField(_("active"), default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("checkpoint")
        verbose_name_plural = _("checkpoints")
        ordering = ["facility__name", "name"]
        constraints = [
            models.UniqueConstraint(fields=["facility", "name"], name="checkpoint_unique_name"),
        ]

    def __str__(self) -> str:
        return f"{self.name} · {self.facility}"

    @property
    def has_position(self) -> bool:
        return self.latitude is not None and self.longitude is not None


class PatrolMode(models.TextChoices):
    FOOT = "foot", _("On foot")
    MOTORCYCLE = "motorcycle", _("Motorcycle")
    CAR = "car", _("Car")


class Patrol(SealedModel):
    """A patrol as started by its leader (the team, the mode and the planned route)."""

    client_key = models.UUIDField(_("idempotency key"), unique=True)
    team_name = models.CharField(_("team"), max_length=120)
    leader = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("leader"), on_delete=models.PROTECT,
        related_name="led_patrols",
    )
    agency = models.ForeignKey(
        "org.Agency", verbose_name=_("agency"), on_delete=models.PROTECT, related_name="+",
    )
    operation = models.ForeignKey(
        "places.Operation", verbose_name=_("operation"), null=True, blank=True,
        on_delete=models.PROTECT, related_name="patrols",
    )
    mode = models.CharField(_("mode"), max_length=12, choices=PatrolMode.choices)
    pillars = models.JSONField(_("pillars"), default=list)
    planned_checkpoints = models.JSONField(_("planned checkpoints"), default=list)
    started_at = models.DateTimeField(_("started at"))
    device_time = models.DateTimeField(_("device time"), null=True, blank=True)
    received_at = models.DateTimeField(_("received at"))
    note = models.CharField(_("note"), max_length=500, blank=True)

    class Meta(SealedModel.Meta):
        verbose_name = _("patrol")
        verbose_name_plural = _("patrols")
        ordering = ["-started_at"]
        indexes = [models.Index(fields=["started_at"])]  # the pages' nights, days and weeks

    def __str__(self) -> str:
        return f"{self.team_name} ({self.started_at:%Y-%m-%d %H:%M})"

    def get_absolute_url(self) -> str:
        return reverse("records:patrol_detail", args=[self.pk])


class PatrolMember(SealedModel):
    """A person in the team: a portal user, or just a name (not everyone has a login)."""

    patrol = models.ForeignKey(Patrol, on_delete=models.PROTECT, related_name="members")
    person = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
        related_name="patrol_memberships",
    )
    name = models.CharField(_("name"), max_length=120)
    is_leader = models.BooleanField(_("leader"), default=False)

    class Meta(SealedModel.Meta):
        verbose_name = _("patrol member")
        verbose_name_plural = _("patrol members")
        ordering = ["patrol", "-is_leader", "id"]

    def __str__(self) -> str:
        return self.name


class PatrolEnd(SealedModel):
    """The end of a patrol: a row of its own, so the patrol row is never updated."""

    patrol = models.OneToOneField(Patrol, on_delete=models.PROTECT, related_name="ending")
    ended_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                 related_name="+")
    ended_at = models.DateTimeField(_("ended at"))
    device_time = models.DateTimeField(_("device time"), null=True, blank=True)
    received_at = models.DateTimeField(_("received at"))
    note = models.CharField(_("note"), max_length=500, blank=True)

    class Meta(SealedModel.Meta):
        verbose_name = _("patrol end")
        verbose_name_plural = _("patrol ends")

    def __str__(self) -> str:
        return f"{self.patrol} → {self.ended_at:%H:%M}"


class Situation(models.TextChoices):
    SAFE = "safe", _("Safe and calm (aman/kondusif)")
    ISSUE = "issue", _("Issue found")


class VisitMethod(models.TextChoices):
    QR = "qr", _("QR scanned")
    CODE = "code", _("Code typed")


class PatrolVisit(SealedModel):
    """A checkpoint visit. `occurred_at` is the phone's time (clamped to the server's, and
    only inside the accepted window); `received_at` is the server's and always kept."""

    client_key = models.UUIDField(_("idempotency key"), unique=True)
    checkpoint = models.ForeignKey(Checkpoint, verbose_name=_("checkpoint"),
                                   on_delete=models.PROTECT, related_name="visits")
    # Copied from the checkpoint: a checkpoint moved later must not move past visits.
    facility = models.ForeignKey("places.Facility", verbose_name=_("facility"),
                                 on_delete=models.PROTECT, related_name="patrol_visits")
    patrol = models.ForeignKey(Patrol, verbose_name=_("patrol"), null=True, blank=True,
                               on_delete=models.PROTECT, related_name="visits")
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("recorded by"),
                                    on_delete=models.PROTECT, related_name="patrol_visits")
    recorder_agency = models.ForeignKey("org.Agency", null=True, blank=True,
                                        on_delete=models.PROTECT, related_name="+")
    method = models.CharField(_("method"), max_length=4, choices=VisitMethod.choices)
    occurred_at = models.DateTimeField(_("time"))
    device_time = models.DateTimeField(_("device time"), null=True, blank=True)
    received_at = models.DateTimeField(_("received at"))
    delayed = models.BooleanField(_("sent late"), default=False)
    latitude = models.DecimalField(_("latitude"), max_digits=9, decimal_places=6, null=True,
                                   blank=True, validators=_LAT)
    longitude = models.DecimalField(_("longitude"), max_digits=9, decimal_places=6, null=True,
                                    blank=True, validators=_LON)
    accuracy_m = models.PositiveIntegerField(_("accuracy (m)"), null=True, blank=True)
    situation = models.CharField(_("situation"), max_length=8, choices=Situation.choices)
    notes = models.TextField(_("notes"), max_length=2000, blank=True)

    class Meta(SealedModel.Meta):
        verbose_name = _("patrol visit")
        verbose_name_plural = _("patrol visits")
        ordering = ["-occurred_at"]
        indexes = [
            # A day or a week of visits, counted and paired per facility from the index
            # alone (PostgreSQL): the table's rows of a city's day were half of that time.
            models.Index(fields=["occurred_at"], include=["facility", "recorded_by", "id"],
                         name="visit_time_idx"),
            # A page of facilities' week of visits (the compliance page's 25, a field
            # officer's day), from the index alone: without the recorder and id in it,
            # PostgreSQL read the whole city's week through the time index instead and kept
            # a tenth of it (9 ms against 2 for a city's commander).
            models.Index(fields=["facility", "occurred_at"], include=["recorded_by", "id"],
                         name="visit_facility_time_idx"),
            models.Index(fields=["recorded_by", "occurred_at"]),
            # A patrol's visits (the daily report counts those of the day's patrols only).
            models.Index(fields=["patrol", "occurred_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.checkpoint} @ {self.occurred_at:%Y-%m-%d %H:%M}"

    def get_absolute_url(self) -> str:
        return reverse("records:visit_detail", args=[self.pk])
