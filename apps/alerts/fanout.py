"""Push alert changes to exactly the users the access policy allows.

Each person's sockets join the group `user.<id>` (chosen by the server, never by a client).
The channel layer is at-most-once; a page that reconnects fetches events after the last
sequence number it saw, so a lost push is never a lost alert."""

from __future__ import annotations

import logging
from typing import TypedDict

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer

from apps.access import policy
from apps.alerts.models import Alert

logger = logging.getLogger(__name__)


class AlertPayload(TypedDict):
    type: str
    seq: int
    id: int
    kind: str
    severity: int
    state: str
    title: str
    facility: str
    facility_id: int
    occurrences: int
    last_raised_at: str


def alert_payload(alert: Alert) -> AlertPayload:
    return {
        "type": "alert.event",
        "seq": alert.last_seq,
        "id": alert.pk,
        "kind": alert.kind,
        "severity": alert.severity,
        "state": alert.state,
        "title": alert.title,
        "facility": alert.facility.name,
        "facility_id": alert.facility_id,
        "occurrences": alert.occurrences,
        "last_raised_at": alert.last_raised_at.isoformat(),
    }


def push_alert(alert_id: int) -> int:
    """Send the alert's current state to every allowed user. Returns the number of recipients."""
    alert = Alert.objects.select_related("facility__region", "facility__owner_agency").get(
        pk=alert_id
    )
    layer = get_channel_layer()
    if layer is None:
        return 0
    payload = alert_payload(alert)
    recipients = list(policy.users_who_may_view_alert(alert).values_list("pk", flat=True))
    send = async_to_sync(layer.group_send)
    for user_id in recipients:
        try:
            send(f"user.{user_id}", payload)
        except Exception:  # A dead layer must not fail the write that raised the alert.
            logger.warning("alert push to user %s failed", user_id, exc_info=True)
    return len(recipients)
