"""The transparency record: every successful view of a camera leaves one row (written here),
and the owner reads them grouped into viewing sessions (selected here).

A viewing session is one person's run of views of one camera, of one kind, as one agency,
from one address, with no pause longer than `SESSION_PAUSE` between the end of one view and
the start of the next: one look at an alert's evidence (sixty frames fetched) or a wall
watched for an hour is one row, with its first and last moment and how many views it holds.
The grouping runs in the database (window functions, then GROUP BY) over the rows of the
chosen period only, and pages there, so a table of half a million rows is never read into
Python; a page of the newest sessions groups only the newest rows (`newest_sessions`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.core.exceptions import EmptyResultSet
from django.db import connections, models, transaction
from django.db.models import (
    Case,
    Exists,
    ExpressionWrapper,
    F,
    Max,
    OuterRef,
    Q,
    Value,
    When,
    Window,
)
from django.db.models.functions import Coalesce
from django.db.models.lookups import GreaterThan
from django.http import HttpRequest
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import ngettext

from apps.accounts.models import User
from apps.cameras.models import Camera, ViewRecord
from apps.recordings.models import RecordingSegment

SESSION_PAUSE = timedelta(minutes=5)
# A playback goes on while the player asks for more within this pause, for footage adjoining
# what it played (within FOOTAGE_GAP) or for the camera's next segment after it.
PLAYBACK_PAUSE = timedelta(seconds=90)
FOOTAGE_GAP = timedelta(seconds=5)
# How many records `newest_sessions` reads first for each session it needs: most sessions are
# one view, a look at an alert's evidence is sixty.
FIRST_REACH = 4
_SAME_SESSION = ("camera_id", "viewer_id", "viewer_agency_id", "kind", "address")


def client_address(request: HttpRequest) -> str | None:
    # REMOTE_ADDR only: Daphne sets it from the proxy headers when run with --proxy-headers.
    return request.META.get("REMOTE_ADDR") or None


def record_view(*, request: HttpRequest, camera: Camera, kind: str) -> ViewRecord:
    user = request.user
    return ViewRecord.objects.create(
        camera=camera, viewer=user, viewer_agency_id=user.agency_id, kind=kind,
        address=client_address(request),
        user_agent=request.headers.get("User-Agent", "")[:255],
    )


def record_playback(*, request: HttpRequest, segment: RecordingSegment,
                    footage: tuple[datetime, datetime] | None = None) -> ViewRecord:
    """Note that `request.user` is playing `segment` (`footage` of it when only that span is
    served: a piece of a masked rendition): one row per playback, whatever the number of
    range requests, its footage span extended as the player asks for adjoining or next
    segments. Written before the file is sent, so the owner's record has it at once."""
    user, now, address = request.user, timezone.now(), client_address(request)
    start, end = footage or (segment.start, segment.end)
    with transaction.atomic():
        # One person's requests one after another: a player asks for several ranges at once,
        # and two rows for them would read as two playbacks.
        list(User.objects.select_for_update().filter(pk=user.pk).values_list("pk"))
        between = RecordingSegment.objects.filter(
            camera_id=segment.camera_id, start__gte=OuterRef("footage_end"),
            start__lt=segment.start)
        going_on = ViewRecord.objects.filter(
            Q(footage_start__lte=end + FOOTAGE_GAP, footage_end__gte=start - FOOTAGE_GAP)
            | Q(footage_end__lte=start) & ~Q(Exists(between)),
            camera_id=segment.camera_id, viewer=user, viewer_agency_id=user.agency_id,
            kind=ViewRecord.Kind.RECORDING, address=address,
            ended_at__gte=now - PLAYBACK_PAUSE,
        ).order_by("-ended_at", "-pk").first()
        if going_on is None:
            return ViewRecord.objects.create(
                camera_id=segment.camera_id, viewer=user, viewer_agency_id=user.agency_id,
                kind=ViewRecord.Kind.RECORDING, address=address,
                user_agent=request.headers.get("User-Agent", "")[:255],
                started_at=now, ended_at=now, footage_start=start, footage_end=end)
        going_on.ended_at = now
        going_on.footage_start = min(going_on.footage_start, start)
        going_on.footage_end = max(going_on.footage_end, end)
        going_on.save(update_fields=["ended_at", "footage_start", "footage_end"])
        return going_on


@dataclass
class ViewingSession:
    camera_id: int
    viewer_id: int
    viewer_agency_id: int | None
    kind: str
    address: str | None
    started_at: datetime
    last_at: datetime  # the end of the last view (its start for views without a length)
    views: int
    still_open: bool  # a live view that has not ended (or whose end was never recorded)
    footage_start: datetime | None = None  # the footage played back (recordings)
    footage_end: datetime | None = None

    @property
    def duration(self) -> timedelta:
        return self.last_at - self.started_at


def _flagged(records: models.QuerySet[ViewRecord],
             newer_than: datetime | None = None) -> models.QuerySet:
    """Each record with `new_session` = 1 when it starts a session: nothing of the same
    person, camera, kind, agency and address reached within `SESSION_PAUSE` before it; and
    `newest` = 1 when it started at or after `newer_than` (always, without one)."""
    end = Coalesce("ended_at", "started_at")
    reached_before = Window(
        Max(end), partition_by=[F(f) for f in _SAME_SESSION],
        order_by=[F("started_at").asc(), F("id").asc()],
        frame=models.RowRange(start=None, end=-1),
    )
    resumes_by = ExpressionWrapper(reached_before + Value(SESSION_PAUSE),
                                   output_field=models.DateTimeField())
    newest = Value(1) if newer_than is None else Case(
        When(started_at__gte=newer_than, then=Value(1)), default=Value(0))
    return records.order_by().annotate(
        end_at=end,
        new_session=Case(When(GreaterThan(resumes_by, F("started_at")), then=Value(0)),
                         default=Value(1), output_field=models.IntegerField()),
        open_live=Case(When(Q(kind=ViewRecord.Kind.LIVE, ended_at__isnull=True), then=Value(1)),
                       default=Value(0), output_field=models.IntegerField()),
        newest=ExpressionWrapper(newest, output_field=models.IntegerField()),
    ).values("id", *_SAME_SESSION, "started_at", "end_at", "new_session", "open_live", "newest",
             "footage_start", "footage_end")


def _as_datetime(value) -> datetime | None:
    if value is None:
        return None
    if isinstance(value, str):  # SQLite hands aggregated times back as text, in UTC
        value = parse_datetime(value)
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value


def _compiled(records: models.QuerySet[ViewRecord],
              newer_than: datetime | None = None) -> tuple[str, tuple] | None:
    """The flagged records as SQL, or None when the filters can match nothing."""
    try:
        return _flagged(records, newer_than).query.sql_with_params()
    except EmptyResultSet:
        return None


def session_count(records: models.QuerySet[ViewRecord]) -> int:
    compiled = _compiled(records)
    if compiled is None:
        return 0
    inner, params = compiled
    with connections[records.db].cursor() as cursor:
        # The one interpolated piece is `inner`: Django's compilation of `_flagged()`, whose text
        # is fixed by this module's field names and filters; every value travels in `params`.
        sql = f"SELECT COALESCE(SUM(new_session), 0) FROM ({inner}) flagged"  # noqa: S608  # nosec B608
        cursor.execute(sql, params)
        return int(cursor.fetchone()[0])


def _grouped(records: models.QuerySet[ViewRecord], *, offset: int = 0,
             limit: int | None = None, newer_than: datetime | None = None,
             ) -> tuple[list[ViewingSession], int]:
    """The viewing sessions among `records` that started at or after `newer_than` (all
    without one), newest first, from `offset`; and how many there are in all, from the same
    query (0 when the page lies past the end)."""
    compiled = _compiled(records, newer_than)
    if compiled is None:
        return [], 0
    inner, params = compiled
    keys = ", ".join(_SAME_SESSION)  # constant: the column names above
    page = ""
    if limit is not None:
        page = " LIMIT %s OFFSET %s"  # constant: the page's numbers are parameters
        params = (*params, int(limit), int(offset))
    # Interpolated: `keys` and `page`, constants of this module (above); `inner`, Django's
    # compilation of `_flagged()`, whose text is fixed by this module's field names and filters.
    # Every value (filters, page) travels in `params`.
    sql = (
        f"SELECT {keys}, MIN(started_at), MAX(end_at), COUNT(*), MAX(open_live),"  # noqa: S608  # nosec B608
        f" MIN(footage_start), MAX(footage_end), COUNT(*) OVER () FROM ("
        f"  SELECT flagged.*, SUM(new_session) OVER (PARTITION BY {keys}"
        f"    ORDER BY started_at, id ROWS UNBOUNDED PRECEDING) AS session_no"
        f"  FROM ({inner}) flagged"
        f") numbered GROUP BY {keys}, session_no HAVING MIN(newest) = 1"
        f" ORDER BY MIN(started_at) DESC, MIN(id) DESC{page}"
    )
    with connections[records.db].cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    found = [
        ViewingSession(camera_id, viewer_id, agency_id, kind, address, _as_datetime(first),
                       _as_datetime(last), views, bool(still_open),
                       _as_datetime(footage_start), _as_datetime(footage_end))
        for (camera_id, viewer_id, agency_id, kind, address, first, last, views, still_open,
             footage_start, footage_end, _) in rows
    ]
    return found, rows[0][-1] if rows else 0


def sessions(records: models.QuerySet[ViewRecord], *, limit: int | None = None,
             ) -> list[ViewingSession]:
    """The viewing sessions among `records` (already limited to what the reader may see and
    to the chosen period), newest first: the whole period grouped."""
    return _grouped(records, limit=limit)[0]


def longest_view() -> timedelta:
    """How long the longest view lasted: read from the end of its index."""
    longest = ViewRecord.objects.aggregate(longest=Max(F("ended_at") - F("started_at")))
    return max(longest["longest"] or timedelta(0), timedelta(0))


def newest_sessions(records: models.QuerySet[ViewRecord], *, offset: int, limit: int,
                    ) -> tuple[list[ViewingSession], bool]:
    """`limit` of the sessions among `records` from `offset`, newest first, and whether older
    ones follow; grouping only the newest records, not the whole period.

    The sessions that start at or after a moment T are exactly the groups starting at or after
    T among the records started since T less the pause and the longest view: no earlier view
    reached within `SESSION_PAUSE` of T, so none joins a later one to an earlier session.
    T is the start of the record `reach` places from the newest (a few for each session the
    page needs); when fewer sessions start after it, once more as far back as the sessions
    found there suggest; then, or when T would pass the period's start, the whole period is
    grouped. Every bound is a range of `started_at`, which the planner reads through its index
    with or without statistics."""
    wanted = offset + limit + 1
    reach, reach_back = wanted * FIRST_REACH, None
    for _attempt in range(2):
        newer_than = next(iter(records.order_by("-started_at")
                               .values_list("started_at", flat=True)[reach - 1:reach]), None)
        if newer_than is None:
            break  # fewer records than `reach`: the whole period is as cheap
        if reach_back is None:
            reach_back = SESSION_PAUSE + longest_view()
        newest = records.filter(started_at__gte=newer_than - reach_back)
        found, total = _grouped(newest, offset=offset, limit=limit + 1, newer_than=newer_than)
        if total >= wanted:
            return found[:limit], True
        reach *= 2 * -(-wanted // max(total, 1))  # twice the records per session seen
    found, _total = _grouped(records, offset=offset, limit=limit + 1)
    return found[:limit], len(found) > limit


def duration_in_words(length: timedelta) -> str:
    """"6 detik", "2 menit 5 detik", "1 jam 3 menit": the two largest units, in the active
    language."""
    seconds = max(0, int(length.total_seconds()))
    units = [
        (seconds // 86400, lambda n: ngettext("%(n)d day", "%(n)d days", n)),
        (seconds % 86400 // 3600, lambda n: ngettext("%(n)d hour", "%(n)d hours", n)),
        (seconds % 3600 // 60, lambda n: ngettext("%(n)d minute", "%(n)d minutes", n)),
        (seconds % 60, lambda n: ngettext("%(n)d second", "%(n)d seconds", n)),
    ]
    while len(units) > 1 and units[0][0] == 0:
        units.pop(0)
    shown = [word(n) % {"n": n} for n, word in units[:2] if n]
    return " ".join(shown) or ngettext("%(n)d second", "%(n)d seconds", 0) % {"n": 0}
