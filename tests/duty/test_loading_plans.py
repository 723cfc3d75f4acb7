"""On PostgreSQL, the coverage of a day reads that day's shifts and check-ins through indexes:
with months of roster behind it (and ANALYZE), no query of `coverage_inputs` scans the shift
or attendance table. Skipped on SQLite."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.db import connection, models
from django.test.utils import CaptureQueriesContext

from apps.duty import coverage as cov
from apps.duty.loading import coverage_inputs
from apps.duty.models import Attendance, GuardPost, Shift
from apps.places.models import Facility
from tests.duty.test_loading import DAY0

pytestmark = pytest.mark.skipif(connection.vendor != "postgresql",
                                reason="query plans are PostgreSQL's")

BIG_TABLES = ("duty_shift", "duty_attendance")
DAYS = 120


@pytest.fixture
def roster_history(duty):
    """Three 8-hour shifts a day at every post for months, each checked in and out (open
    slots: the people's own overlaps are not what this is about)."""
    person = duty.user("field_polri")
    shifts = models.QuerySet(Shift).bulk_create([
        Shift(post=post, start=start, end=start + timedelta(hours=8),
              published_at=start - timedelta(days=2))
        for post in GuardPost.objects.all() for d in range(-DAYS, 2) for s in range(3)
        for start in [DAY0 + timedelta(days=d, hours=8 * s)]], batch_size=5000)
    models.QuerySet(Attendance).bulk_create([
        Attendance(shift=shift, person=person, post_id=shift.post_id, pillar="polri",
                   checked_in_at=shift.start, check_in_received_at=shift.start,
                   checked_out_at=shift.end, check_out_received_at=shift.end)
        for shift in shifts], batch_size=5000)
    with connection.cursor() as cursor:
        for table in BIG_TABLES:
            cursor.execute(f"ANALYZE {table}")
    return duty


def test_a_days_coverage_reads_the_day_not_the_roster_history(roster_history):
    facilities = list(Facility.objects.select_related("region"))
    period = cov.Interval(DAY0, DAY0 + timedelta(days=1))
    with CaptureQueriesContext(connection) as queries:
        inputs = coverage_inputs(facilities=facilities, period=period, now=period.end)
    assert inputs.shifts and inputs.presences
    found = []
    with connection.cursor() as cursor:
        for query in queries.captured_queries:
            cursor.execute("EXPLAIN " + query["sql"])
            plan = "\n".join(row[0] for row in cursor.fetchall())
            found += [f"{table}: {query['sql'][:200]}\n{plan}" for table in BIG_TABLES
                      if re.search(rf"Seq Scan on {table}\s", plan)]
    assert found == [], "\n\n".join(found)
