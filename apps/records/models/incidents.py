"""Incident reports (laporan kejadian) and their workflow.

An incident is reported by staff from the field, or by a citizen through the public tip form
(an unverified incident until the command center verifies it). Its state is the latest of its
steps (reported → acknowledged → handled → closed), each a row with who, when and a comment,
never an edited column. Camera frames attached as evidence are copied with their SHA-256 and
who attached them: the camera's own timeline is pruned, the evidence must outlive it."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from apps.records.models.sealed import SealedModel


class Category(models.TextChoices):
    SUSPICIOUS_OBJECT = "suspicious_object", _("Suspicious object or package")
    INTRUSION = "intrusion", _("Intrusion")
    VANDALISM = "vandalism", _("Vandalism")
    FIRE = "fire", _("Fire")
    CROWD = "crowd", _("Crowd or demonstration")
    CAMERA_TAMPERING = "camera_tampering", _("Camera tampering")
    OTHER = "other", _("Other")


class Source(models.TextChoices):
    STAFF = "staff", _("Staff report")
    PUBLIC_TIP = "public_tip", _("Public tip")


class Step(models.TextChoices):
    REPORTED = "reported", _("Reported")
    VERIFIED = "verified", _("Verified")
    ACKNOWLEDGED = "acknowledged", _("Acknowledged")
    HANDLED = "handled", _("Handled")
    CLOSED = "closed", _("Closed")


# The workflow: a step may follow only the one before it (verification is beside it).
WORKFLOW = (Step.REPORTED, Step.ACKNOWLEDGED, Step.HANDLED, Step.CLOSED)


class Incident(SealedModel):
    client_key = models.UUIDField(_("idempotency key"), unique=True)
    facility = models.ForeignKey("places.Facility", verbose_name=_("facility"),
                                 on_delete=models.PROTECT, related_name="incidents")
    category = models.CharField(_("category"), max_length=20, choices=Category.choices)
    source = models.CharField(_("source"), max_length=12, choices=Source.choices)
    occurred_at = models.DateTimeField(_("time of the incident"), db_index=True)
    device_time = models.DateTimeField(_("device time"), null=True, blank=True)
    received_at = models.DateTimeField(_("received at"))
    delayed = models.BooleanField(_("sent late"), default=False)
    description = models.TextField(_("description"), max_length=4000)
    location_detail = models.CharField(_("where exactly"), max_length=200, blank=True)
    latitude = models.DecimalField(_("latitude"), max_digits=9, decimal_places=6, null=True,
                                   blank=True)
    longitude = models.DecimalField(_("longitude"), max_digits=9, decimal_places=6, null=True,
                                    blank=True)
    reporter = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("reported by"),
                                 null=True, blank=True, on_delete=models.PROTECT,
                                 related_name="reported_incidents")
    reporter_agency = models.ForeignKey("org.Agency", null=True, blank=True,
                                        on_delete=models.PROTECT, related_name="+")
    tip_contact = models.CharField(_("contact given by the tipster"), max_length=60,
                                   blank=True)
    # A keyed hash of the tipster's address: repeated abuse can be recognised without
    # keeping the address itself.
    tip_source = models.CharField(max_length=64, blank=True)

    class Meta(SealedModel.Meta):
        verbose_name = _("incident")
        verbose_name_plural = _("incidents")
        ordering = ["-occurred_at"]
        indexes = [models.Index(fields=["facility", "occurred_at"])]

    def __str__(self) -> str:
        return f"{self.get_category_display()} · {self.facility}"

    def get_absolute_url(self) -> str:
        return reverse("records:incident_detail", args=[self.pk])


class IncidentStep(SealedModel):
    incident = models.ForeignKey(Incident, on_delete=models.PROTECT, related_name="steps")
    step = models.CharField(_("step"), max_length=12, choices=Step.choices)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                              on_delete=models.PROTECT, related_name="+")
    actor_agency = models.ForeignKey("org.Agency", null=True, blank=True,
                                     on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(_("at"))
    comment = models.TextField(_("comment"), max_length=2000, blank=True)

    class Meta(SealedModel.Meta):
        verbose_name = _("incident step")
        verbose_name_plural = _("incident steps")
        ordering = ["incident", "at", "id"]
        constraints = [
            # incident_step relies on it: each step happens once, even when two operators
            # press the same button at the same moment.
            models.UniqueConstraint(fields=["incident", "step"], name="incident_step_once"),
        ]

    def __str__(self) -> str:
        return f"#{self.incident_id} {self.get_step_display()}"


class EvidenceSource(models.TextChoices):
    TIMELINE = "timeline", _("Camera timeline snapshot")
    ALERT = "alert", _("Frame kept with an alert")


class IncidentEvidence(SealedModel):
    """A camera frame attached to an incident: a copy, its hash, and who attached it."""

    incident = models.ForeignKey(Incident, on_delete=models.PROTECT, related_name="evidence")
    camera = models.ForeignKey("cameras.Camera", on_delete=models.PROTECT, related_name="+")
    source_kind = models.CharField(max_length=10, choices=EvidenceSource.choices)
    source_id = models.PositiveBigIntegerField()
    taken_at = models.DateTimeField(_("taken at"))
    image = models.FileField(upload_to="records/evidence/")
    sha256 = models.CharField(max_length=64)
    attached_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("attached by"),
                                    on_delete=models.PROTECT, related_name="+")
    attached_at = models.DateTimeField(_("attached at"))
    note = models.CharField(_("note"), max_length=200, blank=True)

    class Meta(SealedModel.Meta):
        verbose_name = _("incident camera evidence")
        verbose_name_plural = _("incident camera evidence")
        ordering = ["incident", "taken_at"]
        constraints = [
            models.UniqueConstraint(fields=["incident", "source_kind", "source_id"],
                                    name="incident_evidence_once"),
        ]

    def __str__(self) -> str:
        return f"#{self.incident_id} {self.camera} @ {self.taken_at:%H:%M:%S}"


class IncidentAlertLink(SealedModel):
    incident = models.ForeignKey(Incident, on_delete=models.PROTECT, related_name="alert_links")
    alert = models.ForeignKey("alerts.Alert", on_delete=models.PROTECT, related_name="+")
    linked_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                  on_delete=models.PROTECT, related_name="+")
    linked_at = models.DateTimeField(_("linked at"))

    class Meta(SealedModel.Meta):
        verbose_name = _("linked alert")
        verbose_name_plural = _("linked alerts")
        ordering = ["incident", "linked_at"]
        constraints = [
            models.UniqueConstraint(fields=["incident", "alert"], name="incident_alert_once"),
        ]

    def __str__(self) -> str:
        return f"#{self.incident_id} ↔ alert #{self.alert_id}"
