from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from apps.alerts.models import Alert


class PushSubscription(models.Model):
    """One device's Web Push subscription (what PushManager.subscribe gave its browser).
    The keys only let the portal encrypt for that browser; they are not secrets of the
    portal, and never shown."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                             related_name="push_subscriptions")
    endpoint = models.TextField(_("endpoint"), unique=True)
    p256dh = models.CharField(max_length=100)
    auth = models.CharField(max_length=40)
    device = models.CharField(_("device"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("turned on"), default=timezone.now)

    class Meta:
        verbose_name = _("push subscription")
        verbose_name_plural = _("push subscriptions")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.user} · {self.device or self.service}"

    @property
    def service(self) -> str:
        """The push service's host, which is all a page needs to tell devices apart."""
        return self.endpoint.split("://", 1)[-1].split("/", 1)[0]


class PushAttempt(models.Model):
    """One request to a push service: kept whatever its result, for honest delivery figures.
    `ack_nonce` is the notification's acknowledge token, usable once (`ack_used_at`)."""

    subscription = models.ForeignKey(PushSubscription, null=True, blank=True,
                                     on_delete=models.SET_NULL, related_name="attempts")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                             related_name="+")
    alert = models.ForeignKey(Alert, on_delete=models.CASCADE, related_name="push_attempts")
    service = models.CharField(_("push service"), max_length=255)
    status = models.PositiveSmallIntegerField(_("status"), null=True, blank=True)
    error = models.CharField(_("error"), max_length=100, blank=True)
    duration_ms = models.PositiveIntegerField(_("duration (ms)"))
    at = models.DateTimeField(default=timezone.now, db_index=True)
    ack_nonce = models.CharField(max_length=32, blank=True, db_index=True)
    ack_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("push attempt")
        verbose_name_plural = _("push attempts")
        ordering = ["-at"]

    def __str__(self) -> str:
        return f"#{self.alert_id} → {self.service}: {self.status or self.error}"
