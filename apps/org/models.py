from __future__ import annotations

from zoneinfo import ZoneInfo

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from apps.core.zones import zone_label
from apps.org.tree import TreeNode


# Indonesia's three zones. Stored as IANA names; shown with their Indonesian abbreviation.
class Region(TreeNode):
    """Province → city/regency → district (kecamatan)."""

    class Level(models.TextChoices):
        PROVINCE = "province", _("Province")
        CITY = "city", _("City / regency")
        DISTRICT = "district", _("District")

    class TimeZone(models.TextChoices):
        WIB = "Asia/Jakarta", "WIB (Asia/Jakarta)"
        WITA = "Asia/Makassar", "WITA (Asia/Makassar)"
        WIT = "Asia/Jayapura", "WIT (Asia/Jayapura)"

    name = models.CharField(_("name"), max_length=120)
    level = models.CharField(_("level"), max_length=10, choices=Level.choices)
    parent = models.ForeignKey(
        "self", verbose_name=_("parent"), null=True, blank=True,
        on_delete=models.PROTECT, related_name="children",
    )
    timezone = models.CharField(_("time zone"), max_length=20, choices=TimeZone.choices)

    class Meta:
        verbose_name = _("region")
        verbose_name_plural = _("regions")
        ordering = ["path"]
        constraints = [
            models.UniqueConstraint(fields=["parent", "name"], name="region_unique_name_in_parent"),
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        expected_parent = {
            self.Level.PROVINCE: None,
            self.Level.CITY: self.Level.PROVINCE,
            self.Level.DISTRICT: self.Level.CITY,
        }[self.level]
        parent_level = self.parent.level if self.parent_id else None
        if parent_level != expected_parent:
            raise ValidationError({"parent": _("This level needs a parent of the level above.")})

    @property
    def zoneinfo(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def zone_abbreviation(self) -> str:
        return zone_label(self.timezone)


class Agency(TreeNode):
    """A unit of a pillar or an election body (e.g. Polres, Koramil, KPU Kota)."""

    class Pillar(models.TextChoices):
        POLRI = "polri", "Polri"
        TNI = "tni", "TNI"
        PEMDA = "pemda", "Pemda"
        KPU = "kpu", "KPU"
        BAWASLU = "bawaslu", "Bawaslu"
        OTHER = "other", _("Other")

    class UnitKind(models.TextChoices):
        POLDA = "polda", "Polda"
        POLRES = "polres", "Polres"
        POLSEK = "polsek", "Polsek"
        KODIM = "kodim", "Kodim"
        KORAMIL = "koramil", "Koramil"
        SATPOL_PP = "satpol_pp", "Satpol PP"
        DISHUB = "dishub", "Dishub"
        FKDM = "fkdm", "FKDM"
        KPU_PROVINSI = "kpu_provinsi", "KPU Provinsi"
        KPU_KOTA = "kpu_kota", "KPU Kabupaten/Kota"
        PPK = "ppk", "PPK"
        BAWASLU_PROVINSI = "bawaslu_provinsi", "Bawaslu Provinsi"
        BAWASLU_KOTA = "bawaslu_kota", "Bawaslu Kabupaten/Kota"
        PANWASCAM = "panwascam", "Panwascam"
        OTHER = "other", _("Other")

    # Pillars whose staff guard and watch; the election bodies own facilities instead.
    SECURITY_PILLARS = frozenset({Pillar.POLRI, Pillar.TNI, Pillar.PEMDA})

    name = models.CharField(_("name"), max_length=160)
    short_name = models.CharField(_("short name"), max_length=60, blank=True)
    pillar = models.CharField(_("pillar"), max_length=10, choices=Pillar.choices)
    unit_kind = models.CharField(_("unit kind"), max_length=20, choices=UnitKind.choices)
    parent = models.ForeignKey(
        "self", verbose_name=_("parent agency"), null=True, blank=True,
        on_delete=models.PROTECT, related_name="children",
    )
    region = models.ForeignKey(
        Region, verbose_name=_("region"), on_delete=models.PROTECT, related_name="agencies"
    )

    class Meta:
        verbose_name = _("agency")
        verbose_name_plural = _("agencies")
        ordering = ["path"]
        constraints = [
            models.UniqueConstraint(fields=["region", "name"], name="agency_unique_name_in_region"),
        ]

    def __str__(self) -> str:
        return self.short_name or self.name
