"""API tokens and idempotency keys (webhooks out live in apps.integrations)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class ApiToken(models.Model):
    """A person's key for a device or an integration: `posko_<prefix>_<secret>`.

    Only the SHA-256 of the secret is kept; the whole token is shown once, when it is made.
    The prefix finds the row (it is not secret); the hash decides. A token acts as its person,
    with exactly their access, and stops working when it is revoked or the person is
    deactivated. Written by apps.api.tokens only."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("person"),
                             on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(_("name"), max_length=80,
                            help_text=_("Which device or system uses it, e.g. “Phone Pos 1”."))
    prefix = models.CharField(max_length=12, unique=True, editable=False)
    secret_hash = models.CharField(max_length=64, editable=False)
    created_at = models.DateTimeField(_("created"), default=timezone.now, editable=False)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True, editable=False)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")
        ordering = ["-created_at"]

    def __str__(self) -> str:  # never the secret or its hash
        return f"{self.name} (posko_{self.prefix}_…)"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None


class IdempotentRequest(models.Model):
    """The first answer to a create sent with an `Idempotency-Key` header, so a device that
    resends (it never saw the answer) gets that answer again instead of a second record.

    `apps.api.idempotency` relies on the unique constraint: of two concurrent sends, one
    inserts the row and runs; the other finds it. Kept for a day (`api.prune_idempotency`)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                             related_name="+")
    key = models.CharField(max_length=100)
    method = models.CharField(max_length=8)
    path = models.CharField(max_length=255)
    # SHA-256 of method, path and body: the same key with another request is a client bug.
    fingerprint = models.CharField(max_length=64)
    # None while the first request is still running.
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    response = models.JSONField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("idempotency key")
        verbose_name_plural = _("idempotency keys")
        constraints = [
            models.UniqueConstraint(fields=["user", "key"], name="api_idempotency_once"),
        ]

    def __str__(self) -> str:
        return f"{self.method} {self.path} ({self.user_id})"
