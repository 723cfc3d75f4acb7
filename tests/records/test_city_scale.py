"""City scale: the compliance page and the daily report cost their window, not the history.
Same results as the straightforward algorithms, and query counts that do not grow."""

from __future__ import annotations

import random
import uuid
from datetime import UTC, datetime, time, timedelta

from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from apps.records import compliance as rules
from apps.records.models import PatrolVisit
from apps.records.report import daily_report
from apps.records.selectors import compliance_view
from apps.records.services.patrols import patrol_start, patrol_visit_record
from tests.records.conftest import visit

T0 = datetime(2026, 11, 23, 18, 0, tzinfo=UTC)


def _generated_visits(world, points, rng: random.Random, now: datetime) -> None:
    """Three patrols (by foot, motorcycle, car) started two days ago, and visits outside a
    patrol over those two days: scans seconds apart, hops across the city, hours without a
    visit."""
    officer = world.a.users["padal"]
    checkpoints = [points.gate, points.fence, points.warehouse_door]
    moment = now - timedelta(hours=47)
    patrols = [patrol_start(user=officer, client_key=uuid.uuid4(), team_name=f"Tim {mode}",
                            mode=mode, member_names=[], pillars=[], now=moment,
                            planned=rng.sample(checkpoints, 2)).record.pk
               for mode in ("foot", "motorcycle", "car")]
    while moment < now:
        patrol_visit_record(user=officer, now=moment, entry=visit(
            rng.choice(checkpoints), patrol_id=rng.choice([None, *patrols])))
        hours_away = rng.random() < 0.04
        moment += timedelta(seconds=5 * 3600 if hours_away else rng.choice([20, 50, 300, 900]))


def test_the_database_finds_what_the_rules_find(world, points):
    """The page's figures from the database equal the rules applied to every visit in
    Python: exceptions, missed windows, per-night counts and each patrol's checkpoints."""
    now = timezone.now()
    _generated_visits(world, points, random.Random(11), now)
    commander = world.a.users["commander"]
    view = compliance_view(user=commander, nights=2, now=now)
    visits = list(PatrolVisit.objects.select_related("checkpoint", "patrol")
                  .filter(occurred_at__gte=view.start))
    assert len(visits) > 50
    expected = rules.find_anomalies(
        rules.VisitPoint(v.pk, ("patrol", v.patrol_id) if v.patrol_id else
                         ("person", v.recorded_by_id), v.checkpoint_id, v.occurred_at,
                         float(v.checkpoint.latitude), float(v.checkpoint.longitude),
                         v.patrol.mode if v.patrol else "") for v in visits)
    assert {a.kind for a in expected} == {"rapid_rescan", "impossible_travel"}
    assert [(a.kind, a.visit_id, a.previous_id) for a in view.anomalies] == [
        (a.kind, a.visit_id, a.previous_id) for a in expected]
    grace = timedelta(minutes=settings.RECORDS_PATROL_GRACE_MINUTES)
    everything = list(PatrolVisit.objects.order_by("occurred_at"))
    for row in view.facilities:
        times = [v.occurred_at for v in visits if v.facility_id == row.facility.pk]
        before = [v.occurred_at for v in everything
                  if v.facility_id == row.facility.pk and v.occurred_at < view.start]
        assert row.gaps == rules.missed_windows(times, start=view.start, end=view.end,
                                                interval=row.interval, grace=grace,
                                                last_before=before[-1] if before else None)
        assert row.visits == len(times)
        assert [n for n, _required in row.nights] == [
            rules.count_between(sorted(times), datetime.combine(day, time(18), view.zone),
                                min(datetime.combine(day + timedelta(days=1), time(6),
                                                     view.zone), now))
            for day in view.nights]
    assert any(row.gaps for row in view.facilities)
    for team in view.team_page:
        own = [v for v in visits if v.patrol_id == team.patrol.pk]
        planned = set(team.patrol.planned_checkpoints)
        assert (team.visits, team.planned_visited) == (
            len(own), len(planned & {v.checkpoint_id for v in own}))


def test_counting_a_window_by_bisection_matches_a_scan():
    rng = random.Random(3)
    times = sorted(T0 + timedelta(minutes=rng.randrange(10_000)) for _ in range(500))
    for _ in range(200):
        lo = T0 + timedelta(minutes=rng.randrange(-100, 10_100))
        hi = lo + timedelta(minutes=rng.randrange(-50, 3000))
        assert rules.count_between(times, lo, hi) == sum(1 for t in times if lo <= t < hi)
    assert rules.count_between(times, times[0], times[0]) == 0


def _patrols_with_visits(world, points, n: int):
    officer = world.a.users["padal"]
    for _ in range(n):
        patrol = patrol_start(user=officer, client_key=uuid.uuid4(), team_name="Samapta",
                              mode="car", member_names=["A"], pillars=[],
                              planned=[points.gate, points.fence]).record
        patrol_visit_record(user=officer, entry=visit(points.gate, patrol_id=patrol.pk))
        patrol_visit_record(user=officer, entry=visit(points.fence, patrol_id=patrol.pk))
    patrol_start(user=officer, client_key=uuid.uuid4(), team_name="Tanpa kunjungan",
                 mode="foot", member_names=[], pillars=[], planned=[],
                 operation=world.a.operation)


def test_the_daily_report_counts_each_patrols_visits(world, points):
    _patrols_with_visits(world, points, 2)
    report = daily_report(user=world.a.users["commander"], operation=world.a.operation,
                          day=timezone.localdate(timezone=world.a.operation.responsible_agency
                                                 .region.zoneinfo))
    assert sorted(p.visit_count for p in report.patrols) == [0, 2, 2]
    assert report.visits == 4


def test_compliance_and_daily_report_queries_do_not_grow(world, points):
    commander, operation = world.a.users["commander"], world.a.operation
    day = timezone.localdate(timezone=operation.responsible_agency.region.zoneinfo)
    _patrols_with_visits(world, points, 1)

    def run():
        with CaptureQueriesContext(connection) as queries:
            compliance_view(user=commander)
            daily_report(user=commander, operation=operation, day=day)
        return len(queries.captured_queries)

    run()
    small = run()
    _patrols_with_visits(world, points, 12)
    assert run() <= small
    view = compliance_view(user=commander)
    assert sum(t.visits for t in view.team_page) == 26


def test_the_patrol_start_form_groups_checkpoints_under_their_facility(client, world, points):
    from apps.records.forms import PatrolStartForm
    from apps.records.models import Checkpoint

    mine = Checkpoint.objects.filter(facility__region__path__startswith=world.a.city.path)
    form = PatrolStartForm(checkpoints=mine.select_related("facility")
                           .order_by("facility__name", "name"),
                           operations=Checkpoint.objects.none())
    groups = dict(form.fields["planned"].choices)
    office = world.a.facilities["kpu_office"].name
    assert sorted(groups[office]) == sorted([(points.gate.pk, points.gate.name),
                                             (points.fence.pk, points.fence.name)])
    html = str(form["planned"])
    assert html.count(office) == 1  # a heading, not a prefix of every checkbox label
    posted = PatrolStartForm({"team_name": "Samapta", "mode": "car",
                              "planned": [points.gate.pk, points.b_gate.pk]},
                             checkpoints=mine, operations=Checkpoint.objects.none())
    assert not posted.is_valid() and "planned" in posted.errors  # city B's is not a choice


def test_the_compliance_page_renders_a_page_of_each_table(client, world, points, monkeypatch):
    """Every row is computed for the summary; a page of each table is rendered, and another
    page of one table keeps the others' pages."""
    from apps.records import selectors

    monkeypatch.setattr(selectors, "TEAMS_PER_PAGE", 2)
    _patrols_with_visits(world, points, 4)
    client.force_login(world.a.users["commander"])
    view = client.get("/kepatuhan-patroli/?fpage=1").context["view"]
    assert view.team_page.paginator.count == 5 and len(view.team_page) == 2
    assert view.team_page.paginator.num_pages == 3
    page = client.get("/kepatuhan-patroli/?fpage=1&tpage=3")
    last = page.context["view"].team_page
    assert [t.patrol.team_name for t in last] == ["Samapta"]  # the earliest started
    html = page.content.decode()
    assert "fpage=1&amp;tpage=2" in html  # Previous keeps the facility page
    assert last[0].patrol.get_absolute_url() in html


def test_a_facility_last_visited_before_the_look_back_is_overdue_from_the_start(world, points):
    """Its last visit lies before the window the figures look back over: the gap runs from
    the period's start, as the rules say, not from its first visit."""
    now = timezone.now()
    view = compliance_view(user=world.a.users["commander"], nights=2, now=now)
    officer = world.a.users["padal"]
    for moment in (view.start - timedelta(hours=30), view.start + timedelta(minutes=20)):
        patrol_visit_record(user=officer, now=moment, entry=visit(points.gate))
    view = compliance_view(user=world.a.users["commander"], nights=2, now=now)
    row = next(r for r in view.facilities if r.facility.pk == points.gate.facility_id)
    assert row.gaps[0] == rules.Gap(view.start, view.start + timedelta(minutes=20))
