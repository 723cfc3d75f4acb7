"""An escalation reaches the wall's socket as its own message: the page sounds it differently
(static/js/live.js), and an acknowledgement by anyone reaches every wall to stop the sound."""

from __future__ import annotations

import asyncio
import json
from datetime import timedelta

import pytest
from asgiref.sync import sync_to_async
from django.utils import timezone

from apps.alerts.models import Alert
from apps.alerts.services import alert_acknowledge, alert_escalate_due, alert_raise

pytestmark = pytest.mark.django_db(transaction=True)


async def _json(comm, timeout=3):
    return json.loads(await comm.receive_from(timeout=timeout))


def test_escalation_and_acknowledgement_reach_the_wall(live_world, connect):
    operator, commander = live_world.a.users["operator"], live_world.a.users["commander"]

    async def scenario():
        wall, _ = await connect(operator)
        raised, _ = await sync_to_async(alert_raise)(
            kind=Alert.Kind.TAMPER, severity=Alert.Severity.HIGH, camera=live_world.gate,
            facility=live_world.a.facilities["warehouse"], dedup_key="tamper:gate",
            title="Lensa tertutup")
        first = await _json(wall)
        assert (first["type"], first["state"], first["escalated"]) == ("alert", "open", False)
        assert first["camera_id"] == live_world.gate.pk

        later = timezone.now() + timedelta(minutes=11)
        escalated = await sync_to_async(alert_escalate_due)(now=later)
        assert escalated == [raised.pk]
        message = await _json(wall)
        assert message["id"] == raised.pk and message["escalated"] is True
        assert message["state"] == "open" and message["seq"] > first["seq"]

        await sync_to_async(alert_acknowledge)(alert=raised, user=commander)
        answered = await _json(wall)
        assert answered["id"] == raised.pk and answered["state"] == "acknowledged"
        assert answered["seq"] > message["seq"]
        await wall.disconnect()

    asyncio.run(scenario())
