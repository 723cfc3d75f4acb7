"""Webhook configuration, by administrators only (the policy's `may_configure_webhooks`):
endpoints, their signing secrets, and sending a delivery again."""

from __future__ import annotations

import json

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils.translation import gettext as _

from apps.access import policy
from apps.alerts.models import Alert
from apps.integrations import outbox, payloads
from apps.integrations.destinations import validate_url
from apps.integrations.models import WebhookDelivery, WebhookEndpoint
from apps.integrations.signing import new_secret, seal


def _require_administrator(user) -> None:
    if not policy.may_configure_webhooks(user):
        raise PermissionDenied(_("Only administrators configure webhooks."))


@transaction.atomic
def endpoint_create(*, by, name: str, url: str, send_alerts: bool = True,
                    send_incidents: bool = False, min_severity: int = Alert.Severity.LOW,
                    region=None) -> tuple[WebhookEndpoint, str]:
    """A new endpoint and its signing secret (shown once). It hears what happens from now
    on: its outbox cursor starts at the newest alert event."""
    _require_administrator(by)
    endpoint = WebhookEndpoint(name=name.strip(), url=validate_url(url),
                               send_alerts=send_alerts, send_incidents=send_incidents,
                               min_severity=min_severity, region=region, created_by=by,
                               cursor=outbox.head())
    endpoint.full_clean(exclude=["secret_token"])
    endpoint.save()
    secret = new_secret()
    endpoint.secret_token = seal(endpoint, secret)
    endpoint.save(update_fields=["secret_token"])
    return endpoint, secret


@transaction.atomic
def endpoint_update(*, endpoint: WebhookEndpoint, by, **values) -> WebhookEndpoint:
    """Save the given fields. An endpoint enabled again hears what happens from then on, not
    what happened while it was off (as when it is made)."""
    _require_administrator(by)
    if "url" in values:
        values["url"] = validate_url(values["url"])
    was_active = (WebhookEndpoint.objects.select_for_update().filter(pk=endpoint.pk)
                  .values_list("active", flat=True).get())
    if values.get("active") and not was_active:
        values["cursor"] = outbox.head()
    for name, value in values.items():
        setattr(endpoint, name, value)
    endpoint.full_clean(exclude=["secret_token"])
    endpoint.save(update_fields=list(values))
    return endpoint


def endpoint_rotate_secret(*, endpoint: WebhookEndpoint, by) -> str:
    """A new secret at once (the old one stops signing); shown once."""
    _require_administrator(by)
    secret = new_secret()
    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(secret_token=seal(endpoint, secret))
    return secret


def delivery_resend(*, delivery: WebhookDelivery, by) -> WebhookDelivery:
    """Send a failed (or delivered) delivery again, as a new delivery with the same body."""
    _require_administrator(by)
    body = json.loads(delivery.body)
    copy = WebhookDelivery(endpoint_id=delivery.endpoint_id, event=delivery.event)
    body["id"] = str(copy.delivery_id)
    copy.body = payloads.dumps(body)
    copy.save()
    outbox.kick_after_commit(endpoint_id=delivery.endpoint_id)
    return copy
