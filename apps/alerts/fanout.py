"""Push alert changes to exactly the users the access policy allows.

Each person's sockets hear it in their group (apps.core.push: chosen by the server, never by
a client). The channel layer is at-most-once; a page that reconnects fetches events after
the last sequence number it saw, so a lost push is never a lost alert."""

from __future__ import annotations

from django.conf import settings
from django.utils import translation

from apps.access import policy
from apps.alerts import redaction
from apps.alerts.models import Alert
from apps.core import push
from apps.core.push import AlertMessage


def alert_payloads(alerts, viewer) -> list[AlertMessage]:
    """Payloads for many alerts, with one camera query."""
    alerts = list(alerts)
    visible = redaction.visible_camera_ids(viewer, alerts)
    return [_payload(a, camera_visible=not redaction.hides_camera(a, visible)) for a in alerts]


def _payload(alert: Alert, *, camera_visible: bool) -> AlertMessage:
    if not camera_visible:
        alert = redaction.redacted(alert)
    return {
        "type": "alert.event",
        "seq": alert.last_seq,
        "id": alert.pk,
        "kind": alert.kind,
        "severity": alert.severity,
        "state": alert.state,
        "title": alert.shown_title,
        "facility": alert.facility.name,
        "facility_id": alert.facility_id,
        "occurrences": alert.occurrences,
        "last_raised_at": alert.last_raised_at.isoformat(),
        "url": alert.get_absolute_url(),
        "escalated": alert.escalated_at is not None,
        "severity_label": str(alert.get_severity_display()),
        "state_label": str(alert.get_state_display()),
        "camera": alert.camera.name if alert.camera_id else None,
        "camera_id": alert.camera_id,
    }


def push_alert(alert_id: int) -> int:
    """Send the alert's current state to every allowed user. Returns the number of recipients."""
    alert = Alert.objects.select_related(
        "facility__region", "facility__owner_agency", "camera__facility__owner_agency"
    ).get(pk=alert_id)
    recipients = list(policy.users_who_may_view_alert(alert).values_list("pk", flat=True))
    # Per recipient: only those who may view the alert's camera get its name.
    camera_viewers = set(
        policy.users_who_may_view_camera(alert.camera).values_list("pk", flat=True)
    ) if alert.camera_id else set()
    # Texts in the default language: a person has no language of their own yet, and the push
    # must not take the language of whoever's request changed the alert.
    with translation.override(settings.LANGUAGE_CODE):
        full = _payload(alert, camera_visible=True)
        without_camera = _payload(alert, camera_visible=False) if alert.camera_id else full
    for user_id in recipients:
        push.alert_changed(
            user_id, full if not alert.camera_id or user_id in camera_viewers else without_camera)
    return len(recipients)
