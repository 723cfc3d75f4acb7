"""Who may be assigned an alert is one policy question (policy.alert_assignees): the web form
offers exactly those people, and the API and the assign service accept exactly those."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from apps.access import policy
from apps.accounts.models import Role
from apps.alerts.models import Alert
from apps.alerts.services import alert_assign, alert_raise
from tests.cast import person


@pytest.fixture
def alert_world(world):
    alert, _ = alert_raise(kind=Alert.Kind.OTHER, severity=Alert.Severity.HIGH,
                           facility=world.a.facilities["kpu_office"], dedup_key="t:assign",
                           title="Pintu terbuka")
    a = world.a
    # People the old lists got wrong: a superuser holding an operator role for the KPU (a
    # superuser sees every facility, but only security staff act on alerts), and an
    # operator no longer active.
    extras = [
        person("super_kpu_operator", a.agencies["kpu"], {Role.OPERATOR}, is_superuser=True),
        person("gone_operator", a.agencies["polres"], {Role.OPERATOR}, is_active=False),
    ]
    cast = [*a.users.values(), *world.b.users.values(), *extras]
    return alert, cast


def _assigned(alert) -> int | None:
    return Alert.objects.get(pk=alert.pk).assigned_to_id


def test_the_form_the_api_and_the_service_accept_the_same_people(client, world, alert_world):
    alert, cast = alert_world
    operator = world.a.users["operator"]
    audience = set(policy.alert_assignees(alert).values_list("pk", flat=True))
    assert {world.a.users[n].pk for n in ("operator", "commander", "padal")} == audience
    # The audience is the inverse of the Alert OPERATE rule.
    assert audience == {u.pk for u in cast if policy.can(u, policy.Action.OPERATE, alert)}

    client.force_login(operator)
    form = client.get(alert.get_absolute_url()).context["form"]
    offered = {pk for pk, _label in form.fields["assignee"].choices if pk}
    assert {int(str(pk)) for pk in offered} == audience

    for candidate in cast:
        allowed = candidate.pk in audience
        Alert.objects.filter(pk=alert.pk).update(assigned_to=None)
        client.post(reverse("alerts:act", args=[alert.pk]),
                    {"action": "assign", "assignee": candidate.pk})
        assert (_assigned(alert) == candidate.pk) is allowed, ("web", candidate)

        Alert.objects.filter(pk=alert.pk).update(assigned_to=None)
        response = client.post(f"/api/alerts/{alert.pk}/assign/", {"assignee": candidate.pk},
                               content_type="application/json")
        assert response.status_code == (200 if allowed else 400), ("api", candidate)
        assert (_assigned(alert) == candidate.pk) is allowed, ("api", candidate)

        Alert.objects.filter(pk=alert.pk).update(assigned_to=None)
        if allowed:
            alert_assign(alert=alert, user=operator, assignee=candidate)
        else:
            with pytest.raises(PermissionDenied):
                alert_assign(alert=alert, user=operator, assignee=candidate)
        assert (_assigned(alert) == candidate.pk) is allowed, ("service", candidate)
