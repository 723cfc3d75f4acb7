"""The API asks the access policy like every page: lists are filtered in the query, a hidden
object answers like a missing one, an inward camera never reaches security staff."""

from __future__ import annotations

import json

import pytest

from apps.alerts.models import Alert
from apps.places.models import Facility
from tests.api.conftest import INWARD_NAME, device


def _ids(response) -> set[int]:
    assert response.status_code == 200, response.content
    return {row["id"] for row in response.json()["results"]}


def test_an_operator_of_city_b_lists_no_facility_of_city_a(client, api_world):
    world = api_world.world
    client.force_login(world.b.users["operator"])
    listed = _ids(client.get("/api/facilities/?page_size=200"))
    assert listed
    assert listed.isdisjoint({f.pk for f in world.a.facilities.values()})
    assert listed <= set(Facility.objects.filter(region__path__startswith=world.b.city.path)
                         .values_list("pk", flat=True))


def test_lists_match_the_policy_for_every_person(client, api_world):
    from apps.access import policy

    for city in (api_world.world.a, api_world.world.b):
        for user in city.users.values():
            client.force_login(user)
            expected = set(policy.scope(user, Facility.objects.all()).values_list("pk",
                                                                                flat=True))
            assert _ids(client.get("/api/facilities/?page_size=200")) == expected, user


def test_inward_cameras_are_absent_for_police_not_even_their_names(client, api_world):
    client.force_login(api_world.user("operator"))
    response = client.get("/api/cameras/")
    assert _ids(response) == {api_world.outward.pk}
    assert INWARD_NAME not in response.content.decode()
    detail = client.get(f"/api/cameras/{api_world.inward.pk}/")
    missing = client.get("/api/cameras/999999/")
    assert detail.status_code == missing.status_code == 404
    assert detail.json() == missing.json()


def test_the_owner_lists_the_inward_camera_and_never_an_address(client, api_world):
    client.force_login(api_world.user("kpu"))
    response = client.get("/api/cameras/")
    assert _ids(response) == {api_world.outward.pk, api_world.inward.pk}
    text = response.content.decode()
    assert "127.0.0.1" not in text and "token" not in text
    row = next(r for r in response.json()["results"] if r["id"] == api_world.outward.pk)
    assert row["snapshot_url"] == f"/api/cameras/{api_world.outward.pk}/snapshot/"


def test_an_alert_from_an_inward_camera_reaches_police_without_the_camera(client, api_world):
    client.force_login(api_world.user("operator"))
    response = client.get("/api/alerts/")
    assert _ids(response) == {api_world.outward_alert.pk, api_world.inward_alert.pk}
    assert INWARD_NAME not in response.content.decode()
    row = client.get(f"/api/alerts/{api_world.inward_alert.pk}/").json()
    assert row["camera"] is None and row["camera_name"] is None and row["detail"] == ""
    # Alerts by camera: an inward camera's id finds nothing, as if it did not exist.
    assert client.get("/api/alerts/", {"camera": api_world.inward.pk}).json()["results"] == []
    assert _ids(client.get("/api/alerts/", {"camera": api_world.outward.pk})) == {
        api_world.outward_alert.pk}
    client.force_login(api_world.user("kpu"))
    row = client.get(f"/api/alerts/{api_world.inward_alert.pk}/").json()
    assert row["camera_name"] == INWARD_NAME
    assert _ids(client.get("/api/alerts/", {"camera": api_world.inward.pk})) == {
        api_world.inward_alert.pk}


@pytest.mark.parametrize("guess", ["0", "999999", "-1", "9223372036854775807",
                                   "99999999999999999999", "abc", "1e3", "%31"])
def test_guessed_ids_answer_like_forbidden_ones(client, api_world, guess):
    client.force_login(api_world.world.b.users["operator"])
    forbidden = client.get(f"/api/facilities/{api_world.world.a.facilities['kpu_office'].pk}/")
    missing = client.get(f"/api/facilities/{guess}/")
    assert forbidden.status_code == missing.status_code == 404
    assert forbidden.json() == missing.json() == {"status": 404, "code": "not_found",
                                                   "detail": forbidden.json()["detail"]}


def test_options_and_head_leak_nothing(client, api_world):
    client.force_login(api_world.world.b.users["operator"])
    pk = api_world.world.a.facilities["kpu_office"].pk
    assert client.options(f"/api/facilities/{pk}/").status_code == 405
    assert client.options("/api/facilities/999999/").status_code == 405
    assert client.head(f"/api/facilities/{pk}/").status_code == 404


def test_without_credentials_the_answer_is_401_with_the_scheme(client, api_world):
    response = client.get("/api/facilities/")
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert response.json()["code"] == "not_authenticated"


def test_a_session_write_needs_the_csrf_token(api_world):
    from django.test import Client

    browser = Client(enforce_csrf_checks=True)
    browser.force_login(api_world.user("field_polri"))
    response = browser.post(f"/api/alerts/{api_world.outward_alert.pk}/acknowledge/", {},
                            content_type="application/json")
    assert response.status_code == 403
    assert "CSRF" in response.json()["detail"]


def test_a_session_without_the_second_step_is_refused(api_world):
    from tests.conftest import Client

    browser = Client()
    browser.force_login(api_world.user("operator"), otp=False)
    response = browser.post(f"/api/alerts/{api_world.outward_alert.pk}/acknowledge/", {},
                            content_type="application/json")
    assert response.status_code == 403


def test_acting_on_an_alert_goes_through_the_services(client, api_world):
    alert = api_world.outward_alert
    client.force_login(api_world.user("field_tni"))  # sees it, may not act on it
    response = client.post(f"/api/alerts/{alert.pk}/acknowledge/", {},
                           content_type="application/json")
    assert response.status_code == 403
    client.force_login(api_world.user("operator"))
    response = client.post(f"/api/alerts/{alert.pk}/acknowledge/", {"comment": "Dicek"},
                           content_type="application/json")
    assert response.status_code == 200 and response.json()["state"] == "acknowledged"
    response = client.post(f"/api/alerts/{alert.pk}/resolve/", {"comment": " "},
                           content_type="application/json")
    assert response.status_code == 400 and "comment" in response.json()["errors"]
    commander = api_world.user("commander")
    response = client.post(f"/api/alerts/{alert.pk}/assign/", {"assignee": commander.pk},
                           content_type="application/json")
    assert response.status_code == 200 and response.json()["assigned_to"] == commander.pk
    response = client.post(f"/api/alerts/{alert.pk}/resolve/", {"comment": "Kucing"},
                           content_type="application/json")
    body = response.json()
    assert body["state"] == "resolved"
    assert [e["action"] for e in body["events"]][-1] == "resolved"
    assert Alert.objects.get(pk=alert.pk).resolved_by == api_world.user("operator")


def test_unknown_and_read_only_fields_are_refused(client, api_world):
    client.force_login(api_world.user("operator"))
    response = client.post(f"/api/alerts/{api_world.outward_alert.pk}/acknowledge/",
                           {"comment": "ok", "state": "resolved", "facility": 1},
                           content_type="application/json")
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "unknown_field"
    assert set(body["errors"]) == {"state", "facility"}


def test_times_without_an_offset_are_refused(client, api_world):
    client.force_login(api_world.user("kpu"))
    base = {"camera": api_world.outward.pk,
            "grantee": api_world.world.a.agencies["kodim"].pk, "basis": "Surat"}
    for bad in ("2026-12-01T08:00:00", "2029-02-30T08:00:00+07:00", "2026-12-01T24:00:00Z",
                "2026-12-01T23:59:60Z", "0000-01-01T00:00:00Z", "9999-01-01T00:00:00Z", "",
                "NaN", 1767225600):
        response = client.post("/api/camera-shares/", {**base, "valid_from": bad},
                               content_type="application/json")
        assert response.status_code == 400, bad
        assert "valid_from" in response.json()["errors"], bad
    response = client.post("/api/camera-shares/",
                           {**base, "valid_from": "2026-12-01T08:00:00+08:00"},
                           content_type="application/json")
    assert response.status_code == 201, response.content
    assert response.json()["valid_from"] == "2026-12-01T07:00:00+07:00"


@pytest.mark.parametrize("ordering", ["password", "-facility__owner_agency__name",
                                      "name;DROP TABLE x", "1' OR '1'='1", "last_seq,id"])
def test_ordering_only_from_the_allowlist(client, api_world, ordering):
    client.force_login(api_world.user("operator"))
    response = client.get("/api/alerts/", {"ordering": ordering})
    assert response.status_code == 200
    response = client.get("/api/facilities/", {"ordering": ordering, "name": ordering})
    assert response.status_code == 200


def test_bad_filter_values_are_400_not_500(client, api_world):
    client.force_login(api_world.user("operator"))
    for query in ({"facility": "99999999999999999999"}, {"facility": "x"},
                  {"min_severity": "9"}, {"raised_after": "yesterday"}, {"page": "0"},
                  {"raised_after": "2026-11-23T08:00:00"},
                  {"raised_before": "1079-03-25T23:46:41-23:36"}):
        response = client.get("/api/alerts/", query)
        assert response.status_code in (400, 404), (query, response.status_code)
        assert set(response.json()) >= {"status", "code", "detail"}
    # Any offset is fine (PostgreSQL gets UTC, even for offsets it would refuse itself).
    response = client.get("/api/alerts/", {"raised_before": "2026-03-25T23:46:41-23:36"})
    assert response.status_code == 200


def test_share_grant_and_revoke_through_the_camera_services(client, api_world):
    a = api_world.world.a
    client.force_login(a.users["kpu"])
    response = client.post("/api/camera-shares/", {
        "camera": api_world.inward.pk, "grantee": a.agencies["kodim"].pk, "basis": "Surat"},
        content_type="application/json")
    assert response.status_code == 400  # inward cameras are never shared
    response = client.post("/api/camera-shares/", {
        "camera": api_world.outward.pk, "grantee": a.agencies["kodim"].pk, "basis": "Surat"},
        content_type="application/json")
    assert response.status_code == 201
    share = response.json()
    assert share["camera_name"] == "Gerbang gudang" and share["active"]
    client.force_login(a.users["commander"])  # Polres sees its own share, cannot revoke
    response = client.post(f"/api/camera-shares/{share['id']}/revoke/", {"reason": "x"},
                           content_type="application/json")
    assert response.status_code == 404  # not granted to Polres: invisible
    client.force_login(a.users["kpu"])
    response = client.post(f"/api/camera-shares/{share['id']}/revoke/",
                           {"reason": "Selesai"}, content_type="application/json")
    assert response.status_code == 200 and response.json()["active"] is False


def test_a_share_of_a_camera_turned_inward_does_not_name_it_to_the_grantee(client, api_world):
    camera = api_world.outward
    camera.orientation = "inward"
    camera.save()
    client.force_login(api_world.user("operator"))
    response = client.get("/api/camera-shares/")
    rows = response.json()["results"]
    assert rows and all(r["camera"] is None and r["camera_name"] is None for r in rows)
    assert "Gerbang gudang" not in response.content.decode()


def test_view_record_for_owners_and_snapshot_is_recorded(client, api_world, settings):
    from apps.streams import frames

    frames.write_latest(api_world.outward.pk, b"\xff\xd8\xff\xe0jpeg")
    operator = device(api_world.user("operator"))
    response = operator.get(f"/api/cameras/{api_world.outward.pk}/snapshot/")
    assert response.status_code == 200 and response["Content-Type"] == "image/jpeg"
    assert response["Cache-Control"] == "no-store, private"
    assert operator.get(f"/api/cameras/{api_world.inward.pk}/snapshot/").status_code == 404
    cross = operator.get(f"/api/cameras/{api_world.outward.pk}/snapshot/",
                         HTTP_SEC_FETCH_SITE="cross-site")
    assert cross.status_code == 404
    client.force_login(api_world.user("kpu"))
    rows = client.get("/api/view-records/").json()["results"]
    assert [(r["camera"], r["viewer"], r["kind"]) for r in rows] == [
        (api_world.outward.pk, api_world.user("operator").pk, "snapshot")]
    client.force_login(api_world.world.b.users["kpu"])
    assert client.get("/api/view-records/").json()["results"] == []


def test_error_bodies_have_one_shape(client, api_world):
    client.force_login(api_world.user("kpu"))
    response = client.post("/api/camera-shares/", "not json",
                           content_type="application/json")
    assert response.status_code == 400
    assert response.json()["code"] == "parse_error"
    response = client.post("/api/camera-shares/", json.dumps([1, 2]),
                           content_type="application/json")
    assert response.status_code == 400 and response.json()["status"] == 400
