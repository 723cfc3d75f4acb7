"""On PostgreSQL, the review list reads its date range through indexes: with a city's history
of alerts (ANALYZE), no plan of its default view, its filters or its per-day counts scans the
alert table. Skipped on SQLite."""

from __future__ import annotations

import random
from datetime import timedelta

import pytest
from django.db import connection, models
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from apps.alerts.models import Alert
from tests.conftest import verify_otp
from tests.records.test_city_scale_plans import _sequential_scans

pytestmark = pytest.mark.skipif(connection.vendor != "postgresql",
                                reason="query plans are PostgreSQL's")


@pytest.fixture
def history(world):
    rng = random.Random(21)
    now = timezone.now()
    facilities = [*world.a.facilities.values(), *world.b.facilities.values()]
    models.QuerySet(Alert).bulk_create([
        Alert(kind="motion", severity=rng.choice((1, 2, 3)), facility=rng.choice(facilities),
              title="Gerakan", dedup_key=f"h:{i}", state="resolved" if i % 50 else "open",
              first_raised_at=(at := now - timedelta(minutes=rng.randrange(120 * 1440))),
              last_raised_at=at)
        for i in range(20_000)], batch_size=5000)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE alerts_alert")
    return world


def test_the_review_list_reads_its_range(client, history):
    office = history.a.facilities["kpu_office"]
    queries_of = [{}, {"state": "all"}, {"state": "all", "q": "gerak"},
                  {"state": "open", "severity": 3, "facility": office.pk, "kind": "motion"}]
    for who in ("operator", "commander", "kpu"):
        user = history.a.users[who]
        client.force_login(user)
        verify_otp(client, user)
        for query in queries_of:
            with CaptureQueriesContext(connection) as queries:
                response = client.get(reverse("alerts:feed"), query)
            assert response.status_code == 200
            found = _sequential_scans(queries.captured_queries, ("alerts_alert",))
            assert found == [], (who, query, found[0])
