"""A person's devices for notifications (turn on here, list, remove) and acknowledging an
alert from a notification.

Subscribing is a signed-in POST with the CSRF token (static/js/notifications.js). The
service worker that shows a notification has no session to speak of, so "Acknowledge" posts
the notification's own token instead: signed, short-lived, for one person and one alert, and
accepted once."""

from __future__ import annotations

import base64
import binascii
import json

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core import signing
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from apps.access import policy
from apps.accounts.models import User
from apps.alerts.models import Alert
from apps.alerts.services import alert_acknowledge
from apps.core.netguard import UrlRejected
from apps.notifications import sending, webpush
from apps.notifications.models import PushAttempt, PushSubscription

MAX_BODY = 8 * 1024


@login_required
def devices(request: HttpRequest) -> HttpResponse:
    own = policy.scope(request.user, PushSubscription.objects.filter(user=request.user),
                       policy.Action.MANAGE)
    public_key = webpush.public_key(settings.VAPID_PRIVATE_KEY) if sending.enabled() else ""
    return render(request, "notifications/devices.html",
                  {"subscriptions": own, "public_key": public_key})


def _key(value: object, length: int) -> str:
    """A base64url key of `length` bytes, or ValueError."""
    if not isinstance(value, str) or len(value) > 200:
        raise ValueError
    try:
        raw = base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))
    except (binascii.Error, ValueError):
        raise ValueError from None
    if len(raw) != length:
        raise ValueError
    return value


@login_required
@require_POST
def subscribe(request: HttpRequest) -> JsonResponse:
    """Keep this device's subscription (JSON: PushSubscription.toJSON()); a device that
    subscribed for someone else before (a shared phone) is now this person's."""
    if not sending.enabled():
        return JsonResponse({"error": _("Notifications are not set up on this portal.")},
                            status=503)
    if len(request.body) > MAX_BODY:
        return JsonResponse({"error": "too large"}, status=400)
    try:
        data = json.loads(request.body)
        endpoint = data["endpoint"]
        p256dh = _key(data["keys"]["p256dh"], 65)
        auth = _key(data["keys"]["auth"], 16)
        if not isinstance(endpoint, str):
            raise ValueError
        sending.check_endpoint(endpoint)
    except UrlRejected as rejected:
        return JsonResponse({"error": rejected.reason}, status=400)
    except (ValueError, KeyError, TypeError):
        return JsonResponse({"error": "bad subscription"}, status=400)
    device = request.headers.get("User-Agent", "")[:200]
    subscription, _created = PushSubscription.objects.update_or_create(
        endpoint=endpoint, defaults={"user": request.user, "p256dh": p256dh, "auth": auth,
                                     "device": device, "created_at": timezone.now()})
    return JsonResponse({"id": subscription.pk}, status=201)


@login_required
@require_POST
def remove(request: HttpRequest, pk: int) -> HttpResponse:
    subscription = policy.get_or_404(request.user, PushSubscription.objects.all(),
                                     policy.Action.MANAGE, pk=pk)
    subscription.delete()
    messages.success(request, _("Notifications turned off on that device."))
    return redirect("notifications:devices")


@csrf_exempt  # the token is the proof: the service worker has no CSRF token to send
@require_POST
def acknowledge(request: HttpRequest) -> HttpResponse:
    try:
        claim = sending.read_ack_token(request.POST.get("token", ""))
        alert_id, user_id, nonce = int(claim["a"]), int(claim["u"]), str(claim["n"])
    except (signing.BadSignature, KeyError, TypeError, ValueError):
        return HttpResponse(status=403)
    with transaction.atomic():
        used = PushAttempt.objects.filter(
            ack_nonce=nonce, user_id=user_id, alert_id=alert_id, ack_used_at__isnull=True,
        ).exclude(ack_nonce="").update(ack_used_at=timezone.now())
        user = User.objects.filter(pk=user_id, is_active=True).first()
        alert = Alert.objects.filter(pk=alert_id).first()
        if not used or user is None or alert is None:
            return HttpResponse(status=403)
        try:
            alert_acknowledge(alert=alert, user=user, comment=_("From a notification."))
        except PermissionDenied:
            return HttpResponse(status=403)
    return HttpResponse(status=204)
