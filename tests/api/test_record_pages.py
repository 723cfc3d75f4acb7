"""The lists that grow with the history (camera view records, patrols and their visits,
alerts, shifts) are walked by cursor: no count of the whole scope on each page, and the same
rows as the numbered pages."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from apps.alerts.models import Alert
from apps.alerts.services import alert_raise
from apps.cameras.models import ViewRecord


@pytest.fixture
def views(api_world):
    viewer = api_world.user("operator")
    now = timezone.now()
    ViewRecord.objects.bulk_create([
        ViewRecord(camera=api_world.outward, viewer=viewer, viewer_agency=viewer.agency,
                   kind=ViewRecord.Kind.SNAPSHOT, started_at=now - timedelta(minutes=i))
        for i in range(7)])
    return api_world


def _walk(client, url):
    rows, pages = [], 0
    while url:
        body = client.get(url).json()
        assert "count" not in body
        rows += [r["id"] for r in body["results"]]
        url, pages = body["next"], pages + 1
    return rows, pages


def test_view_records_are_walked_by_cursor_without_a_count(client, views):
    client.force_login(views.user("kpu"))
    walked, pages = _walk(client, "/api/view-records/?page_size=3")
    assert pages == 3 and len(walked) == 7 == len(set(walked))
    numbered = client.get("/api/view-records/", {"page": 1, "page_size": 200}).json()
    assert numbered["count"] == 7
    assert [r["id"] for r in numbered["results"]] == walked


def test_a_cursor_page_does_not_count_the_scope(client, views):
    client.force_login(views.user("kpu"))
    with CaptureQueriesContext(connection) as queries:
        assert client.get("/api/view-records/").status_code == 200
    assert not [q for q in queries.captured_queries if "COUNT(" in q["sql"].upper()]


def test_patrol_visits_keep_their_ordering_through_the_cursor(client, api_world):
    client.force_login(api_world.user("commander"))
    body = client.get("/api/patrol-visits/", {"ordering": "id"}).json()
    assert body["results"] == [] and body["next"] is None and "count" not in body
    assert client.get("/api/patrol-visits/", {"page": 1}).json()["count"] == 0


def test_the_schema_names_the_cursor_and_the_page(client, api_world):
    client.force_login(api_world.user("kpu"))
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/json").json()
    names = {p["name"] for p in schema["paths"]["/api/view-records/"]["get"]["parameters"]}
    assert {"cursor", "page", "page_size"} <= names


def test_alerts_are_walked_by_cursor_in_their_order(client, api_world):
    for i in range(4):
        alert_raise(kind=Alert.Kind.MOTION, severity=Alert.Severity.HIGH,
                    facility=api_world.outward.facility, camera=api_world.outward,
                    dedup_key=f"t:walk{i}", title=f"Gerakan {i}")
    client.force_login(api_world.user("operator"))
    walked, pages = _walk(client, "/api/alerts/?page_size=2")
    numbered = client.get("/api/alerts/", {"page": 1, "page_size": 200}).json()
    assert numbered["count"] == len(walked) >= 5 and pages == -(-len(walked) // 2)
    assert [r["id"] for r in numbered["results"]] == walked


@pytest.mark.parametrize("url", ["/api/alerts/", "/api/shifts/"])
def test_history_lists_count_nothing_on_a_cursor_page(client, api_world, url):
    client.force_login(api_world.user("commander"))
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200 and "count" not in response.json()
    assert not [q for q in queries.captured_queries if "COUNT(" in q["sql"].upper()]
