"""Every URL of the portal against every kind of person, from one table.

A URL pattern without a row here fails `test_every_url_has_a_row`: a new view cannot ship
without its access decision. Forbidden and missing objects both answer 404."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from django.core.files.base import ContentFile
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from apps.alerts.models import Alert
from apps.alerts.services import alert_raise
from apps.cameras import frames
from apps.cameras.models import Camera, Orientation
from apps.cameras.services import share_grant

PEOPLE = ("anon", "operator", "field_polri", "kpu", "bawaslu", "admin", "operator_b")
LOGIN = "login"  # redirect to the login page


@dataclass(frozen=True)
class Row:
    args: Callable | None  # world -> reverse() args
    method: str
    data: dict | None
    expected: dict[str, int | str]


def _all(status, anon=LOGIN):
    return {p: (anon if p == "anon" else status) for p in PEOPLE}


def _obj(viewers: set[str], ok=200):
    return {p: (LOGIN if p == "anon" else ok if p in viewers else 404) for p in PEOPLE}


FACILITY = lambda w: [w.a.facilities["kpu_office"].pk]  # noqa: E731
OPERATION = lambda w: [w.a.operation.pk]  # noqa: E731
ALERT = lambda w: [w.a_alert.pk]  # noqa: E731
ALERT_VIEWERS = {"operator", "field_polri", "kpu", "admin"}
CAMERA = lambda w: [w.a_camera.pk]  # noqa: E731
SHARE = lambda w: [w.a_share.pk]  # noqa: E731
CAMERA_VIEWERS = {"operator", "kpu", "admin"}  # the Polsek officer's agency is not a grantee

TABLE: dict[str, Row] = {
    "core:home": Row(None, "get", None, _all(302)),
    "core:wall": Row(None, "get", None, _all(200)),
    "core:my_duty": Row(None, "get", None, _all(200)),
    "core:coverage": Row(None, "get", None, _all(200)),
    "core:healthz": Row(None, "get", None, _all(200, anon=200)),
    "accounts:login": Row(None, "get", None, _all(302, anon=200)),
    "accounts:logout": Row(None, "post", {}, _all(302, anon=302)),
    "accounts:profile": Row(None, "get", None, _all(200)),
    "accounts:password_change": Row(None, "get", None, _all(200)),
    "accounts:password_changed": Row(None, "get", None, _all(200)),
    "places:facilities": Row(None, "get", None, _all(200)),
    "places:my_facilities": Row(None, "get", None, _all(200)),
    "places:facility": Row(FACILITY, "get", None, _obj({"operator", "field_polri", "kpu",
                                                         "admin"})),
    "places:operations": Row(None, "get", None, _all(200)),
    "places:operation": Row(OPERATION, "get", None, _obj({"operator", "field_polri", "kpu",
                                                           "bawaslu", "admin"})),
    "alerts:feed": Row(None, "get", None, _all(200)),
    "alerts:since": Row(lambda w: [0], "get", None, _all(200)),
    "alerts:detail": Row(ALERT, "get", None, _obj(ALERT_VIEWERS)),
    "alerts:act": Row(ALERT, "post", {"action": "acknowledge"}, _obj({"operator"}, ok=302)),
    "alerts:evidence": Row(ALERT, "get", None, _obj(ALERT_VIEWERS)),
    "set_language": Row(None, "post", {"language": "en"}, _all(302, anon=302)),
    "cameras:detail": Row(CAMERA, "get", None, _obj(CAMERA_VIEWERS)),
    "cameras:snapshot": Row(CAMERA, "get", None, _obj(CAMERA_VIEWERS)),
    "cameras:edit": Row(CAMERA, "get", None, _obj({"kpu", "admin"})),
    "cameras:create": Row(FACILITY, "get", None, _obj({"kpu", "admin"})),
    "cameras:share": Row(CAMERA, "post", {}, _obj({"kpu", "admin"}, ok=302)),
    "cameras:revoke": Row(SHARE, "post", {"reason": "selesai"}, _obj({"kpu"}, ok=302)),
    "cameras:access_record": Row(None, "get", None, _all(200)),
}


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


@pytest.fixture
def world_with_alert(world):
    alert, _ = alert_raise(kind=Alert.Kind.OTHER, severity=Alert.Severity.HIGH,
                           facility=world.a.facilities["kpu_office"], dedup_key="t:a",
                           title="Paket mencurigakan")
    alert.evidence.save("e.jpg", ContentFile(b"\xff\xd8\xff\xe0jpeg"), save=True)
    world.a_alert = alert
    world.a_camera = Camera.objects.create(
        facility=world.a.facilities["warehouse"], name="Gerbang", source_kind="mjpeg",
        url="http://127.0.0.1:8554/mjpeg/gate", orientation=Orientation.OUTWARD)
    frames.write_latest(world.a_camera.pk, b"\xff\xd8\xff\xe0jpeg")
    world.a_share = share_grant(camera=world.a_camera, grantee=world.a.agencies["polres"],
                                basis="MoU", by=world.a.users["kpu"])
    return world


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
    response = getattr(client, row.method)(url, row.data or {})
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
    forbidden = client.get(reverse("places:facility", args=[world_with_alert.a.facilities[
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
    assert [a["id"] for a in alerts] == [world_with_alert.a_alert.pk]
