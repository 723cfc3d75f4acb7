"""City scale: the compliance page and the daily report cost their window, not the history.
Same results as the straightforward algorithms, and query counts that do not grow."""

from __future__ import annotations

import random
import uuid
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from apps.records import compliance as rules
from apps.records.report import daily_report
from apps.records.selectors import compliance_view, team_lines
from apps.records.services.patrols import patrol_start, patrol_visit_record
from tests.records.conftest import visit

T0 = datetime(2026, 11, 23, 18, 0, tzinfo=UTC)


def _old_team_lines(patrols, visits, anomalies):
    """The quadratic version the page had: every visit scanned for every patrol."""
    lines = []
    for patrol in patrols:
        own = [v for v in visits if v.patrol_id == patrol.pk]
        planned = set(patrol.planned_checkpoints)
        lines.append((patrol.pk, len(own), len(planned),
                      len(planned & {v.checkpoint_id for v in own}),
                      sum(1 for a in anomalies if a.team == ("patrol", patrol.pk))))
    return lines


def test_team_lines_match_the_quadratic_version_on_a_generated_week():
    rng = random.Random(7)
    patrols = [SimpleNamespace(pk=p, planned_checkpoints=rng.sample(range(40), rng.randint(0, 6)))
               for p in range(1, 120)]
    visits = [SimpleNamespace(pk=i, patrol_id=rng.choice([None, *range(1, 140)]),
                              checkpoint_id=rng.randrange(40), recorded_by_id=rng.randrange(9),
                              occurred_at=T0 + timedelta(minutes=rng.randrange(7 * 24 * 60)))
              for i in range(3000)]
    points = [rules.VisitPoint(v.pk, ("patrol", v.patrol_id) if v.patrol_id
                               else ("person", v.recorded_by_id), v.checkpoint_id,
                               v.occurred_at, -7.25 + rng.random() / 10, 112.75, "foot")
              for v in visits]
    anomalies = rules.find_anomalies(points)
    assert anomalies  # the case exercises the exception counts too
    new = [(t.patrol.pk, t.visits, t.planned, t.planned_visited, t.anomalies)
           for t in team_lines(patrols, visits, anomalies)]
    assert new == _old_team_lines(patrols, visits, anomalies)


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
    assert sum(t.visits for t in view.teams) == 26


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
