"""The duty checks behind the alerts, run every minute by `apps.duty.tasks.check_guarding`.

Three conditions, each raised through `apps.alerts.services.alert_raise` with a dedup key so
that a condition seen again next minute counts as a repeat of its open alert, and each
resolved through `alert_clear` when a later run finds it ended (the post is back to its
standard, the guard checked in, someone was assigned):

- a post below its standard right now (fewer people checked in than required, or a required
  pillar missing): key ``duty:understaffed:post:<id>``;
- a missed check-in, DUTY_MISSED_CHECK_IN_MINUTES after a published shift started: key
  ``duty:missed:shift:<id>``, recorded once on the shift;
- an open slot (a shift with nobody assigned) starting within
  DUTY_UNASSIGNED_LOOKAHEAD_HOURS: key ``duty:unassigned:shift:<id>``, raised once;
- a guard checked in at a post with a lone-post check whose last "I am safe" (or check-in)
  is older than the post's interval: key ``duty:lone:shift:<id>``, cleared when the guard
  confirms (apps.duty.safety), checks out, or the shift ends.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Max
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import override

from apps.alerts.models import Alert
from apps.alerts.services import alert_clear, alert_raise, unresolved_keys
from apps.duty import coverage as cov
from apps.duty.loading import coverage_inputs
from apps.duty.models import Shift
from apps.places.models import Facility

# Repeats of a condition resolved this recently reopen its alert instead of a new one.
UNDERSTAFFED_COOLDOWN = timedelta(minutes=15)
# Missed check-ins older than this are history, not news (e.g. after downtime).
MISSED_LOOKBACK = timedelta(hours=12)


UNDERSTAFFED = "duty:understaffed:post:"
MISSED = "duty:missed:shift:"
UNASSIGNED = "duty:unassigned:shift:"
LONE = "duty:lone:shift:"
# A person who resolves a lone-post alert while the guard still has not confirmed is not
# asked again every minute: the repeat counts on it for this long.
LONE_COOLDOWN = timedelta(minutes=15)


@dataclass(frozen=True)
class CheckResult:
    understaffed: int
    missed: int
    unassigned: int
    cleared: int = 0
    lone_overdue: int = 0


def local_label(moment: datetime, facility: Facility) -> str:
    return date_format(timezone.localtime(moment, facility.zoneinfo), "H:i") + " " + (
        facility.region.zone_abbreviation
    )


def duty_checks_run(*, now: datetime | None = None) -> CheckResult:
    now = now or timezone.now()
    # Times are written in the facility's zone, in the default language's format.
    with override(settings.LANGUAGE_CODE):
        understaffed, understaffed_keys = _understaffed_posts(now)
        missed = _missed_check_ins(now)
        unassigned = _unassigned_slots(now)
        lone_keys = _lone_guards_overdue(now)
    cleared = (alert_clear(dedup_keys=unresolved_keys(UNDERSTAFFED) - understaffed_keys)
               + alert_clear(dedup_keys=_ended_shift_keys(MISSED, attendance__isnull=False))
               + alert_clear(dedup_keys=_ended_shift_keys(UNASSIGNED, person__isnull=False))
               + alert_clear(dedup_keys=unresolved_keys(LONE) - lone_keys))
    return CheckResult(understaffed=understaffed, missed=missed, unassigned=unassigned,
                       cleared=len(cleared), lone_overdue=len(lone_keys))


def check_in_recorded(shift: Shift) -> None:
    """The guard checked in: the shift's missed check-in alert resolves now, not at the next
    run (which finds the post's staffing from this check-in on)."""
    alert_clear(dedup_keys=[f"{MISSED}{shift.pk}"])


def lone_guard_confirmed(shift: Shift) -> None:
    """The guard said "I am safe": the shift's lone-post alert resolves now."""
    alert_clear(dedup_keys=[f"{LONE}{shift.pk}"])


def _ended_shift_keys(prefix: str, **ended) -> set[str]:
    """Keys of unresolved shift alerts whose shift now matches `ended`, or is gone."""
    keys = {int(key.removeprefix(prefix)): key for key in unresolved_keys(prefix)}
    if not keys:
        return set()
    shifts = Shift.objects.filter(pk__in=keys)
    still = set(shifts.exclude(**ended).values_list("pk", flat=True))
    return {key for shift_id, key in keys.items() if shift_id not in still}


def _understaffed_posts(now: datetime) -> tuple[int, set[str]]:
    """Posts whose requirement is not met at `now`, from the same arithmetic as the reports:
    how many, and their alert keys."""
    facilities = list(
        Facility.objects.filter(guard_posts__isnull=False, status=Facility.Status.ACTIVE)
        .distinct().select_related("region")
    )
    if not facilities:
        return 0, set()
    window = cov.Interval(now - timedelta(minutes=1), now)
    inputs = coverage_inputs(facilities=facilities, period=window, now=now)
    report = inputs.compute(now=now, include_hours=False)
    by_id = {f.pk: f for f in facilities}
    keys = set()
    for result in report.facilities:
        facility = by_id[result.facility_id]
        for post in result.posts:
            gap = next((g for g in post.gaps if g.end == window.end), None)
            if gap is None:
                continue
            key = f"{UNDERSTAFFED}{post.post_id}"
            alert_raise(
                kind=Alert.Kind.POST_UNDERSTAFFED,
                severity=Alert.Severity.CRITICAL if not gap.present else Alert.Severity.HIGH,
                facility=facility,
                dedup_key=key,
                params={"msg": "duty.understaffed", "post": inputs.post_names[post.post_id],
                        "present": gap.present or 0, "required": gap.required,
                        "pillars": sorted(p.upper() for p in gap.missing_pillars)},
                cooldown=UNDERSTAFFED_COOLDOWN,
            )
            keys.add(key)
    return len(keys), keys


def _missed_check_ins(now: datetime) -> int:
    grace = timedelta(minutes=settings.DUTY_MISSED_CHECK_IN_MINUTES)
    due = (
        Shift.objects.published()
        .filter(person__isnull=False, missed_check_in_at__isnull=True, attendance__isnull=True,
                start__lte=now - grace, start__gt=now - MISSED_LOOKBACK)
        .select_related("post__facility__region", "person")
    )
    raised = 0
    for shift in due:
        # Claim the shift first: a second runner (or a retry) finds nothing left to do.
        claimed = Shift.objects.filter(
            pk=shift.pk, missed_check_in_at__isnull=True, attendance__isnull=True
        ).update(missed_check_in_at=now)
        if not claimed:
            continue
        facility = shift.post.facility
        alert_raise(
            kind=Alert.Kind.MISSED_CHECK_IN,
            severity=Alert.Severity.HIGH,
            facility=facility,
            dedup_key=f"{MISSED}{shift.pk}",
            params={"msg": "duty.missed", "person": str(shift.person), "post": shift.post.name,
                    "start": local_label(shift.start, facility),
                    "minutes": settings.DUTY_MISSED_CHECK_IN_MINUTES},
        )
        raised += 1
    return raised


def _unassigned_slots(now: datetime) -> int:
    horizon = now + timedelta(hours=settings.DUTY_UNASSIGNED_LOOKAHEAD_HOURS)
    slots = list(
        Shift.objects.filter(person__isnull=True, start__gte=now - timedelta(hours=1),
                             start__lt=horizon)
        .select_related("post__facility__region")
    )
    # One alert per open slot: it says the same thing every minute until someone is assigned.
    keys = {shift.pk: f"{UNASSIGNED}{shift.pk}" for shift in slots}
    known = set(Alert.objects.filter(dedup_key__in=keys.values()).values_list("dedup_key",
                                                                              flat=True))
    raised = 0
    for shift in slots:
        if keys[shift.pk] in known:
            continue
        facility = shift.post.facility
        alert_raise(
            kind=Alert.Kind.UNASSIGNED_SHIFT,
            severity=Alert.Severity.MEDIUM,
            facility=facility,
            dedup_key=keys[shift.pk],
            params={"msg": "duty.unassigned", "post": shift.post.name,
                    "start": local_label(shift.start, facility)},
        )
        raised += 1
    return raised



def _lone_guards_overdue(now: datetime) -> set[str]:
    """Guards checked in at a lone-check post whose last sign of life (the check-in, or the
    latest "I am safe") is older than the post's interval: raised, and their keys."""
    on_post = (
        Shift.objects.filter(post__lone_check_minutes__isnull=False, person__isnull=False,
                             attendance__isnull=False, attendance__checked_out_at__isnull=True,
                             end__gt=now)
        .select_related("post__facility__region", "person", "attendance")
        .annotate(last_safe=Max("safety_confirmations__at"))
    )
    keys = set()
    for shift in on_post:
        checked_in = shift.attendance.checked_in_at
        last = max(checked_in, shift.last_safe or checked_in)
        minutes = shift.post.lone_check_minutes
        if now < last + timedelta(minutes=minutes):
            continue
        facility = shift.post.facility
        key = f"{LONE}{shift.pk}"
        alert_raise(
            kind=Alert.Kind.LONE_WORKER_OVERDUE,
            severity=Alert.Severity.HIGH,
            facility=facility,
            dedup_key=key,
            params={"msg": "duty.lone_overdue", "person": str(shift.person),
                    "post": shift.post.name, "since": local_label(last, facility),
                    "minutes": minutes},
            cooldown=LONE_COOLDOWN,
        )
        keys.add(key)
    return keys
