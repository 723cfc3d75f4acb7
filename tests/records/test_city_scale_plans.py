"""On PostgreSQL, the windowed pages read their window through indexes: with enough history
for the planner to care (ANALYZE), no plan of the compliance week, the daily report or the
API record pages scans a big append-only table sequentially.

Run with DATABASE_URL=postgres://postgres@127.0.0.1:5432/posko_city (skipped on SQLite)."""

from __future__ import annotations

import random
import re
import uuid
from datetime import timedelta

import pytest
from django.db import connection, models
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from apps.alerts.models import Alert
from apps.cameras.models import Camera, Orientation, ViewRecord
from apps.records.models import Patrol, PatrolVisit
from apps.records.report import daily_report
from apps.records.selectors import compliance_view
from tests.records.conftest import make_checkpoint

pytestmark = pytest.mark.skipif(connection.vendor != "postgresql",
                                reason="query plans are PostgreSQL's")

BIG_TABLES = ("records_patrolvisit", "records_patrol", "cameras_viewrecord", "alerts_alert")
DAYS = 120


def _raw(model):
    """Rows straight in: the history of months, not the hash chain under test elsewhere."""
    return models.QuerySet(model)


@pytest.fixture
def history(world):
    rng = random.Random(11)
    now = timezone.now()
    a, b = world.a, world.b
    facilities = [*a.facilities.values(), *b.facilities.values()]
    points = [make_checkpoint(f, f"Titik {i}") for f in facilities for i in range(3)]
    cameras = [Camera.objects.create(facility=f, name=f"Kamera {i}", source_kind="mjpeg",
                                     url=f"http://127.0.0.1:8554/mjpeg/{f.pk}-{i}",
                                     orientation=Orientation.INWARD)
               for f in facilities for i in range(2)]
    leaders = [a.users["padal"], b.users["padal"]]
    patrols = _raw(Patrol).bulk_create([
        Patrol(client_key=uuid.uuid4(), team_name="Tim", leader=leader, agency=leader.agency,
               mode="car", started_at=at, received_at=at, planned_checkpoints=[])
        for i in range(2000)
        for leader in [leaders[i % 2]]
        for at in [now - timedelta(minutes=rng.randrange(DAYS * 24 * 60))]])
    visits = []
    for i in range(20_000):
        patrol, point = patrols[i % len(patrols)], rng.choice(points)
        at = patrol.started_at + timedelta(minutes=rng.randrange(300))
        visits.append(PatrolVisit(
            client_key=uuid.uuid4(), checkpoint=point, facility_id=point.facility_id,
            patrol=patrol, recorded_by=patrol.leader, method="qr", occurred_at=at,
            received_at=at, situation="safe"))
    _raw(PatrolVisit).bulk_create(visits, batch_size=5000)
    viewers = [a.users["operator"], b.users["operator"], a.users["commander"]]
    _raw(ViewRecord).bulk_create([
        ViewRecord(camera=rng.choice(cameras), viewer=viewer, viewer_agency=viewer.agency,
                   kind="live", started_at=now - timedelta(minutes=rng.randrange(DAYS * 1440)))
        for i in range(30_000) for viewer in [viewers[i % 3]]], batch_size=5000)
    _raw(Alert).bulk_create([
        Alert(kind="motion", severity=2, facility=rng.choice(facilities), title="Gerakan",
              dedup_key=f"h:{i}", state="resolved",
              first_raised_at=(at := now - timedelta(minutes=rng.randrange(DAYS * 1440))),
              last_raised_at=at)
        for i in range(10_000)], batch_size=5000)
    with connection.cursor() as cursor:
        for table in BIG_TABLES:
            cursor.execute(f"ANALYZE {table}")
    return world


def _hashed_big_tables(plan: str) -> list[str]:
    """The big tables read whole into a hashed subplan (`x IN (all of them)`), an index
    or not: the reverse fan-out that grows with the history."""
    lines, found = plan.splitlines(), []
    for i, line in enumerate(lines):
        if "hashed SubPlan" not in line:
            continue
        indent = len(line) - len(line.lstrip())
        block = []
        for below in lines[i + 1:]:
            if len(below) - len(below.lstrip()) <= indent:
                break
            block.append(below)
        found += [table for table in BIG_TABLES if f" on {table} " in "\n".join(block)]
    return found


def _sequential_scans(queries, tables=BIG_TABLES) -> list[str]:
    found = []
    with connection.cursor() as cursor:
        for query in queries:
            sql = query["sql"]
            if not sql.lstrip().upper().startswith("SELECT"):
                continue
            cursor.execute("EXPLAIN " + sql)
            plan = "\n".join(row[0] for row in cursor.fetchall())
            found += [f"{table}: {sql[:300]}\n{plan}" for table in tables
                      if re.search(rf"Seq Scan on {table}\s", plan)]
            found += [f"{table} hashed whole: {sql[:300]}\n{plan}"
                      for table in _hashed_big_tables(plan)]
    return found


@pytest.mark.parametrize("who", ["commander", "kpu"])
def test_the_compliance_week_and_the_daily_report_read_their_window(history, who):
    user, operation = history.a.users[who], history.a.operation
    day = timezone.localdate(timezone=operation.responsible_agency.region.zoneinfo)
    with CaptureQueriesContext(connection) as queries:
        compliance_view(user=user)
        daily_report(user=user, operation=operation, day=day)
    found = _sequential_scans(queries.captured_queries)
    assert found == [], "\n\n".join(f[:200] + f[f.index("\n"):] for f in found)


def test_the_api_record_pages_read_one_page(client, history):
    pages = [("kpu", "/api/view-records/"), ("operator", "/api/view-records/"),
             ("commander", "/api/patrol-visits/"), ("padal", "/api/patrol-visits/"),
             ("kpu", "/api/patrols/"), ("commander", "/api/patrols/")]
    # The patrols of a page join their members to the patrol table: a few thousand patrols
    # are read whole for that join here, an index per patrol at city scale.
    not_patrols = tuple(t for t in BIG_TABLES if t != "records_patrol")
    for who, url in pages:
        client.force_login(history.a.users[who])
        with CaptureQueriesContext(connection) as queries:
            first = client.get(url).json()
            assert first["results"], (who, url)
            assert client.get(first["next"]).status_code == 200
        tables = not_patrols if url == "/api/patrols/" else BIG_TABLES
        assert _sequential_scans(queries.captured_queries, tables) == [], (who, url)


def test_the_camera_access_record_reads_its_newest_views(client, history):
    """The owner's access record groups the newest views of its period, not the period."""
    for who in ("kpu", "operator"):
        client.force_login(history.a.users[who])
        with CaptureQueriesContext(connection) as queries:
            assert client.get("/kamera/catatan-akses/").status_code == 200
        assert _sequential_scans(queries.captured_queries) == [], who
