"""One attempt to post a delivery, and when to try again.

The body was fixed when the delivery was made; each attempt signs it again
(apps.integrations.signing) and posts it to the address checked just before
(apps.integrations.destinations), without following redirects. A network error, `5xx`, `408`,
`425` or `429` is tried again after `backoff()` (30 s doubling up to an hour, with jitter),
WEBHOOK_MAX_ATTEMPTS in all; any other answer, a refused address or a disabled endpoint ends
it. The outbox's deliverer (apps.integrations.outbox) makes the attempts, in both modes."""

from __future__ import annotations

import http.client
import logging
import secrets
import time
from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from apps.core import pinned_http
from apps.core.crypto import CredentialError
from apps.core.netguard import UrlRejected
from apps.integrations.destinations import check_url
from apps.integrations.models import WebhookDelivery
from apps.integrations.signing import SIGNATURE_HEADER, endpoint_secret, signature

logger = logging.getLogger(__name__)

BACKOFF_FACTOR = 30  # seconds before the first retry; doubles each time
BACKOFF_MAX = 3600
State = WebhookDelivery.State


def _post(url: str, body: bytes, headers: dict[str, str]) -> int:
    return pinned_http.post(check_url(url), body, headers, timeout=settings.WEBHOOK_TIMEOUT)


def _retryable(status: int | None) -> bool:
    return status is None or status >= 500 or status in (408, 425, 429)


def backoff(attempts: int) -> float:
    """Seconds before the next try after `attempts` failed ones: 30 s doubling up to an hour,
    half of it fixed and half random ("equal jitter"). Full jitter could pick 0 s and hammer a
    receiver that has just failed; the fixed half keeps a real pause, the random half still
    spreads a burst of retries."""
    interval = min(BACKOFF_FACTOR * 2 ** max(attempts - 1, 0), BACKOFF_MAX)
    return interval / 2 + secrets.SystemRandom().uniform(0, interval / 2)


def _send(delivery: WebhookDelivery) -> tuple[int | None, str, bool]:
    """Post the delivery once: (HTTP status or None, error, whether trying again may help)."""
    endpoint = delivery.endpoint
    if not endpoint.active:
        return None, "endpoint disabled", False
    body = delivery.body.encode()
    try:
        secret = endpoint_secret(endpoint)
    except CredentialError:
        # The key that sealed it is gone (see rotate_webhook_keys): no attempt can sign.
        return None, "signing secret unreadable", False
    headers = {
        "Content-Type": "application/json", "User-Agent": "Posko-Webhooks/1",
        "X-Posko-Event": delivery.event, "X-Posko-Delivery": str(delivery.delivery_id),
        SIGNATURE_HEADER: signature(secret, int(time.time()), body),
    }
    try:
        status = _post(endpoint.url, body, headers)
    except UrlRejected as rejected:
        return None, f"address refused: {rejected.reason}", False
    except (OSError, http.client.HTTPException) as exc:
        return None, f"{type(exc).__name__}: {exc}", True
    return status, "" if 200 <= status < 300 else f"HTTP {status}", _retryable(status)


def record(delivery: WebhookDelivery, *, status: int | None, error: str,
           retryable: bool) -> str:
    """Write the outcome of an attempt; returns the delivery's state afterwards."""
    now = timezone.now()
    attempts = delivery.attempts + 1
    if status is not None and 200 <= status < 300:
        state = State.DELIVERED
    elif not retryable or attempts >= settings.WEBHOOK_MAX_ATTEMPTS:
        state = State.FAILED
    else:
        state = State.RETRYING
    next_at = now + timedelta(seconds=backoff(attempts)) if state == State.RETRYING else None
    WebhookDelivery.objects.filter(pk=delivery.pk).update(
        state=state, attempts=attempts, last_status=status, last_error=error[:200],
        last_attempt_at=now, next_attempt_at=next_at,
        delivered_at=now if state == State.DELIVERED else None)
    if state != State.DELIVERED:
        logger.info("webhook delivery %s to endpoint %s: %s (%s)", delivery.pk,
                    delivery.endpoint_id, state, error)
    return state


def delivery_attempt(delivery: WebhookDelivery) -> str:
    """One attempt of an unfinished delivery (its endpoint loaded). Returns its state after;
    RETRYING means try again at `next_attempt_at`."""
    status, error, retryable = _send(delivery)
    return record(delivery, status=status, error=error, retryable=retryable)
