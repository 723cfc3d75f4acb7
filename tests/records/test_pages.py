"""The record pages: bounded queries, installability, no inline script, the daily report."""

from __future__ import annotations

import re
import uuid
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from apps.records.models import Criterion
from apps.records.services import checks, incidents
from apps.records.services.patrols import patrol_start, patrol_visit_record
from tests.records.conftest import visit

TEMPLATES = Path(settings.BASE_DIR) / "templates" / "records"


def grow(world, points, n: int) -> None:
    """More visits, patrols, checks and incidents in city A."""
    officer, tni = world.a.users["padal"], world.a.users["field_tni"]
    for _ in range(n):
        patrol = patrol_start(user=officer, client_key=uuid.uuid4(), team_name="Samapta",
                              mode="car", member_names=["A", "B"], pillars=[],
                              planned=[points.gate]).record
        patrol_visit_record(user=officer, entry=visit(points.gate, patrol_id=patrol.pk))
        patrol_visit_record(user=tni, entry=visit(points.warehouse_door))
        checks.warehouse_check_record(
            user=tni, facility=world.a.facilities["warehouse"],
            entry=checks.CheckInput(client_key=uuid.uuid4(), items=[checks.ItemInput(
                kind="ink", expected_qty=5, counted_qty=5)],
                criteria={k: {"ok": True} for k in Criterion.values}))
        incidents.incident_report(
            user=officer, facility=world.a.facilities["kpu_office"],
            entry=incidents.IncidentInput(client_key=uuid.uuid4(), category="crowd",
                                          description="Massa berkumpul"))


def daily_url(world) -> str:
    return reverse("records:daily") + f"?operation={world.a.operation.pk}"


PAGES = {
    "records:my_patrol": ("padal", None),
    "records:compliance": ("commander", None),
    "records:incidents": ("operator", None),
    "records:checks": ("commander", None),
    "records:checkpoints": ("commander", None),
    "records:daily": ("commander", daily_url),
}


@pytest.mark.parametrize("name", PAGES)
def test_page_queries_do_not_grow_with_the_data(client, world, points, name,
                                                django_assert_max_num_queries):
    who, url_for = PAGES[name]
    client.force_login(world.a.users[who])
    url = url_for(world) if url_for else reverse(name)
    # Two rounds: every kind of row, an exception (a checkpoint scanned again) included, so
    # the first measure has each of the page's tables to read.
    grow(world, points, 2)
    client.get(url)
    with CaptureQueriesContext(connection) as small:
        assert client.get(url).status_code == 200
    grow(world, points, 8)
    with django_assert_max_num_queries(len(small.captured_queries)):
        assert client.get(url).status_code == 200


def test_detail_pages_have_bounded_queries(client, world, points, django_assert_max_num_queries):
    grow(world, points, 3)
    from apps.records.models import Incident, Patrol, WarehouseCheck

    client.force_login(world.a.users["commander"])
    for obj in (Incident.objects.first(), WarehouseCheck.objects.first(),
                Patrol.objects.first()):
        with django_assert_max_num_queries(25):
            assert client.get(obj.get_absolute_url()).status_code == 200


# --- installable, offline-capable --------------------------------------------------------------


def test_the_service_worker_is_served_from_the_root_with_a_site_wide_scope(client, db):
    response = client.get(reverse("records:service_worker"))
    assert reverse("records:service_worker") == "/sw.js"
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/javascript")
    assert response["Service-Worker-Allowed"] == "/"
    body = response.content.decode()
    assert f'"{reverse("accounts:login")}"' in body and "addEventListener(\"fetch\"" in body


def test_the_manifest_starts_on_the_field_page(client, db):
    response = client.get(reverse("records:manifest"))
    assert response["Content-Type"] == "application/manifest+json"
    data = response.json()
    assert data["start_url"] == reverse("records:my_patrol") and data["scope"] == "/"
    assert data["display"] == "standalone" and data["icons"]


def test_field_pages_link_the_manifest_and_the_outbox(client, world, points):
    client.force_login(world.a.users["field_polri"])
    for url in (reverse("records:my_patrol"), reverse("records:incident_create")):
        page = client.get(url).content.decode()
        assert reverse("records:manifest") in page
        assert "data-outbox" in page and "js/records-field.js" in page
        assert 'name="client_key"' in page


def test_a_scanned_label_url_opens_the_field_page_with_the_token(client, world, points):
    from apps.records import tokens

    client.force_login(world.a.users["field_polri"])
    token = tokens.checkpoint_token(points.gate)
    page = client.get(reverse("records:my_patrol") + f"?t={token}").content.decode()
    assert f'value="{token}"' in page


def test_no_inline_script_or_handler_in_the_record_templates():
    for template in TEMPLATES.glob("*.html"):
        text = template.read_text()
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", text), template.name
        assert not re.search(r"\son[a-z]+\s*=", text), template.name
        assert "style=" not in text, template.name


def test_no_third_party_javascript_is_committed():
    for name in ("records-field.js", "records-sw.js"):
        source = (Path(settings.BASE_DIR) / "static" / "js" / name).read_text()
        assert "import " not in source and "require(" not in source


def test_the_navigation_offers_my_patrol_to_field_officers(client, world):
    client.force_login(world.a.users["field_polri"])
    page = client.get(reverse("records:incidents")).content.decode()
    assert f'href="{reverse("records:my_patrol")}"' in page


# --- labels --------------------------------------------------------------------------------------


def test_the_label_page_prints_qr_codes_for_planners_only(client, world, points):
    url = reverse("records:checkpoint_labels", args=[points.gate.facility_id])
    client.force_login(world.a.users["commander"])
    page = client.get(url).content.decode()
    assert page.count("data:image/svg+xml") == 2 and points.gate.code in page
    for who in ("field_polri", "operator", "kpu"):
        client.force_login(world.a.users[who])
        assert client.get(url).status_code == 404, who
    client.force_login(world.b.users["commander"])
    assert client.get(url).status_code == 404


def test_field_officers_never_see_checkpoint_codes(client, world, points):
    client.force_login(world.a.users["field_polri"])
    for url in (reverse("records:my_patrol"), reverse("records:checkpoints")):
        assert points.gate.code not in client.get(url).content.decode()


# --- the daily report ------------------------------------------------------------------------


def test_the_daily_report_page_csv_and_pdf_carry_the_chain_head(client, world, points):
    grow(world, points, 2)
    from apps.records.chain import chain_head

    client.force_login(world.a.users["commander"])
    query = f"?operation={world.a.operation.pk}&day={timezone.localdate().isoformat()}"
    head = chain_head()
    page = client.get(reverse("records:daily") + query)
    assert page.status_code == 200
    report = page.context["report"]
    assert report.head.entry_hash == head.entry_hash
    assert head.entry_hash in page.content.decode()
    assert report.visits == 4 and len(report.checks) == 2 and len(report.incidents) == 2
    assert report.duty_available  # guard coverage comes from apps.duty
    csv_text = client.get(reverse("records:daily_csv") + query).content.decode()
    assert head.entry_hash in csv_text and "Ujung rantai (hash)" in csv_text
    pdf = client.get(reverse("records:daily_pdf") + query)
    assert pdf["Content-Type"] == "application/pdf" and pdf.content.startswith(b"%PDF")


def test_the_daily_report_form_reads_its_choices_once(client, world, points):
    """The operations and the regions are read once a page, their choice validated and their
    options rendered from the same rows: a ModelChoiceField asked again for each, the second
    time through a server-side cursor, and the policy's subqueries were planned each time."""
    client.force_login(world.a.users["commander"])
    client.get(daily_url(world))  # warm (sessions, content types)
    with CaptureQueriesContext(connection) as captured:
        page = client.get(daily_url(world))
    assert page.status_code == 200
    sqls = [q["sql"].lstrip() for q in captured.captured_queries]
    assert not [sql for sql in sqls if sql.startswith("DECLARE")]
    assert len([sql for sql in sqls if sql.startswith('SELECT "places_operation"."id"')]) <= 1
    assert len([sql for sql in sqls if sql.startswith('SELECT "org_region"."id"')]) <= 2
    html = page.content.decode()
    assert f'<option value="{world.a.operation.pk}" selected>' in html
    missing = reverse("records:daily") + f"?operation={world.b.operation.pk}"
    assert client.get(missing).status_code == 400  # not among the rows: not a choice


def test_the_daily_report_is_scoped_by_the_policy(client, world, points):
    grow(world, points, 1)
    client.force_login(world.b.users["commander"])
    response = client.get(daily_url(world))
    assert response.status_code == 400  # city A's operation is not a choice for city B
    client.force_login(world.a.users["bawaslu"])
    response = client.get(daily_url(world))
    assert response.status_code == 200
    assert [line.facility.kind for line in response.context["report"].facilities] == [
        "bawaslu_office"]


def test_a_city_daily_report_page_shows_its_facilities_a_page_at_a_time(client, world):
    from apps.records.report import PAGE_FACILITIES
    from tests.duty.test_coverage_groups import add_facilities

    add_facilities(world, PAGE_FACILITIES + 1)
    client.force_login(world.a.users["commander"])
    first = client.get(daily_url(world))
    report = first.context["report"]
    assert len(report.facilities) > PAGE_FACILITIES  # the report itself is whole
    shown = [line.facility.name for line in first.context["page"]]
    assert len(shown) == PAGE_FACILITIES
    second = client.get(daily_url(world) + "&page=2")
    rest = [line.facility.name for line in second.context["page"]]
    assert sorted(shown + rest) == sorted(line.facility.name for line in report.facilities)
    assert rest[-1] in second.content.decode() and rest[-1] not in first.content.decode()
    html = first.content.decode()
    assert '&amp;page=2"' in html and f"operation={world.a.operation.pk}" in html
    csv_text = client.get(reverse("records:daily_csv") + f"?operation={world.a.operation.pk}"
                          ).content.decode()
    assert all(name in csv_text for name in shown + rest)  # the CSV lists every facility


def test_the_daily_report_page_reads_one_page_of_the_days_patrols(client, world, points):
    """The page counts the day's patrols and reads a page of them, its queries the same
    whatever their number; the CSV still lists them all."""
    from apps.records.views.reports import PAGE_PATROLS

    grow(world, points, 2)
    client.force_login(world.a.users["commander"])
    client.get(daily_url(world))  # warm (sessions, content types)
    with CaptureQueriesContext(connection) as few:
        client.get(daily_url(world))
    grow(world, points, PAGE_PATROLS)
    with CaptureQueriesContext(connection) as many:
        page = client.get(daily_url(world))
    assert len(many.captured_queries) == len(few.captured_queries)
    patrols = page.context["patrol_page"]
    assert len(patrols) == PAGE_PATROLS and patrols.paginator.count == PAGE_PATROLS + 2
    assert f"{PAGE_PATROLS + 2} patroli" in page.content.decode()
    assert len(client.get(daily_url(world) + "&ppage=2").context["patrol_page"]) == 2
    csv_text = client.get(reverse("records:daily_csv")
                          + f"?operation={world.a.operation.pk}").content.decode()
    assert csv_text.count("Samapta") == PAGE_PATROLS + 2


def test_an_official_counts_every_visit_to_their_facilities(client, world, points):
    """Whoever recorded them: the owner's facilities are a subquery of the policy now, not a
    join, and say the same."""
    from apps.records.models import PatrolVisit

    grow(world, points, 2)
    official = world.a.users["kpu"]
    owned = PatrolVisit.objects.filter(
        facility__owner_agency__path__startswith=official.agency.path,
        facility__operations=world.a.operation)
    assert owned.exclude(recorded_by=official).exists()
    client.force_login(official)
    report = client.get(daily_url(world)).context["report"]
    assert report.visits == owned.count()


def test_the_csv_export_defuses_formulas(client, world, points):
    officer = world.a.users["padal"]
    patrol_start(user=officer, client_key=uuid.uuid4(), team_name="=HYPERLINK(\"x\")",
                 mode="car", member_names=[], pillars=[], planned=[],
                 operation=world.a.operation)
    client.force_login(world.a.users["commander"])
    csv_text = client.get(reverse("records:daily_csv")
                          + f"?operation={world.a.operation.pk}").content.decode()
    assert "'=HYPERLINK" in csv_text
