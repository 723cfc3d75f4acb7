"""An alert's evidence frames are laid out in time order with the event moment marked: frames
before the event and from it on are told apart, so the first frame from it on is marked."""

from __future__ import annotations

import re
from datetime import timedelta

from django.core.files.base import ContentFile

from apps.alerts.models import Alert, AlertEvidence
from apps.alerts.services import alert_raise
from tests.records.conftest import jpeg_bytes


def test_the_evidence_frames_mark_the_event_moment(client, world, cameras):
    camera = cameras[("A", "kpu_out")]
    alert, _ = alert_raise(kind=Alert.Kind.MOTION, severity=3, facility=camera.facility,
                           camera=camera, dedup_key="motion:ev", title="Gerakan")
    for offset in (-2.0, -1.0, 0.0, 1.5):
        frame = AlertEvidence(alert=alert, camera=camera, offset_seconds=offset, sha256="x",
                              taken_at=alert.first_raised_at + timedelta(seconds=offset))
        frame.image.save("e.jpg", ContentFile(jpeg_bytes()), save=True)
    client.force_login(world.a.users["operator"])
    html = client.get(alert.get_absolute_url()).content.decode()
    classes = re.findall(r'class="(ev-before|ev-after)(?: is-moment)?"', html)
    assert sorted(classes) == ["ev-after", "ev-after", "ev-before", "ev-before"]
    assert html.index('class="ev-before') < html.index('class="ev-after')
    assert html.count('class="ev-after is-moment"') == 1  # the frame at the event itself
    # Offsets are signed, so "+1,5 s" reads as after the event (decimal comma in Indonesian).
    assert re.search(r"\+1[.,]5 s", html) and re.search(r"-2[.,]0 s", html)
