"""Guard duty reads for pages and exports. Everything starts from `policy.scope`."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404
from django.utils import timezone

from apps.access import policy
from apps.accounts.models import User
from apps.duty import coverage as cov
from apps.duty.loading import coverage_inputs
from apps.duty.models import Attendance, CoverageStandard, GuardPost, Shift
from apps.duty.services import EARLY_CHECK_IN
from apps.places.models import Facility

HANDOVER_LOOKBACK = timedelta(hours=12)
HANDOVER_WAVE = timedelta(hours=1)  # shifts ending this close together hand over together


# --- my duty ---------------------------------------------------------------------------------


@dataclass
class MyDuty:
    current: Shift | None
    next: Shift | None
    upcoming: list[Shift]
    recent: list[Shift]
    handover: list[Attendance]


_MY_SHIFTS = Shift.objects.select_related("post__facility__region", "attendance")


def my_duty_for(*, user: User, now: datetime | None = None) -> MyDuty:
    """The person's published shifts around now: the one to act on, the next, the week."""
    now = now or timezone.now()
    mine = policy.scope(user, _MY_SHIFTS.filter(person_id=user.pk), policy.Action.OPERATE)
    window = list(mine.filter(end__gt=now - timedelta(days=7), start__lt=now + timedelta(days=7)))
    current = None
    for shift in window:
        attendance = getattr(shift, "attendance", None)
        open_here = attendance is not None and attendance.checked_out_at is None
        if open_here or (shift.start - EARLY_CHECK_IN <= now < shift.end and (
                attendance is None)):
            current = shift
            break
    future = [s for s in window if s.start > now and s is not current]
    recent = [s for s in window if s.end <= now and s is not current][-10:]
    anchor = current or (future[0] if future else None)
    return MyDuty(
        current=current,
        next=future[0] if future else None,
        upcoming=future[:20],
        recent=list(reversed(recent)),
        handover=handover_notes_for(user=user, shift=anchor) if anchor else [],
    )


def handover_notes_for(*, user: User, shift: Shift) -> list[Attendance]:
    """Serah terima: the notes left at this post by the shift that handed over to this one,
    i.e. the shifts that ended last before (or while) this one began; earlier handovers have
    already been passed on."""
    notes = list(
        policy.scope(user, Attendance.objects.select_related("person", "shift"))
        .filter(post_id=shift.post_id, shift__start__lt=shift.start,
                shift__end__gt=shift.start - HANDOVER_LOOKBACK, shift__end__lte=shift.end)
        .exclude(handover_note="")
        .exclude(shift_id=shift.pk)
        .order_by("-shift__end", "-checked_out_at")[:10]
    )
    if not notes:
        return []
    last_end = notes[0].shift.end
    return [n for n in notes if n.shift.end > last_end - HANDOVER_WAVE][:5]


def attendance_with_photo_for(*, user: User, pk: int) -> Attendance:
    """A check-in photo `user` may open (policy.check_in_photos), else 404."""
    return get_object_or_404(policy.check_in_photos(user), pk=pk)


# --- posts and rosters -----------------------------------------------------------------------


def posts_for(*, user: User) -> QuerySet[GuardPost]:
    return policy.scope(user, GuardPost.objects.select_related("facility__region"))


def facilities_to_set_up(*, user: User) -> QuerySet[Facility]:
    """Facilities where the user may add posts."""
    return policy.duty_setup_facilities(user).select_related("region").order_by("name")


def rosterable_people(*, user: User) -> QuerySet[User]:
    """People of any security pillar and agency the planner may see (and so may roster)."""
    return (
        policy.rosterable_people(user)
        .select_related("agency")
        .order_by("agency__pillar", "agency__name", "full_name")
    )


@dataclass
class RosterDay:
    day: date
    shifts: list[Shift]


@dataclass
class RosterView:
    post: GuardPost
    first_day: date
    last_day: date
    days: list[RosterDay]
    drafts: int
    may_plan: bool
    roster_gaps: list[cov.Gap]
    standards: list[CoverageStandard]


def local_today(zone: ZoneInfo, now: datetime | None = None) -> date:
    return timezone.localtime(now or timezone.now(), zone).date()


def roster_for(*, user: User, post: GuardPost, first_day: date, last_day: date,
               now: datetime | None = None) -> RosterView:
    zone = post.facility.zoneinfo
    lo = datetime.combine(first_day, time(0), tzinfo=zone)
    hi = datetime.combine(last_day + timedelta(days=1), time(0), tzinfo=zone)
    shifts = list(
        policy.scope(user, Shift.objects.select_related("person__agency", "attendance"))
        .filter(post=post).overlapping(lo, hi).order_by("start", "id")
    )
    by_day: dict[date, list[Shift]] = defaultdict(list)
    for shift in shifts:
        by_day[timezone.localtime(shift.start, zone).date()].append(shift)
    days = []
    day = first_day
    while day <= last_day:
        days.append(RosterDay(day, by_day.get(day, [])))
        day += timedelta(days=1)
    may_plan = policy.may_plan_roster_at(user, post.facility)
    # The plan (drafts included) against the standard: what the Padal still has to fill.
    facility = post.facility
    inputs = coverage_inputs(facilities=[facility], period=cov.Interval(lo, hi),
                             now=now or timezone.now(), include_drafts=may_plan)
    report = inputs.compute(now=now or timezone.now(), include_hours=False)
    roster_gaps = list(report.facility(facility.pk).post(post.pk).roster_gaps)
    return RosterView(
        post=post, first_day=first_day, last_day=last_day, days=days,
        drafts=sum(1 for s in shifts if s.published_at is None),
        may_plan=may_plan, roster_gaps=roster_gaps,
        standards=list(post.standards.order_by("-valid_from", "band_start")),
    )
