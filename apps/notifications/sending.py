"""Alert notifications to people's devices (Web Push), sent after the alert change commits.

Each raise, re-raise and escalation of an alert queues one background task
(`notifications.send_alert`, apps.core.background) once its transaction commits, so neither
the live wall nor any other delivery waits for a push service. The task asks the access
policy who may see the alert (of a high alert's notices, only the people that step of the
escalation chain told: apps.alerts.escalation), builds each person's notification from the
alert as that person may see it (apps.alerts.redaction: an inward camera's alert reaches
security staff with its kind only), in the default language, encrypts it for each of their
devices and sends all of them at once (PUSH_WORKERS requests in flight, PUSH_TIMEOUT seconds
each), so a push service that hangs holds only its own requests. Every attempt is recorded
as it ends; a subscription the push service says is gone (404, 410) is removed.

A notification offers "Acknowledge" to whoever may act on the alert: its token, signed and
short-lived (PUSH_ACK_MAX_AGE), names the person, the alert and the attempt, and is accepted
once (apps.notifications.views.acknowledge)."""

from __future__ import annotations

import ipaddress
import json
import logging
import secrets
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass

from django.conf import settings
from django.core import signing
from django.db import transaction
from django.db.models.signals import post_save
from django.dispatch import receiver
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from apps.access import policy
from apps.alerts import redaction
from apps.alerts.models import Alert, AlertEvent
from apps.core.background import enqueue
from apps.core.netguard import CheckedUrl, UrlPolicy, UrlRejected, check_url
from apps.notifications import webpush
from apps.notifications.models import PushAttempt, PushSubscription

logger = logging.getLogger(__name__)

NOTIFIED = frozenset({AlertEvent.Action.RAISED, AlertEvent.Action.REOPENED,
                      AlertEvent.Action.ESCALATED})
ACK_SALT = "notifications.acknowledge"
MAX_ENDPOINT_PATH = 1024  # push services put long opaque tokens in the path
BODY_LIMIT = 300  # characters of detail: a notification is a pointer, the page has the rest


def enabled() -> bool:
    return bool(settings.VAPID_PRIVATE_KEY)


# --- where a push may go ---------------------------------------------------------------------


def check_endpoint(url: str) -> CheckedUrl:
    """The push endpoint taken apart and resolved, or UrlRejected: the webhooks' guard
    (apps.core.netguard) with public addresses only; https, except in the tests, which may
    use plain http on loopback (PUSH_ALLOW_HTTP, PUSH_ALLOW_LOOPBACK)."""
    schemes = frozenset({"https", "http"} if settings.PUSH_ALLOW_HTTP else {"https"})
    checked = check_url(url, UrlPolicy.from_strings(
        ["0.0.0.0/0", "::/0"], schemes=schemes, max_path_length=MAX_ENDPOINT_PATH))
    for address in checked.addresses:
        if address.is_loopback and settings.PUSH_ALLOW_LOOPBACK:
            continue
        if (address.is_private or address.is_loopback or address.is_reserved
                or address.is_unspecified
                or (isinstance(address, ipaddress.IPv6Address) and address.is_site_local)):
            raise UrlRejected("address not allowed")
    return checked


# --- when it runs ----------------------------------------------------------------------------


@receiver(post_save, sender=AlertEvent)
def _on_alert_event(sender, instance: AlertEvent, created: bool, **kwargs) -> None:
    if created and instance.action in NOTIFIED and enabled():
        event_id = instance.pk
        # Robust: a push that cannot be queued never fails the alert change.
        transaction.on_commit(lambda: enqueue("notifications.send_alert", event_id),
                              robust=True)


# --- one alert change's notifications --------------------------------------------------------


@dataclass
class _Message:
    subscription: PushSubscription
    plaintext: bytes
    headers: dict[str, str]
    nonce: str


def _notification(alert: Alert, shown: Alert, *, escalated: bool) -> dict:
    title = shown.shown_title
    if escalated:
        title = _("Escalated: %(title)s") % {"title": title}
    lines = [f"{alert.facility.name} · {alert.get_severity_display()}"]
    if shown.shown_detail:
        lines.append(shown.shown_detail[:BODY_LIMIT])
    return {"title": title, "body": "\n".join(lines), "tag": f"alert-{alert.pk}",
            "url": alert.get_absolute_url()}


def _ack_token(alert: Alert, user_id: int, nonce: str) -> str:
    return signing.dumps({"a": alert.pk, "u": user_id, "n": nonce}, salt=ACK_SALT)


def read_ack_token(token: str) -> dict:
    """The token's alert, person and nonce; signing.BadSignature when forged or too old."""
    return signing.loads(token, salt=ACK_SALT, max_age=settings.PUSH_ACK_MAX_AGE)


def _messages(alert: Alert, subscriptions: list[PushSubscription], *, escalated: bool
              ) -> Iterator[_Message]:
    """Each device's message, made as it is sent: the first device does not wait for the
    redaction of everyone else's."""
    by_user: dict[int, list[PushSubscription]] = {}
    for subscription in subscriptions:
        by_user.setdefault(subscription.user_id, []).append(subscription)
    may_act = set(policy.alert_assignees(alert).values_list("pk", flat=True))
    ack_url = reverse("notifications:acknowledge")
    common = {"Content-Encoding": "aes128gcm", "Content-Type": "application/octet-stream",
              "TTL": str(settings.PUSH_TTL),
              "Urgency": "high" if alert.severity >= Alert.Severity.HIGH else "normal"}
    signed: dict[str, dict[str, str]] = {}  # one VAPID signature per push service origin
    for own in by_user.values():
        user = own[0].user
        [shown] = redaction.for_viewer([alert], user)
        notification = _notification(alert, shown, escalated=escalated)
        for subscription in own:
            nonce = secrets.token_hex(16) if user.pk in may_act else ""
            data = dict(notification)
            if nonce:
                data["ack"] = {"url": ack_url, "token": _ack_token(alert, user.pk, nonce),
                               "label": _("Acknowledge")}
            origin = "/".join(subscription.endpoint.split("/", 3)[:3])  # the JWT's audience
            if origin not in signed:
                signed[origin] = webpush.vapid_headers(
                    settings.VAPID_PRIVATE_KEY, settings.VAPID_SUBJECT, subscription.endpoint)
            yield _Message(subscription, json.dumps(data).encode(),
                           {**common, **signed[origin]}, nonce)


def _post(message: _Message) -> webpush.Outcome:
    """In a worker thread: encrypt for the device, check the endpoint (DNS included), post."""
    subscription = message.subscription
    try:
        body = webpush.encrypt(subscription.endpoint, subscription.p256dh, subscription.auth,
                               message.plaintext)
        checked = check_endpoint(subscription.endpoint)
    except UrlRejected as rejected:
        return webpush.Outcome(None, f"refused: {rejected.reason}"[:100], 0.0)
    except ValueError:  # a stored key that is no P-256 point: that device only
        return webpush.Outcome(None, "bad subscription keys", 0.0)
    return webpush.post(checked, body, message.headers, timeout=settings.PUSH_TIMEOUT)


def send_alert(event_id: int) -> int:
    """Notify the devices of everyone who may see the alert of event `event_id`; returns the
    number of requests the push services accepted."""
    if not enabled():
        return 0
    event = AlertEvent.objects.select_related(
        "alert__facility", "alert__camera").filter(pk=event_id).first()
    if event is None or event.alert.state != Alert.State.OPEN:
        return 0  # acknowledged or resolved before its notification went
    alert = event.alert
    audience = policy.users_who_may_view_alert(alert).filter(is_active=True)
    if event.step is not None:  # a notice of the escalation chain: only the people it told
        audience = audience.filter(pk__in=event.notified.values("pk"))
    subscriptions = list(PushSubscription.objects.filter(user__in=audience)
                         .select_related("user"))
    if not subscriptions:
        return 0
    with translation.override(settings.LANGUAGE_CODE):
        messages = _messages(alert, subscriptions,
                             escalated=event.action == AlertEvent.Action.ESCALATED)
        return _send(alert, messages, len(subscriptions))


def _send(alert: Alert, messages: Iterator[_Message], count: int) -> int:
    accepted = 0
    workers = max(1, min(settings.PUSH_WORKERS, count))
    with ThreadPoolExecutor(workers, thread_name_prefix="posko-push") as pool:
        futures = {pool.submit(_post, message): message for message in messages}
        # Recorded here, in the task's thread, as each ends: the threads never touch the
        # database, and a fast device's attempt is on record while a slow one still waits.
        for future in as_completed(futures):
            message = futures[future]
            error = future.exception()  # a bug in one attempt must not lose the others' records
            if error is not None:
                logger.error("push attempt failed: %s", type(error).__name__)
            outcome = (future.result() if error is None
                       else webpush.Outcome(None, type(error).__name__[:100], 0.0))
            accepted += outcome.accepted
            _record(alert, message, outcome)
    return accepted


def _record(alert: Alert, message: _Message, outcome: webpush.Outcome) -> None:
    subscription = message.subscription
    gone = outcome.gone
    PushAttempt.objects.create(
        subscription=None if gone else subscription, user_id=subscription.user_id,
        alert=alert, service=subscription.service[:255], status=outcome.status,
        error=outcome.error[:100], duration_ms=round(outcome.seconds * 1000),
        ack_nonce=message.nonce if outcome.accepted else "")
    if gone:
        PushSubscription.objects.filter(pk=subscription.pk).delete()
    if not outcome.accepted:
        logger.info("push to %s for alert %s: %s", subscription.service, alert.pk,
                    outcome.status or outcome.error)
