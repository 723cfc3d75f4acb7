"""The camera access record: viewing sessions, paged and filtered, its CSV, and the same
naming question as the API."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from apps.cameras.access_record import viewer_agency_choices
from apps.cameras.models import Camera, Orientation, ViewRecord
from apps.cameras.records import duration_in_words, newest_sessions, session_count, sessions
from apps.cameras.services import share_grant, share_revoke
from apps.org.models import Agency

pytestmark = pytest.mark.django_db
URL = reverse("cameras:access_record")


@dataclass
class Place:
    gate: Camera
    yard: Camera


@pytest.fixture
def place(world) -> Place:
    def camera(name, path):
        return Camera.objects.create(
            facility=world.a.facilities["warehouse"], name=name, source_kind="mjpeg",
            url=f"http://127.0.0.1:8554/mjpeg/{path}", orientation=Orientation.OUTWARD)

    gate, yard = camera("Gerbang gudang", "record-gate"), camera("Halaman gudang", "record-yard")
    for cam in (gate, yard):
        share_grant(camera=cam, grantee=world.a.agencies["polres"], basis="MoU",
                    by=world.a.users["kpu"])
    return Place(gate, yard)


def views(camera, user, kind, start, count=1, every=timedelta(seconds=0.11), length=None,
          address="10.0.0.5"):
    """`count` views, `every` apart from `start` (each `length` long if given)."""
    ViewRecord.objects.bulk_create([
        ViewRecord(camera=camera, viewer=user, viewer_agency_id=user.agency_id, kind=kind,
                   started_at=start + i * every,
                   ended_at=start + i * every + length if length else None, address=address)
        for i in range(count)
    ])


def test_duration_in_words_in_the_readers_language():
    from django.utils import translation

    with translation.override("id"):
        assert duration_in_words(timedelta(seconds=6.718932)) == "6 detik"
        assert duration_in_words(timedelta(minutes=2, seconds=5)) == "2 menit 5 detik"
        assert duration_in_words(timedelta(hours=1, minutes=3, seconds=9)) == "1 jam 3 menit"
        assert duration_in_words(timedelta(hours=2)) == "2 jam"
    with translation.override("en"):
        assert duration_in_words(timedelta(minutes=1, seconds=1)) == "1 minute 1 second"


def test_one_look_is_one_row_and_a_pause_starts_another(world, place):
    operator = world.a.users["operator"]
    start = timezone.now() - timedelta(hours=2)
    # One look at an alert: sixty evidence frames in six and a half seconds.
    views(place.gate, operator, ViewRecord.Kind.EVIDENCE, start, count=60)
    # Ten minutes later the same person looks again: a second session.
    views(place.gate, operator, ViewRecord.Kind.EVIDENCE, start + timedelta(minutes=10),
          count=3, every=timedelta(seconds=2))
    # A live view of 2 min 5 s, and another camera's snapshot meanwhile.
    views(place.gate, operator, ViewRecord.Kind.LIVE, start, length=timedelta(seconds=125))
    views(place.yard, operator, ViewRecord.Kind.SNAPSHOT, start + timedelta(seconds=30))
    found = sessions(ViewRecord.objects.all())
    assert session_count(ViewRecord.objects.all()) == len(found) == 4
    shape = sorted((s.camera_id == place.gate.pk, s.kind, s.views,
                    round(s.duration.total_seconds())) for s in found)
    assert shape == [(False, "snapshot", 1, 0), (True, "evidence", 3, 4),
                     (True, "evidence", 60, 6), (True, "live", 1, 125)]
    assert [s.started_at for s in found] == sorted((s.started_at for s in found), reverse=True)


def test_overlapping_live_views_join_one_session(world, place):
    operator = world.a.users["operator"]
    start = timezone.now() - timedelta(hours=1)
    # Two tabs: a long view, and a short one inside it; then one 3 min after the long ended.
    views(place.gate, operator, "live", start, length=timedelta(minutes=30))
    views(place.gate, operator, "live", start + timedelta(minutes=1), length=timedelta(minutes=1))
    views(place.gate, operator, "live", start + timedelta(minutes=33), length=timedelta(minutes=1))
    (only,) = sessions(ViewRecord.objects.all())
    assert only.views == 3 and only.duration == timedelta(minutes=34)


def test_the_page_shows_sessions_in_words_and_local_time(client, world, place):
    operator = world.a.users["operator"]
    start = timezone.now() - timedelta(hours=1)
    views(place.gate, operator, "evidence", start, count=60)
    views(place.gate, operator, "live", start, length=timedelta(seconds=125))
    client.force_login(world.a.users["kpu"])
    page = client.get(URL)
    assert len(page.context["rows"]) == 2
    body = page.content.decode()
    assert "6 detik" in body and "2 menit 5 detik" in body and "Bukti dibuka" in body
    assert "WIB" in body and "0:00:06" not in body


def test_pages_with_a_fixed_number_of_queries(client, world, place,
                                              django_assert_max_num_queries):
    operator = world.a.users["operator"]
    start = timezone.now() - timedelta(days=1)
    for i in range(120):  # 120 sessions of five views each, an hour apart
        views(place.gate, operator, "snapshot", start + timedelta(minutes=11 * i), count=5)
    client.force_login(world.a.users["kpu"])
    client.get(URL)  # the session and the user, read once
    # Sign-in checks, then the filters' choices, at most six to find the page (the newest
    # records, the longest view, their sessions; once more further back; the whole period),
    # and its names: not per row.
    with django_assert_max_num_queries(22):
        first = client.get(URL)
    assert len(first.context["rows"]) == 50 and first.context["page"].has_next
    assert not first.context["page"].has_previous
    last = client.get(URL, {"page": 3})
    assert len(last.context["rows"]) == 20 and not last.context["page"].has_next
    past_the_end = client.get(URL, {"page": 99})
    assert past_the_end.context["page"].number == 3
    for odd in ("x", "-1", "9" * 30):
        assert client.get(URL, {"page": odd}).status_code == 200
    assert [r.session for r in past_the_end.context["rows"]] == [
        r.session for r in last.context["rows"]]
    seen = {r.session.started_at for r in first.context["rows"]} | {
        r.session.started_at for r in last.context["rows"]}
    assert len(seen) == 70


def test_filters_camera_agency_person_kind_and_period(client, world, place):
    a = world.a
    now = timezone.now()
    views(place.gate, a.users["operator"], "live", now - timedelta(hours=1),
          length=timedelta(minutes=1))
    views(place.yard, a.users["commander"], "snapshot", now - timedelta(hours=1))
    views(place.gate, a.users["kpu"], "snapshot", now - timedelta(days=20))
    client.force_login(a.users["kpu"])

    def shown(**query):
        response = client.get(URL, query)
        assert response.status_code == 200
        return {(r.camera.name, r.viewer.username) for r in response.context["rows"]}

    # The last week unless another period is chosen.
    assert shown() == {("Gerbang gudang", "operator_a"), ("Halaman gudang", "commander_a")}
    assert shown(camera=place.yard.pk) == {("Halaman gudang", "commander_a")}
    assert shown(person=a.users["operator"].pk) == {("Gerbang gudang", "operator_a")}
    assert shown(kind="live") == {("Gerbang gudang", "operator_a")}
    assert shown(agency=a.agencies["kpu"].pk) == set()  # nobody of KPU A this week
    earlier = (timezone.localdate() - timedelta(days=30)).isoformat()
    assert shown(since=earlier, agency=a.agencies["kpu"].pk) == {("Gerbang gudang", "kpu_a")}
    assert shown(since="bukan tanggal") == set()
    assert shown(camera=999_999) == set()


def test_csv_in_the_readers_language_for_indonesian_spreadsheets(client, world, place):
    operator = world.a.users["operator"]
    views(place.gate, operator, "evidence", timezone.now() - timedelta(hours=1), count=60)
    client.force_login(world.a.users["kpu"])
    response = client.get(URL, {"format": "csv"})
    body = response.content.decode("utf-8")
    assert body.startswith("\ufeff")
    header, row = body.lstrip("\ufeff").splitlines()[:2]
    assert header.split(";")[:5] == ["Kamera", "Objek", "Dilihat oleh", "Instansi", "Jenis"]
    cells = row.split(";")
    assert cells[0] == "Gerbang gudang" and cells[4] == "Bukti dibuka"
    assert cells[5].endswith(" WIB") and cells[7] == "6 detik" and cells[8] == "60"


def test_own_record_names_only_cameras_one_may_still_view(client, world, place):
    """Page, CSV and API ask the same question: may this reader view the camera now?"""
    a = world.a
    operator = a.users["operator"]
    views(place.gate, operator, "live", timezone.now() - timedelta(hours=1),
          length=timedelta(minutes=1))
    views(place.yard, operator, "snapshot", timezone.now() - timedelta(hours=1))
    share_revoke(share=place.gate.shares.get(), by=a.users["kpu"], reason="Selesai")
    client.force_login(operator)
    page = client.get(URL)
    names = {r.camera.name if r.camera else None for r in page.context["rows"]}
    assert names == {None, "Halaman gudang"}
    assert "Gerbang gudang" not in page.content.decode()
    csv_body = client.get(URL, {"format": "csv"}).content.decode()
    assert "Gerbang gudang" not in csv_body and "Halaman gudang" in csv_body
    api_rows = client.get("/api/view-records/").json()["results"]
    assert {r["camera_name"] for r in api_rows} == {None, "Halaman gudang"}
    # The owner still sees which camera was viewed.
    client.force_login(a.users["kpu"])
    assert {r.camera.name for r in client.get(URL).context["rows"]} == {
        "Gerbang gudang", "Halaman gudang"}


def test_viewers_see_only_their_own_sessions(client, world, place):
    a = world.a
    for who in ("operator", "commander"):
        views(place.gate, a.users[who], "snapshot", timezone.now() - timedelta(hours=1))
    client.force_login(a.users["operator"])
    assert {r.viewer.username for r in client.get(URL).context["rows"]} == {"operator_a"}
    client.force_login(a.users["bawaslu"])  # not the owner of the warehouse
    assert client.get(URL).context["rows"] == []


def test_period_inputs_keep_their_dates_in_indonesian(client, world, place):
    client.force_login(world.a.users["kpu"])
    body = client.get(URL, {"since": "2026-11-01", "until": "2026-11-30"},
                      headers={"Accept-Language": "id"}).content.decode()
    assert 'value="2026-11-01"' in body and 'value="2026-11-30"' in body


def test_agency_choices_come_from_the_agencies_not_from_the_view_records(client, world, place):
    a = world.a
    views(place.gate, a.users["operator"], "snapshot", timezone.now() - timedelta(hours=1))
    Agency.objects.create(name="Kosong A", pillar=Agency.Pillar.POLRI,
                          unit_kind=Agency.UnitKind.POLSEK, region=a.agencies["polsek"].region)
    client.force_login(a.users["kpu"])
    offered = {label for _pk, label in
               client.get(URL).context["form"].fields["agency"].choices}
    # People of the city's agencies may view its cameras, whether or not they did this week;
    # an agency nobody belongs to is not offered, nor one of another city.
    assert {str(a.agencies[k]) for k in ("polres", "kodim", "kpu")} <= offered
    assert "Kosong A" not in offered and str(world.b.agencies["polres"]) not in offered
    assert "viewrecord" not in str(viewer_agency_choices(a.users["kpu"]).query)


def test_a_page_of_the_newest_sessions_is_a_page_of_the_whole_period(world, place):
    """Grouping only the newest records finds the same sessions as grouping the period: also a
    session begun long before them (a live view of two hours that later views join)."""
    a = world.a
    start = timezone.now() - timedelta(hours=10)
    views(place.yard, a.users["commander"], "snapshot", start, count=90,
          every=timedelta(minutes=6))  # ninety sessions, one an hour after another
    views(place.gate, a.users["operator"], "live", start + timedelta(hours=5),
          length=timedelta(hours=2))
    views(place.gate, a.users["operator"], "live", start + timedelta(hours=6, minutes=40),
          count=10, every=timedelta(minutes=4), length=timedelta(minutes=1))
    views(place.gate, a.users["kpu"], "evidence", start + timedelta(hours=8), count=60)
    records = ViewRecord.objects.all()
    whole = sessions(records)
    assert any(s.views == 11 for s in whole)  # the live view and the ten that joined it
    for offset in range(0, len(whole) + 5, 5):
        found, more = newest_sessions(records, offset=offset, limit=5)
        assert found == whole[offset:offset + 5]
        assert more == (len(whole) > offset + 5)


def test_the_pages_queries_do_not_grow_with_the_record(client, world, place):
    """One bound whether the page groups the whole period (a few records) or only its newest
    records (ten and a hundred times as many)."""
    operator = world.a.users["operator"]
    client.force_login(world.a.users["kpu"])
    client.get(URL)  # the session and the user, read once
    start = timezone.now() - timedelta(days=6)
    counts = []
    for count in (40, 400, 4000):  # each from another address: a session each
        ViewRecord.objects.all().delete()
        ViewRecord.objects.bulk_create([
            ViewRecord(camera=place.gate, viewer=operator, viewer_agency_id=operator.agency_id,
                       kind="snapshot", started_at=start + i * timedelta(days=6) / count,
                       address=f"10.0.{i // 250}.{i % 250}")
            for i in range(count)])
        with CaptureQueriesContext(connection) as queries:
            page = client.get(URL, {"page": 2})
        assert len(page.context["rows"]) == (50 if count > 100 else count)
        counts.append(len(queries))
    assert max(counts) <= 22, counts
