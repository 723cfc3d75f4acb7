"""The Padal's own pages agree: 'Tugas saya' and 'Patroli' ask the same selector about his
patrol team, and neither tells him to wait for a Padal."""

from __future__ import annotations

import pytest
from django.urls import reverse

from apps.accounts.models import User
from apps.demo.builder import build_demo
from apps.records.models import Patrol

pytestmark = pytest.mark.usefixtures("shared_media")
TEAM = "Patroli Samapta Polres"  # the demo patrol the Padal leads


@pytest.fixture(scope="module")
def shared_demo(module_db):
    build_demo()


@pytest.fixture
def demo(shared_demo, db):
    pass


def page(client, username: str, name: str):
    client.force_login(User.objects.get(username=username))
    response = client.get(reverse(name))
    assert response.status_code == 200
    return response


def test_the_padal_sees_the_team_he_leads_on_both_pages(client, demo):
    patrol = Patrol.objects.get(team_name=TEAM)
    for name in ("duty:my_duty", "records:my_patrol"):
        html = page(client, "padal.karangsari", name).content.decode()
        assert patrol.get_absolute_url() in html, name
    duty = page(client, "padal.karangsari", "duty:my_duty")
    assert duty.context["patrols"] == [patrol]
    # He plans rosters: pointed at them, not told to wait for his post commander.
    assert duty.context["plans_rosters"]
    assert reverse("duty:posts") in duty.content.decode()


def test_an_officer_outside_the_team_is_told_so_on_both_pages(client, demo):
    patrol = Patrol.objects.get(team_name=TEAM)
    for name in ("duty:my_duty", "records:my_patrol"):
        html = page(client, "satpol.karangsari", name).content.decode()
        assert patrol.get_absolute_url() not in html, name
    duty = page(client, "satpol.karangsari", "duty:my_duty")
    assert duty.context["patrols"] == [] and not duty.context["plans_rosters"]
