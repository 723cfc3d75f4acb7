"""Idempotency keys: a device that resends a write (it never saw the answer) gets the first
answer again, never a second record.

Field records (visits, patrols, incidents, warehouse checks) carry their own key, `client_key`
(a UUID), enforced by a unique column in apps.records; the `Idempotency-Key` header may give
it instead. Other writes a device may resend (check-in and check-out, ending a patrol,
signing, workflow steps, shares) keep their first successful answer here for
API_IDEMPOTENCY_HOURS under the header's key: the same key with the same request replays it
(header `Idempotent-Replayed: true`); with another request, or while the first is still
running, it is a 409.
"""

from __future__ import annotations

import functools
import hashlib
import json
import re
from datetime import timedelta
from uuid import UUID

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiParameter
from rest_framework import exceptions, serializers
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response

from apps.api.models import IdempotentRequest

HEADER = "Idempotency-Key"
_KEY = re.compile(r"[\x21-\x7e]{1,100}")
STALE_CLAIM = timedelta(minutes=5)

PARAMETER = OpenApiParameter(
    HEADER, str, OpenApiParameter.HEADER, required=False,
    description="Any unique string (a UUID is best), the same on every resend of this "
                "request: a resend gets the first answer again.",
)
RECORD_PARAMETER = OpenApiParameter(
    HEADER, UUID, OpenApiParameter.HEADER, required=False,
    description="The entry's key (a UUID), when the body has no `client_key`.",
)


class Conflict(exceptions.APIException):
    status_code = 409
    default_code = "idempotency_conflict"
    default_detail = _("This Idempotency-Key was already used for another request.")


def _header_key(request) -> str | None:
    key = request.headers.get(HEADER)
    if key is None:
        return None
    if not _KEY.fullmatch(key):
        raise exceptions.ValidationError(
            {HEADER: [_("Use 1 to 100 visible ASCII characters.")]}, code="invalid")
    return key


def _fingerprint(request) -> str:
    body = json.dumps(request.data, sort_keys=True, default=str)
    return hashlib.sha256(f"{request.method} {request.path}\n{body}".encode()).hexdigest()


def idempotent(view_method):
    """Wrap a viewset action that writes: see the module docstring."""

    @functools.wraps(view_method)
    def wrapper(self, request, *args, **kwargs):
        key = _header_key(request)
        if key is None:
            return view_method(self, request, *args, **kwargs)
        fingerprint = _fingerprint(request)
        try:
            with transaction.atomic():
                claim = IdempotentRequest.objects.create(
                    user=request.user, key=key, method=request.method,
                    path=request.path[:255], fingerprint=fingerprint)
        except IntegrityError:
            return _replay(request, key, fingerprint)
        try:
            # The write and its remembered answer commit together, or neither does.
            with transaction.atomic():
                response = view_method(self, request, *args, **kwargs)
                if 200 <= response.status_code < 300:
                    # The rendered JSON, so a replay is the same document.
                    stored = json.loads(JSONRenderer().render(response.data) or b"null")
                    IdempotentRequest.objects.filter(pk=claim.pk).update(
                        status_code=response.status_code, response=stored)
                    return response
        except BaseException:
            IdempotentRequest.objects.filter(pk=claim.pk).delete()
            raise
        # A refusal is not remembered: the device may fix the request and send it again.
        IdempotentRequest.objects.filter(pk=claim.pk).delete()
        return response

    return wrapper


def _replay(request, key: str, fingerprint: str) -> Response:
    first = IdempotentRequest.objects.filter(user=request.user, key=key).first()
    if first is None or first.fingerprint != fingerprint:
        raise Conflict()
    if first.status_code is None:
        if timezone.now() - first.created_at > STALE_CLAIM:
            # Its process died mid-request (the write rolled back with it): let a resend run.
            IdempotentRequest.objects.filter(pk=first.pk, status_code__isnull=True).delete()
        raise Conflict(_("The first request with this Idempotency-Key is still running."),
                       code="idempotency_in_progress")
    return Response(first.response, status=first.status_code,
                    headers={"Idempotent-Replayed": "true"})


def record_key(request, body_key: UUID | None) -> UUID:
    """The client_key of a field record: from the body, or else the Idempotency-Key header
    (which must then be a UUID); both given must agree."""
    header = request.headers.get(HEADER)
    header_key = None
    if header is not None:
        try:
            header_key = UUID(header.strip())
        except ValueError:
            raise serializers.ValidationError(
                {HEADER: [_("For field records the key is a UUID.")]}, code="invalid"
            ) from None
    if body_key is not None and header_key is not None and body_key != header_key:
        raise serializers.ValidationError(
            {"client_key": [_("client_key and the Idempotency-Key header differ.")]},
            code="invalid")
    key = body_key or header_key
    if key is None:
        raise serializers.ValidationError(
            {"client_key": [_("Send a client_key (a UUID made on the device), or an "
                              "Idempotency-Key header.")]}, code="required")
    return key


def prune(*, now=None) -> int:
    now = now or timezone.now()
    cutoff = now - timedelta(hours=settings.API_IDEMPOTENCY_HOURS)
    deleted, _rows = IdempotentRequest.objects.filter(created_at__lt=cutoff).delete()
    return deleted
