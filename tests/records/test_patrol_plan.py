"""Planning a patrol in a big city: the officer picks facilities (searched, grouped by region)
and then their checkpoints. The page never lists a whole city's checkpoints, offers only what
the access policy lets the officer patrol, and its queries do not grow with the checkpoints."""

from __future__ import annotations

import uuid

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from apps.access import policy
from apps.places.models import Facility
from apps.records import selectors
from apps.records.models import Checkpoint, Patrol
from tests.records.conftest import make_checkpoint

URL = reverse("records:my_patrol")


def _patrollable_facilities(user) -> set[int]:
    return set(policy.scope(user, Checkpoint.objects.all(), policy.Action.OPERATE)
               .values_list("facility_id", flat=True))


def _second_facility(world) -> Facility:
    """Another facility the operation covers in the KPU office's district."""
    office = world.a.facilities["kpu_office"]
    other = Facility.objects.create(name="Gudang logistik A1", kind=Facility.Kind.KPU_WAREHOUSE,
                                    owner_agency=office.owner_agency, region=office.region)
    world.a.operation.facilities.add(other)
    return other


def test_the_plan_offers_the_chosen_facilities_checkpoints_the_policy_allows(
        client, world, points):
    officer = world.a.users["field_polri"]
    office, b_office = world.a.facilities["kpu_office"], world.b.facilities["kpu_office"]
    client.force_login(officer)

    first = client.get(URL)
    assert first.context["start_form"].fields["planned"].choices == []  # nothing chosen yet
    assert {f.pk for f in first.context["my"].found} == _patrollable_facilities(officer)
    assert b_office.pk not in _patrollable_facilities(officer)

    response = client.get(URL, {"objek": [office.pk, b_office.pk]})
    assert [f.pk for f in response.context["my"].chosen] == [office.pk]  # B's is not theirs
    groups = dict(response.context["start_form"].fields["planned"].choices)
    assert groups == {office.name: [(points.gate.pk, points.gate.name),
                                    (points.fence.pk, points.fence.name)]}
    html = response.content.decode()
    assert points.b_gate.name not in html and points.warehouse_door.name not in html


def test_the_picker_searches_and_groups_by_region_within_a_bound(client, world, points,
                                                                  monkeypatch):
    officer = world.a.users["field_polri"]
    office = world.a.facilities["kpu_office"]
    client.force_login(officer)
    found = client.get(URL, {"cari": office.name}).context["found_by_region"]
    assert [(region, [f.pk for f in facilities]) for region, facilities in found] == [
        (office.region.name, [office.pk])]
    assert client.get(URL, {"cari": "tidak ada objek begini"}).context["my"].found == []

    make_checkpoint(_second_facility(world), "Pintu samping")
    monkeypatch.setattr(selectors, "FACILITIES_FOUND", 1)
    assert len(_patrollable_facilities(officer)) > 1
    my = client.get(URL).context["my"]
    assert len(my.found) == 1 and my.more_found


def test_starting_keeps_the_planned_checkpoints_and_refuses_others(client, world, points):
    officer = world.a.users["field_polri"]
    client.force_login(officer)
    start = {"client_key": str(uuid.uuid4()), "team_name": "Samapta", "mode": "foot"}
    client.post(reverse("records:patrol_start"), {**start, "planned": [points.b_gate.pk]})
    assert not Patrol.objects.filter(leader=officer).exists()

    client.post(reverse("records:patrol_start"), {
        **start, "planned": [points.gate.pk, points.fence.pk]})
    patrol = Patrol.objects.get(leader=officer)
    assert sorted(patrol.planned_checkpoints) == sorted([points.gate.pk, points.fence.pk])
    # The planned checkpoints are named on the page (a scan of them works offline).
    page = client.get(URL)
    assert {points.gate.pk, points.fence.pk} <= {c.pk for c in page.context["my"].checkpoints}


def test_the_page_queries_and_size_do_not_grow_with_the_checkpoints(client, world, points):
    officer = world.a.users["field_polri"]
    office, warehouse = world.a.facilities["kpu_office"], _second_facility(world)
    make_checkpoint(warehouse, "Pintu samping")
    assert warehouse.pk in _patrollable_facilities(officer)
    client.force_login(officer)

    def measured() -> tuple[int, int]:
        with CaptureQueriesContext(connection) as queries:
            response = client.get(URL, {"objek": office.pk})
        return len(queries.captured_queries), len(response.content)

    measured()
    queries, size = measured()
    for n in range(60):
        make_checkpoint(warehouse, f"Titik gudang {n}")
    assert measured() == (queries, size)  # another facility's checkpoints are not sent
    for n in range(20):
        make_checkpoint(office, f"Titik kantor {n}")
    more_queries, _size = measured()
    assert more_queries == queries  # the chosen facility's are listed, in the same queries
