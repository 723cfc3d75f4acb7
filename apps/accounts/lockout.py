"""How django-axes identifies a login attempt: the person's username and the client address,
together (many officers share one address at a post, so an address alone never locks)."""

from __future__ import annotations

import math

from apps.accounts.models import normalise_username

MAX_USERNAME_LENGTH = 150


def attempted_username(request, credentials: dict | None = None) -> str:
    """The username as the login will read it: "Operator", "operator" and full-width
    "ｏｐｅｒａｔｏｒ" are one account, so they share one failure count."""
    value = (credentials or {}).get("username")
    if value is None and request is not None:
        value = getattr(request, "POST", {}).get("username")
    return normalise_username(str(value or ""))[:MAX_USERNAME_LENGTH]


def client_address(request) -> str:
    """The peer address as the server saw it. Forwarded-for headers are not read here: behind
    the proxy, Daphne's --proxy-headers sets the peer address from the one header it trusts."""
    return request.META.get("REMOTE_ADDR", "") if request is not None else ""


def lockout_response(request, original_response=None, credentials=None):
    """429 with a page that says how long to wait (axes' AXES_LOCKOUT_CALLABLE)."""
    from axes.helpers import get_cool_off
    from django.shortcuts import render

    cool_off = get_cool_off(request)
    minutes = max(1, math.ceil(cool_off.total_seconds() / 60)) if cool_off else 0
    response = render(request, "accounts/locked_out.html", {"cooloff_minutes": minutes},
                      status=429)
    if cool_off:
        response["Retry-After"] = str(int(cool_off.total_seconds()))
    return response
