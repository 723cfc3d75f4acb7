"""The Padal's own pages agree: 'Tugas saya' and 'Patroli' ask the same selector about his
patrol team, and neither tells him to wait for a Padal."""

from __future__ import annotations

import uuid

import pytest
from django.urls import reverse

from apps.records.services.patrols import patrol_start
from tests.records.conftest import make_checkpoint


@pytest.fixture
def patrol(world):
    """A patrol the Padal of city A leads, at his city's KPU office."""
    gate = make_checkpoint(world.a.facilities["kpu_office"], "Gerbang utama")
    return patrol_start(user=world.a.users["padal"], client_key=uuid.uuid4(),
                        team_name="Patroli Samapta", mode="motorcycle",
                        member_names=["Bripda Ayu"], pillars=["tni"], planned=[gate]).record


def page(client, user, name: str):
    client.force_login(user)
    response = client.get(reverse(name))
    assert response.status_code == 200
    return response


def test_the_padal_sees_the_team_he_leads_on_both_pages(client, world, patrol):
    padal = world.a.users["padal"]
    for name in ("duty:my_duty", "records:my_patrol"):
        assert patrol.get_absolute_url() in page(client, padal, name).content.decode(), name
    duty = page(client, padal, "duty:my_duty")
    assert duty.context["patrols"] == [patrol]
    # He plans rosters: pointed at them, not told to wait for his post commander.
    assert duty.context["plans_rosters"]
    assert reverse("duty:posts") in duty.content.decode()


def test_an_officer_outside_the_team_is_told_so_on_both_pages(client, world, patrol):
    officer = world.a.users["field_pemda"]
    for name in ("duty:my_duty", "records:my_patrol"):
        assert patrol.get_absolute_url() not in page(client, officer, name).content.decode()
    duty = page(client, officer, "duty:my_duty")
    assert duty.context["patrols"] == [] and not duty.context["plans_rosters"]
