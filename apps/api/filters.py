"""Query filters of the list endpoints. Every value goes through a form field (a bad one is a
400, never a database error) and ordering is limited to each view's `ordering_fields`."""

from __future__ import annotations

from datetime import UTC

import django_filters as filters
from django import forms
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.functional import lazy
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django_filters.constants import EMPTY_VALUES
from django_filters.fields import IsoDateTimeField

from apps.access import policy
from apps.alerts.models import Alert
from apps.cameras.models import Camera, CameraShare, Orientation, ViewRecord
from apps.core.timing import MAX_YEAR, MIN_YEAR
from apps.places.models import Facility, Operation

MAX_ID = 2**63 - 1


class IdField(forms.IntegerField):
    def __init__(self, **kwargs) -> None:
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", MAX_ID)
        super().__init__(**kwargs)


class IdFilter(filters.Filter):
    field_class = IdField


def _year_text() -> str:
    return gettext("The year must be between %(low)d and %(high)d.") % {
        "low": MIN_YEAR, "high": MAX_YEAR}


_year_message = lazy(_year_text, str)  # translated when shown, not at import


class AwareDateTimeField(IsoDateTimeField):
    """ISO 8601 with a UTC offset (as in bodies: no guessed zone), between the years 2000 and
    2100, handed to the database in UTC (PostgreSQL refuses offsets beyond ±15:59)."""

    default_error_messages = {
        "naive": _("Give the time with its UTC offset, e.g. 2026-02-14T08:00:00+07:00."),
        "year": _year_message(),
    }

    def to_python(self, value):
        if value in self.empty_values:
            return None
        try:
            parsed = parse_datetime(str(value).strip())
        except ValueError:
            parsed = None
        if parsed is None:
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
        if timezone.is_naive(parsed):
            raise forms.ValidationError(self.error_messages["naive"], code="naive")
        if not MIN_YEAR <= parsed.year <= MAX_YEAR:
            raise forms.ValidationError(self.error_messages["year"], code="year")
        return parsed.astimezone(UTC)


class TimeFilter(filters.IsoDateTimeFilter):
    field_class = AwareDateTimeField


class CameraIdFilter(IdFilter):
    """By camera, among the cameras the person may view only: filtering by an inward camera's
    id finds nothing for security staff, as if the camera did not exist."""

    def filter(self, qs, value):
        if value in EMPTY_VALUES:
            return qs
        viewable = policy.scope(self.parent.request.user, Camera.objects.filter(pk=value))
        return qs.filter(camera_id=value, camera__in=viewable)


class FacilityFilter(filters.FilterSet):
    kind = filters.ChoiceFilter(choices=Facility.Kind.choices)
    status = filters.ChoiceFilter(choices=Facility.Status.choices)
    region = IdFilter(field_name="region_id")
    operation = IdFilter(field_name="operations__id", distinct=True)
    name = filters.CharFilter(lookup_expr="icontains", max_length=100)

    class Meta:
        model = Facility
        fields: list[str] = []


class OperationFilter(filters.FilterSet):
    active_on = filters.DateFilter(method="filter_active_on", label="Active on (date)")
    responsible_agency = IdFilter(field_name="responsible_agency_id")

    class Meta:
        model = Operation
        fields: list[str] = []

    def filter_active_on(self, queryset, name, value):
        return queryset.filter(starts_on__lte=value, ends_on__gte=value)


class CameraFilter(filters.FilterSet):
    facility = IdFilter(field_name="facility_id")
    orientation = filters.ChoiceFilter(choices=Orientation.choices)
    enabled = filters.BooleanFilter()

    class Meta:
        model = Camera
        fields: list[str] = []


class CameraShareFilter(filters.FilterSet):
    camera = CameraIdFilter()
    grantee = IdFilter(field_name="grantee_id")
    active = filters.BooleanFilter(method="filter_active", label="Valid now")

    class Meta:
        model = CameraShare
        fields: list[str] = []

    def filter_active(self, queryset, name, value):
        valid = CameraShare.objects.valid_at(timezone.now()).values("pk")
        return queryset.filter(pk__in=valid) if value else queryset.exclude(pk__in=valid)


class AlertFilter(filters.FilterSet):
    state = filters.ChoiceFilter(choices=Alert.State.choices)
    unresolved = filters.BooleanFilter(method="filter_unresolved")
    kind = filters.ChoiceFilter(choices=Alert.Kind.choices)
    min_severity = filters.TypedChoiceFilter(choices=Alert.Severity.choices, coerce=int,
                                             field_name="severity", lookup_expr="gte")
    facility = IdFilter(field_name="facility_id")
    camera = CameraIdFilter()
    after_seq = filters.NumberFilter(field_name="last_seq", lookup_expr="gt", min_value=0,
                                     max_value=MAX_ID,
                                     label="Changed after this sequence number")
    raised_after = TimeFilter(field_name="last_raised_at", lookup_expr="gte")
    raised_before = TimeFilter(field_name="last_raised_at", lookup_expr="lt")

    class Meta:
        model = Alert
        fields: list[str] = []

    def filter_unresolved(self, queryset, name, value):
        resolved = Alert.State.RESOLVED
        return queryset.exclude(state=resolved) if value else queryset.filter(state=resolved)


class ViewRecordFilter(filters.FilterSet):
    camera = CameraIdFilter()
    kind = filters.ChoiceFilter(choices=ViewRecord.Kind.choices)
    viewer_agency = IdFilter(field_name="viewer_agency_id")
    started_after = TimeFilter(field_name="started_at", lookup_expr="gte")
    started_before = TimeFilter(field_name="started_at", lookup_expr="lt")

    class Meta:
        model = ViewRecord
        fields: list[str] = []
