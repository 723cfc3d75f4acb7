"""The live wall works on any port in embedded mode, and a refused origin is said plainly:
in the log, by /healthz and on the live pages (apps.core.origins)."""

from __future__ import annotations

import asyncio
import logging

import pytest
from django.core.cache import cache
from django.urls import reverse

from apps.core import origins
from tests.live.conftest import connect, live_world  # noqa: F401 - fixtures

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _no_refusals_yet():
    cache.delete(origins.REFUSED_KEY)
    yield
    cache.delete(origins.REFUSED_KEY)


def test_serve_adopts_the_origins_of_its_port(settings):
    settings.SITE_ORIGINS_CONFIGURED = False
    adopted = origins.adopt_serving_origins(host="127.0.0.1", port=8123)
    assert adopted == ["http://127.0.0.1:8123", "http://localhost:8123"]
    assert settings.SITE_ORIGINS == settings.CSRF_TRUSTED_ORIGINS == adopted
    connect_src = settings.CONTENT_SECURITY_POLICY["DIRECTIVES"]["connect-src"]
    assert "ws://127.0.0.1:8123" in connect_src and "ws://127.0.0.1:8000" not in connect_src


def test_configured_origins_are_kept_and_the_port_added(settings):
    settings.SITE_ORIGINS_CONFIGURED = True
    settings.SITE_ORIGINS = ["https://posko.example.go.id"]
    settings.ALLOWED_HOSTS = ["posko.example.go.id", ".example.go.id"]
    adopted = origins.adopt_serving_origins(host="0.0.0.0", port=9000)  # noqa: S104
    assert adopted == ["https://posko.example.go.id", "http://posko.example.go.id:9000"]


def test_the_live_socket_opens_from_the_served_port(settings, live_world, connect):  # noqa: F811
    settings.SITE_ORIGINS_CONFIGURED = False
    origins.adopt_serving_origins(host="127.0.0.1", port=8123)
    operator = live_world.a.users["operator"]

    async def scenario():
        comm, connected = await connect(operator, origin="http://127.0.0.1:8123")
        assert connected
        await comm.disconnect()
        _comm, connected = await connect(operator, origin="http://127.0.0.1:8000")
        assert not connected  # the default's port is no longer the site's

    asyncio.run(scenario())


def test_a_refused_origin_is_logged_and_named_by_healthz(client, live_world, connect,  # noqa: F811
                                                          caplog):
    operator = live_world.a.users["operator"]

    async def scenario():
        for _ in range(3):
            _comm, connected = await connect(operator, origin="http://127.0.0.1:8080")
            assert not connected

    with caplog.at_level(logging.WARNING, logger="apps.core.origins"):
        asyncio.run(scenario())
    warnings = [r.getMessage() for r in caplog.records if r.name == "apps.core.origins"]
    assert len(warnings) == 1  # once per origin and hour, not once per retry
    assert "http://127.0.0.1:8080 is not one of SITE_ORIGINS" in warnings[0]

    public = client.get(reverse("core:healthz")).json()["components"]["origins"]
    assert public["ok"] is True  # a stranger's page must not make the portal unhealthy
    assert "3" in public["status"] and "check SITE_ORIGINS" in public["status"]
    ok, detail = origins.check()
    assert ok and detail["refused"][0]["origin"] == "http://127.0.0.1:8080"
    assert detail["refused"][0]["count"] == 3


def test_the_live_pages_know_when_their_origin_is_refused(settings, client, live_world):  # noqa: F811
    client.force_login(live_world.a.users["operator"])
    for name in ("live:wall", "alerts:feed"):
        body = client.get(reverse(name)).content.decode()
        assert 'data-origin-allowed="false"' in body, name
        assert "Koneksi ditolak untuk asal http://testserver — periksa SITE_ORIGINS" in body
    settings.SITE_ORIGINS = [*settings.SITE_ORIGINS, "http://testserver"]
    assert 'data-origin-allowed="true"' in client.get(reverse("live:wall")).content.decode()
