"""Whom a camera can be shared with: one policy question (`policy.share_grantees`) for the
share form and the API."""

from __future__ import annotations

import pytest
from django.urls import reverse

from apps.access.models import RegionGrant
from apps.org.models import Agency


def _offered(client, camera) -> set[str]:
    form = client.get(reverse("cameras:detail", args=[camera.pk])).context["share_form"]
    return {agency.name for agency in form.fields["grantee"].queryset}


@pytest.mark.django_db
def test_the_form_offers_security_agencies_working_where_the_camera_is(client, world, cameras):
    client.force_login(world.a.users["kpu"])
    # The warehouse is in district A2: Polsek A1 works in A1 only; city B is another region.
    assert _offered(client, cameras[("A", "wh_out")]) == {"Polres A", "Kodim A", "Satpol PP A"}
    assert _offered(client, cameras[("A", "kpu_out")]) == {
        "Polres A", "Polsek A1", "Kodim A", "Satpol PP A"}
    RegionGrant.objects.create(agency=world.b.agencies["kodim"], region=world.a.city,
                               basis="Surat Pangdam")
    assert "Kodim B" in _offered(client, cameras[("A", "wh_out")])


@pytest.mark.django_db
def test_the_form_and_the_api_accept_the_same_agencies(client, world, cameras):
    camera = cameras[("A", "wh_out")]
    RegionGrant.objects.create(agency=world.b.agencies["kodim"], region=world.a.city,
                               basis="Surat Pangdam")
    client.force_login(world.a.users["kpu"])
    offered = _offered(client, camera)
    for agency in Agency.objects.all():
        response = client.post("/api/camera-shares/", {
            "camera": camera.pk, "grantee": agency.pk, "basis": "Surat"},
            content_type="application/json")
        assert (response.status_code == 201) == (agency.name in offered), (agency, response)
        if response.status_code != 201:
            assert response.status_code == 400 and "grantee" in response.json()["errors"]
