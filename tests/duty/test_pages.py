"""The duty pages with the demo world: the commander finds the gaps the demo contains,
exports them as CSV and PDF, opens a cell; the field officer acts on their shift; the Padal
plans. Page queries stay bounded."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from apps.accounts.models import User
from apps.demo.builder import build_demo
from apps.duty.models import Attendance, GuardPost, Shift
from apps.places.models import Facility

WAREHOUSE = "Gudang Logistik KPU Kota Karangsari"


pytestmark = pytest.mark.usefixtures("shared_media")


@pytest.fixture(scope="module")
def shared_demo(module_db):
    # Once for the module (each test runs in a savepoint on top of it), without the two weeks
    # of field history: the roster and its gaps are built apart from it.
    build_demo(with_history=False)


@pytest.fixture
def demo(shared_demo, db):
    pass


def login(client, username: str) -> User:
    user = User.objects.get(username=username)
    client.force_login(user)
    return user


def _week(facility_name: str = WAREHOUSE) -> dict:
    zone = Facility.objects.get(name=facility_name).zoneinfo
    today = timezone.localtime(timezone.now(), zone).date()
    return {"start": (today - timedelta(days=3)).isoformat(), "end": today.isoformat()}


def test_the_commander_sees_the_gaps_the_demo_contains(client, demo):
    login(client, "komandan.karangsari")
    page = client.get(reverse("duty:coverage"))
    assert page.status_code == 200
    html = page.content.decode()
    # The last 24 hours by default: the warehouse is short right now (a guard has not come).
    assert "cov-short" in html or "cov-empty" in html
    assert WAREHOUSE in html and "gap-line" in html
    view = page.context["view"]
    warehouse = next(r for r in view.rows if r.facility.name == WAREHOUSE)
    assert warehouse.result.gaps, "the warehouse is one guard short now"
    # Over the last days: the night the TNI guard never came, 12 hours with 2 of 3 and no TNI.
    week = client.get(reverse("duty:coverage"), _week()).context["view"]
    nights = [line.gap for line in week.gaps if line.facility.name == WAREHOUSE
              and line.gap.minutes >= 11 * 60 and "tni" in line.gap.missing_pillars]
    assert nights and nights[0].required == 3 and nights[0].present == 2
    assert not week.hourly  # four days are shown per day
    # Other cities are not in a Karangsari commander's report.
    assert all(r.facility.region.parent.name == "Kota Karangsari" for r in week.rows)


def test_filters(client, demo):
    login(client, "admin.demo")
    everything = client.get(reverse("duty:coverage")).context["view"]
    assert len(everything.rows) == 8
    kind = client.get(reverse("duty:coverage"), {"kind": "kpu_warehouse"}).context["view"]
    assert {r.facility.kind for r in kind.rows} == {"kpu_warehouse"}
    from apps.org.models import Region

    region = Region.objects.get(name="Kota Tanjung Wangi")
    wita = client.get(reverse("duty:coverage"), {"region": region.pk}).context["view"]
    assert len(wita.rows) == 2 and wita.zone_label == "WITA"
    from apps.places.models import Operation

    past = Operation.objects.get(name__startswith="Operasi Mantap Brata")
    op = client.get(reverse("duty:coverage"), {"operation": past.pk}).context["view"]
    assert len(op.rows) == 3
    bad = client.get(reverse("duty:coverage"), {"start": "2026-02-30"})
    assert bad.status_code == 400


def test_csv_export(client, demo):
    login(client, "komandan.karangsari")
    response = client.get(reverse("duty:coverage_csv"), _week())
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    # For a spreadsheet with Indonesian settings: BOM, ';', Indonesian headers and labels.
    text = response.content.decode("utf-8")
    assert text.startswith("\ufeff")
    rows = list(csv.DictReader(io.StringIO(text[1:]), delimiter=";"))
    assert {r["Objek"] for r in rows} == {
        "Kantor KPU Kota Karangsari", "Kantor Bawaslu Kota Karangsari", WAREHOUSE}
    assert len(rows) == 3 * 4  # three facilities, four days
    assert any(r["Status"] in ("celah", "tidak ada yang hadir") and r["Objek"] == WAREHOUSE
               for r in rows)
    warehouse = next(r for r in rows if r["Objek"] == WAREHOUSE)
    assert warehouse["Jenis"] == "Gudang Logistik KPU"
    assert warehouse["Mulai"].endswith(" WIB") and "T" not in warehouse["Mulai"]


def test_csv_cells_that_look_like_formulas_stay_text(client, demo):
    Facility.objects.filter(name=WAREHOUSE).update(name="=HYPERLINK(\"http://x\")")
    login(client, "komandan.karangsari")
    body = client.get(reverse("duty:coverage_csv")).content.decode()
    assert "'=HYPERLINK" in body


def test_pdf_report(client, demo):
    login(client, "komandan.karangsari")
    response = client.get(reverse("duty:coverage_pdf"), _week())
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF") and len(response.content) > 3000


def test_pdf_with_markup_in_names(client, demo):
    Facility.objects.filter(name=WAREHOUSE).update(name="Gudang <b>&amp; \"Tes\"")
    login(client, "komandan.karangsari")
    assert client.get(reverse("duty:coverage_pdf")).status_code == 200


def test_a_cell_shows_who_was_rostered_and_present(client, demo):
    login(client, "komandan.karangsari")
    view = client.get(reverse("duty:coverage")).context["view"]
    row = next(r for r in view.rows if r.facility.name == WAREHOUSE)
    cell = next(c for c in reversed(row.cells) if c.status in ("short", "empty"))
    page = client.get(cell.href)
    assert page.status_code == 200
    html = page.content.decode()
    assert "Anggota Kodim" in html  # tni.karangsari: rostered, not present
    detail = page.context["detail"]
    rostered = {s.person_id for s in detail.shifts}
    present = {a.person_id for a in detail.attendances}
    tni = User.objects.get(username="tni.karangsari")
    assert tni.pk in rostered and tni.pk not in present


def test_cell_links_cannot_probe_other_facilities_or_bad_periods(client, demo):
    login(client, "komandan.tanjungwangi")
    facility = Facility.objects.get(name=WAREHOUSE)
    url = reverse("duty:coverage_cell", args=[facility.pk])
    assert client.get(url, {"from": 1795000000, "to": 1795003600}).status_code == 404
    login(client, "komandan.karangsari")
    assert client.get(url, {"from": 1795000000, "to": 1795003600}).status_code == 200
    for query in ({}, {"from": "x", "to": "1"}, {"from": 10, "to": 5},
                  {"from": 1795000000, "to": 1795000000 + 40 * 86400},
                  {"from": "99999999999999999999", "to": "1"}):
        assert client.get(url, query).status_code == 404


def test_the_field_officer_on_duty_sees_the_handover_and_can_check_out(client, demo):
    login(client, "polisi.karangsari")
    html = client.get(reverse("duty:my_duty")).content.decode()
    assert "Kantor KPU Kota Karangsari" in html
    shift = Shift.objects.filter(person__username="polisi.karangsari",
                                 start__lte=timezone.now(), end__gt=timezone.now()).get()
    assert reverse("duty:check_out", args=[shift.pk]) in html
    assert "serah terima" in html.lower()


def test_the_late_guard_can_check_in_and_is_recorded_late(client, demo):
    user = login(client, "tni.karangsari")
    shift = Shift.objects.get(person=user, start__lte=timezone.now(), end__gt=timezone.now())
    html = client.get(reverse("duty:my_duty")).content.decode()
    assert reverse("duty:check_in", args=[shift.pk]) in html
    response = client.post(reverse("duty:check_in", args=[shift.pk]))
    assert response.status_code == 302
    late = (timezone.now() - shift.start).total_seconds() // 60
    assert Attendance.objects.get(shift=shift).late_minutes == (late if late > 5 else 0)


def test_the_padal_sees_drafts_and_the_roster_gaps(client, demo):
    login(client, "padal.karangsari")
    post = GuardPost.objects.get(facility__name=WAREHOUSE)
    page = client.get(reverse("duty:roster", args=[post.pk]), {"days": 7})
    assert page.status_code == 200
    view = page.context["view"]
    assert view.may_plan and view.drafts > 0  # the last day is a draft
    assert client.get(reverse("duty:posts")).status_code == 200
    assert client.get(reverse("duty:standards", args=[post.pk])).status_code == 200


def test_field_officers_do_not_see_drafts(client, demo):
    login(client, "polisi.karangsari")
    post = GuardPost.objects.get(facility__name="Kantor KPU Kota Karangsari")
    view = client.get(reverse("duty:roster", args=[post.pk]), {"days": 7}).context["view"]
    shifts = [s for day in view.days for s in day.shifts]
    assert shifts and all(s.published_at for s in shifts) and not view.may_plan


def test_facility_officials_see_their_own_coverage_only(client, demo):
    login(client, "kpu.karangsari")
    view = client.get(reverse("duty:coverage")).context["view"]
    assert {r.facility.name for r in view.rows} == {"Kantor KPU Kota Karangsari", WAREHOUSE}


@pytest.mark.parametrize(("username", "url_name", "params"), [
    ("komandan.karangsari", "duty:coverage", {}),
    ("komandan.karangsari", "duty:coverage", "week"),
    ("admin.demo", "duty:coverage", "week"),
    ("komandan.karangsari", "duty:coverage_csv", "week"),
    ("polisi.karangsari", "duty:my_duty", {}),
    ("padal.karangsari", "duty:posts", {}),
])
def test_page_queries_are_bounded(client, demo, django_assert_max_num_queries, username,
                                  url_name, params):
    login(client, username)
    params = _week() if params == "week" else params
    client.get(reverse(url_name), params)  # warm (sessions, content types)
    with django_assert_max_num_queries(25):
        assert client.get(reverse(url_name), params).status_code == 200


def test_coverage_page_queries_do_not_grow_with_more_days(client, demo):
    login(client, "komandan.karangsari")
    client.get(reverse("duty:coverage"))
    week_params = _week()
    with CaptureQueriesContext(connection) as one_day:
        client.get(reverse("duty:coverage"))
    with CaptureQueriesContext(connection) as week:
        client.get(reverse("duty:coverage"), week_params)
    assert len(week.captured_queries) == len(one_day.captured_queries)


def test_roster_page_queries_are_bounded(client, demo, django_assert_max_num_queries):
    login(client, "padal.karangsari")
    post = GuardPost.objects.get(facility__name=WAREHOUSE)
    url = reverse("duty:roster", args=[post.pk])
    client.get(url)
    with django_assert_max_num_queries(30):
        assert client.get(url, {"days": 14}).status_code == 200


def test_the_demo_roster_is_idempotent(demo):
    counts = (Shift.objects.count(), Attendance.objects.count(), GuardPost.objects.count())
    build_demo(with_history=False)
    assert (Shift.objects.count(), Attendance.objects.count(),
            GuardPost.objects.count()) == counts
