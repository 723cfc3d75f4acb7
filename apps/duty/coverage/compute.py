"""The entry point: sort the inputs by post, then one timeline per facility (and per post).

Presence without check-out ends at ``min(now, cap)`` where cap is the planned shift end plus
``missing_checkout_grace`` (or check-in plus ``missing_checkout_cap`` when the shift is
unknown); if the cap was what ended it, a ``missing-checkout`` flag is raised. Presence is
never counted beyond ``now``.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import NamedTuple

from apps.duty.coverage.calendar import LocalCalendar, Requirement, post_requirements
from apps.duty.coverage.intervals import (
    MICROSECOND,
    US_PER_MINUTE,
    Interval,
    Span,
    from_micros,
    merge_spans,
    spans_to_intervals,
    subtract_spans,
    to_micros,
)
from apps.duty.coverage.model import (
    DEFAULT_MISSING_CHECKOUT_CAP,
    DEFAULT_MISSING_CHECKOUT_GRACE,
    CameraUp,
    CoverageReport,
    FacilityCoverage,
    FacilityInput,
    Flag,
    Gap,
    PostCoverage,
    Presence,
    Shift,
    Standard,
)
from apps.duty.coverage.people import PersonRecord, merge_people
from apps.duty.coverage.timeline import Timeline


class _Clock(NamedTuple):
    """The report period [lo, hi), ``now`` and the observed-until instant, in microseconds."""

    lo: int
    hi: int
    now: int
    obs: int  # clamp(now, period): presence is counted up to here


@dataclass(slots=True)
class _ByPost:
    """The inputs of the listed posts, clipped to the period, with the flags found so far."""

    standards: dict[Hashable, list[Standard]]
    roster: dict[Hashable, list[PersonRecord]]
    present: dict[Hashable, list[PersonRecord]]
    flags: dict[Hashable, list[Flag]]  # by facility


def compute_coverage(
    facilities: Sequence[FacilityInput],
    standards: Iterable[Standard],
    shifts: Iterable[Shift],
    presences: Iterable[Presence],
    period: Interval,
    now: datetime,
    camera_up: Iterable[CameraUp] | None = None,
    *,
    missing_checkout_grace: timedelta = DEFAULT_MISSING_CHECKOUT_GRACE,
    missing_checkout_cap: timedelta = DEFAULT_MISSING_CHECKOUT_CAP,
    include_hours: bool = True,
    post_hours: bool = False,
    summary_only: bool = False,
) -> CoverageReport:
    """Required vs rostered vs present guarding for ``facilities`` over ``period``.

    With ``summary_only`` each facility gets its percentages and minutes only: its gaps,
    roster gaps, unobserved time and posts are left empty (a fifth of the work, for a
    reader of the percentages alone such as the daily report).

    Rows for posts not listed in ``facilities`` are ignored, so callers may over-fetch.
    Presence is counted only up to ``now``; the roster over the whole period.

    A presence without check-out ends at ``now`` while it is plausibly still running, and at
    its cap otherwise (flagged ``missing-checkout``). The cap is the planned end of its shift
    plus ``missing_checkout_grace``; when the presence has no known shift, or checked in after
    that moment, it is check-in plus ``missing_checkout_cap``.
    """
    # No garbage-collector tricks here: gc.disable() is process-wide, and a report built in
    # one thread of a threaded server must not change how every other thread runs.
    clock = _clock(period, now)
    post_fac = _facility_of_posts(facilities)
    flags: dict[Hashable, list[Flag]] = {f.facility_id: [] for f in facilities}
    standards_by_post = _standards_by_post(standards, post_fac)
    roster, shift_end = _roster_by_post(shifts, post_fac, clock, flags)
    cutoff = _CheckoutCutoff(
        missing_checkout_grace // MICROSECOND, missing_checkout_cap // MICROSECOND, shift_end
    )
    by_post = _ByPost(
        standards=standards_by_post,
        roster=roster,
        present=_presence_by_post(presences, post_fac, cutoff, clock, flags),
        flags=flags,
    )
    cameras = None if camera_up is None else _camera_spans(camera_up, clock)
    lo_dt, hi_dt = from_micros(clock.lo), from_micros(clock.hi)
    calendars: dict[str, LocalCalendar] = {}
    results: list[FacilityCoverage] = []
    for fac in facilities:
        cal = calendars.get(fac.tz)
        if cal is None:
            cal = calendars[fac.tz] = LocalCalendar(fac.tz, lo_dt, hi_dt)
        results.append(
            _facility_coverage(fac, cal, by_post, clock, cameras, include_hours, post_hours,
                               summary_only)
        )
    return CoverageReport(
        period=Interval(lo_dt, hi_dt),
        now=from_micros(clock.now),
        observed_until=from_micros(clock.obs),
        camera_data_used=cameras is not None,
        facilities=tuple(results),
        flags=tuple(f for fac in facilities for f in flags[fac.facility_id]),
    )


def _clock(period: Interval, now: datetime) -> _Clock:
    lo, hi = to_micros(period.start, "period.start"), to_micros(period.end, "period.end")
    now_us = to_micros(now, "now")
    return _Clock(lo, hi, now_us, min(max(now_us, lo), hi))


def _facility_of_posts(facilities: Sequence[FacilityInput]) -> dict[Hashable, Hashable]:
    """Post id to facility id; a facility listed twice or a shared post is a caller's bug."""
    post_fac: dict[Hashable, Hashable] = {}
    if len({f.facility_id for f in facilities}) != len(facilities):
        raise ValueError("facility listed twice")
    for fac in facilities:
        for post in fac.post_ids:
            if post in post_fac:
                raise ValueError(f"post {post!r} belongs to two facilities")
            post_fac[post] = fac.facility_id
    return post_fac


def _standards_by_post(
    standards: Iterable[Standard], post_fac: dict[Hashable, Hashable]
) -> dict[Hashable, list[Standard]]:
    out: dict[Hashable, list[Standard]] = {}
    for st in standards:
        if st.post_id in post_fac:
            out.setdefault(st.post_id, []).append(st)
    return out


def _record_flag(
    kind: str,
    facility_id: Hashable,
    record: Shift | Presence,
    start: datetime | None,
    end: datetime | None,
    detail: str,
) -> Flag:
    return Flag(kind, facility_id, record.post_id, record.person_id, record.shift_id, start, end,
                detail)


def _roster_by_post(
    shifts: Iterable[Shift],
    post_fac: dict[Hashable, Hashable],
    clock: _Clock,
    flags: dict[Hashable, list[Flag]],
) -> tuple[dict[Hashable, list[PersonRecord]], dict[Hashable, int]]:
    """Valid shifts clipped to the period, by post, and every valid shift's planned end (for
    capping forgotten check-outs, whether or not the shift touches the period)."""
    shift_end: dict[Hashable, int] = {}
    roster: dict[Hashable, list[PersonRecord]] = {}
    for sh in shifts:
        fac_id = post_fac.get(sh.post_id)
        if fac_id is None:
            continue
        s, e = to_micros(sh.start, "Shift.start"), to_micros(sh.end, "Shift.end")
        if e <= s:
            flags[fac_id].append(_record_flag("invalid-shift", fac_id, sh, sh.start, sh.end,
                                              "shift ends before it starts: ignored"))
            continue
        shift_end[sh.shift_id] = e
        s, e = max(s, clock.lo), min(e, clock.hi)
        if s < e:
            roster.setdefault(sh.post_id, []).append(
                (sh.person_id, s, e, sh.pillar, sh.post_id, sh.shift_id)
            )
    return roster, shift_end


class _CheckoutCutoff(NamedTuple):
    """How a presence without check-out is ended: grace after its shift, else a cap."""

    grace_us: int
    cap_us: int
    shift_end: dict[Hashable, int]

    def cap(self, pr: Presence, check_in: int) -> tuple[int, str]:
        """The latest plausible end of an open presence, and what it was based on."""
        planned = self.shift_end.get(pr.shift_id) if pr.shift_id is not None else None
        if planned is not None and planned + self.grace_us > check_in:
            return planned + self.grace_us, "planned shift end + grace"
        return check_in + self.cap_us, "check-in + cap (no usable shift)"


def _presence_by_post(
    presences: Iterable[Presence],
    post_fac: dict[Hashable, Hashable],
    cutoff: _CheckoutCutoff,
    clock: _Clock,
    flags: dict[Hashable, list[Flag]],
) -> dict[Hashable, list[PersonRecord]]:
    """Valid presences clipped to the observed window, by post."""
    present: dict[Hashable, list[PersonRecord]] = {}
    for pr in presences:
        fac_id = post_fac.get(pr.post_id)
        if fac_id is None:
            continue
        ci = to_micros(pr.check_in, "Presence.check_in")
        co = _presence_end(pr, ci, cutoff, clock, flags[fac_id], fac_id)
        if co is None:
            continue
        s, e = max(ci, clock.lo), min(co, clock.obs)
        if s < e:
            present.setdefault(pr.post_id, []).append(
                (pr.person_id, s, e, pr.pillar, pr.post_id, pr.shift_id)
            )
    return present


def _presence_end(
    pr: Presence,
    ci: int,
    cutoff: _CheckoutCutoff,
    clock: _Clock,
    flags: list[Flag],
    fac_id: Hashable,
) -> int | None:
    """When the presence ended (its check-out, ``now``, or its cap); None when it is invalid
    and ignored. Invalid and capped presences are flagged."""
    if pr.check_out is not None:
        co = to_micros(pr.check_out, "Presence.check_out")
        if co >= ci:
            return co
        flags.append(_record_flag("invalid-presence", fac_id, pr, pr.check_in, pr.check_out,
                                  "check-out before check-in: ignored"))
        return None
    if ci > clock.now:
        flags.append(_record_flag("invalid-presence", fac_id, pr, pr.check_in, None,
                                  "check-in after now: ignored"))
        return None
    cap, basis = cutoff.cap(pr, ci)
    if cap >= clock.now:
        return clock.now  # still plausibly on duty
    # Only worth a flag when the forgotten check-out touches the report period.
    if ci < clock.hi and clock.now > clock.lo:
        flags.append(_record_flag("missing-checkout", fac_id, pr, pr.check_in, from_micros(cap),
                                  f"no check-out; presence capped at {basis}"))
    return cap


def _camera_spans(camera_up: Iterable[CameraUp], clock: _Clock) -> dict[Hashable, list[Span]]:
    """Camera uptime clipped to the observed window, by facility."""
    cameras: dict[Hashable, list[Span]] = {}
    for cam in camera_up:
        s = max(to_micros(cam.start, "CameraUp.start"), clock.lo)
        e = min(to_micros(cam.end, "CameraUp.end"), clock.obs)
        if s < e:
            cameras.setdefault(cam.facility_id, []).append((s, e))
    return cameras


def _facility_coverage(
    fac: FacilityInput,
    cal: LocalCalendar,
    by_post: _ByPost,
    clock: _Clock,
    cameras: dict[Hashable, list[Span]] | None,
    include_hours: bool,
    post_hours: bool,
    summary_only: bool,
) -> FacilityCoverage:
    """Coverage of one facility: the requirement summed over its posts, each person once."""
    fac_flags = by_post.flags[fac.facility_id]
    reqs = {p: post_requirements(by_post.standards.get(p, []), cal) for p in fac.post_ids}
    pieces = [r for p in fac.post_ids for r in reqs[p]]
    timeline = _timeline(pieces, fac.post_ids, fac.facility_id, by_post, clock, fac_flags)
    totals = timeline.totals()
    req_t, ok_t = totals[0], totals[1]
    gaps = [] if summary_only else timeline.gaps("presence", None)
    roster_gaps = [] if summary_only else timeline.gaps("roster", None)
    hours = tuple(timeline.hours(cal.buckets())) if include_hours else None
    if summary_only:
        posts: tuple[PostCoverage, ...] = ()
    elif len(fac.post_ids) == 1:
        # Same inputs as the facility: reuse its numbers instead of a second sweep.
        post = fac.post_ids[0]
        posts = (
            PostCoverage(
                post,
                tuple(_with_post(g, post) for g in gaps),
                tuple(_with_post(g, post) for g in roster_gaps),
                *_percentages(totals),
                hours if post_hours else None,
            ),
        )
    else:
        posts = tuple(
            _post_coverage(post, fac.facility_id, reqs[post], cal, by_post, clock, post_hours)
            for post in fac.post_ids
        )
    return FacilityCoverage(
        fac.facility_id,
        fac.tz,
        hours,
        tuple(gaps),
        tuple(roster_gaps),
        *_percentages(totals),
        required_minutes=req_t / US_PER_MINUTE,
        short_minutes=(req_t - ok_t) / US_PER_MINUTE,
        unobserved=() if summary_only else _unobserved(timeline, cameras, fac.facility_id),
        camera_data_used=cameras is not None,
        posts=posts,
        flags=tuple(fac_flags),
    )


def _post_coverage(
    post: Hashable,
    facility_id: Hashable,
    reqs: list[Requirement],
    cal: LocalCalendar,
    by_post: _ByPost,
    clock: _Clock,
    post_hours: bool,
) -> PostCoverage:
    """Coverage of one post of a facility with several: its own timeline."""
    pt = _timeline(reqs, (post,), facility_id, by_post, clock, None)
    return PostCoverage(
        post,
        tuple(pt.gaps("presence", post)),
        tuple(pt.gaps("roster", post)),
        *_percentages(pt.totals()),
        hours=tuple(pt.hours(cal.buckets())) if post_hours else None,
    )


def _timeline(
    reqs: list[Requirement],
    post_ids: tuple[Hashable, ...],
    facility_id: Hashable,
    by_post: _ByPost,
    clock: _Clock,
    flags: list[Flag] | None,
) -> Timeline:
    """The timeline of these posts together: their requirement pieces, and their roster and
    presence merged per person (double bookings of the roster flagged into ``flags``)."""
    roster = [r for p in post_ids for r in by_post.roster.get(p, ())]
    present = [r for p in post_ids for r in by_post.present.get(p, ())]
    return Timeline(
        reqs,
        merge_people(roster, facility_id, flags),
        merge_people(present, facility_id, None),
        clock.lo,
        clock.hi,
        clock.obs,
    )


def _unobserved(
    timeline: Timeline, cameras: dict[Hashable, list[Span]] | None, facility_id: Hashable
) -> tuple[Interval, ...]:
    """Observed time short of people and, when camera data was given, of a working camera."""
    unobserved = timeline.head_short_spans()
    if cameras is not None:
        unobserved = subtract_spans(unobserved, merge_spans(cameras.get(facility_id, [])))
    return tuple(spans_to_intervals(unobserved))


def _percentages(
    totals: tuple[int, int, int, int, int, int],
) -> tuple[float | None, float | None, float | None]:
    """(coverage, rostered, staffing) percentages from ``Timeline.totals``."""
    req_t, ok_t, req_pt, cred_pt, r_req_t, r_ok_t = totals
    return _pct(ok_t, req_t), _pct(r_ok_t, r_req_t), _pct(cred_pt, req_pt)


def _with_post(g: Gap, post_id: Hashable) -> Gap:
    # Direct construction: dataclasses.replace is several times slower, and a month of a
    # badly guarded facility can have thousands of gaps.
    return Gap(
        g.kind,
        post_id,
        g.start,
        g.end,
        g.required,
        g.present,
        g.rostered,
        g.shortfall,
        g.missing_pillars,
    )


def _pct(part: int, whole: int) -> float | None:
    return 100.0 * part / whole if whole else None
