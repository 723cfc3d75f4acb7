"""Setting up escalation: administrators everywhere, commanders for their jurisdiction, on
the escalation page and in the admin; operators read the chains; a saved chain is the one
the next notice uses, and a chain without steps gives the region back to the default."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from apps.access import policy
from apps.accounts.models import Role
from apps.alerts import escalation
from apps.alerts.models import Alert, CommandWatch, EscalationChain
from apps.alerts.services import escalation_chain_set

HIGH = Alert.Severity.HIGH


def _set(user, region, steps, severity=HIGH):
    return escalation_chain_set(user=user, region=region, severity=severity, repeat_minutes=4,
                                steps=steps)


def test_commanders_set_chains_in_their_jurisdiction_only(world):
    commander, operator = world.a.users["commander"], world.a.users["operator"]
    chain = _set(commander, world.a.city, [(Role.POST_COMMANDER, 1), (Role.COMMANDER, 2)])
    facility = world.a.facilities["warehouse"]
    assert escalation.chain_for(facility, HIGH) == escalation.Chain(
        steps=(escalation.Step(Role.POST_COMMANDER, 1 * escalation.timedelta(minutes=1)),
               escalation.Step(Role.COMMANDER, escalation.timedelta(minutes=2))),
        repeat=escalation.timedelta(minutes=4))
    with pytest.raises(PermissionDenied):
        _set(commander, world.b.city, [(Role.OPERATOR, 1)])
    with pytest.raises(PermissionDenied):
        _set(operator, world.a.city, [(Role.OPERATOR, 1)])
    assert policy.can(operator, policy.Action.VIEW, chain)
    assert not policy.can(operator, policy.Action.MANAGE, chain)
    assert not policy.can(world.b.users["commander"], policy.Action.VIEW, chain)
    assert not policy.can(world.a.users["field_polri"], policy.Action.VIEW, chain)
    assert not policy.can(world.a.users["kpu"], policy.Action.VIEW, chain)
    assert policy.can(world.b.users["admin"], policy.Action.MANAGE, chain)
    _set(commander, world.a.city, [])  # no steps: back to the default
    assert not EscalationChain.objects.exists()
    assert escalation.chain_for(facility, HIGH) == escalation.DEFAULT_CHAIN


def test_the_escalation_page_shows_the_chains_and_saves_for_a_commander(client, world):
    commander = world.a.users["commander"]
    _set(world.a.users["admin"], world.a.province, [(Role.OPERATOR, 3)])  # above the city
    client.force_login(commander)
    page = client.get(reverse("alerts:escalation")).content.decode()
    assert "Rantai eskalasi" in page and "Province A" in page
    assert "1. Operator Posko (+2 mnt) → 2. Perwira Pengendali (Padal) (+3 mnt)" in page
    response = client.post(reverse("alerts:escalation_save"), {
        "region": world.a.city.pk, "severity": HIGH, "repeat_minutes": 6,
        "role_1": Role.COMMANDER, "delay_1": 0, "role_2": Role.OPERATOR, "delay_2": ""})
    assert response.status_code == 200  # step 2 has no minutes
    assert "Sebutkan setelah berapa menit." in response.content.decode()
    response = client.post(reverse("alerts:escalation_save"), {
        "region": world.a.city.pk, "severity": HIGH, "repeat_minutes": 6,
        "role_1": Role.COMMANDER, "delay_1": 0})
    assert response.status_code == 302
    chain = EscalationChain.objects.get(region=world.a.city)
    assert [(s.role, s.delay_minutes) for s in chain.steps.all()] == [(Role.COMMANDER, 0)]
    # Another city's region is not among the choices.
    response = client.post(reverse("alerts:escalation_save"), {
        "region": world.b.city.pk, "severity": HIGH, "repeat_minutes": 6,
        "role_1": Role.COMMANDER, "delay_1": 0})
    assert response.status_code == 200
    assert not EscalationChain.objects.filter(region=world.b.city).exists()


def test_operators_read_the_page_without_the_form(client, world):
    client.force_login(world.a.users["operator"])
    page = client.get(reverse("alerts:escalation"))
    assert page.status_code == 200 and page.context["form"] is None
    assert client.post(reverse("alerts:escalation_save"), {}).status_code == 404


def test_administrators_set_chains_and_watches_in_the_admin(client, world):
    admin = world.a.users["admin"]
    admin.is_staff = True
    admin.save(update_fields=["is_staff"])
    client.force_login(admin)
    response = client.post(reverse("admin:alerts_escalationchain_add"), {
        "region": world.b.city.pk, "severity": HIGH, "repeat_minutes": 5,
        "steps-TOTAL_FORMS": 1, "steps-INITIAL_FORMS": 0, "steps-MIN_NUM_FORMS": 1,
        "steps-MAX_NUM_FORMS": 1000,
        "steps-0-position": 1, "steps-0-role": Role.COMMANDER, "steps-0-delay_minutes": 1})
    assert response.status_code == 302, response.content.decode()[:2000]
    assert escalation.chain_for(world.b.facilities["warehouse"], HIGH).steps[0].role == (
        Role.COMMANDER)
    response = client.post(reverse("admin:alerts_commandwatch_add"), {
        "person": world.a.users["operator"].pk, "region": world.a.city.pk,
        "start_0": "2026-12-07", "start_1": "08:00", "end_0": "2026-12-07", "end_1": "16:00"})
    assert response.status_code == 302, response.content.decode()[:2000]
    assert CommandWatch.objects.get().person == world.a.users["operator"]
    for name in ("escalationchain", "commandwatch"):
        assert client.get(reverse(f"admin:alerts_{name}_changelist")).status_code == 200
