"""Field devices: checkpoint visits (single and the offline sync batch), patrols, incidents,
warehouse checks and check-ins, each through its app's services; resends never make a second
record."""

from __future__ import annotations

import uuid
from datetime import timedelta

from django.test import Client
from django.utils import timezone

from apps.api.models import ApiToken
from apps.duty.models import Attendance, GuardPost, Shift
from apps.records import tokens as labels
from apps.records.models import Incident, PatrolVisit, WarehouseCheck
from tests.api.conftest import device_token


def _phone(user) -> Client:
    return Client(HTTP_AUTHORIZATION=f"Bearer {device_token(user)}")


def test_a_device_token_records_a_checkpoint_visit_once_and_is_refused_after_revocation(
        api_world):
    officer = api_world.user("field_polri")
    phone = _phone(officer)
    key = str(uuid.uuid4())
    body = {"client_key": key, "token": labels.checkpoint_token(api_world.gate),
            "device_time": (timezone.now() - timedelta(minutes=3)).isoformat(),
            "latitude": -7.2500001234, "longitude": 112.75, "situation": "safe",
            "notes": "Aman"}
    first = phone.post("/api/patrol-visits/", body, content_type="application/json")
    assert first.status_code == 201, first.content
    visit = first.json()
    assert visit["checkpoint"] == api_world.gate.pk and visit["method"] == "qr"
    assert visit["occurred_at"].endswith("+07:00")
    again = phone.post("/api/patrol-visits/", body, content_type="application/json")
    assert again.status_code == 200 and again.json()["id"] == visit["id"]
    assert PatrolVisit.objects.filter(client_key=key).count() == 1

    ApiToken.objects.filter(user=officer).update(revoked_at=timezone.now())
    body["client_key"] = str(uuid.uuid4())
    refused = phone.post("/api/patrol-visits/", body, content_type="application/json")
    assert refused.status_code == 401
    assert PatrolVisit.objects.count() == 1


def test_a_visit_needs_a_key_a_real_label_and_a_checkpoint_one_may_patrol(api_world):
    phone = _phone(api_world.user("field_polri"))
    token = labels.checkpoint_token(api_world.gate)
    response = phone.post("/api/patrol-visits/", {"token": token},
                          content_type="application/json")
    assert response.status_code == 400 and response.json()["code"] == "required"
    response = phone.post("/api/patrol-visits/", {"token": token},
                          content_type="application/json",
                          HTTP_IDEMPOTENCY_KEY=str(uuid.uuid4()))
    assert response.status_code == 201  # the header gives the key
    response = phone.post("/api/patrol-visits/", {"token": token + "x"},
                          content_type="application/json",
                          HTTP_IDEMPOTENCY_KEY=str(uuid.uuid4()))
    assert response.status_code == 400 and response.json()["code"] == "bad_token"
    other_city = labels.checkpoint_token(api_world.b_gate)
    response = phone.post("/api/patrol-visits/", {"token": other_city},
                          content_type="application/json",
                          HTTP_IDEMPOTENCY_KEY=str(uuid.uuid4()))
    assert response.status_code == 403
    too_old = (timezone.now() - timedelta(hours=25)).isoformat()
    response = phone.post("/api/patrol-visits/", {"token": token, "device_time": too_old},
                          content_type="application/json",
                          HTTP_IDEMPOTENCY_KEY=str(uuid.uuid4()))
    assert response.status_code == 400 and response.json()["code"] == "too_old"


def test_the_checkpoint_list_never_gives_label_codes(api_world):
    response = _phone(api_world.user("field_polri")).get("/api/checkpoints/")
    rows = response.json()["results"]
    assert [r["id"] for r in rows] == [api_world.gate.pk]
    assert api_world.gate.code not in response.content.decode()


def test_the_offline_queue_syncs_in_one_request_with_a_result_per_visit(api_world):
    phone = _phone(api_world.user("field_polri"))
    token = labels.checkpoint_token(api_world.gate)
    keys = [str(uuid.uuid4()) for _ in range(4)]
    visits = [
        {"client_key": keys[0], "token": token, "device_time": (
            timezone.now() - timedelta(hours=2)).isoformat()},
        {"client_key": keys[1], "code": api_world.gate.code, "situation": "issue",
         "notes": "Pagar rusak"},
        {"client_key": keys[2], "token": labels.checkpoint_token(api_world.b_gate)},
        {"client_key": keys[3], "token": token, "device_time": "2026-11-23T08:00:00"},
        {"token": token},
    ]
    response = phone.post("/api/sync/patrol-visits/", {"visits": visits},
                          content_type="application/json")
    assert response.status_code == 200, response.content
    results = response.json()["results"]
    assert [(r["index"], r["result"], r["status"]) for r in results] == [
        (0, "created", 201), (1, "created", 201), (2, "rejected", 403), (3, "rejected", 400),
        (4, "rejected", 400)]
    assert results[0]["visit"]["delayed"] is True
    assert results[3]["client_key"] == keys[3]
    assert "device_time" in results[3]["error"]["errors"]
    again = phone.post("/api/sync/patrol-visits/", {"visits": visits[:2]},
                       content_type="application/json").json()["results"]
    assert [r["result"] for r in again] == ["duplicate", "duplicate"]
    assert [r["visit"]["id"] for r in again] == [r["visit"]["id"] for r in results[:2]]
    assert PatrolVisit.objects.count() == 2
    response = phone.post("/api/sync/patrol-visits/", {"visits": [], "x": 1},
                          content_type="application/json")
    assert response.status_code == 400


def test_patrol_start_visit_and_end(api_world):
    phone = _phone(api_world.user("field_polri"))
    key = str(uuid.uuid4())
    body = {"client_key": key, "team_name": "Tim Alfa", "mode": "motorcycle",
            "member_names": ["Bripda Sari"], "pillars": ["tni"],
            "planned_checkpoints": [api_world.gate.pk]}
    response = phone.post("/api/patrols/", body, content_type="application/json")
    assert response.status_code == 201, response.content
    patrol = response.json()
    assert phone.post("/api/patrols/", body,
                      content_type="application/json").json()["id"] == patrol["id"]
    response = phone.post("/api/patrols/", {**body, "client_key": str(uuid.uuid4()),
                                            "planned_checkpoints": [api_world.b_gate.pk]},
                          content_type="application/json")
    assert response.status_code == 400
    response = phone.post("/api/patrol-visits/", {
        "client_key": str(uuid.uuid4()), "token": labels.checkpoint_token(api_world.gate),
        "patrol": patrol["id"]}, content_type="application/json")
    assert response.status_code == 201 and response.json()["patrol"] == patrol["id"]
    ended = phone.post(f"/api/patrols/{patrol['id']}/end/", {"note": "Selesai"},
                       content_type="application/json", HTTP_IDEMPOTENCY_KEY="end-1")
    assert ended.status_code == 200 and ended.json()["ended_at"]
    replay = phone.post(f"/api/patrols/{patrol['id']}/end/", {"note": "Selesai"},
                        content_type="application/json", HTTP_IDEMPOTENCY_KEY="end-1")
    assert replay.status_code == 200 and replay["Idempotent-Replayed"] == "true"
    assert replay.json() == ended.json()
    conflict = phone.post(f"/api/patrols/{patrol['id']}/end/", {"note": "Lain"},
                          content_type="application/json", HTTP_IDEMPOTENCY_KEY="end-1")
    assert conflict.status_code == 409
    twice = phone.post(f"/api/patrols/{patrol['id']}/end/", {},
                       content_type="application/json")
    assert twice.status_code == 400 and twice.json()["code"] == "ended"


def test_incident_report_raises_an_alert_and_cannot_target_another_city(api_world):
    world = api_world.world
    phone = _phone(world.a.users["field_polri"])
    body = {"client_key": str(uuid.uuid4()), "facility": world.a.facilities["kpu_office"].pk,
            "category": "suspicious_object", "description": "Tas tertinggal di gerbang"}
    response = phone.post("/api/incidents/", body, content_type="application/json")
    assert response.status_code == 201, response.content
    incident = response.json()
    assert incident["state"] == "reported" and incident["steps"][0]["step"] == "reported"
    assert phone.post("/api/incidents/", body, content_type="application/json").status_code \
        == 200
    # Cross-tenant: city B's facility by id (T-AC-10) is unknown, like a missing one.
    for facility in (world.b.facilities["kpu_office"].pk, 999999):
        response = phone.post("/api/incidents/", {
            **body, "client_key": str(uuid.uuid4()), "facility": facility},
            content_type="application/json")
        assert response.status_code == 400 and "facility" in response.json()["errors"]
    assert Incident.objects.count() == 1
    operator = _phone(world.a.users["operator"])
    response = operator.post(f"/api/incidents/{incident['id']}/steps/",
                             {"step": "acknowledged"}, content_type="application/json")
    assert response.status_code == 200 and response.json()["state"] == "acknowledged"
    response = operator.post(f"/api/incidents/{incident['id']}/steps/",
                             {"step": "closed"}, content_type="application/json")
    assert response.status_code == 400
    alerts = operator.get("/api/alerts/", {"kind": "incident"}).json()["results"]
    assert len(alerts) == 1


def test_warehouse_check_recorded_once_and_signed_per_pillar(api_world):
    world = api_world.world
    warehouse = world.a.facilities["warehouse"]
    kpu = _phone(world.a.users["kpu"])
    body = {"client_key": str(uuid.uuid4()), "facility": warehouse.pk,
            "items": [{"kind": "ballot_boxes", "expected_qty": 100, "counted_qty": 99,
                       "seal_intact": True}],
            "criteria": {"dry": {"ok": True}, "cctv": {"ok": False, "note": "mati"}}}
    response = kpu.post("/api/warehouse-checks/", body, content_type="application/json")
    assert response.status_code == 201, response.content
    check = response.json()
    assert check["has_discrepancy"] and not check["complete"]
    assert kpu.post("/api/warehouse-checks/", body,
                    content_type="application/json").status_code == 200
    assert WarehouseCheck.objects.count() == 1
    response = kpu.post("/api/warehouse-checks/", {**body, "criteria": {"roof": {"ok": 1}}},
                        content_type="application/json")
    assert response.status_code == 400
    for who in ("kpu", "field_tni"):
        response = _phone(world.a.users[who]).post(
            f"/api/warehouse-checks/{check['id']}/sign/", {"statement": "Sesuai"},
            content_type="application/json")
        assert response.status_code == 200, (who, response.content)
    signed = {s["pillar"] for s in response.json()["signatures"] if s["valid"]}
    assert signed == {"kpu", "tni"}
    response = _phone(world.b.users["field_tni"]).post(
        f"/api/warehouse-checks/{check['id']}/sign/", {}, content_type="application/json")
    assert response.status_code == 404


def test_roster_and_check_in_through_the_duty_services(api_world):
    world = api_world.world
    post = GuardPost.objects.create(facility=world.a.facilities["kpu_office"], name="Gerbang",
                                    is_main=True)
    guard = world.a.users["field_polri"]
    padal = _phone(world.a.users["padal"])
    start = timezone.now() - timedelta(minutes=10)
    body = {"post": post.pk, "person": guard.pk, "start": start.isoformat(),
            "end": (start + timedelta(hours=8)).isoformat(), "publish": True}
    response = padal.post("/api/shifts/", body, content_type="application/json")
    assert response.status_code == 201, response.content
    shift = response.json()
    response = padal.post("/api/shifts/", body, content_type="application/json")
    assert response.status_code == 400 and response.json()["code"] == "overlap"
    response = padal.post("/api/shifts/", {**body, "end": body["start"]},
                          content_type="application/json")
    assert response.status_code == 400 and response.json()["code"] == "order"
    response = padal.post("/api/shifts/", {**body, "post": 999999},
                          content_type="application/json")
    assert response.status_code == 400 and "post" in response.json()["errors"]
    # A guard cannot plan rosters; KPU of city B cannot see the shift at all.
    guard_phone = _phone(guard)
    assert guard_phone.post("/api/shifts/", body,
                            content_type="application/json").status_code == 403
    assert _phone(world.b.users["kpu"]).get(f"/api/shifts/{shift['id']}/").status_code == 404

    response = guard_phone.post(f"/api/shifts/{shift['id']}/check-in/",
                                {"latitude": -7.25, "longitude": 112.75},
                                content_type="application/json", HTTP_IDEMPOTENCY_KEY="in-1")
    assert response.status_code == 201, response.content
    attendance = response.json()
    replay = guard_phone.post(f"/api/shifts/{shift['id']}/check-in/",
                              {"latitude": -7.25, "longitude": 112.75},
                              content_type="application/json", HTTP_IDEMPOTENCY_KEY="in-1")
    assert replay.status_code == 201 and replay.json()["id"] == attendance["id"]
    assert Attendance.objects.count() == 1
    # The KPU official sees the presence, not where the guard stood.
    seen = _phone(world.a.users["kpu"]).get(f"/api/check-ins/{attendance['id']}/").json()
    assert seen["latitude"] is None and attendance["latitude"] == -7.25
    response = guard_phone.post(f"/api/check-ins/{attendance['id']}/check-out/",
                                {"handover_note": "Aman, kunci di laci"},
                                content_type="application/json")
    assert response.status_code == 200 and response.json()["checked_out_at"]
    response = padal.delete(f"/api/shifts/{shift['id']}/")
    assert response.status_code == 400 and response.json()["code"] == "attended"
    assert Shift.objects.count() == 1
