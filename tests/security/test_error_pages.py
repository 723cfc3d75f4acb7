"""Error pages in production: the portal's look and language, never a debug page (no URL
list, traceback, settings or paths), whatever the status."""

from __future__ import annotations

import logging

import pytest
from django.conf import settings
from django.test import Client as PlainClient
from django.urls import reverse

from tests.conftest import Client

# Words of Django's debug pages that must never reach a browser.
DEBUG_MARKERS = ("Traceback", "URLconf", "urlpatterns", "DEBUG = True", "Request Method",
                 "settings.py", "Django tried", "site-packages", str(settings.BASE_DIR))


@pytest.fixture(autouse=True)
def _error_urls(settings):
    settings.ROOT_URLCONF = "tests.security.urls_with_error"


def assert_portal_page(response, status: int, *texts: str) -> None:
    body = response.content.decode()
    assert response.status_code == status
    assert response["Content-Type"].startswith("text/html")
    assert "Posko" in body and "/static/css/posko.css" in body  # the portal's look
    for text in texts:
        assert text in body, text
    for marker in DEBUG_MARKERS:
        assert marker not in body, marker


def test_debug_is_off_in_the_settings_the_demo_runs_with():
    assert settings.DEBUG is False


def test_404_lists_nothing(client, world):
    assert_portal_page(client.get("/tidak-ada/"), 404, "Halaman tidak ditemukan",
                       'lang="id"')
    client.force_login(world.a.users["operator"])
    assert_portal_page(client.get(reverse("overview:facility", args=[999999])), 404,
                       "Halaman tidak ditemukan", "Ke halaman awal saya")


def test_404_in_english_on_request(client, world):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    assert_portal_page(client.get("/tidak-ada/"), 404, "Page not found", 'lang="en"')


def test_403(client, world):
    client.force_login(world.a.users["operator"])
    assert_portal_page(client.get("/dilarang/"), 403, "Akses ditolak", "Kesalahan 403")


def test_500_shows_a_reference_and_no_traceback(world, caplog):
    failing = Client(raise_request_exception=False)
    failing.force_login(world.a.users["operator"])
    with caplog.at_level(logging.ERROR):
        response = failing.get("/gagal/")
    assert_portal_page(response, 500, "Kesalahan 500")
    body = response.content.decode()
    assert "deliberate failure" not in body
    reference = body.split("<strong>")[1].split("</strong>")[0]
    assert len(reference) == 8
    assert any(reference in record.getMessage() and "/gagal/" in record.getMessage()
               for record in caplog.records)  # the administrator finds it in the log


def test_csrf_failure_explains_what_to_do(world):
    strict = PlainClient(enforce_csrf_checks=True)
    response = strict.post(reverse("accounts:login"), {"username": "x", "password": "y"})
    assert_portal_page(response, 403, "Formulir sudah kedaluwarsa", "muat ulang halaman")


def test_400_for_a_host_the_portal_does_not_serve(client):
    response = client.get("/", HTTP_HOST="evil.example")
    assert_portal_page(response, 400, "Permintaan tidak valid")


def test_429_login_pause_in_the_portal_frame(client, world, settings):
    settings.AXES_FAILURE_LIMIT = 2
    for _ in range(3):
        response = client.post(reverse("accounts:login"),
                               {"username": "operator_a", "password": "wrong"})
    assert_portal_page(response, 429, "Kesalahan 429")
    assert response["Retry-After"]
