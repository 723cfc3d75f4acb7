"""The API documentation page in a real browser: Swagger UI from the portal's own static
files renders the operations, under the portal's Content-Security-Policy (no inline code),
without a single CSP violation or a request to another origin."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest

from tests.e2e.conftest import log_in

pytestmark = pytest.mark.e2e


def test_swagger_ui_renders_offline_under_the_csp(portal, browser):
    context, page = log_in(browser, portal, "kpu.karangsari")
    violations, requests = [], []
    page.on("console", lambda m: violations.append(m.text)
            if "Content Security Policy" in m.text or "Content-Security-Policy" in m.text
            else None)
    page.on("request", lambda r: requests.append(r.url))
    page.goto(f"{portal.url}/api/docs/")
    page.locator(".opblock").first.wait_for(timeout=20_000)
    assert page.locator(".opblock").count() > 40
    assert page.locator("text=/api/patrol-visits/").count() > 0
    assert violations == []
    origins = {urlsplit(u)._replace(path="", query="", fragment="").geturl() for u in requests
               if not u.startswith(("data:", "blob:"))}
    assert origins == {portal.url}
    context.close()
