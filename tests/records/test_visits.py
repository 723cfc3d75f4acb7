"""Recording checkpoint visits: once per idempotency key, inside the device-time window, only
where the person may patrol; corrections leave the original alone."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from apps.alerts.models import Alert
from apps.records import tokens
from apps.records.models import Amendment, PatrolVisit, Situation
from apps.records.services.patrols import (
    patrol_end,
    patrol_start,
    patrol_visit_record,
    visit_amend,
)
from tests.records.conftest import synced, visit

NOW = datetime(2026, 11, 23, 14, 0, tzinfo=UTC)


def record(user, entry, **kwargs):
    return patrol_visit_record(user=user, entry=entry, **kwargs)


# --- idempotency (T-IN-18) -------------------------------------------------------------------


def test_the_same_key_twice_makes_one_visit(world, points):
    officer = world.a.users["field_polri"]
    entry = visit(points.gate)
    first = record(officer, entry)
    again = record(officer, entry)
    assert first.created and not again.created
    assert again.record.pk == first.record.pk
    assert PatrolVisit.objects.count() == 1


def test_resending_over_http_answers_with_the_first_record(client, world, points):
    officer = world.a.users["field_polri"]
    client.force_login(officer)
    data = {"client_key": str(uuid.uuid4()), "token": tokens.checkpoint_token(points.gate),
            "situation": "safe", "device_time": timezone.now().isoformat()}
    first, second = synced(client, data), synced(client, data)
    assert (first["result"], first["status"]) == ("created", 201)
    assert (second["result"], second["status"]) == ("duplicate", 200)
    assert first["visit"]["id"] == second["visit"]["id"]
    assert PatrolVisit.objects.count() == 1
    # The form posted without JavaScript finds the same record.
    response = client.post(reverse("records:visit_submit"), data)
    assert response.status_code == 302
    assert PatrolVisit.objects.count() == 1


def test_someone_elses_key_is_a_conflict_not_a_merge(client, world, points):
    entry = visit(points.gate)
    record(world.a.users["field_polri"], entry)
    with pytest.raises(ValidationError) as error:
        record(world.a.users["padal"], visit(points.gate, client_key=entry.client_key))
    assert error.value.code == "key_conflict"
    client.force_login(world.a.users["padal"])
    result = synced(client, {"client_key": str(entry.client_key), "code": points.gate.code,
                             "situation": "safe"})
    assert (result["result"], result["error"]["code"]) == ("rejected", "key_conflict")


def test_a_forged_qr_is_refused_over_http_as_final(client, world, points):
    client.force_login(world.a.users["field_polri"])
    result = synced(client, {"client_key": str(uuid.uuid4()),
                             "token": "eyJjIjoxLCJ2IjoxfQ:forged", "situation": "safe"})
    assert (result["result"], result["status"]) == ("rejected", 400)
    assert result["error"]["code"] == "bad_token"
    assert not PatrolVisit.objects.exists()


def test_a_form_post_without_javascript_works_and_redirects(client, world, points):
    client.force_login(world.a.users["field_polri"])
    response = client.post(reverse("records:visit_submit"), {
        "client_key": str(uuid.uuid4()), "code": points.gate.code, "situation": "safe"})
    assert response.status_code == 302
    assert PatrolVisit.objects.get().method == "code"


# --- device time (T-IN-12, T-IN-13) ----------------------------------------------------------


@pytest.mark.parametrize(("offset", "accepted", "delayed"), [
    (timedelta(minutes=4), True, False),  # a little ahead: clamped to the server's time
    (timedelta(minutes=6), False, None),  # more than 5 minutes ahead
    (timedelta(0), True, False),
    (-timedelta(minutes=59), True, False),
    (-timedelta(hours=2), True, True),  # sent late: accepted and flagged
    (-timedelta(hours=23, minutes=59), True, True),
    (-timedelta(hours=24, minutes=1), False, None),  # older than the offline window
])
def test_the_device_time_window(world, points, offset, accepted, delayed):
    officer = world.a.users["field_polri"]
    entry = visit(points.gate, device_time=NOW + offset)
    if not accepted:
        with pytest.raises(ValidationError):
            record(officer, entry, now=NOW)
        assert not PatrolVisit.objects.exists()
        return
    saved = record(officer, entry, now=NOW).record
    saved.refresh_from_db()
    assert saved.received_at == NOW  # the server's time is always kept
    assert saved.device_time == NOW + offset
    assert saved.occurred_at == min(NOW + offset, NOW)
    assert saved.delayed is delayed


@pytest.mark.parametrize("value", ["2026-11-23T14:00:00", "2029-02-30T10:00:00Z",
                                   "2026-11-23T24:00:00Z", "1700000000", "NaN",
                                   "0000-01-01T00:00:00Z", "9999-12-31T23:59:59Z"])
def test_unreadable_or_naive_device_times_are_refused(client, world, points, value):
    client.force_login(world.a.users["field_polri"])
    result = synced(client, {"client_key": str(uuid.uuid4()), "code": points.gate.code,
                             "situation": "safe", "device_time": value})
    assert (result["result"], result["status"]) == ("rejected", 400)
    response = client.post(reverse("records:visit_submit"), {
        "client_key": str(uuid.uuid4()), "code": points.gate.code, "situation": "safe",
        "device_time": value})
    assert response.status_code == 302  # back to the page, which says why
    assert not PatrolVisit.objects.exists()


def test_device_time_in_another_zone_is_the_same_instant(world, points):
    officer = world.a.users["field_polri"]
    wita = datetime(2026, 11, 23, 21, 30, tzinfo=timezone.get_fixed_timezone(8 * 60))
    saved = record(officer, visit(points.gate, device_time=wita),
                   now=datetime(2026, 11, 23, 13, 40, tzinfo=UTC)).record
    assert saved.occurred_at == datetime(2026, 11, 23, 13, 30, tzinfo=UTC)


# --- who may record where --------------------------------------------------------------------


def test_only_where_the_person_may_patrol(world, points):
    # The Polsek officer works district 1: the warehouse (district 2) and city B are out.
    officer = world.a.users["field_polri"]
    for checkpoint in (points.warehouse_door, points.b_gate):
        with pytest.raises(PermissionDenied):
            record(officer, visit(checkpoint))
    for who in ("kpu", "operator", "norole", "kpu_as_operator"):
        with pytest.raises(PermissionDenied):
            record(world.a.users[who], visit(points.gate))
    assert record(world.a.users["field_tni"], visit(points.warehouse_door)).created


def test_an_issue_found_raises_an_alert_for_the_command_center(world, points):
    saved = record(world.a.users["field_polri"], visit(points.gate, situation=Situation.ISSUE,
                                                       notes="Gembok pagar rusak"))
    alert = Alert.objects.get(dedup_key=f"records:visit-issue:{saved.record.pk}")
    assert alert.facility == points.gate.facility
    assert "Gembok" in alert.detail


# --- patrols ---------------------------------------------------------------------------------


def test_a_patrol_with_its_team_and_visits(world, points):
    leader = world.a.users["padal"]
    started = patrol_start(user=leader, client_key=uuid.uuid4(), team_name="Patroli Samapta",
                           mode="motorcycle", member_names=["Brigpol Andi", "Bripda Sari", ""],
                           pillars=["tni"], planned=[points.gate, points.fence])
    patrol = started.record
    assert [m.name for m in patrol.members.all()][1:] == ["Brigpol Andi", "Bripda Sari"]
    assert patrol.pillars == ["polri", "tni"]
    record(leader, visit(points.gate, patrol_id=patrol.pk))
    with pytest.raises(ValidationError):  # someone else's patrol
        record(world.a.users["field_polri"], visit(points.gate, patrol_id=patrol.pk))
    patrol_end(patrol=patrol, user=leader)
    with pytest.raises(ValidationError):
        patrol_end(patrol=patrol, user=leader)
    with pytest.raises(ValidationError):  # after the end
        record(leader, visit(points.fence, patrol_id=patrol.pk,
                             device_time=timezone.now() + timedelta(minutes=1)))


def test_planned_checkpoints_must_be_the_leaders_to_patrol(world, points):
    with pytest.raises(ValidationError):
        patrol_start(user=world.a.users["field_polri"], client_key=uuid.uuid4(),
                     team_name="x", mode="foot", member_names=[], pillars=[],
                     planned=[points.b_gate])


# --- corrections -----------------------------------------------------------------------------


def test_a_correction_sits_beside_the_original(world, points):
    officer = world.a.users["field_polri"]
    saved = record(officer, visit(points.gate, notes="Aman")).record
    amendment = visit_amend(visit=saved, user=officer, reason="Salah ketik",
                            situation=Situation.ISSUE, notes="Lampu gerbang mati")
    saved.refresh_from_db()
    assert saved.notes == "Aman" and saved.situation == Situation.SAFE
    assert amendment.changes == {"situation": "issue", "notes": "Lampu gerbang mati"}
    with pytest.raises(PermissionDenied):
        visit_amend(visit=saved, user=world.a.users["padal"], reason="x", notes="y")
    with pytest.raises(ValidationError):
        visit_amend(visit=saved, user=officer, reason="", notes="z")
    assert Amendment.objects.count() == 1


def test_visit_detail_shows_original_and_correction_escaped(client, world, points):
    officer = world.a.users["field_polri"]
    saved = record(officer, visit(points.gate, notes="<script>alert(1)</script>")).record
    visit_amend(visit=saved, user=officer, reason="koreksi", notes="<img src=x onerror=1>")
    client.force_login(officer)
    page = client.get(saved.get_absolute_url()).content.decode()
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "&lt;img src=x onerror=1&gt;" in page


def test_any_script_is_kept_and_long_notes_are_refused(client, world, points):
    from apps.records.chain import chain_verify

    notes = "Pak Dédé عبد الله 👮🏽‍♀️ \u202eRTL\u202c e\u0301 ✔"
    saved = record(world.a.users["field_polri"], visit(points.gate, notes=notes)).record
    saved.refresh_from_db()
    assert saved.notes == notes
    assert chain_verify().ok
    client.force_login(world.a.users["field_polri"])
    result = synced(client, {"client_key": str(uuid.uuid4()), "code": points.gate.code,
                             "situation": "safe", "notes": "x" * 10_000})
    assert (result["result"], result["status"]) == ("rejected", 400)
