"""The OpenAPI schema validates, and the docs page works offline under the portal's CSP."""

from __future__ import annotations

import re

from django.conf import settings
from django.contrib.staticfiles import finders
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.validation import validate_schema


def test_the_schema_validates_against_the_openapi_3_specification():
    schema = SchemaGenerator().get_schema(request=None, public=True)
    validate_schema(schema)  # drf-spectacular's own check against the OpenAPI 3 JSON schema
    assert schema["openapi"].startswith("3.")
    assert "/api/patrol-visits/" in schema["paths"]
    assert "/api/sync/patrol-visits/" in schema["paths"]
    assert set(schema["components"]["securitySchemes"]) == {"token", "session"}


def test_the_schema_never_describes_camera_addresses_or_credentials():
    schema = SchemaGenerator().get_schema(request=None, public=True)
    camera = schema["components"]["schemas"]["Camera"]["properties"]
    assert not {"url", "substream_url", "username_token", "password_token"} & set(camera)
    checkpoint = schema["components"]["schemas"]["Checkpoint"]["properties"]
    assert "code" not in checkpoint


def test_the_schema_endpoint_serves_json_to_people_signed_in(client, world):
    assert client.get("/api/schema/").status_code == 401
    client.force_login(world.a.users["field_polri"])
    response = client.get("/api/schema/")
    assert response.status_code == 200
    assert response.json()["info"]["title"] == "Posko API"


def test_the_docs_page_uses_only_this_sites_static_files_and_no_inline_code(client, world):
    client.force_login(world.a.users["kpu"])
    response = client.get("/api/docs/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "<style" not in html and " style=" not in html and "javascript:" not in html
    scripts = re.findall(r"<script([^>]*)>(.*?)</script>", html, re.S)
    assert scripts and all('src="' in attrs and not body.strip() for attrs, body in scripts)
    assets = re.findall(r'(?:src|href)="([^"]+\.(?:js|css))"', html)
    assert any("swagger-ui-bundle.js" in a for a in assets)
    for asset in assets:
        assert asset.startswith(settings.STATIC_URL), asset  # no CDN, no other origin
        assert finders.find(asset.removeprefix(settings.STATIC_URL)), asset
    csp = response["Content-Security-Policy"]
    assert "unsafe-inline" not in csp and "script-src 'self'" in csp


def test_the_docs_page_needs_a_login(client, world):
    response = client.get("/api/docs/")
    assert response.status_code == 302 and "/akun/masuk/" in response["Location"]
