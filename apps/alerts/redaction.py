"""What a person learns about an alert from a camera they may not view.

Security staff are told about every alert at a facility they guard, including one raised by
the facility's inward camera; but that camera's name, images, address and the alert's detail
text (which may quote them) stay with the people who may view the camera. Such an alert reaches
them with its kind as the title, no detail, no camera and no evidence. Everything that shows
an alert to a person goes through here and shows `shown_title`/`shown_detail` of the copies:
the alert pages, live wall and facility page, an incident's linked alerts and link choices, the
admin, the API, the resync JSON and the websocket payload (webhooks leave Posko: they redact
every inward camera). `str(alert)` names no camera, for the places no viewer is known.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable

from apps.access import policy
from apps.alerts.models import Alert
from apps.cameras.models import Camera


def visible_camera_ids(viewer, alerts: Iterable[Alert]) -> set[int]:
    """The cameras of `alerts` that `viewer` may view (one query). Also marks each alert
    raised while its camera was inward `camera_withheld` for a viewer outside the owner
    agency: such an alert keeps its camera to itself even after the camera is turned
    outward (apps.access.policy.alerts_raised_while_inward)."""
    alerts = list(alerts)
    ids = {a.camera_id for a in alerts if a.camera_id is not None}
    if not ids:
        return set()
    visible = set(policy.scope(viewer, Camera.objects.filter(pk__in=ids)).values_list(
        "pk", flat=True))
    shown = [a for a in alerts if a.camera_id in visible]
    from_inward = policy.alerts_raised_while_inward(shown)
    for alert in shown:
        alert.camera_withheld = alert.pk in from_inward and not policy.is_camera_owner(
            viewer, alert.camera)
    return visible


def hides_camera(alert: Alert, visible_ids: set[int]) -> bool:
    return alert.camera_id is not None and (
        alert.camera_id not in visible_ids or getattr(alert, "camera_withheld", False))


def redacted(alert: Alert) -> Alert:
    """A copy of `alert` without its camera: for display only, never saved."""
    shown = copy.copy(alert)
    shown.title = str(alert.get_kind_display())
    shown.detail = ""
    shown.params = {}  # the message names the camera: the kind is the title
    shown.evidence = None
    shown.camera = None
    shown.camera_hidden = True
    return shown


def for_viewer(alerts: Iterable[Alert], viewer) -> list[Alert]:
    """`alerts` as `viewer` may see them: show their `shown_title` and `shown_detail`."""
    alerts = list(alerts)
    visible = visible_camera_ids(viewer, alerts)
    return [redacted(a) if hides_camera(a, visible) else a for a in alerts]


def titles_for(viewer, alerts: Iterable[Alert]) -> dict[int, str]:
    """The title `viewer` may read of each of `alerts`, by id (for choice labels)."""
    return {a.pk: a.shown_title for a in for_viewer(alerts, viewer)}
