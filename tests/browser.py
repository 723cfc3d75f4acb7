"""Debian's Chromium, signed in as a person of the cast, for the tests that drive a page of
the test's live server (the journey suite starts its own portal instead)."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connections
from django.test import Client

from tests.conftest import verify_otp

CHROMIUM = "/usr/bin/chromium"


@contextmanager
def signed_in_context(live_server, user, *, profile: Path | None = None,
                      **context_options) -> Iterator[object]:
    """A browser context carrying the session of `user`, logged in past both steps; the
    test is skipped where Chromium is not installed. With `profile` (an empty folder) it is
    the browser's own profile instead of a private one: what the desktop hands back (a
    notification's click) reaches only a profile it can name again."""
    if not shutil.which(CHROMIUM):
        pytest.skip("Debian's chromium is not installed")
    from playwright.sync_api import sync_playwright

    client = Client()
    client.force_login(user)
    verify_otp(client, user)
    options = {"executable_path": CHROMIUM,
               "args": ["--headless=new", "--no-sandbox", "--disable-gpu"]}
    with sync_playwright() as playwright:
        if profile is None:
            browser = playwright.chromium.launch(**options)
            context = browser.new_context(**context_options)
        else:
            context = browser = playwright.chromium.launch_persistent_context(
                profile, **options, **context_options)
        try:
            context.add_cookies([{
                "name": settings.SESSION_COOKIE_NAME, "url": live_server.url,
                "value": client.cookies[settings.SESSION_COOKIE_NAME].value}])
            yield context
        finally:
            # The test's ORM calls beside Playwright's event loop get connections of their
            # own: closed here, or the test database cannot be dropped at the session's end.
            connections.close_all()
            browser.close()
