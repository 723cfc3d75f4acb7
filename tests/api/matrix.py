"""Objects the API rows of tests/access/test_url_matrix.py point at, made on first use (so the
other rows do not pay for them) on the matrix's `world_with_alert`: in city A a guard post at
the KPU office with a published shift of the Polsek officer running now and an earlier one he
checked in on, a checkpoint and his patrol with a visit, his incident report, the KPU's
warehouse check, a view of the shared camera by the operator, his device token, and a
webhook endpoint."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import timedelta

from django.utils import timezone

from apps.api import tokens
from apps.api.models import ApiToken
from apps.cameras.models import ViewRecord
from apps.duty.models import Attendance, GuardPost, Shift
from apps.integrations import endpoints
from apps.integrations.models import WebhookEndpoint
from apps.records import tokens as labels
from apps.records.models import Checkpoint, Incident, Patrol, PatrolVisit, WarehouseCheck
from apps.records.services import checks, incidents, patrols


@dataclass
class ApiObjects:
    post: GuardPost
    shift: Shift
    attendance: Attendance
    checkpoint: Checkpoint
    patrol: Patrol
    visit: PatrolVisit
    incident: Incident
    check: WarehouseCheck
    view: ViewRecord
    token: ApiToken
    endpoint: WebhookEndpoint


def api_objects(world) -> ApiObjects:
    if not hasattr(world, "api_objects"):
        world.api_objects = _make(world)
    return world.api_objects


def _make(world) -> ApiObjects:
    a = world.a
    officer, now = a.users["field_polri"], timezone.now()
    post = GuardPost.objects.create(facility=a.facilities["kpu_office"], name="Gerbang",
                                    is_main=True)

    def shift(start):
        return Shift.objects.create(post=post, person=officer, pillar="polri", start=start,
                                    end=start + timedelta(hours=8),
                                    published_at=now - timedelta(days=1))

    current = shift(now - timedelta(hours=1))
    earlier = shift(now - timedelta(hours=10))
    attendance = Attendance.objects.create(
        shift=earlier, person=officer, post=post, pillar="polri",
        checked_in_at=earlier.start, check_in_received_at=earlier.start)
    checkpoint = Checkpoint.objects.create(facility=a.facilities["kpu_office"], name="Pagar",
                                           code=labels.new_code())
    patrol = patrols.patrol_start(user=officer, client_key=uuid.uuid4(), team_name="Alfa",
                                  mode="foot", member_names=[], pillars=[],
                                  planned=[checkpoint]).record
    visit = patrols.patrol_visit_record(user=officer, entry=patrols.VisitInput(
        client_key=uuid.uuid4(), token=labels.checkpoint_token(checkpoint),
        patrol_id=patrol.pk)).record
    incident = incidents.incident_report(
        user=officer, facility=a.facilities["kpu_office"], entry=incidents.IncidentInput(
            client_key=uuid.uuid4(), category="other", description="Lampu mati")).record
    check = checks.warehouse_check_record(
        user=a.users["kpu"], facility=a.facilities["warehouse"], entry=checks.CheckInput(
            client_key=uuid.uuid4(), items=[checks.ItemInput(kind="seals", expected_qty=5,
                                                             counted_qty=5)])).record
    view = ViewRecord.objects.create(camera=world.a_camera, viewer=a.users["operator"],
                                     viewer_agency=a.agencies["polres"], kind="snapshot")
    token = tokens.token_create(user=officer, name="HP", session_or_request={}).token
    endpoint, _secret = endpoints.endpoint_create(by=a.users["admin"], name="Kota",
                                                 url="http://127.0.0.1:9/hook")
    return ApiObjects(post, current, attendance, checkpoint, patrol, visit, incident, check,
                      view, token, endpoint)
