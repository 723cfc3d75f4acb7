"""The review list (/peringatan/): filters, per-day counts, acknowledging several at once."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from apps.alerts import review
from apps.alerts.models import Alert, AlertEvent
from apps.alerts.services import alert_raise
from apps.cameras.services import share_grant
from tests.cast import INWARD_NAME, gate_and_inside_cameras
from tests.conftest import verify_otp


def _alert(facility, key, *, kind=Alert.Kind.OTHER, severity=Alert.Severity.HIGH,
           title="Pintu gudang terbuka", camera=None, days_ago=0):
    alert, _ = alert_raise(kind=kind, severity=severity, facility=facility, dedup_key=key,
                           title=title, camera=camera)
    if days_ago:
        moment = timezone.now() - timedelta(days=days_ago)
        Alert.objects.filter(pk=alert.pk).update(first_raised_at=moment, last_raised_at=moment)
    return alert


def _ids(response) -> set[int]:
    return {a.pk for a in response.context["alerts"]}


@pytest.fixture
def operator_client(client, world):
    user = world.a.users["operator"]
    client.force_login(user)
    verify_otp(client, user)
    return client


@pytest.fixture
def cameras(world):
    gate, inside = gate_and_inside_cameras(world.a)
    share_grant(camera=gate, grantee=world.a.agencies["polres"], basis="MoU",
                by=world.a.users["kpu"])
    return gate, inside


def test_filters_by_each_choice(operator_client, world, cameras):
    gate, _inside = cameras
    warehouse, office = world.a.facilities["warehouse"], world.a.facilities["kpu_office"]
    tamper = _alert(warehouse, "tamper", kind=Alert.Kind.TAMPER, camera=gate,
                    title="Lensa Gerbang gudang tertutup")
    low = _alert(office, "low", severity=Alert.Severity.LOW, title="Pintu kantor")
    old = _alert(warehouse, "old", days_ago=20)
    acked = _alert(office, "acked", title="Sudah dijawab")
    Alert.objects.filter(pk=acked.pk).update(state=Alert.State.ACKNOWLEDGED)
    feed = reverse("alerts:feed")

    assert _ids(operator_client.get(feed)) == {tamper.pk, low.pk, acked.pk}  # last 7 days
    assert _ids(operator_client.get(feed, {"kind": "tamper"})) == {tamper.pk}
    assert _ids(operator_client.get(feed, {"severity": 1})) == {low.pk}
    assert _ids(operator_client.get(feed, {"state": "acknowledged"})) == {acked.pk}
    assert _ids(operator_client.get(feed, {"facility": office.pk})) == {low.pk, acked.pk}
    assert _ids(operator_client.get(feed, {"facility": warehouse.pk, "camera": gate.pk})) \
        == {tamper.pk}
    assert _ids(operator_client.get(feed, {"q": "gerbang"})) == {tamper.pk}
    since = (timezone.localdate() - timedelta(days=30)).isoformat()
    assert _ids(operator_client.get(feed, {"since": since})) == {tamper.pk, low.pk, acked.pk,
                                                                 old.pk}
    # Another city's facility is not a choice: dropped, as if not given.
    foreign = world.b.facilities["warehouse"].pk
    assert _ids(operator_client.get(feed, {"facility": foreign})) == {tamper.pk, low.pk,
                                                                     acked.pk}
    # The camera choices are the chosen facility's cameras the person may view.
    page = operator_client.get(feed, {"facility": warehouse.pk})
    assert list(page.context["cameras"]) == [gate]


def test_an_inward_camera_can_neither_be_filtered_on_nor_searched_for(
        operator_client, world, cameras):
    _gate, inside = cameras
    office = world.a.facilities["kpu_office"]
    secret = _alert(office, "inside", camera=inside, title=f"Gerak di {INWARD_NAME}")
    other = _alert(office, "other", title="Pintu kantor")
    feed = reverse("alerts:feed")
    everything = operator_client.get(feed)
    assert _ids(everything) == {secret.pk, other.pk}  # told of it, without its camera
    assert INWARD_NAME not in everything.content.decode()
    # A camera id the person may not view is dropped, as if not given.
    assert _ids(operator_client.get(feed, {"camera": inside.pk})) == {secret.pk, other.pk}
    assert _ids(operator_client.get(feed, {"q": "rahasia"})) == set()
    page = operator_client.get(feed, {"facility": office.pk})
    assert INWARD_NAME not in page.content.decode()


def test_per_day_counts_cover_the_filtered_range_only(operator_client, world):
    warehouse = world.a.facilities["warehouse"]
    for i, days_ago in enumerate((0, 0, 2, 9)):
        _alert(warehouse, f"k{i}", days_ago=days_ago)
    _alert(world.b.facilities["warehouse"], "other-city")  # not theirs: not counted
    response = operator_client.get(reverse("alerts:feed"), {"state": "all"})
    counts = response.context["day_counts"]
    today = timezone.localdate()
    assert len(counts) == review.DEFAULT_DAYS and counts[0][0] == today
    assert dict(counts)[today] == 2
    assert dict(counts)[today - timedelta(days=2)] == 1
    assert sum(n for _day, n in counts) == 3  # nine days ago is outside the default week
    longer = operator_client.get(reverse("alerts:feed"), {
        "state": "all", "since": (today - timedelta(days=13)).isoformat(), "kind": "other"})
    assert sum(n for _day, n in longer.context["day_counts"]) == 4
    assert len(longer.context["day_counts"]) == 14


def test_acknowledge_several_at_once(operator_client, world):
    warehouse = world.a.facilities["warehouse"]
    mine = [_alert(warehouse, f"a{i}") for i in range(3)]
    foreign = _alert(world.b.facilities["warehouse"], "b", title="Rahasia kota B")
    page = operator_client.get(reverse("alerts:feed")).content.decode()
    assert f'name="alert" value="{mine[0].pk}"' in page
    response = operator_client.post(reverse("alerts:acknowledge_many"), {
        "alert": [mine[0].pk, mine[1].pk, foreign.pk, "x"], "comment": "Dicek bersama",
        "query": "state=all&kind=other",
    }, follow=True)
    assert response.redirect_chain[-1][0] == reverse("alerts:feed") + "?state=all&kind=other"
    page = response.content.decode()
    assert "Rahasia kota B" not in page
    states = dict(Alert.objects.values_list("pk", "state"))
    assert states[mine[0].pk] == states[mine[1].pk] == Alert.State.ACKNOWLEDGED
    assert states[mine[2].pk] == Alert.State.OPEN
    assert states[foreign.pk] == Alert.State.OPEN
    events = AlertEvent.objects.filter(action=AlertEvent.Action.ACKNOWLEDGED)
    assert sorted(events.values_list("alert_id", flat=True)) == sorted([mine[0].pk, mine[1].pk])
    assert set(events.values_list("comment", flat=True)) == {"Dicek bersama"}
    assert set(events.values_list("actor", flat=True)) == {world.a.users["operator"].pk}
    messages = [str(m) for m in response.context["messages"]]
    assert any("2" in m for m in messages) and any("1" in m for m in messages)


def test_acknowledging_needs_the_right_to_act(client, world):
    """The KPU official sees the alert but may not act on it: no checkbox, and a posted id
    changes nothing."""
    alert = _alert(world.a.facilities["warehouse"], "x")
    client.force_login(world.a.users["kpu"])
    page = client.get(reverse("alerts:feed"))
    assert _ids(page) == {alert.pk}
    assert 'name="alert"' not in page.content.decode()
    done, skipped = review.acknowledge_many(world.a.users["kpu"], [alert.pk])
    assert (done, skipped) == (0, 1)
    alert.refresh_from_db()
    assert alert.state == Alert.State.OPEN
    assert not alert.events.filter(action=AlertEvent.Action.ACKNOWLEDGED).exists()


def test_queries_do_not_grow_with_the_alerts(operator_client, world, cameras,
                                             django_assert_max_num_queries):
    gate, _inside = cameras
    warehouse = world.a.facilities["warehouse"]
    for i in range(60):
        _alert(warehouse, f"n{i}", camera=gate if i % 2 else None, days_ago=i % 5)
    with django_assert_max_num_queries(25):
        response = operator_client.get(reverse("alerts:feed"), {"state": "all"})
    assert len(response.context["alerts"]) == 50 and response.context["page"].has_next()
    with django_assert_max_num_queries(25):
        operator_client.get(reverse("alerts:feed"), {"state": "all", "page": 2, "q": "pintu",
                                                     "facility": warehouse.pk})
    # The owner reviews the gate's recordings: each alert's replay link, still no query each.
    operator_client.force_login(world.a.users["kpu"])
    with django_assert_max_num_queries(25):
        page = operator_client.get(reverse("alerts:feed"), {"state": "all"})
    assert "Putar dari 10 detik sebelumnya" in page.content.decode()
    operator_client.force_login(world.a.users["operator"])
    ids = list(Alert.objects.values_list("pk", flat=True)[:10])
    with django_assert_max_num_queries(12 * len(ids)):
        operator_client.post(reverse("alerts:acknowledge_many"), {"alert": ids})
    assert Alert.objects.filter(state=Alert.State.ACKNOWLEDGED).count() == 10


def test_an_alert_from_an_inward_time_is_not_found_by_its_camera(client, world, cameras):
    """Turned outward and shared since: the camera is the operator's to view and filter on,
    but its alert from the inward time stays without camera, so it is not matched by it."""
    from apps.cameras.models import Orientation, ViewRecord
    from apps.cameras.services import camera_save

    _gate, inside = cameras
    office = world.a.facilities["kpu_office"]
    before = _alert(office, "inside", camera=inside, title=f"Gerak di {INWARD_NAME}",
                    days_ago=1)
    inside.orientation = Orientation.OUTWARD
    camera_save(camera=inside, by=world.a.users["kpu"])
    share_grant(camera=inside, grantee=world.a.agencies["polres"], basis="MoU",
                by=world.a.users["kpu"])
    # Turned an hour ago: an alert of now is well past the clock margin of the change.
    ViewRecord.objects.filter(camera=inside, kind=ViewRecord.Kind.TO_OUTWARD).update(
        started_at=timezone.now() - timedelta(hours=1))
    after = _alert(office, "inside-now", camera=inside, title=f"Lensa {INWARD_NAME} tertutup")
    feed = reverse("alerts:feed")
    for who, found in (("operator", {after.pk}), ("kpu", {before.pk, after.pk})):
        user = world.a.users[who]
        client.force_login(user)
        verify_otp(client, user)
        assert _ids(client.get(feed)) == {before.pk, after.pk}, who
        assert _ids(client.get(feed, {"facility": office.pk, "camera": inside.pk})) == found
        assert _ids(client.get(feed, {"q": "rahasia"})) == found, who


def test_the_alert_page_opens_on_the_event_moment(operator_client, world, cameras):
    from django.core.files.base import ContentFile

    from apps.alerts.models import AlertEvidence

    gate, _inside = cameras
    alert = _alert(world.a.facilities["warehouse"], "motion", camera=gate)
    frames = {
        offset: AlertEvidence.objects.create(
            alert=alert, camera=gate, taken_at=alert.first_raised_at + timedelta(seconds=offset),
            offset_seconds=offset, image=ContentFile(b"\xff\xd8", "f.jpg"), sha256="0" * 64)
        for offset in (-4.0, -2.0, 0.4, 2.4)}
    response = operator_client.get(reverse("alerts:detail", args=[alert.pk]))
    assert response.context["moment"] == frames[0.4]
    page = response.content.decode()
    moment_url = reverse("alerts:evidence_frame", args=[frames[0.4].pk])
    # The event frame is the first image of the page, before the facts and the strip.
    assert page.index(moment_url) < page.index('class="facts"') < page.index("evidence-strip")
    assert page.count("is-moment") == 1
