"""API tokens, idempotency keys, and webhook endpoints with their delivery log."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from apps.alerts.models import Alert


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


class WebhookEndpoint(models.Model):
    """A system outside Posko that administrators let receive alerts (and incident reports)
    as signed JSON. The signing secret is AES-256-GCM encrypted with the camera keys, bound to
    this row; it is shown once, when made or replaced."""

    name = models.CharField(_("name"), max_length=120)
    url = models.CharField(_("URL"), max_length=2048)
    secret_token = models.TextField(editable=False)
    active = models.BooleanField(_("active"), default=True)
    send_alerts = models.BooleanField(_("alerts"), default=True)
    send_incidents = models.BooleanField(_("incident reports"), default=False)
    min_severity = models.PositiveSmallIntegerField(
        _("lowest alert severity"), choices=Alert.Severity.choices, default=Alert.Severity.LOW)
    region = models.ForeignKey(
        "org.Region", verbose_name=_("only in region"), null=True, blank=True,
        on_delete=models.PROTECT, related_name="+",
        help_text=_("Send only what happens at facilities in this region (and below it)."))
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True,
                                   on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("webhook endpoint")
        verbose_name_plural = _("webhook endpoints")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class WebhookDelivery(models.Model):
    """One event for one endpoint: the exact body (signed again at each attempt with a fresh
    timestamp) and what happened. Delivery is at least once: receivers drop repeats by
    `delivery_id` (header X-Posko-Delivery)."""

    class State(models.TextChoices):
        PENDING = "pending", _("Pending")
        RETRYING = "retrying", _("Retrying")
        DELIVERED = "delivered", _("Delivered")
        FAILED = "failed", _("Failed")

    delivery_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    endpoint = models.ForeignKey(WebhookEndpoint, on_delete=models.CASCADE,
                                 related_name="deliveries")
    event = models.CharField(_("event"), max_length=40)
    body = models.TextField()
    state = models.CharField(_("state"), max_length=10, choices=State.choices,
                             default=State.PENDING)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    last_status = models.PositiveSmallIntegerField(_("last HTTP status"), null=True,
                                                   blank=True)
    last_error = models.CharField(_("last error"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now, db_index=True)
    last_attempt_at = models.DateTimeField(_("last attempt"), null=True, blank=True)
    # When the sweeper tries again (embedded mode: no broker to delay a retry); on a pending
    # delivery, when a sweep queued it after it was stranded (apps.api.webhooks.retry_due).
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(_("delivered"), null=True, blank=True)

    class Meta:
        verbose_name = _("webhook delivery")
        verbose_name_plural = _("webhook deliveries")
        ordering = ["-created_at", "-id"]
        indexes = [
            # The embedded-mode sweeper reads only deliveries waiting for a retry.
            models.Index(fields=["next_attempt_at"], condition=Q(state="retrying"),
                         name="api_delivery_retry_due"),
        ]

    def __str__(self) -> str:
        return f"{self.event} → {self.endpoint}"
