"""The transparency record: every successful view of a camera leaves one row (written here),
and the owner reads them grouped into viewing sessions (selected here).

A viewing session is one person's run of views of one camera, of one kind, as one agency,
from one address, with no pause longer than `SESSION_PAUSE` between the end of one view and
the start of the next: one look at an alert's evidence (sixty frames fetched) or a wall
watched for an hour is one row, with its first and last moment and how many views it holds.
The grouping runs in the database (window functions, then GROUP BY) over the rows of the
chosen period only, and pages there, so a table of half a million rows is never read into
Python."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.core.exceptions import EmptyResultSet
from django.db import connections, models
from django.db.models import Case, ExpressionWrapper, F, Max, Q, Value, When, Window
from django.db.models.functions import Coalesce
from django.db.models.lookups import GreaterThan
from django.http import HttpRequest
from django.utils.dateparse import parse_datetime
from django.utils.translation import ngettext

from apps.cameras.models import Camera, ViewRecord

SESSION_PAUSE = timedelta(minutes=5)
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

    @property
    def duration(self) -> timedelta:
        return self.last_at - self.started_at


def _flagged(records: models.QuerySet[ViewRecord]) -> models.QuerySet:
    """Each record with `new_session` = 1 when it starts a session: nothing of the same
    person, camera, kind, agency and address reached within `SESSION_PAUSE` before it."""
    end = Coalesce("ended_at", "started_at")
    reached_before = Window(
        Max(end), partition_by=[F(f) for f in _SAME_SESSION],
        order_by=[F("started_at").asc(), F("id").asc()],
        frame=models.RowRange(start=None, end=-1),
    )
    resumes_by = ExpressionWrapper(reached_before + Value(SESSION_PAUSE),
                                   output_field=models.DateTimeField())
    return records.order_by().annotate(
        end_at=end,
        new_session=Case(When(GreaterThan(resumes_by, F("started_at")), then=Value(0)),
                         default=Value(1), output_field=models.IntegerField()),
        open_live=Case(When(Q(kind=ViewRecord.Kind.LIVE, ended_at__isnull=True), then=Value(1)),
                       default=Value(0), output_field=models.IntegerField()),
    ).values("id", *_SAME_SESSION, "started_at", "end_at", "new_session", "open_live")


def _as_datetime(value) -> datetime:
    if isinstance(value, str):  # SQLite hands aggregated times back as text, in UTC
        value = parse_datetime(value)
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value


def _compiled(records: models.QuerySet[ViewRecord]) -> tuple[str, tuple] | None:
    """The flagged records as SQL, or None when the filters can match nothing."""
    try:
        return _flagged(records).query.sql_with_params()
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


def sessions_page(records: models.QuerySet[ViewRecord], *, offset: int = 0,
                  limit: int | None = None) -> tuple[list[ViewingSession], int]:
    """The viewing sessions among `records` (already limited to what the reader may see and
    to the chosen period), newest first, from `offset`; and how many there are in all, from
    the same query (0 when the page lies past the end)."""
    compiled = _compiled(records)
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
        f" COUNT(*) OVER () FROM ("
        f"  SELECT flagged.*, SUM(new_session) OVER (PARTITION BY {keys}"
        f"    ORDER BY started_at, id ROWS UNBOUNDED PRECEDING) AS session_no"
        f"  FROM ({inner}) flagged"
        f") numbered GROUP BY {keys}, session_no"
        f" ORDER BY MIN(started_at) DESC, MIN(id) DESC{page}"
    )
    with connections[records.db].cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    found = [
        ViewingSession(camera_id, viewer_id, agency_id, kind, address, _as_datetime(first),
                       _as_datetime(last), views, bool(still_open))
        for camera_id, viewer_id, agency_id, kind, address, first, last, views, still_open, _
        in rows
    ]
    return found, rows[0][-1] if rows else 0


def sessions(records: models.QuerySet[ViewRecord], *, limit: int | None = None,
             ) -> list[ViewingSession]:
    return sessions_page(records, limit=limit)[0]


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
