"""What happened at one camera lately, for its page: its alerts (as the reader may see them)
and its state changes (online, degraded, offline), newest first."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from apps.access import policy
from apps.alerts import redaction
from apps.alerts.models import Alert
from apps.cameras.models import Camera, CameraHealth, CameraStateChange

RECENT_EVENTS = 20


@dataclass(frozen=True)
class CameraEvent:
    at: datetime
    label: str
    alert: Alert | None = None  # links to the alert; a state change has none
    state: str = ""


def camera_events_for(*, user, camera: Camera, limit: int = RECENT_EVENTS) -> list[CameraEvent]:
    """The camera's latest alerts the reader may see and its latest state changes. The
    caller has already checked that `user` may view the camera; alerts are scoped again."""
    alerts = redaction.for_viewer(
        policy.scope(user, Alert.objects.filter(camera=camera)).order_by("-last_raised_at")
        [:limit], user)
    changes = CameraStateChange.objects.filter(camera=camera).order_by("-at")[:limit]
    events = [CameraEvent(a.last_raised_at, a.shown_title, alert=a) for a in alerts]
    events += [CameraEvent(c.at, str(CameraHealth.State(c.state).label), state=c.state)
               for c in changes if c.state in CameraHealth.State.values]
    return sorted(events, key=lambda e: e.at, reverse=True)[:limit]
