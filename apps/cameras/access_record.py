"""The camera access record as its readers see it: KPU/Bawaslu officials see who viewed their
cameras, everyone sees their own views (the ViewRecord rule of the access policy decides).

Rows are viewing sessions (apps.cameras.records), filtered by camera, agency, person, kind and
a period (the last week unless another is chosen: the grouping runs over the period only),
paged, and exported as CSV in the reader's language. A camera is named only to a reader who
may view it now: the same policy question as the API's `camera: null`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django import forms
from django.conf import settings
from django.db import models
from django.db.models.functions import Concat
from django.forms.utils import flatatt
from django.utils import timezone
from django.utils.choices import BaseChoiceIterator
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from apps.access import policy
from apps.accounts.models import User
from apps.cameras.models import Camera, ViewRecord
from apps.cameras.records import (
    ViewingSession,
    duration_in_words,
    newest_sessions,
    session_count,
    sessions,
)
from apps.core import widgets
from apps.core.export import CsvExport, choice_label, local_time
from apps.core.zones import zone_label
from apps.org.models import Agency

PAGE_SIZE = 50
DEFAULT_DAYS = 7
EXPORT_LIMIT = 50_000
MAX_PAGE = 1_000_000


def reader_zone(user) -> ZoneInfo:
    """The zone a reader's dates mean: their agency's region's, else the portal's."""
    agency = getattr(user, "agency", None)
    return agency.region.zoneinfo if agency is not None else ZoneInfo(settings.TIME_ZONE)


class ManyOptionsSelect(forms.Select):
    """Django's drop-down, written in one pass: its own renders a template for each option,
    a tenth of a second for the thousand cameras of a city."""

    def render(self, name, value, attrs=None, renderer=None) -> str:
        chosen = self.format_value(value)
        selected = next((i for i, (option, _label) in enumerate(self.choices)
                         if _text(option) in chosen), None)  # the first match, as Django's
        options = format_html_join("", '<option value="{}"{}>{}</option>', (
            (_text(option), SELECTED if i == selected else "", label)
            for i, (option, label) in enumerate(self.choices)))
        return format_html('<select name="{}"{}>{}</select>', name,
                           flatatt(self.build_attrs(self.attrs, attrs)), options)


SELECTED = " selected"  # a constant attribute: escaping leaves it as it is


def _text(option) -> str:
    return "" if option is None else str(option)


class Choices(BaseChoiceIterator):
    """(value, label) pairs a field takes as they are."""

    def __init__(self, pairs: list) -> None:
        self.pairs = pairs

    def __iter__(self):
        return iter(self.pairs)


class AccessRecordFilter(forms.Form):
    camera = forms.TypedChoiceField(label=gettext_lazy("Camera"), required=False, coerce=int,
                                    empty_value=None, widget=ManyOptionsSelect)
    agency = forms.TypedChoiceField(label=gettext_lazy("Agency"), required=False, coerce=int,
                                    empty_value=None, widget=ManyOptionsSelect)
    person = forms.TypedChoiceField(label=gettext_lazy("Viewed by"), required=False, coerce=int,
                                    empty_value=None, widget=ManyOptionsSelect)
    kind = forms.ChoiceField(label=gettext_lazy("Kind"), required=False)
    since = forms.DateField(label=gettext_lazy("From"), required=False,
                            widget=widgets.DateInput())
    until = forms.DateField(label=gettext_lazy("To"), required=False,
                            widget=widgets.DateInput())

    def __init__(self, data, *, user) -> None:
        self.zone = reader_zone(user)
        today = timezone.localdate(timezone=self.zone)
        data = data.copy()
        if not data.get("since") and not data.get("until"):
            data["since"] = (today - timedelta(days=DEFAULT_DAYS - 1)).isoformat()
            data["until"] = today.isoformat()
        super().__init__(data)
        self.user = user
        self.fields["kind"].choices = [("", _("All")), *ViewRecord.Kind.choices]

    def offer(self, cameras, agencies, people) -> None:
        """The choices of the filters; `cameras` as (pk, label) pairs, as the database reads
        them: a city's thousand are not copied (Django copies every pair of a list it is
        given)."""
        self.fields["camera"].choices = Choices([("", _("All")), *cameras])
        self.fields["agency"].choices = [("", _("All"))] + [(a.pk, str(a)) for a in agencies]
        self.fields["person"].choices = [("", _("All"))] + [(p.pk, str(p)) for p in people]

    def clean(self):
        data = super().clean()
        since, until = data.get("since"), data.get("until")
        if since and until and until < since:
            raise forms.ValidationError(_("The period must end after it starts."))
        return data

    def _moment(self, day: date) -> datetime:
        return datetime.combine(day, time.min, self.zone)

    def in_period(self, records: models.QuerySet[ViewRecord]) -> models.QuerySet[ViewRecord]:
        """`records` within the chosen period. Read before the other filters are checked:
        their choices are what the period holds."""
        try:
            since = self.fields["since"].clean(self.data.get("since"))
            until = self.fields["until"].clean(self.data.get("until"))
        except forms.ValidationError:
            return records.none()  # the form shows the error when it is validated
        if since:
            records = records.filter(started_at__gte=self._moment(since))
        if until:
            records = records.filter(started_at__lt=self._moment(until + timedelta(days=1)))
        return records

    def chosen(self, records: models.QuerySet[ViewRecord]) -> models.QuerySet[ViewRecord]:
        data = self.cleaned_data
        for field, key in (("camera_id", "camera"), ("viewer_agency_id", "agency"),
                           ("viewer_id", "person"), ("kind", "kind")):
            if data.get(key):
                records = records.filter(**{field: data[key]})
        return records


@dataclass
class Row:
    """One viewing session as the reader may see it."""

    session: ViewingSession
    camera: Camera | None  # None: the reader may not view it (any more), so it is not named
    viewer: User
    agency: Agency | None
    zone: ZoneInfo

    @property
    def kind(self) -> str:
        return choice_label(ViewRecord.Kind, self.session.kind)

    @property
    def started(self) -> str:
        return local_time(self.session.started_at, self.zone)

    @property
    def ended(self) -> str:
        if self.session.still_open:
            return _("not ended")
        return local_time(self.session.last_at, self.zone)

    @property
    def footage(self) -> str:
        """The span of footage played back or exported, in the camera's local time."""
        first, last = self.session.footage_start, self.session.footage_end
        if first is None or last is None:
            return ""
        first, last = (timezone.localtime(first, self.zone), timezone.localtime(last, self.zone))
        until = f"{last:%H:%M:%S}" if last.date() == first.date() else f"{last:%Y-%m-%d %H:%M:%S}"
        return f"{first:%Y-%m-%d %H:%M:%S} – {until} {zone_label(self.zone)}"

    @property
    def duration(self) -> str:
        if self.session.still_open or self.session.duration < timedelta(seconds=1):
            return "—"
        return duration_in_words(self.session.duration)


def rows_for(user, found: list[ViewingSession]) -> list[Row]:
    """Rows with their names, in a fixed number of queries whatever the page holds."""
    camera_ids = {s.camera_id for s in found}
    nameable = policy.viewable_camera_ids(user, camera_ids)
    cameras = Camera.objects.select_related("facility__region").in_bulk(nameable)
    viewers = User.objects.in_bulk({s.viewer_id for s in found})
    agencies = Agency.objects.in_bulk({s.viewer_agency_id for s in found} - {None})
    zone = reader_zone(user)
    rows = []
    for s in found:
        camera = cameras.get(s.camera_id)
        rows.append(Row(s, camera, viewers[s.viewer_id], agencies.get(s.viewer_agency_id),
                        camera.facility.zoneinfo if camera else zone))
    return rows


@dataclass(frozen=True)
class PagePosition:
    """Where a page lies among the pages: no count of all of them, which would group the
    whole period (in a city, a hundred thousand views a week) to show one number."""

    number: int
    has_next: bool

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    @property
    def previous_page_number(self) -> int:
        return self.number - 1

    @property
    def next_page_number(self) -> int:
        return self.number + 1


@dataclass
class AccessRecord:
    form: AccessRecordFilter
    records: models.QuerySet[ViewRecord]  # the reader's records, filtered; empty if invalid

    def page(self, requested: str | None) -> tuple[PagePosition, list[Row]]:
        """One page of rows and whether older ones follow. A page asked for past the end
        shows the last page: only then are all the period's sessions counted."""
        try:
            number = min(max(1, int(requested or 1)), MAX_PAGE)  # the offset stays an int64
        except ValueError:
            number = 1
        found, more = newest_sessions(self.records, offset=(number - 1) * PAGE_SIZE,
                                      limit=PAGE_SIZE)
        if not found and number > 1:
            number = max(1, -(-session_count(self.records) // PAGE_SIZE))
            found, more = newest_sessions(self.records, offset=(number - 1) * PAGE_SIZE,
                                          limit=PAGE_SIZE)
        return PagePosition(number, more), rows_for(self.form.user, found)


def viewer_agency_choices(user) -> models.QuerySet[Agency]:
    """The agencies to filter by, read from the agencies table: those with people, that the
    reader may see, and the reader's own. Not the agencies found in the view records: in a
    city those are hundreds of thousands of rows to group for a drop-down of a few dozen."""
    visible = policy.scope(user, Agency.objects.all()).values("pk")
    return Agency.objects.filter(
        models.Q(pk__in=visible) | models.Q(pk=user.agency_id),
        models.Exists(User.objects.filter(agency=models.OuterRef("pk"))),
    ).order_by("name")


def viewer_choices(in_period: models.QuerySet[ViewRecord]) -> models.QuerySet[User]:
    """The people who viewed in the period, asked person by person for their newest view
    there (one step down the (viewer, time) index each): a city's people are a thousand, its
    views of a week a hundred thousand."""
    newest = (in_period.filter(viewer=models.OuterRef("pk")).order_by("-started_at")
              .values("started_at")[:1])
    return (User.objects.alias(viewed_at=models.Subquery(newest))
            .filter(viewed_at__isnull=False).only("pk", "rank", "full_name")
            .order_by("full_name"))


def access_record_for(user, query) -> AccessRecord:
    """The reader's access record under the filters in `query` (a QueryDict)."""
    form = AccessRecordFilter(query, user=user)
    visible = policy.scope(user, ViewRecord.objects.all())
    in_period = form.in_period(visible)
    form.offer(
        cameras=policy.scope(user, Camera.objects.all()).order_by("facility__name", "name")
        .values_list("pk", Concat("facility__name", models.Value(" — "), "name")),
        agencies=viewer_agency_choices(user),
        people=viewer_choices(in_period),
    )
    records = form.chosen(in_period) if form.is_valid() else visible.none()
    return AccessRecord(form, records)


def export(record: AccessRecord) -> CsvExport:
    """The whole filtered record as the page shows it, for a spreadsheet."""
    csv = CsvExport("catatan-akses-kamera.csv")
    csv.row(_("Camera"), _("Facility"), _("Viewed by"), _("Agency"), _("Kind"), _("From"),
            _("To"), _("Duration"), _("Views"), _("Address"), _("Span of footage"))
    found = sessions(record.records, limit=EXPORT_LIMIT)
    for row in rows_for(record.form.user, found):
        csv.row(
            row.camera.name if row.camera else _("A camera you may not view"),
            row.camera.facility.name if row.camera else "",
            str(row.viewer), str(row.agency or ""), row.kind, row.started, row.ended,
            "" if row.duration == "—" else row.duration, row.session.views,
            row.session.address or "", row.footage,
        )
    return csv
