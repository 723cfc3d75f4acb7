"""What the browser is told on every kind of response, and CSRF on every form (security plan
T-CFG-3, T-E2E-1 statically)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client as PlainClient
from django.urls import reverse

from apps.cameras.models import Orientation
from apps.cameras.services import share_grant
from apps.streams import frames
from tests.access.test_url_matrix import TABLE, _person
from tests.cameras.conftest import make_camera
from tests.conftest import Client

pytestmark = pytest.mark.usefixtures("shared_media")


@pytest.fixture
def world(world_with_alert):
    """The URL table's shared cast: one per module (see tests.conftest.module_db)."""
    return world_with_alert

ROOT = Path(settings.BASE_DIR)


def _csp(response) -> dict[str, list[str]]:
    header = response["Content-Security-Policy"]
    return {part.split()[0]: part.split()[1:] for part in header.split(";") if part.strip()}


def assert_browser_headers(response, *, authenticated: bool) -> None:
    csp = _csp(response)
    assert csp["default-src"] == ["'self'"]
    assert csp["script-src"] == ["'self'"]
    assert "'unsafe-inline'" not in csp.get("style-src", [])
    assert csp["frame-ancestors"] == ["'none'"]
    assert csp["object-src"] == ["'none'"]
    assert csp["base-uri"] == ["'self'"]
    assert csp["form-action"] == ["'self'"]
    assert set(csp["img-src"]) == {"'self'", "data:", "blob:"}
    assert set(csp["media-src"]) == {"'self'", "blob:"}
    assert "'self'" in csp["connect-src"]
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["X-Frame-Options"] == "DENY"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"
    if authenticated:
        assert "no-store" in response["Cache-Control"]
        assert "Cookie" in response["Vary"]


@pytest.fixture
def snapshot_camera(world):
    # One stream source is one camera: the helper gives this camera its own address.
    camera = make_camera(world.a, "kpu_office", Orientation.OUTWARD, "Gerbang browser")
    share_grant(camera=camera, grantee=world.a.agencies["polres"], basis="MoU",
                by=world.a.users["kpu"])
    frames.write_latest(camera.pk, b"\xff\xd8\xff\xe0jpeg")
    return camera


def test_headers_on_every_kind_of_response(client, world, snapshot_camera, settings):
    settings.ROOT_URLCONF = "tests.security.urls_with_error"
    anonymous = {
        "login page": client.get(reverse("accounts:login")),
        "admin login": client.get("/admin/login/"),
        "JSON health": client.get(reverse("core:healthz")),
        "404": client.get("/tidak-ada/"),
        "static file": client.get("/static/css/posko.css"),
    }
    for kind, response in anonymous.items():
        assert response.status_code in (200, 404, 503), kind
        assert_browser_headers(response, authenticated=False)

    client.force_login(world.a.users["operator"])
    failing = Client(raise_request_exception=False)
    failing.force_login(world.a.users["operator"])
    signed_in = {
        "page": client.get(reverse("overview:facilities")),
        "JSON": client.get(reverse("alerts:since", args=[0])),
        "snapshot JPEG": client.get(reverse("cameras:snapshot", args=[snapshot_camera.pk])),
        "404": client.get(reverse("overview:facility", args=[999999])),
        "500": failing.get("/gagal/"),
        "redirect": client.get(reverse("overview:home")),
    }
    image = signed_in.pop("snapshot JPEG")
    assert image["Content-Type"] == "image/jpeg"
    # A private image is no page: nothing in it may load or run (apps.core.private_files).
    assert _csp(image) == {"default-src": ["'none'"], "sandbox": []}
    assert image["X-Content-Type-Options"] == "nosniff" and "no-store" in image["Cache-Control"]
    assert signed_in["500"].status_code == 500
    assert "deliberate" not in signed_in["500"].content.decode()  # no stack trace
    for kind, response in signed_in.items():
        assert response.status_code in (200, 302, 404, 500), kind
        assert_browser_headers(response, authenticated=True)


def test_hsts_and_secure_cookies_over_https(world, settings):
    settings.SECURE_HSTS_SECONDS = 31_536_000
    settings.SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    settings.SESSION_COOKIE_SECURE = settings.CSRF_COOKIE_SECURE = True
    settings.SESSION_COOKIE_NAME = "__Host-sessionid"
    settings.CSRF_COOKIE_NAME = "__Host-csrftoken"
    client = Client()
    page = client.get(reverse("accounts:login"), secure=True)
    assert page["Strict-Transport-Security"].startswith("max-age=31536000")
    login = client.post(reverse("accounts:login"),
                        {"username": "field_polri_a", "password": "a-long-test-password-2026"},
                        secure=True)
    cookie = login.cookies["__Host-sessionid"]
    assert cookie["secure"] and cookie["httponly"] and cookie["samesite"] == "Lax"
    assert cookie["path"] == "/" and not cookie["domain"]
    csrf = page.cookies["__Host-csrftoken"]
    assert csrf["secure"] and csrf["httponly"]
    assert "Strict-Transport-Security" not in PlainClient().get(reverse("accounts:login"))


POST_ROWS = sorted(name for name, row in TABLE.items() if row.method == "post")


@pytest.mark.parametrize("name", POST_ROWS)
def test_every_form_needs_its_csrf_token(world_with_alert, name):
    row = TABLE[name]
    who = next((p for p, outcome in row.expected.items() if p != "anon" and outcome != 404),
               "operator")
    client = Client(enforce_csrf_checks=True)
    client.force_login(_person(world_with_alert, who))
    url = reverse(name, args=row.args(world_with_alert) if row.args else None)
    assert client.post(url, row.data or {}).status_code == 403
    assert client.post(url, row.data or {}, headers={"Origin": "https://evil.example"}
                       ).status_code == 403


def test_login_form_needs_its_csrf_token(world):
    client = PlainClient(enforce_csrf_checks=True)
    response = client.post(reverse("accounts:login"),
                           {"username": "field_polri_a", "password": "a-long-test-password-2026"})
    assert response.status_code == 403


INLINE = [
    (re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.I), "inline <script>"),
    (re.compile(r"\sstyle\s*=", re.I), "style attribute"),
    (re.compile(r"<style", re.I), "<style> element"),
    (re.compile(r"\son[a-z]+\s*=", re.I), "event-handler attribute"),
    (re.compile(r"javascript:", re.I), "javascript: URL"),
]


def test_templates_have_nothing_the_csp_would_block():
    templates = [*ROOT.glob("templates/**/*.html"), *ROOT.glob("apps/*/templates/**/*.html")]
    assert templates
    found = [f"{path.relative_to(ROOT)}: {what}" for path in templates
             for pattern, what in INLINE if pattern.search(path.read_text())]
    assert found == []


def test_scripts_do_not_evaluate_strings():
    scripts = list(ROOT.glob("static/**/*.js"))
    found = [str(p) for p in scripts
             if re.search(r"\beval\(|new Function\(|\.innerHTML\s*=|setTimeout\(\s*['\"]",
                          p.read_text())]
    assert found == []
