"""Forms of the duty pages. Times typed on a page are wall-clock times of the facility's zone
(WIB/WITA/WIT), said so next to the field and converted explicitly; a phone's device time
must carry its offset (apps.core.timing). Business rules live in apps.duty.services."""

from __future__ import annotations

import re
from datetime import date, datetime, time
from itertools import zip_longest
from zoneinfo import ZoneInfo

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext_lazy as _

from apps.core import widgets
from apps.core.coordinates import LATITUDE_LIMIT, LONGITUDE_LIMIT, CoordinateField
from apps.core.photos import MAX_UPLOAD_BYTES
from apps.core.timing import MAX_YEAR, MIN_YEAR, DeviceTimeField
from apps.duty.models import SECURITY_PILLAR_CHOICES, CoverageStandard, GuardPost
from apps.duty.services import Pattern
from apps.places.models import Facility


def _sane_year(value: datetime | date) -> None:
    if not MIN_YEAR <= value.year <= MAX_YEAR:
        raise ValidationError(_("Enter a date between %(a)d and %(b)d.") % {
            "a": MIN_YEAR, "b": MAX_YEAR}, code="year")


class LocalDateTimeField(forms.DateTimeField):
    """A wall-clock time in a given zone (not the server's): "2026-11-23T22:00" at a WITA
    facility is 22:00 WITA. An explicit offset is honoured."""

    widget = widgets.DateTimeInput()

    def __init__(self, *args, zone: ZoneInfo | None = None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.zone = zone or timezone.get_current_timezone()

    def prepare_value(self, value):
        if isinstance(value, datetime) and timezone.is_aware(value):
            return timezone.localtime(value, self.zone).replace(tzinfo=None)
        return value

    def to_python(self, value):
        if value in self.empty_values:
            return None
        if isinstance(value, datetime):
            result = value
        else:
            try:
                result = parse_datetime(str(value).strip())
            except ValueError:
                result = None
            if result is None:
                raise ValidationError(self.error_messages["invalid"], code="invalid")
        _sane_year(result)
        return result.replace(tzinfo=self.zone) if timezone.is_naive(result) else result


class PostForm(forms.ModelForm):
    class Meta:
        model = GuardPost
        fields = ["name", "description", "is_main", "lone_check_minutes"]


class LoneCheckForm(forms.ModelForm):
    class Meta:
        model = GuardPost
        fields = ["lone_check_minutes"]


class SafeForm(forms.Form):
    latitude = CoordinateField(limit=LATITUDE_LIMIT)
    longitude = CoordinateField(limit=LONGITUDE_LIMIT)
    accuracy_m = forms.IntegerField(required=False, min_value=0, max_value=100_000,
                                    widget=forms.HiddenInput)


class StandardForm(forms.ModelForm):
    required_pillars = forms.MultipleChoiceField(
        label=_("Required pillars"), choices=SECURITY_PILLAR_CHOICES, required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("At least one person of each ticked pillar must be present."),
    )

    class Meta:
        model = CoverageStandard
        fields = ["band_start", "band_end", "min_personnel", "required_pillars", "valid_from",
                  "valid_until", "note"]
        widgets = {
            "band_start": widgets.TimeInput(),
            "band_end": widgets.TimeInput(),
            # Replaced in __init__ by fields in the facility's zone, with the same widget.
            "valid_from": widgets.DateTimeInput(),
            "valid_until": widgets.DateTimeInput(),
        }

    def __init__(self, *args, zone: ZoneInfo, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        label = timezone.localtime(timezone.now(), zone).tzname()
        self.fields["valid_from"] = LocalDateTimeField(
            label=_("Valid from (%(zone)s)") % {"zone": label}, zone=zone,
            initial=timezone.now())
        self.fields["valid_until"] = LocalDateTimeField(
            label=_("Valid until (%(zone)s)") % {"zone": label}, zone=zone, required=False)
        self.fields["min_personnel"].widget.attrs.update({"min": 0, "max": 50})

    def clean_min_personnel(self) -> int:
        value = self.cleaned_data["min_personnel"]
        if value > 50:
            raise ValidationError(_("At most 50 personnel."))
        return value


def _interleave_pillars(people) -> list:
    """Alternate pillars (Polri, TNI, Pemda, Polri, ...) so teams formed in order mix them."""
    by_pillar: dict[str, list] = {}
    for person in people:
        by_pillar.setdefault(person.agency.pillar, []).append(person)
    mixed = []
    for group in zip_longest(*by_pillar.values()):
        mixed.extend(p for p in group if p is not None)
    return mixed


class PeopleField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj) -> str:
        return f"{obj} — {obj.agency} ({obj.agency.get_pillar_display()})"


class PersonField(forms.ModelChoiceField):
    def label_from_instance(self, obj) -> str:
        return f"{obj} — {obj.agency} ({obj.agency.get_pillar_display()})"


class ShiftForm(forms.Form):
    start = LocalDateTimeField(label=_("Start"))
    end = LocalDateTimeField(label=_("End"))
    person = PersonField(label=_("Person"), queryset=None, required=False,
                         empty_label=_("— nobody yet (open slot) —"))
    note = forms.CharField(label=_("Note"), max_length=255, required=False)

    def __init__(self, *args, zone: ZoneInfo, people, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        for name in ("start", "end"):
            self.fields[name].zone = zone
        self.fields["person"].queryset = people


_SEGMENT = re.compile(r"^\s*(\d{1,2})[:.](\d{2})\s*[-–]\s*(\d{1,2})[:.](\d{2})\s*$")


def parse_segments(text: str) -> list[tuple[time, time]]:
    """ "07:00-15:00, 15:00-07:00" → [(07:00, 15:00), (15:00, 07:00)]."""
    out = []
    for part in filter(None, (p.strip() for p in re.split(r"[,;\n]", text))):
        match = _SEGMENT.match(part)
        if not match:
            raise ValidationError(_("Write shifts like 07:00-15:00, separated by commas."))
        h1, m1, h2, m2 = (int(g) for g in match.groups())
        try:
            out.append((time(h1, m1), time(h2, m2)))
        except ValueError:
            raise ValidationError(_("%(part)s is not a time of day.") % {"part": part}) from None
    if len(out) > 12:
        raise ValidationError(_("At most 12 shifts a day."))
    return out


class GenerateForm(forms.Form):
    first_day = forms.DateField(label=_("First day"),
                                widget=widgets.DateInput())
    last_day = forms.DateField(label=_("Last day"),
                               widget=widgets.DateInput())
    pattern = forms.ChoiceField(label=_("Pattern"), choices=[
        (Pattern.THREE_EIGHT, _("3 shifts of 8 hours")),
        (Pattern.TWO_TWELVE, _("2 shifts of 12 hours")),
        (Pattern.CUSTOM, _("Custom")),
    ])
    first_start = forms.TimeField(label=_("First shift starts at"), initial=time(7, 0),
                                  required=False,
                                  widget=widgets.TimeInput())
    custom = forms.CharField(label=_("Custom shifts"), required=False, max_length=200,
                             help_text=_("For a custom pattern, e.g. 07:00-15:00, 15:00-07:00"))
    per_shift = forms.IntegerField(label=_("Personnel per shift"), min_value=1, max_value=20,
                                   initial=2)
    people = PeopleField(label=_("Personnel"), queryset=None, required=False,
                         widget=forms.CheckboxSelectMultiple,
                         help_text=_("Formed into teams in turn, mixing pillars; "
                                     "leave empty to plan open slots."))
    replace_drafts = forms.BooleanField(label=_("Replace unpublished shifts in these days"),
                                        required=False)

    def __init__(self, *args, people, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["people"].queryset = people

    def clean_first_day(self) -> date:
        value = self.cleaned_data["first_day"]
        _sane_year(value)
        return value

    def clean_last_day(self) -> date:
        value = self.cleaned_data["last_day"]
        _sane_year(value)
        return value

    def clean(self):
        data = super().clean()
        if data.get("pattern") == Pattern.CUSTOM:
            try:
                data["segments"] = parse_segments(data.get("custom", ""))
            except ValidationError as error:
                self.add_error("custom", error)
        data["people"] = _interleave_pillars(data.get("people") or [])
        return data


class PublishForm(forms.Form):
    first_day = forms.DateField(required=False, widget=forms.HiddenInput)
    last_day = forms.DateField(required=False, widget=forms.HiddenInput)


class CheckInForm(forms.Form):
    device_time = DeviceTimeField()
    latitude = CoordinateField(limit=LATITUDE_LIMIT)
    longitude = CoordinateField(limit=LONGITUDE_LIMIT)
    accuracy_m = forms.IntegerField(required=False, min_value=0, max_value=100_000,
                                    widget=forms.HiddenInput)
    photo = forms.FileField(
        label=_("Photo of the post (optional)"), required=False,
        widget=forms.ClearableFileInput(attrs={"accept": "image/*", "capture": "environment"}),
    )

    def clean_photo(self):
        photo = self.cleaned_data.get("photo")
        if photo and photo.size > MAX_UPLOAD_BYTES:
            raise ValidationError(_("The photo is too large (at most 8 MB)."))
        return photo


class CheckOutForm(forms.Form):
    device_time = DeviceTimeField()
    handover_note = forms.CharField(
        label=_("Handover note (serah terima)"), required=False, max_length=4000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("What the next shift must know: situation, keys, seals, visitors."),
    )


class CoverageFilterForm(forms.Form):
    operation = forms.TypedChoiceField(label=_("Operation"), required=False, coerce=int,
                                       empty_value=None)
    region = forms.TypedChoiceField(label=_("Region"), required=False, coerce=int,
                                    empty_value=None)
    kind = forms.ChoiceField(label=_("Kind"), required=False)
    start = forms.DateField(label=_("From"), required=False,
                            widget=widgets.DateInput())
    end = forms.DateField(label=_("Until"), required=False,
                          widget=widgets.DateInput())

    def __init__(self, *args, operations, regions, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["operation"].choices = [("", _("All"))] + [(o.pk, o.name) for o in operations]
        self.fields["region"].choices = [("", _("All"))] + [(r.pk, r.name) for r in regions]
        self.fields["kind"].choices = [("", _("All")), *Facility.Kind.choices]

    def clean_start(self):
        value = self.cleaned_data.get("start")
        if value:
            _sane_year(value)
        return value

    def clean_end(self):
        value = self.cleaned_data.get("end")
        if value:
            _sane_year(value)
        return value
