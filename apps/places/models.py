from __future__ import annotations

from datetime import date
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Facility(models.Model):
    """A vital object of the election: an office or a logistics warehouse."""

    class Kind(models.TextChoices):
        KPU_OFFICE = "kpu_office", _("KPU office")
        BAWASLU_OFFICE = "bawaslu_office", _("Bawaslu office")
        KPU_WAREHOUSE = "kpu_warehouse", _("KPU logistics warehouse")
        OTHER = "other", _("Other vital object")

    class Status(models.TextChoices):
        ACTIVE = "active", _("Active")
        CLOSED = "closed", _("Temporarily closed")
        RETIRED = "retired", _("No longer in use")

    name = models.CharField(_("name"), max_length=160)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    owner_agency = models.ForeignKey(
        "org.Agency", verbose_name=_("owner agency"), on_delete=models.PROTECT,
        related_name="facilities",
    )
    region = models.ForeignKey(
        "org.Region", verbose_name=_("region"), on_delete=models.PROTECT, related_name="facilities"
    )
    address = models.CharField(_("address"), max_length=255, blank=True)
    latitude = models.DecimalField(
        _("latitude"), max_digits=9, decimal_places=6, null=True, blank=True,
        validators=[MinValueValidator(-90), MaxValueValidator(90)],
    )
    longitude = models.DecimalField(
        _("longitude"), max_digits=9, decimal_places=6, null=True, blank=True,
        validators=[MinValueValidator(-180), MaxValueValidator(180)],
    )
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.ACTIVE
    )

    class Meta:
        verbose_name = _("facility")
        verbose_name_plural = _("facilities")
        ordering = ["region__path", "name"]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("overview:facility", args=[self.pk])

    @property
    def zoneinfo(self) -> ZoneInfo:
        return self.region.zoneinfo

    def local_time(self, moment=None):
        return timezone.localtime(moment or timezone.now(), self.zoneinfo)


class Operation(models.Model):
    """A named security operation (e.g. "Operasi Mantap Brata") with its period and standards."""

    name = models.CharField(_("name"), max_length=160)
    responsible_agency = models.ForeignKey(
        "org.Agency", verbose_name=_("responsible agency"), on_delete=models.PROTECT,
        related_name="operations",
    )
    starts_on = models.DateField(_("starts on"))
    ends_on = models.DateField(_("ends on"))
    facilities = models.ManyToManyField(
        Facility, verbose_name=_("facilities"), related_name="operations", blank=True
    )
    min_guards = models.PositiveSmallIntegerField(
        _("minimum guards on duty"), default=2,
        help_text=_("Personnel present at each facility around the clock (1x24 h)."),
    )
    patrol_interval_hours = models.PositiveSmallIntegerField(
        _("patrol visit every (hours)"), default=3,
        validators=[MinValueValidator(1), MaxValueValidator(24)],
    )

    class Meta:
        verbose_name = _("operation")
        verbose_name_plural = _("operations")
        ordering = ["-starts_on", "name"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_on__gte=models.F("starts_on")),
                name="operation_ends_after_start",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def save(self, *args, changed_by=None, reason: str = "", **kwargs) -> None:
        """Saves, and records a period change (sources disagree on dates, so history matters)."""
        with transaction.atomic():
            previous = (
                Operation.objects.filter(pk=self.pk).values("starts_on", "ends_on").first()
                if self.pk
                else None
            )
            super().save(*args, **kwargs)
            if previous and (previous["starts_on"], previous["ends_on"]) != (
                self.starts_on, self.ends_on,
            ):
                self.period_changes.create(
                    old_starts_on=previous["starts_on"], old_ends_on=previous["ends_on"],
                    new_starts_on=self.starts_on, new_ends_on=self.ends_on,
                    changed_by=changed_by, reason=reason,
                )

    def get_absolute_url(self) -> str:
        return reverse("overview:operation", args=[self.pk])

    def clean(self) -> None:
        if self.starts_on and self.ends_on and self.ends_on < self.starts_on:
            raise ValidationError({"ends_on": _("The operation cannot end before it starts.")})

    def is_active_on(self, day: date) -> bool:
        return self.starts_on <= day <= self.ends_on


class OperationPeriodChange(models.Model):
    """Append-only history of an operation's dates."""

    operation = models.ForeignKey(
        Operation, on_delete=models.CASCADE, related_name="period_changes"
    )
    old_starts_on = models.DateField()
    old_ends_on = models.DateField()
    new_starts_on = models.DateField()
    new_ends_on = models.DateField()
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
        related_name="+",
    )
    changed_at = models.DateTimeField(default=timezone.now)
    reason = models.CharField(_("reason"), max_length=255, blank=True)

    class Meta:
        verbose_name = _("operation period change")
        verbose_name_plural = _("operation period changes")
        ordering = ["-changed_at"]

    def __str__(self) -> str:
        return f"{self.operation}: {self.new_starts_on} – {self.new_ends_on}"
