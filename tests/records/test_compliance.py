"""Patrol compliance: the arithmetic (no database), overdue alerts, the commander's page."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.urls import reverse

from apps.alerts.models import Alert
from apps.records import compliance as rules
from apps.records.services.compliance import patrol_overdue_check
from apps.records.services.patrols import patrol_visit_record
from tests.records.conftest import visit

T0 = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


def point(visit_id, checkpoint, minutes, lat=None, lon=None, team="t", mode="foot"):
    return rules.VisitPoint(visit_id, team, checkpoint, T0 + timedelta(minutes=minutes), lat,
                            lon, mode)


# --- pure arithmetic -------------------------------------------------------------------------


def test_haversine_is_right_within_a_metre():
    # One degree of latitude is 111.19 km on the mean-radius sphere.
    assert rules.haversine_m(0, 0, 1, 0) == pytest.approx(111_195, abs=1)
    assert rules.haversine_m(-7.25, 112.75, -7.25, 112.75) == 0


def test_the_same_checkpoint_scanned_again_within_a_minute():
    found = rules.find_anomalies([point(1, "gate", 0), point(2, "gate", 0.5),
                                  point(3, "gate", 5)])
    assert [(a.kind, a.visit_id, a.previous_id) for a in found] == [("rapid_rescan", 2, 1)]


def test_impossible_travel_depends_on_the_mode():
    # 5.6 km in 10 minutes is 33 km/h: impossible on foot, fine by motorcycle.
    a, b = (-7.25, 112.75), (-7.30, 112.75)
    on_foot = rules.find_anomalies([point(1, "x", 0, *a), point(2, "y", 10, *b)])
    assert [(x.kind, round(x.speed_kmh)) for x in on_foot] == [("impossible_travel", 33)]
    by_motorcycle = rules.find_anomalies([point(1, "x", 0, *a, mode="motorcycle"),
                                          point(2, "y", 10, *b, mode="motorcycle")])
    assert by_motorcycle == []


def test_short_hops_and_other_teams_are_not_exceptions():
    near = rules.find_anomalies([point(1, "x", 0, -7.25, 112.75),
                                 point(2, "y", 0.1, -7.2505, 112.75)])  # 55 m
    assert near == []
    two_teams = rules.find_anomalies([point(1, "x", 0, -7.25, 112.75, team="a"),
                                      point(2, "y", 1, -7.35, 112.75, team="b")])
    assert two_teams == []


def test_missed_windows_with_grace_and_a_visit_before_the_period():
    start, end = T0, T0 + timedelta(hours=12)
    visits = [T0 + timedelta(hours=h) for h in (1, 3, 9, 11)]
    gaps = rules.missed_windows(visits, start=start, end=end, interval=timedelta(hours=3),
                                grace=timedelta(minutes=15), last_before=T0 - timedelta(hours=1))
    assert [(g.start, g.end) for g in gaps] == [(T0 + timedelta(hours=3),
                                                T0 + timedelta(hours=9))]
    assert rules.missed_windows([], start=start, end=end, interval=timedelta(hours=3)) == [
        rules.Gap(start, end)]
    assert rules.required_visits(start=start, end=end, interval=timedelta(hours=3)) == 4


def test_a_window_still_going_on_needs_a_visit_only_once_its_interval_has_passed():
    three_hours = timedelta(hours=3)
    for minutes, needed in ((17, 0), (179, 0), (180, 1), (200, 1), (361, 2)):
        assert rules.required_visits(start=T0, end=T0 + timedelta(minutes=minutes),
                                     interval=three_hours, ongoing=True) == needed, minutes
    assert rules.required_visits(start=T0, end=T0 + timedelta(minutes=17),
                                 interval=three_hours) == 1  # a whole window of 17 minutes


# --- overdue alerts --------------------------------------------------------------------------


def test_an_overdue_facility_raises_one_alert_per_lapse(world, points, settings):
    settings.RECORDS_PATROL_GRACE_MINUTES = 15
    now = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)
    officer = world.a.users["field_polri"]
    patrol_visit_record(user=officer, entry=visit(points.gate), now=now - timedelta(hours=2))
    patrol_overdue_check(now=now)
    kpu_office = world.a.facilities["kpu_office"]
    assert not Alert.objects.filter(kind=Alert.Kind.PATROL_OVERDUE,
                                    facility=kpu_office).exists()
    later = now + timedelta(hours=1, minutes=20)  # 3 h 20 min after the visit
    patrol_overdue_check(now=later)
    patrol_overdue_check(now=later + timedelta(minutes=5))
    alert = Alert.objects.get(kind=Alert.Kind.PATROL_OVERDUE, facility=kpu_office)
    assert alert.occurrences == 2  # the repeat is counted on the open alert
    # The uncovered facility has no patrol standard; other facilities never had a visit.
    assert not Alert.objects.filter(facility=world.a.facilities["uncovered"]).exists()
    assert Alert.objects.filter(kind=Alert.Kind.PATROL_OVERDUE,
                                facility=world.a.facilities["warehouse"]).exists()
    # A new visit, then a new lapse: a new alert.
    patrol_visit_record(user=officer, entry=visit(points.gate), now=later)
    patrol_overdue_check(now=later + timedelta(hours=4))
    assert Alert.objects.filter(kind=Alert.Kind.PATROL_OVERDUE,
                                facility=kpu_office).count() == 2


def test_the_beat_schedule_runs_the_checks():
    from apps.core.periodic import beat_schedule
    from apps.records import tasks

    names = {entry["task"] for entry in beat_schedule().values()}
    assert {tasks.check_patrols.name, tasks.anchor_chain.name} <= names


# --- the commander's page --------------------------------------------------------------------


def test_the_compliance_page_shows_exceptions(client, world, points):
    officer = world.a.users["field_tni"]
    from django.utils import timezone

    now = timezone.now()
    first = patrol_visit_record(user=officer, entry=visit(points.gate),
                                now=now - timedelta(minutes=3)).record
    patrol_visit_record(user=officer, entry=visit(points.gate),
                        now=now - timedelta(minutes=3) + timedelta(seconds=20))
    patrol_visit_record(user=officer, entry=visit(points.warehouse_door),
                        now=now - timedelta(minutes=2))  # 7.8 km in 40 s
    client.force_login(world.a.users["commander"])
    response = client.get(reverse("records:compliance"))
    assert response.status_code == 200
    kinds = sorted(a.kind for a in response.context["view"].anomalies)
    assert kinds == ["impossible_travel", "rapid_rescan"]
    rows = {r.facility.name: r for r in response.context["view"].facilities}
    assert rows[world.a.facilities["kpu_office"].name].visits == 2
    assert first.get_absolute_url() in response.content.decode()
    client.force_login(world.b.users["commander"])
    assert client.get(reverse("records:compliance")).context["view"].anomalies == []
