"""Every URL of the portal against every kind of person, from one table.

A URL pattern without a row here fails `test_every_url_has_a_row`: a new view cannot ship
without its access decision. Forbidden and missing objects both answer 404."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from apps.alerts.models import Alert
from tests.access.urlworld import duty_objects
from tests.api.matrix import api_objects
from tests.recordings.stored import stored_segment
from tests.records.urlworld import records_objects

pytestmark = pytest.mark.usefixtures("shared_media")  # the shared rows' files

PEOPLE = ("anon", "operator", "field_polri", "kpu", "bawaslu", "admin", "operator_b")
LOGIN = "login"  # redirect to the login page


@dataclass(frozen=True)
class Row:
    args: Callable | None  # world -> reverse() args
    method: str
    data: dict | None
    expected: dict[str, int | str]
    json: bool = False  # send `data` as a JSON body (the API)


def _all(status, anon=LOGIN):
    return {p: (anon if p == "anon" else status) for p in PEOPLE}


def _obj(viewers: set[str], ok=200):
    return {p: (LOGIN if p == "anon" else ok if p in viewers else 404) for p in PEOPLE}


_TWO_STEP_DONE = {"operator": 302, "admin": 302, "operator_b": 302}
FACILITY = lambda w: [w.a.facilities["kpu_office"].pk]  # noqa: E731
OPERATION = lambda w: [w.a.operation.pk]  # noqa: E731
ALERT = lambda w: [w.a_alert.pk]  # noqa: E731
ALERT_VIEWERS = {"operator", "field_polri", "kpu", "admin"}
CAMERA = lambda w: [w.a_camera.pk]  # noqa: E731
SHARE = lambda w: [w.a_share.pk]  # noqa: E731
CAMERA_VIEWERS = {"operator", "kpu", "admin"}  # the Polsek officer's agency is not a grantee

DUTY_VIEWERS = {"operator", "field_polri", "kpu", "admin"}  # who sees the KPU office A


TABLE: dict[str, Row] = {
    "overview:home": Row(None, "get", None, _all(302)),
    "live:wall": Row(None, "get", None, _all(200)),
    "live:save_layout": Row(None, "post", {"name": "Malam", "size": "4"}, _all(302)),
    # Guard duty: objects made on first use (duty_objects); the Padal and commanders who plan
    # rosters are not in PEOPLE, their rows are in tests/duty/test_access.py.
    "duty:my_duty": Row(None, "get", None, _all(200)),
    "duty:check_in": Row(lambda w: [duty_objects(w).now_shift.pk], "post", {},
                         _obj({"field_polri"}, ok=302)),
    "duty:check_out": Row(lambda w: [duty_objects(w).attendance.shift_id], "post", {},
                          _obj({"field_polri"}, ok=302)),
    "duty:attendance_photo": Row(lambda w: [duty_objects(w).attendance.pk], "get", None,
                                 _obj({"field_polri", "admin"})),
    "duty:posts": Row(None, "get", None, _all(200)),
    "duty:post_create": Row(FACILITY, "post", {"name": "Pos Baru"}, _obj({"admin"}, ok=302)),
    "duty:roster": Row(lambda w: [duty_objects(w).post.pk], "get", None, _obj(DUTY_VIEWERS)),
    "duty:standards": Row(lambda w: [duty_objects(w).post.pk], "get", None, _obj({"admin"})),
    "duty:standard_end": Row(lambda w: [duty_objects(w).standard.pk], "post", {},
                             _obj({"admin"}, ok=302)),
    "duty:shift_create": Row(lambda w: [duty_objects(w).post.pk], "post", {}, _obj(set())),
    "duty:roster_generate": Row(lambda w: [duty_objects(w).post.pk], "post", {}, _obj(set())),
    "duty:roster_publish": Row(lambda w: [duty_objects(w).post.pk], "post", {}, _obj(set())),
    "duty:shift_edit": Row(lambda w: [duty_objects(w).draft.pk], "get", None, _obj(set())),
    "duty:shift_delete": Row(lambda w: [duty_objects(w).draft.pk], "post", {}, _obj(set())),
    # Field safety: only the guard's own shift (refused there: its post has no lone check).
    "duty:safe_confirm": Row(lambda w: [duty_objects(w).now_shift.pk], "post", {},
                             _obj({"field_polri"}, ok=302)),
    "duty:post_lone_check": Row(lambda w: [duty_objects(w).post.pk], "post", {},
                                _obj({"admin"}, ok=302)),
    "duty:coverage": Row(None, "get", None, _all(200)),
    "duty:coverage_csv": Row(None, "get", None, _all(200)),
    "duty:coverage_pdf": Row(None, "get", None, _all(200)),
    "duty:coverage_cell": Row(FACILITY, "get", {"from": 1795000000, "to": 1795003600},
                              _obj(DUTY_VIEWERS)),
    "core:healthz": Row(None, "get", None, _all(200, anon=200)),
    "accounts:login": Row(None, "get", None, _all(302, anon=200)),
    "accounts:logout": Row(None, "post", {}, _all(302, anon=302)),
    "accounts:profile": Row(None, "get", None, _all(200)),
    "accounts:password_change": Row(None, "get", None, _all(200)),
    # Two-step login: the cast's operators and administrators have passed it (see conftest).
    "accounts:otp_verify": Row(None, "get", None, _all(302)),
    "accounts:otp_enrol": Row(None, "get", None, _all(200) | _TWO_STEP_DONE),
    "accounts:backup_codes": Row(None, "post", {}, _all(302) | {p: 200 for p in _TWO_STEP_DONE}),
    "overview:facilities": Row(None, "get", None, _all(200)),
    "overview:my_facilities": Row(None, "get", None, _all(200)),
    "overview:facility": Row(FACILITY, "get", None, _obj({"operator", "field_polri", "kpu",
                                                         "admin"})),
    "overview:operations": Row(None, "get", None, _all(200)),
    "overview:operation": Row(OPERATION, "get", None, _obj({"operator", "field_polri", "kpu",
                                                           "bawaslu", "admin"})),
    "alerts:feed": Row(None, "get", None, _all(200)),
    "alerts:since": Row(lambda w: [0], "get", None, _all(200)),
    "alerts:detail": Row(ALERT, "get", None, _obj(ALERT_VIEWERS)),
    "alerts:act": Row(ALERT, "post", {"action": "acknowledge"}, _obj({"operator"}, ok=302)),
    # Alerts one may not act on are skipped: everyone is sent back to the list.
    "alerts:acknowledge_many": Row(None, "post", {"comment": ""}, _all(302)),
    "alerts:evidence": Row(ALERT, "get", None, _obj(ALERT_VIEWERS)),
    # Everyone reads the chains that apply to them; administrators (and commanders, not in
    # PEOPLE: tests/alerts/test_escalation_setup.py) set them up (an empty form: shown again).
    "alerts:escalation": Row(None, "get", None, _all(200)),
    "alerts:escalation_save": Row(None, "post", {}, _obj({"admin"})),
    # Evidence from an outward camera shared with Polres A: the Polsek officer sees the alert
    # but not the camera's frames.
    "alerts:evidence_frame": Row(lambda w: [w.a_frame.pk], "get", None,
                                 _obj(CAMERA_VIEWERS)),
    "set_language": Row(None, "post", {"language": "en"}, _all(302, anon=302)),
    "cameras:detail": Row(CAMERA, "get", None, _obj(CAMERA_VIEWERS)),
    "cameras:snapshot": Row(CAMERA, "get", None, _obj(CAMERA_VIEWERS)),
    "cameras:edit": Row(CAMERA, "get", None, _obj({"kpu", "admin"})),
    "cameras:create": Row(FACILITY, "get", None, _obj({"kpu", "admin"})),
    "cameras:share": Row(CAMERA, "post", {}, _obj({"kpu", "admin"}, ok=302)),
    "cameras:revoke": Row(SHARE, "post", {"reason": "selesai"}, _obj({"kpu"}, ok=302)),
    "cameras:access_record": Row(None, "get", None, _all(200)),
    # Reviewing recordings: the owner agency, and administrators (an outward camera); Polres
    # A's share of the camera is live only.
    "review:index": Row(None, "get", None, _all(200)),
    "review:camera": Row(CAMERA, "get", None, _obj({"kpu", "admin"})),
    "review:facility": Row(lambda w: [w.a_camera.facility_id], "get", None,
                           _obj({"kpu", "admin"})),
}


# --- field records (apps.records): objects made on first use, all in city A -----------------
# The visit is the Polsek officer's at the KPU office; the patrol is the Padal's (with a visit
# there); the warehouse check and the incident (with an outward camera's frame attached by
# the operator) are at the warehouse, out of the Polsek officer's district.
_REC = records_objects
VISIT_VIEWERS = {"field_polri", "operator", "kpu", "admin"}
WAREHOUSE_RECORD_VIEWERS = {"operator", "kpu", "admin"}
TABLE.update({
    "records:my_patrol": Row(None, "get", None, _all(200)),
    "records:visit_submit": Row(None, "post", {}, _all(302)),
    "records:patrol_start": Row(None, "post", {}, _all(302)),
    "records:patrol_detail": Row(lambda w: [_REC(w).patrol.pk], "get", None,
                                 _obj({"operator", "kpu", "admin"})),
    "records:patrol_end": Row(lambda w: [_REC(w).patrol.pk], "post", {}, _obj(set())),
    "records:visit_detail": Row(lambda w: [_REC(w).visit.pk], "get", None,
                                _obj(VISIT_VIEWERS)),
    "records:visit_amend": Row(lambda w: [_REC(w).visit.pk], "post", {},
                               _obj({"field_polri"}, ok=302)),
    "records:photo": Row(lambda w: [_REC(w).photo.pk], "get", None, _obj(VISIT_VIEWERS)),
    "records:service_worker": Row(None, "get", None, _all(200, anon=200)),
    "records:manifest": Row(None, "get", None, _all(200, anon=200)),
    "records:checkpoints": Row(None, "get", None, _all(200)),
    "records:checkpoint_create": Row(FACILITY, "post", {}, _obj({"admin"}, ok=302)),
    "records:checkpoint_labels": Row(FACILITY, "get", None, _obj({"admin"})),
    "records:checkpoint_relabel": Row(lambda w: [_REC(w).checkpoint.pk], "post", {},
                                      _obj({"admin"}, ok=302)),
    "records:checks": Row(None, "get", None, _all(200)),
    "records:check_create": Row(lambda w: [w.a.facilities["warehouse"].pk], "get", None,
                                _obj({"kpu"})),
    "records:check_detail": Row(lambda w: [_REC(w).check.pk], "get", None,
                                _obj(WAREHOUSE_RECORD_VIEWERS)),
    "records:check_sign": Row(lambda w: [_REC(w).check.pk], "post", {}, _obj({"kpu"}, ok=302)),
    "records:incidents": Row(None, "get", None, _all(200)),
    "records:incident_create": Row(None, "get", None, _all(200)),
    "records:incident_detail": Row(lambda w: [_REC(w).incident.pk], "get", None,
                                   _obj(WAREHOUSE_RECORD_VIEWERS)),
    "records:incident_step": Row(lambda w: [_REC(w).incident.pk], "post",
                                 {"step": "acknowledged"}, _obj({"operator"}, ok=302)),
    "records:incident_link": Row(lambda w: [_REC(w).incident.pk], "post", {},
                                 _obj({"operator"}, ok=302)),
    "records:incident_attach": Row(lambda w: [_REC(w).incident.pk], "post", {},
                                   _obj({"operator", "kpu"}, ok=302)),
    "records:incident_amend": Row(lambda w: [_REC(w).incident.pk], "post", {},
                                  _obj({"operator"}, ok=302)),
    "records:candidate_frame": Row(lambda w: [_REC(w).incident.pk, "timeline",
                                              _REC(w).frame.pk], "get", None,
                                   _obj({"operator", "kpu"})),
    # The picker's small copy: the same checks as the frame opened in full.
    "records:candidate_thumbnail": Row(lambda w: [_REC(w).incident.pk, "timeline",
                                                  _REC(w).frame.pk], "get", None,
                                       _obj({"operator", "kpu"})),
    "records:evidence_image": Row(lambda w: [_REC(w).evidence.pk], "get", None,
                                  _obj(CAMERA_VIEWERS)),
    "records:tip": Row(None, "get", None, _all(200, anon=200)),
    "records:compliance": Row(None, "get", None, _all(200)),
    "records:daily": Row(None, "get", None, _all(200)),
    # Without a chosen operation there is no report to export.
    "records:daily_csv": Row(None, "get", None, _all(404)),
    "records:daily_pdf": Row(None, "get", None, _all(404)),
    "records:integrity": Row(None, "get", None, _obj({"admin"})),
})

# --- API and integrations (apps.api): objects made on first use (tests/api/matrix.py) ------
# Without credentials the API answers 401 (no login redirect). An object the person may see
# but not act on answers 403 from the services; one they may not see, 404.
_API = api_objects


def _api(status):
    return {p: (401 if p == "anon" else status) for p in PEOPLE}


def _api_obj(viewers: set[str], ok=200, seen: frozenset[str] = frozenset()):
    return {p: (401 if p == "anon" else ok if p in viewers else 403 if p in seen else 404)
            for p in PEOPLE}


_ADMIN_PAGE = {p: (LOGIN if p == "anon" else 200 if p == "admin" else 403) for p in PEOPLE}
TABLE.update({
    "api:schema": Row(None, "get", None, _api(200)),
    "api:docs": Row(None, "get", None, _all(200)),
    "api:facility-list": Row(None, "get", None, _api(200)),
    "api:facility-detail": Row(FACILITY, "get", None, _api_obj(DUTY_VIEWERS)),
    "api:operation-list": Row(None, "get", None, _api(200)),
    "api:operation-detail": Row(OPERATION, "get", None, _api_obj(
        {"operator", "field_polri", "kpu", "bawaslu", "admin"})),
    "api:camera-list": Row(None, "get", None, _api(200)),
    "api:camera-detail": Row(CAMERA, "get", None, _api_obj(CAMERA_VIEWERS)),
    "api:camera-snapshot": Row(CAMERA, "get", None, _api_obj(CAMERA_VIEWERS)),
    "api:camera-share-list": Row(None, "get", None, _api(200)),
    # Administrators see every share but only the owner agency revokes.
    "api:camera-share-detail": Row(SHARE, "get", None, _api_obj({"operator", "kpu", "admin"})),
    "api:camera-share-revoke": Row(SHARE, "post", {"reason": "selesai"}, _api_obj(
        {"kpu"}, seen=frozenset({"operator", "admin"})), json=True),
    "api:view-record-list": Row(None, "get", None, _api(200)),
    "api:view-record-detail": Row(lambda w: [_API(w).view.pk], "get", None,
                                  _api_obj(CAMERA_VIEWERS)),
    "api:alert-list": Row(None, "get", None, _api(200)),
    "api:alert-detail": Row(ALERT, "get", None, _api_obj(ALERT_VIEWERS)),
    "api:alert-acknowledge": Row(ALERT, "post", {}, _api_obj(
        {"operator"}, seen=frozenset(ALERT_VIEWERS)), json=True),
    "api:alert-assign": Row(ALERT, "post", {}, _api_obj(ALERT_VIEWERS, ok=400), json=True),
    "api:alert-resolve": Row(ALERT, "post", {"comment": "selesai"}, _api_obj(
        {"operator"}, seen=frozenset(ALERT_VIEWERS)), json=True),
    "api:guard-post-list": Row(None, "get", None, _api(200)),
    "api:guard-post-detail": Row(lambda w: [_API(w).post.pk], "get", None,
                                 _api_obj(DUTY_VIEWERS)),
    "api:shift-list": Row(None, "get", None, _api(200)),
    "api:shift-detail": Row(lambda w: [_API(w).shift.pk], "get", None, _api_obj(DUTY_VIEWERS)),
    "api:shift-check-in": Row(lambda w: [_API(w).shift.pk], "post", {}, _api_obj(
        {"field_polri"}, ok=201, seen=frozenset(DUTY_VIEWERS)), json=True),
    "api:shift-safe": Row(lambda w: [_API(w).shift.pk], "post", {}, _api_obj(
        set(), seen=frozenset(DUTY_VIEWERS)), json=True),
    # The panic button is security staff's, wherever they are (not administrators').
    "api:panic": Row(None, "post", {"client_key": "0b7e2a9c-3a43-4c36-9d4e-2f0c1e6d5a10"},
                     {"anon": 401, "operator": 201, "field_polri": 201, "kpu": 403,
                      "bawaslu": 403, "admin": 403, "operator_b": 201}, json=True),
    "api:check-in-list": Row(None, "get", None, _api(200)),
    "api:check-in-detail": Row(lambda w: [_API(w).attendance.pk], "get", None,
                               _api_obj(DUTY_VIEWERS)),
    "api:check-in-check-out": Row(lambda w: [_API(w).attendance.pk], "post", {}, _api_obj(
        {"field_polri"}, seen=frozenset(DUTY_VIEWERS)), json=True),
    "api:checkpoint-list": Row(None, "get", None, _api(200)),
    "api:checkpoint-detail": Row(lambda w: [_API(w).checkpoint.pk], "get", None,
                                 _api_obj(DUTY_VIEWERS)),
    "api:patrol-list": Row(None, "get", None, _api(200)),
    "api:patrol-detail": Row(lambda w: [_API(w).patrol.pk], "get", None,
                             _api_obj(VISIT_VIEWERS)),
    "api:patrol-end": Row(lambda w: [_API(w).patrol.pk], "post", {}, _api_obj(
        {"field_polri"}, seen=frozenset(VISIT_VIEWERS)), json=True),
    "api:patrol-visit-list": Row(None, "get", None, _api(200)),
    "api:patrol-visit-detail": Row(lambda w: [_API(w).visit.pk], "get", None,
                                   _api_obj(VISIT_VIEWERS)),
    "api:sync-visits": Row(None, "post", {"visits": [{"token": "x"}]}, _api(200), json=True),
    "api:warehouse-check-list": Row(None, "get", None, _api(200)),
    "api:warehouse-check-detail": Row(lambda w: [_API(w).check.pk], "get", None,
                                      _api_obj(WAREHOUSE_RECORD_VIEWERS)),
    "api:warehouse-check-sign": Row(lambda w: [_API(w).check.pk], "post", {}, _api_obj(
        {"kpu"}, seen=frozenset(WAREHOUSE_RECORD_VIEWERS)), json=True),
    "api:incident-list": Row(None, "get", None, _api(200)),
    "api:incident-detail": Row(lambda w: [_API(w).incident.pk], "get", None,
                               _api_obj(VISIT_VIEWERS)),
    "api:incident-steps": Row(lambda w: [_API(w).incident.pk], "post", {"step": "acknowledged"},
                              _api_obj({"operator"}, seen=frozenset(VISIT_VIEWERS)), json=True),
    "integrations:tokens": Row(None, "get", None, _all(200)),
    "integrations:token_revoke": Row(lambda w: [_API(w).token.pk], "post", {},
                                     _obj({"field_polri"}, ok=302)),
    "integrations:webhooks": Row(None, "get", None, _ADMIN_PAGE),
    "integrations:webhook": Row(lambda w: [_API(w).endpoint.pk], "get", None, _ADMIN_PAGE),
})
# --- end of API and integrations ------------------------------------------------------------


def _device(w):
    """The operator's phone (apps.notifications), made on first use."""
    from apps.notifications.models import PushSubscription

    return PushSubscription.objects.get_or_create(
        endpoint="http://127.0.0.1:9/wpush/operator", defaults={
            "user": w.a.users["operator"], "p256dh": "B" + "A" * 86, "auth": "A" * 22})[0]


# Notifications: one's own devices; the acknowledge button's token is the only credential it
# takes, so a signed-in session without one is refused like anyone else.
TABLE.update({
    "notifications:devices": Row(None, "get", None, _all(200)),
    "notifications:subscribe": Row(None, "post", {
        "endpoint": "http://127.0.0.1:9/wpush/this-device",
        "keys": {"p256dh": "B" + "A" * 86, "auth": "A" * 22}}, _all(201), json=True),
    "notifications:remove": Row(lambda w: [_device(w).pk], "post", {},
                                _obj({"operator"}, ok=302)),
    "notifications:acknowledge": Row(None, "post", {"token": "x"}, _all(403, anon=403)),
})


def _segment(w):
    """A recorded segment of the shared camera (the file too), made on use."""
    from datetime import timedelta

    from django.utils import timezone

    return stored_segment(w.a_camera, timezone.now() - timedelta(hours=1))


# Recordings: the camera is shared with Polres A for live only, so its footage is reviewed
# by its owner agency and administrators (outward cameras) only; the full matrix of
# recordings is tests/recordings/test_recording_access.py.
REVIEWERS = {"kpu", "admin"}
TABLE.update({
    "api:recording-timeline": Row(CAMERA, "get", None, _api_obj(REVIEWERS)),
    "recordings:segment": Row(lambda w: [_segment(w).pk], "get", None, _obj(REVIEWERS)),
})


def _export(w):
    """A complete evidence export of the shared camera by its owner (KPU A), with its hold;
    made once."""
    from datetime import timedelta

    from django.utils import timezone

    from apps.recordings.models import EvidenceExport, SegmentHold

    export = EvidenceExport.objects.filter(cameras=w.a_camera).first()
    if export is None:
        kpu = w.a.users["kpu"]
        end = timezone.now() - timedelta(hours=1)
        export = EvidenceExport.objects.create(
            requested_by=kpu, agency=kpu.agency, start=end - timedelta(minutes=5), end=end,
            zone="Asia/Jakarta", reason="Penyelidikan", legal_basis="SP/1/2026",
            status=EvidenceExport.Status.DONE, finished_at=end)
        export.cameras.add(w.a_camera)
        SegmentHold.objects.create(export=export, held_by=kpu, reason="Ekspor")
    return export


# Evidence exports: seen by their exporter (here the owner agency's official); nobody in
# PEOPLE is a commander, so no hold is released here (tests/recordings/test_exports.py).
TABLE.update({
    "exports:list": Row(None, "get", None, _all(200)),
    "exports:create": Row(None, "get", None, _all(200)),
    "exports:detail": Row(lambda w: [_export(w).pk], "get", None, _obj({"kpu"})),
    "exports:download": Row(lambda w: [_export(w).pk], "get", None, _obj({"kpu"})),
    "exports:attach": Row(lambda w: [_export(w).pk], "post", {"incident": 0},
                          _obj({"kpu"}, ok=302)),
    "exports:release": Row(lambda w: [_export(w).holds.get().pk], "post", {"reason": "x"},
                           _obj(set())),
})


def _url_names(patterns=None, namespace=""):
    for entry in patterns if patterns is not None else get_resolver().url_patterns:
        if isinstance(entry, URLResolver):
            ns = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            yield from _url_names(entry.url_patterns, ns)
        elif isinstance(entry, URLPattern) and entry.name:
            yield f"{namespace}{entry.name}"


def test_every_url_has_a_row():
    names = {n for n in _url_names() if not n.startswith("admin:")}
    assert names - set(TABLE) == set(), "URL patterns without an access decision"
    assert set(TABLE) - names == set(), "rows for URLs that no longer exist"


def _person(world, who):
    if who == "anon":
        return None
    if who == "operator_b":
        return world.b.users["operator"]
    return world.a.users[who]


@pytest.mark.parametrize("name", sorted(TABLE))
@pytest.mark.parametrize("who", PEOPLE)
def test_url(client, world_with_alert, background_runner, name, who):
    row = TABLE[name]
    user = _person(world_with_alert, who)
    if user is not None:
        client.force_login(user)
    url = reverse(name, args=row.args(world_with_alert) if row.args else None)
    extra = {"content_type": "application/json"} if row.json else {}
    response = getattr(client, row.method)(url, row.data or {}, **extra)
    expected = row.expected[who]
    if expected == LOGIN:
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("accounts:login"))
    else:
        assert response.status_code == expected, f"{who} {name}"


@pytest.mark.parametrize("guess", ["0", "999999", "9223372036854775807", "99999999999999999999"])
def test_guessed_ids_look_like_forbidden_ones(client, world_with_alert, guess):
    """A missing id and another city's id give the same answer: nothing to enumerate."""
    client.force_login(world_with_alert.b.users["operator"])
    forbidden = client.get(reverse("overview:facility", args=[world_with_alert.a.facilities[
        "kpu_office"].pk]))
    missing = client.get(f"/objek/{guess}/")
    assert forbidden.status_code == missing.status_code == 404
    assert _without_per_request_values(forbidden) == _without_per_request_values(missing)


def _without_per_request_values(response) -> str:
    html = response.content.decode()
    html = re.sub(r'name="csrfmiddlewaretoken" value="[^"]*"', "", html)
    return re.sub(r'name="next" type="hidden" value="[^"]*"', "", html)


def test_resync_only_returns_alerts_the_person_may_see(client, world_with_alert):
    client.force_login(world_with_alert.b.users["operator"])
    assert client.get(reverse("alerts:since", args=[0])).json() == {"alerts": []}
    client.force_login(world_with_alert.a.users["operator"])
    alerts = client.get(reverse("alerts:since", args=[0])).json()["alerts"]
    city_a = Alert.objects.filter(facility__in=world_with_alert.a.facilities.values())
    assert world_with_alert.a_alert.pk in {a["id"] for a in alerts}
    assert sorted(a["id"] for a in alerts) == sorted(city_a.values_list("pk", flat=True))
