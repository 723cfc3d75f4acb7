from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class WallLayout(models.Model):
    """A person's saved camera wall: how many tiles and which cameras. The cameras are
    re-checked against the access policy every time the wall is shown."""

    SIZES = [(1, "1"), (4, "2 × 2"), (9, "3 × 3"), (16, "4 × 4")]

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="wall_layouts"
    )
    name = models.CharField(_("name"), max_length=60)
    size = models.PositiveSmallIntegerField(_("tiles"), choices=SIZES, default=4)
    camera_ids = models.JSONField(default=list)
    is_default = models.BooleanField(default=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("wall layout")
        verbose_name_plural = _("wall layouts")
        ordering = ["-is_default", "name"]
        constraints = [
            models.UniqueConstraint(fields=["owner", "name"], name="wall_layout_unique_name"),
        ]

    def __str__(self) -> str:
        return self.name
