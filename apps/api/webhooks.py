"""Webhooks out: alerts (and incident reports) as signed JSON to systems administrators chose.

Each change of an alert (raised, repeated, acknowledged, assigned, resolved, escalated)
becomes one delivery per matching endpoint, after commit; a Celery task posts it
(apps.api.tasks) and retries with exponential backoff. The body is fixed when the delivery
is made; each attempt signs it again:

    X-Posko-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>." + body)>

Receivers check the HMAC with a constant-time compare, refuse a `t` older than 5 minutes,
and drop repeats by X-Posko-Delivery (delivery is at least once). `verify_signature` below
is the reference check.

Every payload also carries `chain_anchor`: the latest signed anchor of the field records'
hash chain (apps.records.anchors), so each receiver holds a copy outside Posko's database
that `verify_records --witness` can check the chain against.

What leaves Posko: an alert from an inward camera goes out without the camera, its name or
the alert's detail (apps.alerts.redaction), and no payload ever carries an image or a
snapshot address. An incident report goes without the tipster's contact.

Where it may go: see `check_url` and the WEBHOOK_* settings. The address is checked again
before every attempt, and the connection goes to the address that was checked (a DNS answer
that changes in between cannot redirect it); redirects are not followed.
"""

from __future__ import annotations

import hashlib
import hmac
import http.client
import ipaddress
import json
import logging
import secrets
import socket
import ssl
import time
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models.signals import post_save
from django.dispatch import receiver
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from apps.access import policy
from apps.alerts import fanout, redaction
from apps.alerts.models import Alert, AlertEvent
from apps.api.models import WebhookDelivery, WebhookEndpoint
from apps.core import credentials
from apps.core.background import enqueue
from apps.core.netguard import CheckedUrl, UrlPolicy, UrlRejected
from apps.core.netguard import check_url as check_network_url
from apps.records.anchors import latest_witness_copy
from apps.records.models import IncidentAlertLink

logger = logging.getLogger(__name__)

SIGNATURE_HEADER = "X-Posko-Signature"
SIGNATURE_TOLERANCE = 300  # seconds
# Associated data of the sealed secret: a camera credential cannot stand in for it.
SEALED_FIELD = "webhook-signing-key"
BACKOFF_FACTOR = 30  # seconds before the first retry; doubles each time
BACKOFF_MAX = 3600
RESPONSE_READ_LIMIT = 64 * 1024


# --- signing ---------------------------------------------------------------------------------


def signature(secret: str, timestamp: int, body: bytes) -> str:
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"t={timestamp},v1={mac.hexdigest()}"


def verify_signature(secret: str, header: str, body: bytes, *, now: float | None = None,
                     tolerance: int = SIGNATURE_TOLERANCE) -> bool:
    """What a receiver does: parse `t` and `v1`, refuse old timestamps, compare in constant
    time."""
    parts = dict(p.split("=", 1) for p in header.split(",") if "=" in p)
    try:
        timestamp = int(parts["t"])
    except (KeyError, ValueError):
        return False
    if abs((now if now is not None else time.time()) - timestamp) > tolerance:
        return False
    expected = signature(secret, timestamp, body).split("v1=", 1)[1]
    return hmac.compare_digest(expected, parts.get("v1", ""))


def new_secret() -> str:
    return f"whsec_{secrets.token_urlsafe(32)}"


def seal(endpoint: WebhookEndpoint, secret: str) -> str:
    return credentials.box().encrypt(secret, camera_id=endpoint.pk, field=SEALED_FIELD)


def endpoint_secret(endpoint: WebhookEndpoint) -> str:
    return credentials.box().decrypt(endpoint.secret_token, camera_id=endpoint.pk,
                                     field=SEALED_FIELD)


# --- where a webhook may go ------------------------------------------------------------------


def url_policy() -> UrlPolicy:
    schemes = {"https", "http"} if settings.WEBHOOK_ALLOW_HTTP else {"https"}
    return UrlPolicy.from_strings(settings.WEBHOOK_NETWORKS, schemes=frozenset(schemes),
                                  denied_ports=frozenset(settings.WEBHOOK_DENIED_PORTS))


def check_url(url: str) -> CheckedUrl:
    """The URL taken apart and resolved, or UrlRejected. Besides the camera URL rules (no
    credentials in it, no control characters, no odd IPv4 spellings, never link-local such
    as 169.254.169.254, "this host" or multicast): https only unless WEBHOOK_ALLOW_HTTP,
    loopback only with WEBHOOK_ALLOW_LOOPBACK, no reserved addresses, no denied port."""
    checked = check_network_url(url, url_policy())
    for address in checked.addresses:
        if address.is_loopback and not settings.WEBHOOK_ALLOW_LOOPBACK:
            raise UrlRejected("loopback addresses are not allowed")
        if address.is_reserved or address.is_unspecified:
            raise UrlRejected("address not allowed")
        if isinstance(address, ipaddress.IPv6Address) and address.is_site_local:
            raise UrlRejected("address not allowed")
    return checked


def validate_url(url: str) -> str:
    url = url.strip()
    try:
        check_url(url)
    except UrlRejected as rejected:
        raise ValidationError(
            {"url": _("This address is not allowed: %(reason)s") % {"reason": rejected.reason}},
            code="url") from None
    return url


# --- configuration (administrators) ----------------------------------------------------------


def _require_administrator(user) -> None:
    if not policy.may_configure_webhooks(user):
        raise PermissionDenied(_("Only administrators configure webhooks."))


@transaction.atomic
def endpoint_create(*, by, name: str, url: str, send_alerts: bool = True,
                    send_incidents: bool = False, min_severity: int = Alert.Severity.LOW,
                    region=None) -> tuple[WebhookEndpoint, str]:
    """A new endpoint and its signing secret (shown once)."""
    _require_administrator(by)
    endpoint = WebhookEndpoint(name=name.strip(), url=validate_url(url),
                               send_alerts=send_alerts, send_incidents=send_incidents,
                               min_severity=min_severity, region=region, created_by=by)
    endpoint.full_clean(exclude=["secret_token"])
    endpoint.save()
    secret = new_secret()
    endpoint.secret_token = seal(endpoint, secret)
    endpoint.save(update_fields=["secret_token"])
    return endpoint, secret


def endpoint_update(*, endpoint: WebhookEndpoint, by, **values) -> WebhookEndpoint:
    _require_administrator(by)
    if "url" in values:
        values["url"] = validate_url(values["url"])
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
    copy.body = _dumps(body)
    copy.save()
    transaction.on_commit(lambda: _enqueue(copy.pk))
    return copy


# --- events ----------------------------------------------------------------------------------


def _dumps(data) -> str:
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"))


def _time(value) -> str | None:
    return value.isoformat() if value is not None else None


def _facility(facility) -> dict:
    return {"id": facility.pk, "name": facility.name, "kind": facility.kind,
            "region": facility.region.name, "time_zone": facility.region.timezone}


def _link(path: str) -> str:
    origins = settings.SITE_ORIGINS
    return f"{origins[0]}{path}" if origins else path


def alert_data(alert: Alert) -> dict:
    """The alert as it leaves Posko: an inward camera stays inside."""
    if alert.camera_id is not None and not alert.camera.is_outward:
        alert = redaction.redacted(alert)
    camera = ({"id": alert.camera_id, "name": alert.camera.name}
              if alert.camera_id is not None else None)
    return {
        "id": alert.pk, "seq": alert.last_seq, "kind": alert.kind,
        "kind_label": str(alert.get_kind_display()), "severity": alert.severity,
        "state": alert.state, "title": alert.shown_title, "detail": alert.shown_detail,
        "facility": _facility(alert.facility), "camera": camera,
        "occurrences": alert.occurrences, "first_raised_at": _time(alert.first_raised_at),
        "last_raised_at": _time(alert.last_raised_at),
        "acknowledged_at": _time(alert.acknowledged_at),
        "resolved_at": _time(alert.resolved_at), "escalated": alert.escalated_at is not None,
        "url": _link(alert.get_absolute_url()),
    }


def incident_data(incident, alert: Alert) -> dict:
    return {
        "id": incident.pk, "category": incident.category,
        "category_label": str(incident.get_category_display()), "source": incident.source,
        "facility": _facility(incident.facility),
        "occurred_at": _time(incident.occurred_at), "received_at": _time(incident.received_at),
        "description": incident.description, "location_detail": incident.location_detail,
        "latitude": float(incident.latitude) if incident.latitude is not None else None,
        "longitude": float(incident.longitude) if incident.longitude is not None else None,
        "reporter_agency": str(incident.reporter_agency) if incident.reporter_agency_id
        else None,
        "alert_id": alert.pk,
    }


@dataclass(frozen=True)
class Event:
    name: str
    data: dict
    incident: bool = False


def _alert_event(alert: Alert) -> Event:
    last = AlertEvent.objects.filter(alert_id=alert.pk).order_by("-id").first()
    action = last.action if last is not None else AlertEvent.Action.RAISED
    return Event(f"alert.{action}", alert_data(alert))


def _matching_endpoints(alert: Alert):
    endpoints = WebhookEndpoint.objects.filter(active=True).select_related("region")
    path = alert.facility.region.path
    return [e for e in endpoints if e.region is None or path.startswith(e.region.path)]


def _deliveries(alert: Alert, event: Event) -> list[int]:
    """Make `event`'s deliveries to the endpoints that want it (in the caller's transaction);
    queue them after commit."""
    endpoints = [e for e in _matching_endpoints(alert)
                 if (e.send_incidents if event.incident
                     else e.send_alerts and alert.severity >= e.min_severity)]
    if not endpoints:
        return []
    # The latest signed anchor of the records chain rides along: every receiver keeps a
    # copy of it outside Posko's database (apps.records.anchors).
    chain_anchor = latest_witness_copy()
    made = []
    for endpoint in endpoints:
        delivery = WebhookDelivery(endpoint=endpoint, event=event.name)
        delivery.body = _dumps({"id": str(delivery.delivery_id), "event": event.name,
                                "created_at": timezone.now().isoformat(),
                                "data": event.data, "chain_anchor": chain_anchor})
        delivery.save()
        made.append(delivery.pk)
    transaction.on_commit(lambda: [_enqueue(pk) for pk in made])
    return made


def alert_deliveries(alert_id: int) -> list[int]:
    """The deliveries of the alert's latest change."""
    alert = (Alert.objects.select_related("facility__region", "camera")
             .filter(pk=alert_id).first())
    if alert is None:
        return []
    with translation.override(settings.LANGUAGE_CODE):
        return _deliveries(alert, _alert_event(alert))


def incident_deliveries(link: IncidentAlertLink) -> list[int]:
    """The deliveries of a reported incident: its own event, beside its alert's."""
    link = (IncidentAlertLink.objects.select_related(
        "alert__facility__region", "incident__facility__region", "incident__reporter_agency")
        .get(pk=link.pk))
    with translation.override(settings.LANGUAGE_CODE):
        return _deliveries(link.alert, Event(
            "incident.reported", incident_data(link.incident, link.alert), incident=True))


@receiver(fanout.alert_recorded)
def _on_alert_recorded(sender, alert_id: int, **kwargs) -> None:
    """In the transaction of the alert's change (a savepoint of its own): the deliveries
    commit with the change, so a process that dies right after the commit, before queueing
    them, loses none (the sweeper finds them: `retry_due`)."""
    with transaction.atomic():
        alert_deliveries(alert_id)


@receiver(post_save, sender=IncidentAlertLink)
def _on_incident_linked(sender, instance: IncidentAlertLink, created: bool, **kwargs) -> None:
    """A reported incident's own alert is linked by the report itself (no person links it):
    its event is made in the report's transaction, as the alert's are."""
    if created and instance.linked_by_id is None:
        try:
            with transaction.atomic():
                incident_deliveries(instance)
        except Exception:
            # Like the alert's receivers: never undo the report for its webhooks.
            logger.exception("incident %s: webhook deliveries failed", instance.incident_id)


def _enqueue(delivery_id: int) -> None:
    enqueue("api.deliver_webhook", delivery_id)


# --- delivery --------------------------------------------------------------------------------


class _PinnedHTTPConnection(http.client.HTTPConnection):
    """Connects to the checked address; the Host header still names the host."""

    def __init__(self, host: str, port: int, *, address: str, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout)
        self._address = address

    def connect(self) -> None:
        self.sock = socket.create_connection((self._address, self.port), self.timeout)


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    """TLS to the checked address, with the certificate checked against the host name."""

    def __init__(self, host: str, port: int, *, address: str, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout, context=ssl.create_default_context())
        self._address = address

    def connect(self) -> None:
        sock = socket.create_connection((self._address, self.port), self.timeout)
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)


def _post(url: str, body: bytes, headers: dict[str, str]) -> int:
    checked = check_url(url)
    connection_class = (_PinnedHTTPSConnection if checked.scheme == "https"
                        else _PinnedHTTPConnection)
    connection = connection_class(checked.host, checked.port, address=str(checked.addresses[0]),
                                  timeout=settings.WEBHOOK_TIMEOUT)
    try:
        connection.request("POST", checked.path, body=body, headers=headers)
        response = connection.getresponse()
        response.read(RESPONSE_READ_LIMIT)
        return response.status
    finally:
        connection.close()


def _retryable(status: int | None) -> bool:
    return status is None or status >= 500 or status in (408, 425, 429)


def backoff(attempts: int) -> float:
    """Seconds before the next try after `attempts` failed ones: 30 s doubling up to an hour,
    half of it fixed and half random ("equal jitter"). Full jitter could pick 0 s and hammer a
    receiver that has just failed; the fixed half keeps a real pause, the random half still
    spreads a burst of retries."""
    interval = min(BACKOFF_FACTOR * 2 ** max(attempts - 1, 0), BACKOFF_MAX)
    return interval / 2 + secrets.SystemRandom().uniform(0, interval / 2)


def delivery_attempt(*, delivery_id: int, schedule_retry: bool) -> str:
    """One attempt. Returns the delivery's state afterwards; RETRYING means try again later
    (after `backoff()`: the Celery retry, or with `schedule_retry` the embedded sweeper)."""
    delivery = (WebhookDelivery.objects.select_related("endpoint").filter(pk=delivery_id)
                .first())
    if delivery is None or delivery.state in (WebhookDelivery.State.DELIVERED,
                                              WebhookDelivery.State.FAILED):
        return delivery.state if delivery is not None else WebhookDelivery.State.FAILED
    endpoint = delivery.endpoint
    status, error = None, ""
    if not endpoint.active:
        error = "endpoint disabled"
    else:
        body = delivery.body.encode()
        headers = {
            "Content-Type": "application/json", "User-Agent": "Posko-Webhooks/1",
            "X-Posko-Event": delivery.event, "X-Posko-Delivery": str(delivery.delivery_id),
            SIGNATURE_HEADER: signature(endpoint_secret(endpoint), int(time.time()), body),
        }
        try:
            status = _post(endpoint.url, body, headers)
            error = "" if 200 <= status < 300 else f"HTTP {status}"
        except UrlRejected as rejected:
            error = f"address refused: {rejected.reason}"
        except (OSError, http.client.HTTPException) as exc:
            error = f"{type(exc).__name__}: {exc}"[:200]
    now = timezone.now()
    attempts = delivery.attempts + 1
    if status is not None and 200 <= status < 300:
        state = WebhookDelivery.State.DELIVERED
    elif (not endpoint.active or not _retryable(status)
          or attempts >= settings.WEBHOOK_MAX_ATTEMPTS or error.startswith("address refused")):
        state = WebhookDelivery.State.FAILED
    else:
        state = WebhookDelivery.State.RETRYING
    next_at = (now + timedelta(seconds=backoff(attempts))
               if state == WebhookDelivery.State.RETRYING and schedule_retry else None)
    WebhookDelivery.objects.filter(pk=delivery.pk).update(
        state=state, attempts=attempts, last_status=status, last_error=error[:200],
        last_attempt_at=now, next_attempt_at=next_at,
        delivered_at=now if state == WebhookDelivery.State.DELIVERED else None)
    if state != WebhookDelivery.State.DELIVERED:
        logger.info("webhook delivery %s to endpoint %s: %s (%s)", delivery.pk, endpoint.pk,
                    state, error)
    return state


def retry_due(*, now=None) -> int:
    """Queue the deliveries whose retry is due (embedded mode: no broker holds a delayed
    retry) and those stranded: made with their alert's change but never queued (the process
    died between the commit and the queueing), WEBHOOK_STRANDED_SECONDS after they were made.
    The conditional update claims each one, so two sweeps cannot send it twice."""
    now = now or timezone.now()
    due = WebhookDelivery.objects.filter(state=WebhookDelivery.State.RETRYING,
                                         next_attempt_at__lte=now)
    stranded = WebhookDelivery.objects.filter(
        state=WebhookDelivery.State.PENDING, attempts=0, next_attempt_at__isnull=True,
        created_at__lte=now - timedelta(seconds=settings.WEBHOOK_STRANDED_SECONDS))
    queued = 0
    for pk in list(due.values_list("pk", flat=True)[:100]):
        if due.filter(pk=pk).update(next_attempt_at=None):
            _enqueue(pk)
            queued += 1
    for pk in list(stranded.values_list("pk", flat=True)[:100]):
        # The claim: a pending delivery with a next attempt is one a sweep has queued.
        if stranded.filter(pk=pk).update(next_attempt_at=now):
            _enqueue(pk)
            queued += 1
    return queued
