"""Guard duty writes: posts and standards, rosters, check-in/check-out.

Every function asks the access policy first and raises PermissionDenied or ValidationError;
views turn those into form errors. Nobody is ever on two overlapping shifts: PostgreSQL's
exclusion constraint (migration 0002) is the guarantee under concurrency, and the same check
runs here first inside the write transaction, which is exact on SQLite (BEGIN IMMEDIATE holds
the database's write lock) and gives a friendly message on PostgreSQL.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from typing import TypeVar
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, OperationalError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.access import policy
from apps.accounts.models import User
from apps.core.photos import photo_normalise
from apps.core.timing import device_time_window
from apps.duty.alerting import check_in_recorded
from apps.duty.models import MAX_SHIFT, Attendance, CoverageStandard, GuardPost, Shift
from apps.places.models import Facility

T = TypeVar("T")

# Name of the PostgreSQL exclusion constraint (migration 0002).
OVERLAP_CONSTRAINT = "duty_shift_person_no_overlap"

# A guard may check in this long before the shift starts (to take over the post).
EARLY_CHECK_IN = timedelta(minutes=30)
# Leaving within this many minutes of the planned end is not "early".
EARLY_LEAVE_TOLERANCE = timedelta(minutes=5)
MAX_ROSTER_DAYS = 62
# Generated rosters give everyone at least this much rest between two shifts.
MIN_REST = timedelta(hours=8)


def _overlap_error() -> ValidationError:
    return ValidationError(
        _("This person is already on a shift that overlaps this time."), code="overlap"
    )


def _is_overlap_violation(error: IntegrityError) -> bool:
    cause = error.__cause__
    constraint = getattr(getattr(cause, "diag", None), "constraint_name", None)
    return constraint == OVERLAP_CONSTRAINT or OVERLAP_CONSTRAINT in str(error)


# --- posts and standards ---------------------------------------------------------------------


def _require(user: User, action: policy.Action, obj) -> None:
    if not policy.can(user, action, obj):
        raise PermissionDenied(_("You may not change this roster."))


@transaction.atomic
def post_create(*, facility: Facility, by: User, name: str, description: str = "",
                is_main: bool = False, lone_check_minutes: int | None = None) -> GuardPost:
    """A new post. A facility's first post is always its main post (it carries the
    operation's standard); a later post marked main takes over from the old one."""
    if not policy.may_set_up_posts_at(by, facility):
        raise PermissionDenied(_("You may not add posts here."))
    mains = GuardPost.objects.filter(facility=facility, is_main=True)
    is_main = is_main or not mains.exists()
    post = GuardPost(facility=facility, name=name.strip(), description=description.strip(),
                     is_main=is_main, lone_check_minutes=lone_check_minutes)
    post.full_clean(exclude=["is_main"] if is_main else None)
    if is_main:
        mains.update(is_main=False)
    post.save()
    return post


@transaction.atomic
def standard_add(*, post: GuardPost, by: User, band_start: time, band_end: time,
                 min_personnel: int, required_pillars: Sequence[str], valid_from: datetime,
                 valid_until: datetime | None = None, note: str = "") -> CoverageStandard:
    _require(by, policy.Action.MANAGE, post)
    standard = CoverageStandard(
        post=post, band_start=band_start, band_end=band_end, min_personnel=min_personnel,
        required_pillars=sorted(set(required_pillars)), valid_from=valid_from,
        valid_until=valid_until, note=note.strip(), created_by=by,
    )
    standard.full_clean()
    standard.save()
    return standard


@transaction.atomic
def standard_end(*, standard: CoverageStandard, by: User, at: datetime | None = None
                 ) -> CoverageStandard:
    """End a standard (history stays): from `at` on, the post's other standards or the
    operation's default apply."""
    _require(by, policy.Action.MANAGE, standard)
    at = at or timezone.now()
    if standard.valid_until is not None and standard.valid_until <= at:
        return standard
    if at <= standard.valid_from:
        standard.delete()  # never in force: nothing to keep
        return standard
    standard.valid_until = at
    standard.save(update_fields=["valid_until"])
    return standard


# --- shifts ----------------------------------------------------------------------------------


def _validate_times(start: datetime, end: datetime) -> None:
    if timezone.is_naive(start) or timezone.is_naive(end):
        raise ValidationError(_("Times must carry a time zone."), code="naive")
    if end <= start:
        raise ValidationError(_("A shift must end after it starts."), code="order")
    if end - start > MAX_SHIFT:
        raise ValidationError(_("A shift cannot be longer than 24 hours."), code="too_long")


def _check_person(by: User, person: User | None) -> str:
    """The person's pillar, after checking they may be rostered by `by`."""
    if person is None:
        return ""
    if not policy.rosterable_people(by).filter(pk=person.pk).exists():
        raise ValidationError(_("This person cannot be put on this roster."), code="person")
    return person.agency.pillar


def _assert_free(person_id: int | None, start: datetime, end: datetime,
                 exclude_pk: int | None = None) -> None:
    if person_id is None:
        return
    clash = Shift.objects.filter(person_id=person_id).overlapping(start, end)
    if exclude_pk is not None:
        clash = clash.exclude(pk=exclude_pk)
    if clash.exists():
        raise _overlap_error()


# Concurrent writers of overlapping shifts can deadlock inside PostgreSQL's exclusion check
# (each waits for the other's row); the victim tries again and then meets the other's row as
# an ordinary overlap.
DEADLOCK_ATTEMPTS = 3


def _is_deadlock(error: OperationalError) -> bool:
    return getattr(error.__cause__, "sqlstate", None) == "40P01"


def _save_guarded(save: Callable[[], T]) -> T:
    """Run `save` in its own (sub)transaction; an exclusion violation becomes a form error.

    On SQLite the outermost atomic() begins with BEGIN IMMEDIATE (settings), so the overlap
    SELECT inside `save` and its INSERT/UPDATE happen under one write lock."""
    attempts = 0
    while True:
        attempts += 1
        try:
            with transaction.atomic():
                return save()
        except IntegrityError as error:
            if _is_overlap_violation(error):
                raise _overlap_error() from None
            raise
        except OperationalError as error:
            if attempts >= DEADLOCK_ATTEMPTS or not _is_deadlock(error):
                raise


def _require_planner(user: User, post: GuardPost) -> None:
    if not policy.may_plan_roster_at(user, post.facility):
        raise PermissionDenied(_("You may not change this roster."))


def shift_create(*, post: GuardPost, by: User, start: datetime, end: datetime,
                 person: User | None = None, note: str = "", publish: bool = False) -> Shift:
    _require_planner(by, post)
    _validate_times(start, end)
    pillar = _check_person(by, person)
    now = timezone.now()
    shift = Shift(
        post=post, person=person, pillar=pillar, start=start, end=end, note=note.strip(),
        published_at=now if publish else None, created_by=by, updated_by=by,
        created_at=now, updated_at=now,
    )

    def save() -> None:
        _assert_free(shift.person_id, start, end)
        shift.save()

    _save_guarded(save)
    return shift


def shift_update(*, shift: Shift, by: User, start: datetime, end: datetime,
                 person: User | None, note: str = "") -> Shift:
    _require(by, policy.Action.MANAGE, shift)
    _validate_times(start, end)
    if hasattr(shift, "attendance") and (person != shift.person):
        raise ValidationError(
            _("Someone already checked in on this shift: it cannot go to another person."),
            code="attended",
        )
    pillar = _check_person(by, person) if person != shift.person else shift.pillar
    shift.start, shift.end, shift.person, shift.pillar = start, end, person, pillar
    shift.note, shift.updated_by, shift.updated_at = note.strip(), by, timezone.now()

    def save() -> None:
        _assert_free(shift.person_id, start, end, exclude_pk=shift.pk)
        shift.save()

    _save_guarded(save)
    return shift


@transaction.atomic
def shift_delete(*, shift: Shift, by: User) -> None:
    _require(by, policy.Action.MANAGE, shift)
    if Attendance.objects.filter(shift=shift).exists():
        raise ValidationError(_("Someone checked in on this shift: it stays on record."),
                              code="attended")
    shift.delete()


class Pattern(StrEnum):
    THREE_EIGHT = "3x8"
    TWO_TWELVE = "2x12"
    CUSTOM = "custom"


def pattern_segments(pattern: str, *, first_start: time | None = None,
                     custom: Sequence[tuple[time, time]] = ()) -> list[tuple[time, time]]:
    """Daily (start, end) wall-clock pairs; an end not after its start is on the next day."""
    if pattern == Pattern.CUSTOM:
        if not custom:
            raise ValidationError(_("Give at least one shift, e.g. 07:00-15:00."), code="custom")
        return list(custom)
    if pattern not in (Pattern.THREE_EIGHT, Pattern.TWO_TWELVE):
        raise ValidationError(_("Unknown shift pattern."), code="pattern")
    hours = 8 if pattern == Pattern.THREE_EIGHT else 12
    base = datetime.combine(date(2000, 1, 1), first_start or time(7, 0))
    return [
        ((base + timedelta(hours=hours * k)).time(),
         (base + timedelta(hours=hours * (k + 1))).time())
        for k in range(24 // hours)
    ]


def roster_slots(*, zone: ZoneInfo, first_day: date, last_day: date,
                 segments: Sequence[tuple[time, time]]) -> list[tuple[datetime, datetime]]:
    """Shift times for each local day from `first_day` to `last_day` (both included).

    Wall-clock times in the facility's zone: a 22:00–06:00 shift ends at 06:00 local time the
    next day whatever the zone's offset does in between."""
    if last_day < first_day:
        raise ValidationError(_("The last day is before the first."), code="range")
    if (last_day - first_day).days + 1 > MAX_ROSTER_DAYS:
        raise ValidationError(_("Plan at most %(days)d days at once.") % {"days": MAX_ROSTER_DAYS},
                              code="range")
    out = []
    day = first_day
    while day <= last_day:
        for seg_start, seg_end in segments:
            start = datetime.combine(day, seg_start, tzinfo=zone)
            end_day = day if seg_end > seg_start else day + timedelta(days=1)
            end = datetime.combine(end_day, seg_end, tzinfo=zone)
            _validate_times(start, end)
            out.append((start, end))
        day += timedelta(days=1)
    return out


@dataclass(frozen=True)
class GenerateResult:
    created: int
    open_slots: int  # slots left without a person (no one given, or the person was busy)
    conflicts: int  # of those, slots whose person was busy then or would lack rest
    skipped: int  # shift times already planned at this post


def roster_generate(*, post: GuardPost, by: User, first_day: date, last_day: date,
                    segments: Sequence[tuple[time, time]], per_shift: int,
                    people: Sequence[User] = (), replace_drafts: bool = False,
                    ) -> GenerateResult:
    """Plan shifts at `post` for every local day in the range, as drafts.

    `people` are split, in order, into teams of `per_shift`; successive shifts go to
    successive teams, round and round (with 3 teams on 3×8 each team keeps its time of day).
    A person already busy at that time, or who would get less than MIN_REST between two
    shifts, leaves the slot open rather than failing the whole plan; a time already planned
    at this post (as many shifts as `per_shift`) is skipped."""
    _require_planner(by, post)
    if not 1 <= per_shift <= 20:
        raise ValidationError(_("Between 1 and 20 personnel per shift."), code="per_shift")
    zone = post.facility.zoneinfo
    slots = roster_slots(zone=zone, first_day=first_day, last_day=last_day, segments=segments)
    pillars = {p.pk: _check_person(by, p) for p in people}
    teams = [list(people[i:i + per_shift]) for i in range(0, len(people), per_shift)] or [[]]
    range_start, range_end = slots[0][0], max(end for _s, end in slots)
    now = timezone.now()

    def plan() -> GenerateResult:
        window = Shift.objects.overlapping(range_start, range_end)
        if replace_drafts:
            window.filter(post=post, published_at__isnull=True).delete()
        planned = defaultdict(int)
        for start, end in window.filter(post=post).values_list("start", "end"):
            planned[(start, end)] += 1
        busy: dict[int, list[tuple[datetime, datetime]]] = defaultdict(list)
        rest_window = Shift.objects.overlapping(range_start - MIN_REST, range_end + MIN_REST)
        for person_id, start, end in rest_window.filter(person_id__in=list(pillars)).values_list(
            "person_id", "start", "end"
        ):
            busy[person_id].append((start, end))
        new: list[Shift] = []
        open_slots = conflicts = skipped = 0
        for index, (start, end) in enumerate(slots):
            missing = per_shift - planned[(start, end)]
            if missing <= 0:
                skipped += 1
                continue
            team = teams[index % len(teams)]
            for k in range(missing):
                person = team[k] if k < len(team) else None
                if person is not None and any(
                    s < end + MIN_REST and start < e + MIN_REST for s, e in busy[person.pk]
                ):
                    person, conflicts = None, conflicts + 1
                if person is None:
                    open_slots += 1
                else:
                    busy[person.pk].append((start, end))
                new.append(Shift(
                    post=post, person=person, pillar=pillars.get(person.pk, "") if person else "",
                    start=start, end=end, created_by=by, updated_by=by, created_at=now,
                    updated_at=now,
                ))
        Shift.objects.bulk_create(new)
        return GenerateResult(len(new), open_slots, conflicts, skipped)

    try:
        return _save_guarded(plan)
    except ValidationError:
        # Only a concurrent writer can get here (the plan avoids known overlaps).
        raise ValidationError(
            _("The roster changed while it was being planned; nothing was saved. Try again."),
            code="overlap",
        ) from None


@transaction.atomic
def roster_publish(*, post: GuardPost, by: User, first_day: date | None = None,
                   last_day: date | None = None) -> int:
    """Publish the post's draft shifts (in the local date range, if given): the people on
    them see them from now on. Returns how many were published."""
    _require_planner(by, post)
    drafts = Shift.objects.filter(post=post, published_at__isnull=True)
    zone = post.facility.zoneinfo
    if first_day is not None:
        drafts = drafts.filter(start__gte=datetime.combine(first_day, time(0), tzinfo=zone))
    if last_day is not None:
        drafts = drafts.filter(
            start__lt=datetime.combine(last_day + timedelta(days=1), time(0), tzinfo=zone)
        )
    now = timezone.now()
    return drafts.update(published_at=now, updated_at=now, updated_by=by)


# --- check-in and check-out ------------------------------------------------------------------


def _minutes(delta: timedelta) -> int:
    return max(0, math.floor(delta.total_seconds() / 60))


def attendance_check_in(*, shift: Shift, user: User, device_time: datetime | None = None,
                        latitude=None, longitude=None, accuracy_m: int | None = None,
                        photo=None, now: datetime | None = None) -> Attendance:
    """Check in on one's own published shift, from 30 minutes before it starts until it ends.
    A check-in more than DUTY_LATE_AFTER_MINUTES after the start is recorded as late."""
    if not policy.can(user, policy.Action.OPERATE, shift):
        raise PermissionDenied(_("This is not your shift."))
    now = now or timezone.now()
    # What a phone may claim: security test plan T-IN-13, decision 5 (apps.core.timing).
    timing = device_time_window(device_time, now=now)
    at = timing.occurred_at
    if at < shift.start - EARLY_CHECK_IN:
        raise ValidationError(_("Too early: check in at most 30 minutes before your shift."),
                              code="early")
    if at >= shift.end:
        raise ValidationError(_("This shift has already ended."), code="ended")
    late_after = timedelta(minutes=settings.DUTY_LATE_AFTER_MINUTES)
    attendance = Attendance(
        shift=shift, person=user, post_id=shift.post_id, pillar=shift.pillar,
        checked_in_at=at, check_in_received_at=now, check_in_device_time=device_time,
        check_in_delayed=timing.delayed,
        late_minutes=_minutes(at - shift.start) if at > shift.start + late_after else 0,
        latitude=latitude, longitude=longitude, accuracy_m=accuracy_m,
    )
    if photo is not None:
        content = photo_normalise(photo).content
        attendance.photo.save(content.name, content, save=False)
    try:
        with transaction.atomic():
            attendance.save()
            check_in_recorded(shift)
    except IntegrityError:
        if attendance.photo:
            attendance.photo.delete(save=False)
        raise ValidationError(_("You already checked in on this shift."),
                              code="duplicate") from None
    return attendance


def attendance_check_out(*, attendance: Attendance, user: User,
                         device_time: datetime | None = None, handover_note: str = "",
                         now: datetime | None = None) -> Attendance:
    """Check out and leave the handover note (serah terima) for the next shift. Leaving more
    than 5 minutes before the planned end is recorded as early leave."""
    if not policy.can(user, policy.Action.OPERATE, attendance):
        raise PermissionDenied(_("This is not your shift."))
    now = now or timezone.now()
    timing = device_time_window(device_time, now=now)
    at = timing.occurred_at
    if at < attendance.checked_in_at:
        raise ValidationError(_("Check-out cannot be before check-in."), code="order")
    shift_end = attendance.shift.end
    early = _minutes(shift_end - at) if at < shift_end - EARLY_LEAVE_TOLERANCE else 0
    note = handover_note.strip()
    # A conditional update: a second check-out (double tap, resend) changes nothing.
    updated = Attendance.objects.filter(pk=attendance.pk, checked_out_at__isnull=True).update(
        checked_out_at=at, check_out_received_at=now, check_out_device_time=device_time,
        check_out_delayed=timing.delayed, early_leave_minutes=early, handover_note=note,
    )
    if not updated:
        raise ValidationError(_("You already checked out."), code="duplicate")
    attendance.refresh_from_db()
    return attendance



@transaction.atomic
def post_set_lone_check(*, post: GuardPost, by: User, minutes: int | None) -> GuardPost:
    """Turn the post's lone-post check on (every `minutes`) or off (None)."""
    _require(by, policy.Action.MANAGE, post)
    post.lone_check_minutes = minutes
    post.full_clean(exclude=["facility", "name", "is_main"])
    post.save(update_fields=["lone_check_minutes"])
    return post
