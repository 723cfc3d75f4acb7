"""One shape for every error the API answers:

    {"status": 400, "code": "overlap",
     "detail": "This person is already on a shift that overlaps this time.",
     "errors": {"start": ["…"], "items.0.kind": ["…"]}}

`code` is stable for programs, `detail` is for people (in the request's language), `errors`
names the fields (nested ones with dotted paths) when there are any. The services' own
ValidationError and PermissionDenied arrive here as 400 and 403; a missing object and one
the person may not see are the same 404.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from django.utils.translation import gettext as _
from rest_framework import exceptions, serializers
from rest_framework.fields import get_error_detail
from rest_framework.views import exception_handler as drf_exception_handler


class ErrorSerializer(serializers.Serializer):
    status = serializers.IntegerField()
    code = serializers.CharField()
    detail = serializers.CharField()
    errors = serializers.DictField(child=serializers.ListField(child=serializers.CharField()),
                                   required=False)


def exception_handler(exc, context):
    if isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(detail=get_error_detail(exc))
    elif isinstance(exc, Http404 | exceptions.NotFound):
        exc = exceptions.NotFound()  # one body for every 404: it names no model, no reason
    response = drf_exception_handler(exc, context)
    if response is None:
        return None  # a real bug: Django's 500 handling (logged, generic page)
    response.data = error_body(response.status_code, exc, response.data)
    return response


def error_body(status: int, exc: Exception, data) -> dict:
    if isinstance(exc, exceptions.ValidationError):
        errors = flatten(data)
        codes = flatten(exc.get_codes())
        messages = [m for ms in errors.values() for m in ms]
        all_codes = {c for cs in codes.values() for c in cs}
        code = all_codes.pop() if len(all_codes) == 1 else "invalid"
        if len(messages) == 1:
            detail = messages[0]
        else:
            detail = _("The request is not valid: see the errors of each field.")
        return {"status": status, "code": code, "detail": detail, "errors": errors}
    detail = data.get("detail", "") if isinstance(data, dict) else str(data)
    code = getattr(detail, "code", None) or getattr(exc, "default_code", "error")
    return {"status": status, "code": str(code), "detail": str(detail)}


def flatten(data, prefix: str = "") -> dict[str, list[str]]:
    """DRF's nested error structure as {"dotted.path": [messages]}."""
    out: dict[str, list[str]] = {}
    if isinstance(data, dict):
        for key, value in data.items():
            out.update(flatten(value, f"{prefix}.{key}" if prefix else str(key)))
    elif isinstance(data, list) and any(isinstance(v, dict | list) for v in data):
        for index, value in enumerate(data):
            if value:
                out.update(flatten(value, f"{prefix}.{index}" if prefix else str(index)))
    elif isinstance(data, list):
        out[prefix or "non_field_errors"] = [str(v) for v in data]
    else:
        out[prefix or "non_field_errors"] = [str(data)]
    return out
