"""The incident page's frame picker: a page of thumbnails at a time, opened on the incident's
moment; thumbnails follow the same access rules as full frames, but only a frame opened in
full is a view in the camera owner's access record."""

from __future__ import annotations

import io
from datetime import timedelta

from django.urls import reverse
from PIL import Image

from apps.cameras.models import ViewRecord
from apps.records.views.incidents import FRAMES_PER_PAGE
from tests.records.conftest import frame, report


def urls(incident, frame_row, kind="timeline"):
    args = [incident.pk, kind, frame_row.pk]
    return (reverse("records:candidate_thumbnail", args=args),
            reverse("records:candidate_frame", args=args))


def test_thumbnails_write_no_view_record_and_a_full_frame_does(
        client, world, incident_with_frames):
    incident, frames = incident_with_frames
    client.force_login(world.a.users["operator"])
    thumb, full = urls(incident, frames["out"])
    page = client.get(incident.get_absolute_url()).content.decode()
    assert thumb in page and full in page
    response = client.get(thumb)
    assert response.status_code == 200 and response["Content-Type"] == "image/jpeg"
    assert response["Cache-Control"] == "no-store, private"
    assert ViewRecord.objects.count() == 0
    assert client.get(full).status_code == 200
    assert list(ViewRecord.objects.values_list("kind", "camera_id")) == [
        (ViewRecord.Kind.TIMELINE, frames["out"].camera_id)]


def test_thumbnails_follow_the_access_rules_of_full_frames(
        client, world, incident_with_frames):
    incident, frames = incident_with_frames
    client.force_login(world.a.users["operator"])
    for key in ("in", "old"):  # an inward camera; a frame far from the incident's time
        thumb, full = urls(incident, frames[key])
        assert client.get(thumb).status_code == 404, key
        assert client.get(full).status_code == 404, key
    thumb, _full = urls(incident, frames["out"])
    assert client.get(thumb, headers={"Sec-Fetch-Site": "cross-site"}).status_code == 404
    client.force_login(world.b.users["operator"])  # another city's operator
    assert client.get(thumb).status_code == 404


def test_a_thumbnail_is_small(client, world, incident_with_frames):
    incident, frames = incident_with_frames
    big = frame(frames["out"].camera, incident.occurred_at)
    with big.image.open("wb") as handle:
        out = io.BytesIO()
        Image.new("RGB", (1280, 720), (10, 80, 10)).save(out, format="JPEG")
        handle.write(out.getvalue())
    client.force_login(world.a.users["operator"])
    thumb, _full = urls(incident, big)
    with Image.open(io.BytesIO(client.get(thumb).content)) as image:
        assert image.width <= 240


def test_the_picker_shows_one_page_opened_on_the_incident_moment(client, world, cameras):
    incident = report(world)
    out = cameras[("A", "kpu_out")]
    rows = [frame(out, incident.occurred_at + timedelta(seconds=20 * i)) for i in range(-20, 20)]
    client.force_login(world.a.users["operator"])
    response = client.get(incident.get_absolute_url())
    picker = response.context["picker"]
    assert len(picker.frames) == FRAMES_PER_PAGE
    assert picker.page.paginator.count == len(rows)
    # 20 frames come before the moment: page 2 (frames 13-24) holds it, 8 frames in.
    assert picker.page.number == 2 and picker.moment_index == 8
    html = response.content.decode()
    assert html.count('class="frame-tile"') == FRAMES_PER_PAGE
    later = client.get(incident.get_absolute_url(), {"halaman": 4}).context["picker"]
    assert [f.id for f in later.frames] == [r.pk for r in rows[36:]]
    client.force_login(world.a.users["kpu"])  # the owner also sees the inward camera
    url = incident.get_absolute_url()
    inward = cameras[("A", "kpu_in")]
    assert client.get(url, {"kamera": inward.pk}).context["picker"].frames == []
    assert client.get(url, {"kamera": out.pk}).context["picker"].page.paginator.count == 40
