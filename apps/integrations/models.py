"""Webhook endpoints and their delivery log.

Both tables keep the names they had in apps.api (`api_webhookendpoint`,
`api_webhookdelivery`): the models moved here without moving a row (migrations
integrations 0001 / api 0002)."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from apps.alerts.models import Alert


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
    # The outbox cursor (apps.integrations.outbox): every alert event up to this id has its
    # deliveries made, or never will (it was before the endpoint existed or was enabled).
    cursor = models.PositiveBigIntegerField(default=0, editable=False)
    # While a deliverer works on this endpoint: a lease, so two never send at once.
    claimed_until = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        db_table = "api_webhookendpoint"
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
    # The alert event it was made from (None for a delivery sent again by hand): with the
    # event name, what makes a delivery exist once however often the outbox reads the event.
    alert_event = models.ForeignKey("alerts.AlertEvent", null=True, blank=True,
                                    on_delete=models.SET_NULL, related_name="+")
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
    # When a retrying delivery is tried again (after apps.integrations.delivery.backoff).
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(_("delivered"), null=True, blank=True)

    class Meta:
        db_table = "api_webhookdelivery"
        verbose_name = _("webhook delivery")
        verbose_name_plural = _("webhook deliveries")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["endpoint", "alert_event", "event"],
                                    name="webhook_delivery_once"),
        ]
        indexes = [
            # The deliverer reads only an endpoint's unfinished deliveries.
            models.Index(fields=["endpoint", "next_attempt_at"],
                         condition=Q(state__in=["pending", "retrying"]),
                         name="webhook_delivery_unfinished"),
        ]

    def __str__(self) -> str:
        return f"{self.event} → {self.endpoint}"
