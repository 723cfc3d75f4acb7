"""Helpers of the record views: their forms' errors and answers. (The offline queue of the
patrol page sends visits through the API, apps.api; incidents and checks are posted as the
forms they are.)"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _


def error_list(error: ValidationError | PermissionDenied) -> list[str]:
    if isinstance(error, ValidationError):
        return [str(m) for m in error.messages]
    return [str(error) or _("Not allowed.")]


def form_errors(form) -> list[str]:
    out = []
    for field, errors in form.errors.items():
        label = form.fields[field].label if field in form.fields else None
        out.extend(f"{label}: {e}" if label else str(e) for e in errors)
    return out


def flash_errors(request: HttpRequest, errors: list[str]) -> None:
    for error in errors:
        messages.error(request, error)


def apply_form(request: HttpRequest, form, action: Callable[[dict], object],
               success: str) -> bool:
    """Run `action(cleaned_data)` for a valid form and tell the person how it went."""
    if not form.is_valid():
        flash_errors(request, form_errors(form))
        return False
    try:
        action(form.cleaned_data)
    except (ValidationError, PermissionDenied) as error:
        flash_errors(request, error_list(error))
        return False
    messages.success(request, success)
    return True


def body_limited(view: Callable) -> Callable:
    """Refuse an oversized request before its body is parsed (photos are limited one by one
    as well): 413, without reading it into memory."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs):
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if length > settings.RECORDS_MAX_REQUEST_BYTES:
            message = _("Too much data in one entry: send fewer or smaller photos.")
            return HttpResponse(message, status=413, content_type="text/plain; charset=utf-8")
        return view(request, *args, **kwargs)

    return wrapper


THUMBNAIL_WIDTH = 240  # px: a picker tile on a phone, sharp on a 2x screen
