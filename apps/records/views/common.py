"""Helpers of the record views: answers for the offline queue (JSON) and for plain forms."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.translation import gettext as _


def wants_json(request: HttpRequest) -> bool:
    """The field pages' queue asks for JSON; a plain form post (no JavaScript) does not."""
    return "application/json" in request.headers.get("Accept", "")


def error_list(error: ValidationError | PermissionDenied) -> list[str]:
    if isinstance(error, ValidationError):
        return [str(m) for m in error.messages]
    return [str(error) or _("Not allowed.")]


def error_code(error: ValidationError | PermissionDenied) -> str:
    if isinstance(error, PermissionDenied):
        return "forbidden"
    codes = [getattr(e, "code", None) for e in getattr(error, "error_list", [error])]
    return next((c for c in codes if c), "invalid")


def refused(request: HttpRequest, error: ValidationError | PermissionDenied) -> JsonResponse:
    """A refused entry: the queue keeps it, marked refused, with the reason. A refusal is
    final (400/409), unlike a lost connection or an expired session (retried later)."""
    code = error_code(error)
    status = 409 if code == "key_conflict" else 400
    return JsonResponse({"ok": False, "code": code, "errors": error_list(error)}, status=status)


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
            if wants_json(request):
                return JsonResponse({"ok": False, "code": "too_large", "errors": [message]},
                                    status=413)
            return HttpResponse(message, status=413, content_type="text/plain; charset=utf-8")
        return view(request, *args, **kwargs)

    return wrapper


THUMBNAIL_WIDTH = 240  # px: a picker tile on a phone, sharp on a 2x screen
