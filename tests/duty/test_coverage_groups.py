"""The coverage page of a city: a summary row per region and the heatmap a page of facilities
at a time, so what the page sends and asks does not grow with the facilities; the exports
stay complete."""

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
    assert {line.region.pk for line in view.groups} >= {world.a.d1.pk, world.a.d2.pk}
    # A page of rows, a line per region and capped gap lists, whatever the facilities.
    assert len(big.content) < 150_000


def test_a_facility_shows_the_same_figures_on_its_page_and_in_the_whole_report(client, world):
    add_facilities(world, coverage_page.PAGE_FACILITIES + 5)
    commander = world.a.users["commander"]
    filters = coverage_page.CoverageFilters()
    now = timezone.now()
    whole = coverage_page.coverage_view(user=commander, filters=filters, now=now).rows
    second = coverage_page.coverage_view(user=commander, filters=filters, now=now, page=2)
    assert second.page.number == 2 and second.rows
    by_pk = {r.facility.pk: r for r in whole}
    for row in second.rows:
        assert row.cells == by_pk[row.facility.pk].cells
        assert row.result == by_pk[row.facility.pk].result


def test_a_region_line_drills_down_to_its_facilities(client, world):
    add_facilities(world, 8)
    client.force_login(world.a.users["commander"])
    view = client.get(URL).context["view"]
    line = next(g for g in view.groups if g.region.pk == world.a.d1.pk)
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
