from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class AuditEntry(models.Model):
    """One administrative change: who changed what, when, from where, with the values before
    and after. Written in the same transaction as the change (`apps.audit.recording`); never
    changed afterwards. Secrets (password hashes, credential tokens) appear only as "changed"."""

    class Action(models.TextChoices):
        CREATE = "create", _("Created")
        UPDATE = "update", _("Changed")
        DELETE = "delete", _("Deleted")

    class Source(models.TextChoices):
        ADMIN = "admin", _("Admin")
        WEB = "web", _("Portal")
        SYSTEM = "system", _("System or command")

    at = models.DateTimeField(_("at"), default=timezone.now, db_index=True)
    # PROTECT: a person who changed something stays on record (deactivate instead of delete).
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("by"), null=True, blank=True,
        on_delete=models.PROTECT, related_name="+",
    )
    source = models.CharField(_("through"), max_length=8, choices=Source.choices)
    action = models.CharField(_("action"), max_length=8, choices=Action.choices)
    target_type = models.CharField(_("kind"), max_length=100)
    target_id = models.CharField(_("object id"), max_length=64)
    target_repr = models.CharField(_("object"), max_length=200)
    changes = models.JSONField(_("changes"), default=dict, blank=True)

    class Meta:
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit trail")
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["target_type", "target_id"])]

    def __str__(self) -> str:
        return f"{self.get_action_display()} {self.target_type} {self.target_repr}"

    def save(self, *args, **kwargs) -> None:
        if self.pk is not None:
            raise ValueError("Audit entries are never changed.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValueError("Audit entries are never deleted.")
