"""Field safety: the panic button (tombol darurat) and the lone-post check ("Saya aman").

A panic press raises a critical alert of kind `panic` at the place the officer is at: the post
of the shift they are on now, else the facility of their last patrol visit (within
VISIT_LOOKBACK), else the facility of their agency's region nearest to the location they sent
(one under a running operation when they sent none). The operators and post commanders of
that region hear it whether or not an operation runs there (apps.access.policy). Every press
by one person merges into their open panic alert (its location is the latest sent); once
someone has acknowledged that alert, a new press is a new emergency and raises a new alert
(sounded, pushed and escalated as the first was) while the acknowledged one stays with whoever
is on it. Each press is kept as a PanicPress, found again by its client key when the phone
resends it.

A lone-post check is the post's `lone_check_minutes`: the guard checked in there confirms
"I am safe" within it, or the minute check raises an alert (apps.duty.alerting).
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta
from decimal import Decimal
from uuid import UUID

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from apps.access import policy
from apps.accounts.models import User
from apps.alerts import fanout
from apps.alerts.models import Alert
from apps.alerts.services import alert_raise
from apps.duty.alerting import local_label, lone_guard_confirmed
from apps.duty.models import Attendance, GuardPost, PanicPress, SafetyConfirmation, Shift
from apps.places.models import Facility
from apps.records.models import PatrolVisit

PANIC = "duty:panic:person:"
VISIT_LOOKBACK = timedelta(hours=12)
# More presses than this in the window are refused (a stuck button or a script), not raised:
# the person's panic alert is already open and the command center is on it.
PANIC_LIMIT = 5
PANIC_WINDOW = timedelta(minutes=5)


class PanicRateLimited(Exception):
    def __init__(self, retry_after: int):
        super().__init__(retry_after)
        self.retry_after = retry_after


def _where(user: User, now: datetime, lat: Decimal | None, lon: Decimal | None
           ) -> tuple[Facility | None, GuardPost | None, str]:
    attendance = (Attendance.objects.filter(person=user, checked_out_at__isnull=True,
                                            shift__end__gt=now)
                  .select_related("post__facility__region").order_by("-checked_in_at").first())
    if attendance is not None:
        return attendance.post.facility, attendance.post, "shift"
    shift = (Shift.objects.published().filter(person=user, start__lte=now, end__gt=now)
             .select_related("post__facility__region").first())
    if shift is not None:
        return shift.post.facility, shift.post, "shift"
    visit = (PatrolVisit.objects.filter(recorded_by=user, occurred_at__gt=now - VISIT_LOOKBACK)
             .select_related("facility__region").order_by("-occurred_at").first())
    if visit is not None:
        return visit.facility, None, "visit"
    if user.agency_id is None:
        return None, None, ""
    in_region = list(Facility.objects.filter(
        region__path__startswith=user.agency.region.path, status=Facility.Status.ACTIVE,
    ).select_related("region"))
    if not in_region:
        return None, None, ""
    if lat is not None and lon is not None:
        placed = [f for f in in_region if f.latitude is not None and f.longitude is not None]
        if placed:
            return min(placed, key=lambda f: _distance(f, lat, lon)), None, "region"
    covered = set(policy.scope(user, Facility.objects.filter(
        pk__in=[f.pk for f in in_region])).values_list("pk", flat=True))
    return min(in_region, key=lambda f: (f.pk not in covered, f.name)), None, "region"


def _distance(facility: Facility, lat: Decimal, lon: Decimal) -> float:
    """Equirectangular distance (enough to pick the nearest facility of one region)."""
    x = math.radians(float(facility.longitude - lon)) * math.cos(math.radians(float(lat)))
    y = math.radians(float(facility.latitude - lat))
    return math.hypot(x, y)


def panic_press(*, user: User, client_key: UUID, latitude: Decimal | None = None,
                longitude: Decimal | None = None, accuracy_m: int | None = None,
                device_time: datetime | None = None) -> tuple[PanicPress, bool]:
    """Raise (or add to) the person's panic alert. Returns (press, created): a resend of the
    same client key returns the first press, created False."""
    existing = PanicPress.objects.filter(client_key=client_key).select_related("alert").first()
    if existing is not None:
        if existing.person_id != user.pk:
            raise ValidationError(_("This key was already used."), code="key_used")
        return existing, False
    if not policy.may_press_panic(user):
        raise PermissionDenied(_("Only security staff have the panic button."))
    now = timezone.now()
    recent = list(PanicPress.objects.filter(person=user, received_at__gt=now - PANIC_WINDOW)
                  .order_by("received_at").values_list("received_at", flat=True))
    if len(recent) >= PANIC_LIMIT:
        raise PanicRateLimited(math.ceil((recent[0] + PANIC_WINDOW - now).total_seconds()))
    if (latitude is None) != (longitude is None):
        latitude = longitude = accuracy_m = None  # half a location is none
    facility, post, located_by = _where(user, now, latitude, longitude)
    if facility is None:
        raise ValidationError(_("No facility of your region is known to send this to."),
                              code="no_place")
    with translation.override(settings.LANGUAGE_CODE):
        time = local_label(now, facility)
    params = {"msg": "duty.panic", "person": str(user), "place": facility.name,
              "post": post.name if post else "", "time": time, "located_by": located_by,
              "lat": None if latitude is None else str(latitude),
              "lon": None if longitude is None else str(longitude), "accuracy": accuracy_m}
    try:
        with transaction.atomic():
            alert, raised = alert_raise(
                kind=Alert.Kind.PANIC, severity=Alert.Severity.CRITICAL, facility=facility,
                dedup_key=_panic_key(user, client_key), params=params)
            press = PanicPress.objects.create(
                client_key=client_key, person=user, facility=facility, post=post,
                located_by=located_by, alert=alert, received_at=now, device_time=device_time,
                latitude=latitude, longitude=longitude, accuracy_m=accuracy_m)
    except IntegrityError:  # the same key sent twice at once: the other request won
        return PanicPress.objects.select_related("alert").get(client_key=client_key), False
    if not raised:
        # A repeat writes no history line, so nothing would tell the open pages: show them
        # the new press (count, time, location) at once.
        transaction.on_commit(lambda: fanout.push_alert(alert.pk))
    return press, True


def _panic_key(user: User, client_key: UUID) -> str:
    """The dedup key of this press: the person's unresolved panic alert's while nobody has
    acknowledged it (the press merges into it), else a key of its own (a new alert). Runs in
    the press's transaction, which first locks the person: two presses at once decide one
    after the other, so they cannot open two new alerts."""
    User.objects.select_for_update().filter(pk=user.pk).exists()
    first = f"{PANIC}{user.pk}"
    latest = (Alert.objects.filter(kind=Alert.Kind.PANIC)
              .filter(Q(dedup_key=first) | Q(dedup_key__startswith=f"{first}:"))
              .exclude(state=Alert.State.RESOLVED).order_by("-first_raised_at", "-pk")
              .values_list("dedup_key", "state").first())
    if latest is None:
        return first
    key, state = latest
    return key if state == Alert.State.OPEN else f"{first}:{client_key}"


def safe_confirm(*, shift: Shift, user: User, latitude: Decimal | None = None,
                 longitude: Decimal | None = None,
                 accuracy_m: int | None = None) -> SafetyConfirmation:
    """"Saya aman": only the guard checked in on this lone-check shift may say it."""
    if not policy.lone_check_shifts(user).filter(pk=shift.pk).exists():
        raise PermissionDenied(_("Only the guard on this shift at this post may confirm."))
    with transaction.atomic():
        confirmation = SafetyConfirmation.objects.create(
            shift=shift, person=user, post_id=shift.post_id, at=timezone.now(),
            latitude=latitude, longitude=longitude, accuracy_m=accuracy_m)
        lone_guard_confirmed(shift)
    return confirmation


def safe_status(shift: Shift, *, now: datetime | None = None) -> dict | None:
    """For the guard's page: when the last confirmation was and when the next is due."""
    minutes = shift.post.lone_check_minutes
    attendance = getattr(shift, "attendance", None)
    if not minutes or attendance is None or attendance.checked_out_at is not None:
        return None
    now = now or timezone.now()
    last = shift.safety_confirmations.order_by("-at").values_list("at", flat=True).first()
    last = max(attendance.checked_in_at, last or attendance.checked_in_at)
    due = last + timedelta(minutes=minutes)
    return {"minutes": minutes, "last": last, "due": due, "overdue": now >= due}
