"""The coverage page of a city: a summary line per district (or per kind within one district),
counted in the database, and the heatmap and gaps a page of facilities at a time, so what the
page sends, asks and computes does not grow with the facilities; the exports stay complete."""

from __future__ import annotations

import csv
import io
import re
from datetime import time, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from apps.accounts.models import User
from apps.duty import coverage_page
from apps.duty.models import CoverageStandard, GuardPost
from apps.places.models import Facility
from tests.duty.conftest import make_attendance, make_shift

pytestmark = pytest.mark.django_db
URL = reverse("duty:coverage")


def add_facilities(world, count: int, start: int = 0) -> None:
    """`count` more KPU offices in city A's districts, each with a post and a round-the-clock
    standard of one guard that nobody kept, the city's polsek guard once on a day shift."""
    a = world.a
    now = timezone.now()
    for i in range(start, start + count):
        facility = Facility.objects.create(
            name=f"Kantor PPK {i:03d}", kind=Facility.Kind.KPU_OFFICE,
            owner_agency=a.agencies["kpu"], region=a.d1 if i % 2 else a.d2)
        a.operation.facilities.add(facility)
        post = GuardPost.objects.create(facility=facility, name="Pos", is_main=True)
        CoverageStandard.objects.create(post=post, band_start=time(0), band_end=time(0),
                                        min_personnel=1, valid_from=now - timedelta(days=3))
        if i == 0:
            shift = make_shift(post, a.users["field_polri"], now - timedelta(hours=20), hours=8)
            make_attendance(shift, check_out=shift.end)


def heatmap_rows(html: str) -> int:
    return len(re.findall(r'<th scope="row" class="cov-name">', html))


def test_page_sends_one_page_of_rows_and_asks_the_same_queries_whatever_the_count(client,
                                                                                   world):
    client.force_login(world.a.users["commander"])
    add_facilities(world, coverage_page.PAGE_FACILITIES + 5)
    client.get(URL)  # warm: sessions, content types
    with CaptureQueriesContext(connection) as few:
        small = client.get(URL)
    add_facilities(world, 2 * coverage_page.PAGE_FACILITIES,
                   start=coverage_page.PAGE_FACILITIES + 5)
    with CaptureQueriesContext(connection) as many:
        big = client.get(URL)
    assert len(many.captured_queries) == len(few.captured_queries)
    view = big.context["view"]
    assert view.facility_count >= 2 * coverage_page.PAGE_FACILITIES + 15
    assert heatmap_rows(small.content.decode()) == coverage_page.PAGE_FACILITIES
    assert heatmap_rows(big.content.decode()) == coverage_page.PAGE_FACILITIES
    # The rest is in the summary: one line per region, every facility counted once.
    assert sum(line.facilities for line in view.groups) == view.facility_count
    assert {line.value for line in view.groups} >= {world.a.d1.pk, world.a.d2.pk}
    assert {line.param for line in view.groups} == {"region"}
    # A page of rows, a line per region and capped gap lists, whatever the facilities.
    assert len(big.content) < 150_000


def test_a_facility_shows_the_same_figures_on_its_page_and_in_the_whole_report(client, world):
    add_facilities(world, coverage_page.PAGE_FACILITIES + 5)
    commander = world.a.users["commander"]
    filters = coverage_page.CoverageFilters()
    now = timezone.now()
    whole = coverage_page.coverage_view(user=commander, filters=filters, now=now).rows
    second = coverage_page.coverage_page_view(user=commander, filters=filters, now=now, page=2)
    assert second.page.number == 2 and second.rows
    by_pk = {r.facility.pk: r for r in whole}
    for row in second.rows:
        assert row.cells == by_pk[row.facility.pk].cells
        assert row.result == by_pk[row.facility.pk].result


def test_a_region_line_drills_down_to_its_facilities(client, world):
    add_facilities(world, 8)
    client.force_login(world.a.users["commander"])
    view = client.get(URL).context["view"]
    line = next(g for g in view.groups if g.value == world.a.d1.pk)
    drilled = client.get(f"{URL}?{line.href}").context["view"]
    assert {r.facility.region_id for r in drilled.rows} == {world.a.d1.pk}
    assert drilled.facility_count == line.facilities


def test_csv_export_lists_every_facility(client, world):
    add_facilities(world, coverage_page.PAGE_FACILITIES + 5)
    client.force_login(world.a.users["commander"])
    view = client.get(URL).context["view"]
    body = client.get(reverse("duty:coverage_csv")).content.decode("utf-8-sig")
    lines = list(csv.reader(io.StringIO(body), delimiter=";"))[1:]
    assert {line[0] for line in lines} == {r.facility.name for r in coverage_page.coverage_view(
        user=world.a.users["commander"], filters=coverage_page.CoverageFilters()).rows}
    assert len({line[0] for line in lines}) == view.facility_count > coverage_page.PAGE_FACILITIES


def test_within_one_district_the_lines_are_kinds_and_open_onto_their_facilities(client, world):
    add_facilities(world, 4)
    client.force_login(world.a.users["commander"])
    view = client.get(URL, {"region": world.a.d1.pk}).context["view"]
    lines = {line.value: line for line in view.groups}
    assert {line.param for line in view.groups} == {"kind"}
    assert set(lines) == set(Facility.objects.filter(region=world.a.d1).values_list(
        "kind", flat=True))
    assert sum(line.facilities for line in view.groups) == view.facility_count
    office = lines[Facility.Kind.KPU_OFFICE]
    assert office.label == "Kantor KPU"  # Indonesian by default
    drilled = client.get(f"{URL}?{office.href}").context["view"]
    assert drilled.facility_count == office.facilities
    assert {r.facility.kind for r in drilled.rows} == {Facility.Kind.KPU_OFFICE}
    assert {r.facility.region_id for r in drilled.rows} == {world.a.d1.pk}
    assert len(drilled.groups) == 1  # one line: the page shows no summary
    assert "coverage-groups" not in client.get(f"{URL}?{office.href}").content.decode()


def test_a_line_counts_posts_and_who_is_on_duty_now(client, world):
    """Counted in the database: the facilities without a post, those with a post and nobody
    checked in now, the check-ins open now (a forgotten one of days ago is not)."""
    add_facilities(world, 3)
    a, now = world.a, timezone.now()
    client.force_login(a.users["commander"])
    before = {line.value: line for line in client.get(URL).context["view"].groups}
    on_duty = Facility.objects.get(name="Kantor PPK 001")
    make_attendance(make_shift(on_duty.guard_posts.get(), a.users["field_polri"],
                               now - timedelta(hours=2)))
    forgotten = Facility.objects.get(name="Kantor PPK 002")
    make_attendance(make_shift(forgotten.guard_posts.get(), a.users["field_polri"],
                               now - timedelta(days=3)))
    after = {line.value: line for line in client.get(URL).context["view"].groups}
    facilities = coverage_page.coverage_facilities(user=a.users["commander"],
                                                   filters=coverage_page.CoverageFilters())
    for region, line in after.items():
        mine = facilities.filter(region_id=region)
        assert line.facilities == mine.count()
        assert line.without_posts == mine.filter(guard_posts__isnull=True).count()
        moved = int(region == on_duty.region_id)
        assert line.on_duty == before[region].on_duty + moved
        assert line.unguarded == before[region].unguarded - moved


def test_gaps_are_those_of_the_page_and_the_exports_keep_every_facility(client, world):
    add_facilities(world, coverage_page.PAGE_FACILITIES + 5)
    commander = world.a.users["commander"]
    filters, now = coverage_page.CoverageFilters(), timezone.now()
    first = coverage_page.coverage_page_view(user=commander, filters=filters, now=now, page=1)
    on_page = {row.facility.pk for row in first.rows}
    assert first.gaps and {line.facility.pk for line in first.gaps} <= on_page
    whole = coverage_page.coverage_view(user=commander, filters=filters, now=now)
    assert {line.facility.pk for line in whole.gaps} - on_page  # the others' gaps too


def test_group_and_page_queries_do_not_grow_with_facilities_or_check_ins(client, world):
    add_facilities(world, 4)
    client.force_login(world.a.users["commander"])
    client.get(URL)
    with CaptureQueriesContext(connection) as few:
        client.get(URL)
    add_facilities(world, 3 * coverage_page.PAGE_FACILITIES, start=4)
    now, agency = timezone.now(), world.a.users["field_polri"].agency
    for i, facility in enumerate(Facility.objects.filter(name__startswith="Kantor PPK")[:30]):
        guard = User.objects.create(username=f"penjaga{i}", agency=agency)
        make_attendance(make_shift(facility.guard_posts.get(), guard, now - timedelta(hours=1)))
    with CaptureQueriesContext(connection) as many:
        assert client.get(URL).status_code == 200
    assert len(many.captured_queries) == len(few.captured_queries)
