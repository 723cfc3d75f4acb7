"""The review pages (apps.recordings.review): who gets them (the policy's reviewable cameras,
everyone else a 404), the day and moment they open on, and the ways in: from an alert (10 s
before it), from the camera page, and the menu."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.conf import settings
from django.shortcuts import resolve_url
from django.urls import reverse

from apps.alerts.models import Alert
from apps.cameras.models import CameraShare
from apps.cameras.services import share_grant
from tests.cast import gate_and_inside_cameras

# 10:00:05 WIB on 7 December 2026 (the warehouse of city A is in WIB).
RAISED = datetime(2026, 12, 7, 3, 0, 5, tzinfo=UTC)


@pytest.fixture
def cameras(world):
    gate, inside = gate_and_inside_cameras(world.a)
    a = world.a
    share = share_grant(camera=gate, grantee=a.agencies["polres"], basis="MoU",
                        by=a.users["kpu"])
    CameraShare.objects.filter(pk=share.pk).update(recordings=True)
    # Kodim may watch the gate live, not its recordings.
    share_grant(camera=gate, grantee=a.agencies["kodim"], basis="MoU", by=a.users["kpu"])
    return gate, inside


def page(client, user, url):
    client.force_login(user)
    return client.get(url)


# (person of city A or B, may review the outward gate, may review the inward camera)
REVIEWERS = [
    ("a", "kpu", True, True),  # the owner agency: everything, inward too
    ("a", "operator", True, False),  # a share granting recordings: outward only
    ("a", "commander", True, False),
    ("a", "admin", True, False),  # administrators as for viewing: outward only
    ("a", "field_tni", False, False),  # Kodim's share is live only
    ("a", "bawaslu", False, False),
    ("a", "norole", False, False),
    ("a", "kpu_as_operator", False, False),  # a wrong role gives nothing
    ("b", "kpu", False, False),
    ("b", "operator", False, False),
]


@pytest.mark.parametrize(("city", "who", "gate_ok", "inside_ok"), REVIEWERS)
def test_the_camera_page_is_for_those_the_policy_lets_review(
        client, world, cameras, city, who, gate_ok, inside_ok) -> None:
    gate, inside = cameras
    user = getattr(world, city).users[who]
    for camera, allowed in ((gate, gate_ok), (inside, inside_ok)):
        response = page(client, user, reverse("review:camera", args=[camera.pk]))
        assert response.status_code == (200 if allowed else 404), (who, camera.name)
        detail = client.get(camera.get_absolute_url())
        if detail.status_code == 200:  # the camera page links its recordings only then
            assert (reverse("review:camera", args=[camera.pk]) in detail.text) is allowed


@pytest.mark.parametrize(("city", "who", "gate_ok", "inside_ok"), REVIEWERS)
def test_the_facility_page_plays_only_the_cameras_one_may_review(
        client, world, cameras, city, who, gate_ok, inside_ok) -> None:
    gate, inside = cameras
    user = getattr(world, city).users[who]
    for camera, allowed in ((gate, gate_ok), (inside, inside_ok)):
        url = reverse("review:facility", args=[camera.facility_id])
        response = page(client, user, url)
        assert response.status_code == (200 if allowed else 404), (who, camera.name)
        detail = client.get(camera.facility.get_absolute_url())
        if detail.status_code == 200:  # the facility page links its recordings only then
            assert (url in detail.text) is allowed
        if allowed:
            cameras_shown = response.context["review_data"]["cameras"]
            assert [c["id"] for c in cameras_shown] == [camera.pk]
    index = page(client, user, reverse("review:index"))
    assert index.status_code == 200
    assert (reverse("review:camera", args=[gate.pk]) in index.text) is gate_ok
    assert (reverse("review:camera", args=[inside.pk]) in index.text) is inside_ok


def test_an_unknown_camera_or_facility_is_a_404(client, world, cameras) -> None:
    client.force_login(world.a.users["kpu"])
    assert client.get(reverse("review:camera", args=[999999])).status_code == 404
    assert client.get(reverse("review:facility", args=[999999])).status_code == 404


def test_anonymous_people_are_sent_to_log_in(client, cameras) -> None:
    response = client.get(reverse("review:camera", args=[cameras[0].pk]))
    assert response.status_code == 302
    assert response.url.startswith(resolve_url(settings.LOGIN_URL))


def test_the_page_opens_on_the_day_and_moment_asked_in_the_facility_time(
        client, world, cameras) -> None:
    gate = cameras[0]
    response = page(client, world.a.users["kpu"],
                    reverse("review:camera", args=[gate.pk]) + "?tanggal=2026-12-07&t=10:00:00")
    data = response.context["review_data"]
    assert data["dayStart"] == "2026-12-07T00:00:00+07:00"
    assert data["dayEnd"] == "2026-12-08T00:00:00+07:00"
    assert data["start"] == "2026-12-07T10:00:00+07:00"
    assert (data["timezone"], data["zone"]) == ("Asia/Jakarta", "WIB")
    assert data["cameras"][0]["api"] == reverse("api:recording-timeline", args=[gate.pk])
    assert "?tanggal=2026-12-06" in response.text and "?tanggal=2026-12-08" in response.text
    assert 'id="review-data"' in response.text and "<script>" not in response.text
    # Unreadable values: today, from no particular moment (never an error page).
    response = client.get(reverse("review:camera", args=[gate.pk]) + "?tanggal=kemarin&t=x")
    assert response.status_code == 200 and response.context["review_data"]["start"] is None


def test_an_alert_plays_from_10_seconds_before_for_those_who_may_review(
        client, world, cameras) -> None:
    gate = cameras[0]
    alert = Alert.objects.create(kind=Alert.Kind.MOTION, severity=3, facility=gate.facility,
                                 camera=gate, title="Gerak di gerbang", dedup_key="g1",
                                 first_raised_at=RAISED, last_raised_at=RAISED)
    link = (reverse("review:camera", args=[gate.pk])
            + "?tanggal=2026-12-07&amp;t=09%3A59%3A55")
    for who, shown in (("kpu", True), ("operator", True), ("field_tni", False)):
        client.force_login(world.a.users[who])
        detail = client.get(alert.get_absolute_url())
        feed = client.get(reverse("alerts:feed") + "?state=all")
        assert detail.status_code == 200, who
        assert (link in detail.text) is shown, who
        assert (link in feed.text) is shown, who


def test_the_menu_leads_reviewers_to_recordings(client, world) -> None:
    url = reverse("review:index")
    for who, shown in (("operator", True), ("kpu", True), ("field_polri", False)):
        client.force_login(world.a.users[who])
        home = client.get(reverse("review:index") if shown else reverse("accounts:profile"))
        assert (f'href="{url}"' in home.text) is shown, who


def test_an_alert_just_after_local_midnight_plays_from_the_day_before(
        client, world, cameras) -> None:
    """An alert 5 s after local midnight plays from the day before, 23:59:55."""
    gate = cameras[0]
    midnight = datetime(2026, 12, 6, 17, 0, 5, tzinfo=UTC)  # 00:00:05 WIB on 7 December
    alert = Alert.objects.create(kind=Alert.Kind.MOTION, severity=3, facility=gate.facility,
                                 camera=gate, title="Gerak", dedup_key="g2",
                                 first_raised_at=midnight, last_raised_at=midnight)
    client.force_login(world.a.users["kpu"])
    assert "?tanggal=2026-12-06&amp;t=23%3A59%3A55" in client.get(alert.get_absolute_url()).text


def test_the_list_of_cameras_comes_a_page_at_a_time(client, world, cameras, monkeypatch) -> None:
    monkeypatch.setattr("apps.recordings.review.PER_PAGE", 1)
    gate, inside = cameras
    client.force_login(world.a.users["kpu"])
    first = client.get(reverse("review:index"))
    second = client.get(reverse("review:index") + "?page=2")
    links = [reverse("review:camera", args=[c.pk]) for c in (gate, inside)]
    assert [link in first.text for link in links].count(True) == 1
    assert [link in second.text for link in links].count(True) == 1
    assert "?page=2" in first.text
