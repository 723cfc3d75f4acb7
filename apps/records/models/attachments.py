"""What hangs off a record: photos, and corrections (amendments) that reference it."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from apps.records.models.checks import WarehouseCheck
from apps.records.models.incidents import Incident
from apps.records.models.patrols import PatrolVisit
from apps.records.models.sealed import SealedModel

# Exactly one parent: the constraint below and the access rule (a photo is seen by whoever
# sees its parent) both rely on it.
_ONE_PARENT = (
    Q(visit__isnull=False, warehouse_check__isnull=True, incident__isnull=True)
    | Q(visit__isnull=True, warehouse_check__isnull=False, incident__isnull=True)
    | Q(visit__isnull=True, warehouse_check__isnull=True, incident__isnull=False)
)


class RecordPhoto(SealedModel):
    """A photo re-encoded by apps.core.photos (pixels only, generated name) with the
    SHA-256 of the stored file, so `verify_records` notices a file changed on disk."""

    visit = models.ForeignKey(PatrolVisit, null=True, blank=True, on_delete=models.PROTECT,
                              related_name="photos")
    warehouse_check = models.ForeignKey(WarehouseCheck, null=True, blank=True,
                                        on_delete=models.PROTECT, related_name="photos")
    incident = models.ForeignKey(Incident, null=True, blank=True, on_delete=models.PROTECT,
                                 related_name="photos")
    image = models.FileField(upload_to="records/photos/")
    sha256 = models.CharField(max_length=64)
    size = models.PositiveIntegerField()
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    caption = models.CharField(_("caption"), max_length=120, blank=True)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                    on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField()

    class Meta(SealedModel.Meta):
        verbose_name = _("record photo")
        verbose_name_plural = _("record photos")
        ordering = ["id"]
        constraints = [models.CheckConstraint(condition=_ONE_PARENT,
                                              name="record_photo_one_parent")]

    def __str__(self) -> str:
        return self.image.name


class Amendment(SealedModel):
    """A correction of a visit or an incident: the new values beside the original, which
    stays as it was. Pages show the original and every correction, newest last."""

    visit = models.ForeignKey(PatrolVisit, null=True, blank=True, on_delete=models.PROTECT,
                              related_name="amendments")
    incident = models.ForeignKey(Incident, null=True, blank=True, on_delete=models.PROTECT,
                                 related_name="amendments")
    changes = models.JSONField(_("corrected values"))
    reason = models.CharField(_("reason"), max_length=300)
    amended_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("corrected by"),
                                   on_delete=models.PROTECT, related_name="+")
    amended_at = models.DateTimeField(_("corrected at"))

    class Meta(SealedModel.Meta):
        verbose_name = _("correction")
        verbose_name_plural = _("corrections")
        ordering = ["amended_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(visit__isnull=False, incident__isnull=True)
                | Q(visit__isnull=True, incident__isnull=False),
                name="amendment_one_target",
            ),
        ]

    def __str__(self) -> str:
        return f"{_('correction')} #{self.pk}"
