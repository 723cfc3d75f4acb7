"""The demo's two-step login in the browser: the demo's TOTP key is published (demo mode only)."""

from __future__ import annotations

import time

from django_otp.oath import totp

from apps.demo.builder import DEMO_TOTP_KEY_HEX


def complete_otp_step(page, username: str) -> None:
    field = page.locator("input[name=code]")
    if field.count() == 0:
        return
    for _attempt in range(2):
        field.fill(f"{totp(bytes.fromhex(DEMO_TOTP_KEY_HEX)):06d}")
        page.click("main form.stack button[type=submit]")
        page.wait_for_load_state()
        field = page.locator("input[name=code]")
        if field.count() == 0:
            return
        # A code is accepted once per 30-second step (replay protection): wait for the next.
        time.sleep(31 - time.time() % 30)
    raise AssertionError(f"two-step login failed for {username}")
