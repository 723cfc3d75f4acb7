"""Joint warehouse checks (pengecekan bersama tiga pilar) of a KPU logistics warehouse.

Representatives of Polri, TNI and Pemda check the logistics with the KPU: counted against
expected quantities, seal numbers and whether each seal is intact, and the warehouse against
KPU's criteria. Each representative signs with their own login; the check is complete only
when every required pillar has signed. A correction is a new check that `amends` the old one
(and is signed again)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from apps.records.models.sealed import SealedModel


class ItemKind(models.TextChoices):
    BALLOT_PAPERS = "ballot_papers", _("Ballot papers")
    BALLOT_BOXES = "ballot_boxes", _("Ballot boxes")
    VOTING_BOOTHS = "voting_booths", _("Voting booths")
    INK = "ink", _("Indelible ink")
    SEALS = "seals", _("Seals")
    FORMS = "forms", _("Forms")
    OTHER = "other", _("Other logistics")


class Criterion(models.TextChoices):
    """KPU's criteria for a logistics warehouse."""

    DRY = "dry", _("Dry and flood-free")
    ELECTRICITY = "electricity", _("Electricity adequate")
    CCTV = "cctv", _("CCTV working")
    GATE_LOCKS = "gate_locks", _("Gate and locks secure")
    WALLS_ROOF = "walls_roof", _("Walls, floor and roof sound")
    VENTILATION = "ventilation", _("Ventilation")
    PALLETS = "pallets", _("Pallets under the logistics")
    FIRE_EXTINGUISHER = "fire_extinguisher", _("Fire extinguisher")
    ANTI_TERMITE = "anti_termite", _("Anti-termite treatment")


class SignerPillar(models.TextChoices):
    POLRI = "polri", "Polri"
    TNI = "tni", "TNI"
    PEMDA = "pemda", "Pemda"
    KPU = "kpu", "KPU"


class WarehouseCheck(SealedModel):
    client_key = models.UUIDField(_("idempotency key"), unique=True)
    facility = models.ForeignKey("places.Facility", verbose_name=_("warehouse"),
                                 on_delete=models.PROTECT, related_name="warehouse_checks")
    operation = models.ForeignKey("places.Operation", verbose_name=_("operation"), null=True,
                                  blank=True, on_delete=models.PROTECT, related_name="+")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("recorded by"),
                                   on_delete=models.PROTECT, related_name="+")
    creator_agency = models.ForeignKey("org.Agency", null=True, blank=True,
                                       on_delete=models.PROTECT, related_name="+")
    checked_at = models.DateTimeField(_("checked at"), db_index=True)
    device_time = models.DateTimeField(_("device time"), null=True, blank=True)
    received_at = models.DateTimeField(_("received at"))
    delayed = models.BooleanField(_("sent late"), default=False)
    # {criterion: {"ok": bool, "note": str}} for every Criterion value.
    criteria = models.JSONField(_("warehouse criteria"), default=dict)
    # Fixed when the check is written, so a later change of policy cannot complete it.
    required_pillars = models.JSONField(_("required signatures"), default=list)
    has_discrepancy = models.BooleanField(_("discrepancy or broken seal"), default=False)
    notes = models.TextField(_("notes"), max_length=4000, blank=True)
    amends = models.ForeignKey("self", verbose_name=_("corrects"), null=True, blank=True,
                               on_delete=models.PROTECT, related_name="corrections")
    amendment_reason = models.CharField(_("reason for the correction"), max_length=300,
                                        blank=True)

    class Meta(SealedModel.Meta):
        verbose_name = _("joint warehouse check")
        verbose_name_plural = _("joint warehouse checks")
        ordering = ["-checked_at"]

    def __str__(self) -> str:
        return f"{self.facility} · {self.checked_at:%Y-%m-%d %H:%M}"

    def get_absolute_url(self) -> str:
        return reverse("records:check_detail", args=[self.pk])


class CheckItem(SealedModel):
    check_record = models.ForeignKey(WarehouseCheck, on_delete=models.PROTECT,
                                     related_name="items", db_column="check_id")
    kind = models.CharField(_("item"), max_length=20, choices=ItemKind.choices)
    description = models.CharField(_("description"), max_length=160, blank=True)
    expected_qty = models.PositiveIntegerField(_("expected"))
    counted_qty = models.PositiveIntegerField(_("counted"))
    seal_numbers = models.CharField(_("seal numbers"), max_length=255, blank=True)
    # None: the item carries no seal.
    seal_intact = models.BooleanField(_("seal intact"), null=True, blank=True)
    note = models.CharField(_("note"), max_length=300, blank=True)

    class Meta(SealedModel.Meta):
        verbose_name = _("checked item")
        verbose_name_plural = _("checked items")
        ordering = ["check_record", "id"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.counted_qty}/{self.expected_qty}"

    @property
    def discrepancy(self) -> int:
        return self.counted_qty - self.expected_qty

    @property
    def seal_broken(self) -> bool:
        return self.seal_intact is False


class CheckSignature(SealedModel):
    """A pillar's representative signing off a check. `content_hash` is the hash of what
    they saw (the check and its items), so a signature cannot be moved to other content."""

    check_record = models.ForeignKey(WarehouseCheck, on_delete=models.PROTECT,
                                     related_name="signatures", db_column="check_id")
    pillar = models.CharField(_("pillar"), max_length=8, choices=SignerPillar.choices)
    signer = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("signed by"),
                               on_delete=models.PROTECT, related_name="+")
    signer_agency = models.ForeignKey("org.Agency", null=True, on_delete=models.PROTECT,
                                      related_name="+")
    signed_at = models.DateTimeField(_("signed at"))
    content_hash = models.CharField(_("hash of the signed content"), max_length=64)
    statement = models.CharField(_("statement"), max_length=300, blank=True)

    class Meta(SealedModel.Meta):
        verbose_name = _("check signature")
        verbose_name_plural = _("check signatures")
        ordering = ["check_record", "signed_at"]
        constraints = [
            # check_sign relies on it: one signature per pillar, even under a double tap.
            models.UniqueConstraint(fields=["check_record", "pillar"],
                                    name="check_signature_one_per_pillar"),
        ]

    def __str__(self) -> str:
        return f"{self.get_pillar_display()}: {self.signer}"
