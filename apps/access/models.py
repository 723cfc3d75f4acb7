from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class RegionGrantQuerySet(models.QuerySet):
    def valid_at(self, moment=None):
        moment = moment or timezone.now()
        return self.filter(
            Q(valid_from__lte=moment), Q(valid_until__isnull=True) | Q(valid_until__gt=moment),
            revoked_at__isnull=True,
        )


class RegionGrant(models.Model):
    """An explicit grant letting a security agency work in a region outside its own.

    Without one, nobody sees across regions (the access policy's default)."""

    agency = models.ForeignKey(
        "org.Agency", verbose_name=_("agency"), on_delete=models.CASCADE,
        related_name="region_grants",
    )
    region = models.ForeignKey(
        "org.Region", verbose_name=_("region"), on_delete=models.CASCADE, related_name="grants"
    )
    basis = models.CharField(
        _("legal basis"), max_length=255, help_text=_("Letter, order or MoU reference.")
    )
    valid_from = models.DateTimeField(_("valid from"), default=timezone.now)
    valid_until = models.DateTimeField(_("valid until"), null=True, blank=True)
    granted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("granted by"), null=True,
        on_delete=models.PROTECT, related_name="+",
    )
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)

    objects = RegionGrantQuerySet.as_manager()

    class Meta:
        verbose_name = _("region grant")
        verbose_name_plural = _("region grants")
        ordering = ["-valid_from"]

    def __str__(self) -> str:
        return f"{self.agency} → {self.region}"

    def clean(self) -> None:
        if self.valid_until and self.valid_from and self.valid_until <= self.valid_from:
            raise ValidationError({"valid_until": _("The grant must end after it starts.")})
