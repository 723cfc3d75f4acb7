"""What a webhook says: the JSON bodies of alert and incident events.

What leaves Posko: an alert from an inward camera goes out without the camera, its name or
the alert's detail (apps.alerts.redaction), and no payload ever carries an image or a
snapshot address. An incident report goes without the tipster's contact. Texts are in the
default language, whoever's request changed the alert.

Every body also carries `chain_anchor`: the latest signed anchor of the field records' hash
chain (apps.records.anchors), so each receiver holds a copy outside Posko's database that
`verify_records --witness` can check the chain against."""

from __future__ import annotations

import json

from django.conf import settings
from django.utils import timezone

from apps.alerts import redaction
from apps.alerts.models import Alert


def dumps(data) -> str:
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"))


def body(*, delivery_id, event: str, data: dict, chain_anchor) -> str:
    return dumps({"id": str(delivery_id), "event": event,
                  "created_at": timezone.now().isoformat(), "data": data,
                  "chain_anchor": chain_anchor})


def _time(value) -> str | None:
    return value.isoformat() if value is not None else None


def _facility(facility) -> dict:
    return {"id": facility.pk, "name": facility.name, "kind": facility.kind,
            "region": facility.region.name, "time_zone": facility.region.timezone}


def _link(path: str) -> str:
    origins = settings.SITE_ORIGINS
    return f"{origins[0]}{path}" if origins else path


def alert_data(alert: Alert, *, seq: int | None = None) -> dict:
    """The alert as it leaves Posko: an inward camera stays inside. `seq` is the change being
    told (an alert event's id); by default the alert's latest."""
    if alert.camera_id is not None and not alert.camera.is_outward:
        alert = redaction.redacted(alert)
    camera = ({"id": alert.camera_id, "name": alert.camera.name}
              if alert.camera_id is not None else None)
    return {
        "id": alert.pk, "seq": alert.last_seq if seq is None else seq, "kind": alert.kind,
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
