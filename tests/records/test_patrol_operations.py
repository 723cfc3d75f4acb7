"""The operations a patrol start offers are one policy question (policy.patrol_operations):
the page lists exactly those, and the page, the API and the service refuse any other."""

from __future__ import annotations

import uuid
from datetime import date, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from apps.access import policy
from apps.places.models import Operation
from apps.records.models import Patrol
from apps.records.services.patrols import patrol_start


def test_a_patrol_is_recorded_only_under_a_running_operation_of_its_leader(
        client, world, points):
    leader = world.a.users["field_polri"]
    ended = Operation.objects.create(
        name="Operasi lalu", responsible_agency=world.a.agencies["polres"],
        starts_on=date.today() - timedelta(days=90), ends_on=date.today() - timedelta(days=30))
    ended.facilities.add(world.a.facilities["kpu_office"])
    assert policy.can(leader, policy.Action.VIEW, ended)  # seen, but no longer running
    assert set(policy.patrol_operations(leader)) == {world.a.operation}

    client.force_login(leader)
    form = client.get(reverse("records:my_patrol")).context["start_form"]
    assert {int(str(pk)) for pk, _label in form.fields["operation"].choices if pk} == {
        world.a.operation.pk}

    for outside in (ended, world.b.operation):
        client.post(reverse("records:patrol_start"), {
            "client_key": str(uuid.uuid4()), "team_name": "Patroli", "mode": "foot",
            "operation": outside.pk})
        response = client.post("/api/patrols/", {
            "client_key": str(uuid.uuid4()), "team_name": "Patroli", "mode": "foot",
            "operation": outside.pk}, content_type="application/json")
        assert response.status_code == 400, response.content
        with pytest.raises(ValidationError):
            patrol_start(user=leader, client_key=uuid.uuid4(), team_name="Patroli",
                         mode="foot", member_names=[], pillars=[], planned=[],
                         operation=outside)
        assert not Patrol.objects.filter(operation=outside).exists()
    started = patrol_start(user=leader, client_key=uuid.uuid4(), team_name="Patroli",
                           mode="foot", member_names=[], pillars=[], planned=[],
                           operation=world.a.operation)
    assert started.record.operation == world.a.operation
