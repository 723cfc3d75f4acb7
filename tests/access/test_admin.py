"""The admin asks the access policy too: rows outside a person's scope never appear."""

from __future__ import annotations

import pytest
from django.contrib import admin
from django.urls import reverse

from apps.access.admin import PolicyModelAdmin
from apps.places.models import Facility


def test_every_admin_of_the_portal_goes_through_the_policy():
    ours = {m: a for m, a in admin.site._registry.items() if m.__module__.startswith("apps.")}
    assert ours
    for model, model_admin in ours.items():
        assert isinstance(model_admin, PolicyModelAdmin), model.__name__


@pytest.mark.parametrize("model", [m for m in admin.site._registry
                                   if m.__module__.startswith("apps.")],
                         ids=lambda m: m.__name__)
def test_administrator_opens_every_changelist(client, world, model):
    client.force_login(world.a.users["admin"])
    url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
    assert client.get(url).status_code == 200


def test_staff_without_administrator_role_sees_only_their_scope(client, world):
    commander = world.a.users["commander"]
    commander.is_staff = True
    commander.save()
    client.force_login(commander)
    response = client.get(reverse("admin:places_facility_changelist"))
    assert response.status_code == 200
    listed = set(response.context["cl"].queryset)
    assert listed == set(Facility.objects.filter(region__path__startswith=world.a.city.path))
    other = world.b.facilities["kpu_office"]
    change = client.get(reverse("admin:places_facility_change", args=[other.pk]))
    assert change.status_code != 200
    # Commanders may view facilities but not edit them.
    own = world.a.facilities["kpu_office"]
    response = client.post(reverse("admin:places_facility_change", args=[own.pk]),
                           {"name": "renamed"})
    assert response.status_code == 403
    own.refresh_from_db()
    assert own.name != "renamed"


def test_non_staff_cannot_enter_the_admin(client, world):
    client.force_login(world.a.users["operator"])
    response = client.get(reverse("admin:index"))
    assert response.status_code == 302
