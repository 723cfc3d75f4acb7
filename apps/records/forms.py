"""Forms of the record pages: they parse and bound input; rules live in the services.

Times typed on a page are wall-clock times of the facility's zone (WIB/WITA/WIT), converted
explicitly; a phone's device time must carry its offset (apps.core.timing)."""

from __future__ import annotations

import uuid
from datetime import datetime
from zoneinfo import ZoneInfo

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext_lazy as _

from apps.alerts import redaction
from apps.core import widgets
from apps.core.choices import ReadOnceChoiceField
from apps.core.coordinates import CoordinateField
from apps.core.timing import DeviceTimeField
from apps.org.models import Agency
from apps.records.models import Category, Criterion, ItemKind, PatrolMode, Situation, Step
from apps.records.services.checks import CheckInput, ItemInput
from apps.records.services.incidents import IncidentInput
from apps.records.services.patrols import VisitInput

PILLAR_CHOICES = [(value, label) for value, label in Agency.Pillar.choices
                  if value in Agency.SECURITY_PILLARS]
STANDARD_ITEMS = [k for k in ItemKind.values if k != ItemKind.OTHER]


class ClientKeyField(forms.UUIDField):
    """The idempotency key. The page renders a fresh one; the offline queue sends its own."""

    widget = forms.HiddenInput

    def __init__(self, **kwargs) -> None:
        super().__init__(required=True, **kwargs)


def _fresh_key() -> dict:
    return {"client_key": uuid.uuid4()}


class FieldEntryForm(forms.Form):
    """What every offline-capable entry carries."""

    client_key = ClientKeyField()
    device_time = DeviceTimeField()

    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("initial", {}).update(_fresh_key())
        super().__init__(*args, **kwargs)


class VisitForm(FieldEntryForm):
    token = forms.CharField(required=False, max_length=400, widget=forms.HiddenInput)
    code = forms.CharField(
        label=_("Checkpoint code"), required=False, max_length=12,
        widget=forms.TextInput(attrs={"autocomplete": "off", "autocapitalize": "characters",
                                      "spellcheck": "false", "inputmode": "text",
                                      "class": "code-input"}),
    )
    checkpoint = forms.IntegerField(required=False, min_value=1, widget=forms.HiddenInput)
    patrol = forms.IntegerField(required=False, min_value=1, widget=forms.HiddenInput)
    latitude = CoordinateField(limit=90)
    longitude = CoordinateField(limit=180)
    accuracy_m = forms.IntegerField(required=False, min_value=0, max_value=100_000,
                                    widget=forms.HiddenInput)
    situation = forms.ChoiceField(label=_("Situation"), choices=Situation.choices,
                                  initial=Situation.SAFE, widget=forms.RadioSelect)
    notes = forms.CharField(label=_("Notes"), required=False, max_length=2000,
                            widget=forms.Textarea(attrs={"rows": 3}))

    def clean(self):
        data = super().clean()
        if not data.get("token") and not data.get("code"):
            raise ValidationError(_("Scan the checkpoint's QR or type its code."),
                                  code="missing")
        return data

    def entry(self) -> VisitInput:
        d = self.cleaned_data
        return VisitInput(
            client_key=d["client_key"], token=d.get("token") or "", code=d.get("code") or "",
            checkpoint_id=d.get("checkpoint"), patrol_id=d.get("patrol"),
            device_time=d.get("device_time"), latitude=d.get("latitude"),
            longitude=d.get("longitude"), accuracy_m=d.get("accuracy_m"),
            situation=d["situation"], notes=d.get("notes") or "",
        )


class PatrolStartForm(FieldEntryForm):
    team_name = forms.CharField(label=_("Team"), max_length=120,
                                help_text=_("For example: Patroli Samapta Polres."))
    mode = forms.ChoiceField(label=_("Moving by"), choices=PatrolMode.choices,
                             initial=PatrolMode.MOTORCYCLE, widget=forms.RadioSelect)
    pillars = forms.MultipleChoiceField(label=_("Pillars in the team"), choices=PILLAR_CHOICES,
                                        required=False, widget=forms.CheckboxSelectMultiple)
    members = forms.CharField(
        label=_("Other members (one per line)"), required=False, max_length=3000,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    planned = forms.ModelMultipleChoiceField(
        label=_("Planned checkpoints"), queryset=None, required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    operation = forms.ModelChoiceField(label=_("Operation"), queryset=None, required=False)
    note = forms.CharField(label=_("Note"), required=False, max_length=500)

    def __init__(self, *args, checkpoints, operations, offered=None, **kwargs) -> None:
        """`checkpoints`: those the person may plan (a query, what is accepted); `offered`:
        those listed as choices (the chosen facilities' ones: a city has hundreds), all of
        `checkpoints` when not given."""
        super().__init__(*args, **kwargs)
        self.fields["planned"].queryset = checkpoints
        # Grouped under their facility: its name once as a heading, not on every label.
        grouped: dict[str, list[tuple[int, str]]] = {}
        for checkpoint in checkpoints if offered is None else offered:
            grouped.setdefault(checkpoint.facility.name, []).append(
                (checkpoint.pk, checkpoint.name))
        self.fields["planned"].choices = list(grouped.items())
        self.fields["operation"].queryset = operations

    def member_names(self) -> list[str]:
        return [line for line in self.cleaned_data.get("members", "").splitlines()
                if line.strip()]


class PatrolEndForm(forms.Form):
    device_time = DeviceTimeField()
    note = forms.CharField(label=_("Closing note"), required=False, max_length=500)


class VisitAmendForm(forms.Form):
    situation = forms.ChoiceField(label=_("Situation"), choices=Situation.choices,
                                  widget=forms.RadioSelect)
    notes = forms.CharField(label=_("Notes"), required=False, max_length=2000,
                            widget=forms.Textarea(attrs={"rows": 3}))
    reason = forms.CharField(label=_("Reason for the correction"), max_length=300)


class CheckpointForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=80,
                           help_text=_("For example: main gate, north fence corner."))
    description = forms.CharField(label=_("Description"), required=False, max_length=200)
    latitude = forms.DecimalField(label=_("Latitude"), required=False, max_digits=9,
                                  decimal_places=6, min_value=-90, max_value=90)
    longitude = forms.DecimalField(label=_("Longitude"), required=False, max_digits=9,
                                   decimal_places=6, min_value=-180, max_value=180)


# --- warehouse checks ------------------------------------------------------------------------

SEAL_CHOICES = [("", _("No seal")), ("intact", _("Intact")), ("broken", _("Broken"))]
OK_CHOICES = [("ok", _("Meets the criterion")), ("not_ok", _("Does not"))]


class CheckForm(FieldEntryForm):
    """One row per standard item (left empty: not checked) and one answer per criterion."""

    notes = forms.CharField(label=_("Notes"), required=False, max_length=4000,
                            widget=forms.Textarea(attrs={"rows": 3}))
    amends = forms.IntegerField(required=False, min_value=1, widget=forms.HiddenInput)
    amendment_reason = forms.CharField(label=_("Reason for the correction"), required=False,
                                       max_length=300)

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        for kind in STANDARD_ITEMS:
            self.fields[f"{kind}_expected"] = forms.IntegerField(
                required=False, min_value=0, max_value=10_000_000, label=_("Expected"))
            self.fields[f"{kind}_counted"] = forms.IntegerField(
                required=False, min_value=0, max_value=10_000_000, label=_("Counted"))
            self.fields[f"{kind}_seals"] = forms.CharField(
                required=False, max_length=255, label=_("Seal numbers"))
            self.fields[f"{kind}_seal"] = forms.ChoiceField(
                required=False, choices=SEAL_CHOICES, label=_("Seal"))
            self.fields[f"{kind}_note"] = forms.CharField(required=False, max_length=300,
                                                          label=_("Note"))
        for key in Criterion.values:
            self.fields[f"crit_{key}"] = forms.ChoiceField(
                choices=OK_CHOICES, widget=forms.RadioSelect, label=Criterion(key).label)
            self.fields[f"crit_{key}_note"] = forms.CharField(required=False, max_length=200,
                                                              label=_("Note"))

    def item_rows(self):
        for kind in STANDARD_ITEMS:
            yield ItemKind(kind).label, [self[f"{kind}_{p}"] for p in
                                         ("expected", "counted", "seals", "seal", "note")]

    def criterion_rows(self):
        for key in Criterion.values:
            yield self[f"crit_{key}"], self[f"crit_{key}_note"]

    def clean(self):
        data = super().clean()
        items = []
        for kind in STANDARD_ITEMS:
            expected, counted = data.get(f"{kind}_expected"), data.get(f"{kind}_counted")
            if expected is None and counted is None:
                continue
            if expected is None or counted is None:
                self.add_error(f"{kind}_counted", _("Give both the expected and the counted "
                                                    "quantity."))
                continue
            seal = data.get(f"{kind}_seal") or ""
            items.append(ItemInput(
                kind=kind, expected_qty=expected, counted_qty=counted,
                seal_numbers=data.get(f"{kind}_seals") or "",
                seal_intact=None if not seal else seal == "intact",
                note=data.get(f"{kind}_note") or "",
            ))
        if not items and not self.errors:
            raise ValidationError(_("List at least one item."), code="items")
        self.items = items
        return data

    def entry(self) -> CheckInput:
        d = self.cleaned_data
        return CheckInput(
            client_key=d["client_key"], items=self.items, device_time=d.get("device_time"),
            criteria={key: {"ok": d.get(f"crit_{key}") == "ok",
                            "note": d.get(f"crit_{key}_note") or ""}
                      for key in Criterion.values},
            notes=d.get("notes") or "", amends_id=d.get("amends"),
            amendment_reason=d.get("amendment_reason") or "",
        )


class SignForm(forms.Form):
    confirm = forms.BooleanField(
        label=_("I checked this warehouse with the other pillars and agree with this record."))
    statement = forms.CharField(label=_("Remark (optional)"), required=False, max_length=300)


# --- incidents -------------------------------------------------------------------------------


def _local_datetime(text: str, zone: ZoneInfo) -> datetime:
    try:
        value = parse_datetime(text.strip())
    except ValueError:
        value = None
    if value is None or not 2000 <= value.year <= 2100:
        raise ValidationError(_("Enter a valid date and time."), code="invalid")
    return value.replace(tzinfo=zone) if timezone.is_naive(value) else value


class IncidentForm(FieldEntryForm):
    facility = forms.ModelChoiceField(label=_("Facility"), queryset=None)
    category = forms.ChoiceField(label=_("What happened"), choices=Category.choices)
    occurred_at = forms.CharField(
        label=_("When (local time of the facility)"), required=False, max_length=40,
        widget=widgets.DateTimeInput(),
        help_text=_("Leave empty for now."),
    )
    description = forms.CharField(label=_("Description"), max_length=4000,
                                  widget=forms.Textarea(attrs={"rows": 4}))
    location_detail = forms.CharField(label=_("Where exactly"), required=False, max_length=200)
    latitude = CoordinateField(limit=90)
    longitude = CoordinateField(limit=180)

    def __init__(self, *args, facilities, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["facility"].queryset = facilities

    def clean(self):
        data = super().clean()
        facility, typed = data.get("facility"), data.get("occurred_at")
        if facility is not None and typed:
            try:
                data["occurred_at"] = _local_datetime(typed, facility.zoneinfo)
            except ValidationError as error:
                self.add_error("occurred_at", error)
        else:
            data["occurred_at"] = None
        return data

    def entry(self) -> IncidentInput:
        d = self.cleaned_data
        return IncidentInput(
            client_key=d["client_key"], category=d["category"], description=d["description"],
            occurred_at=d.get("occurred_at"), device_time=d.get("device_time"),
            location_detail=d.get("location_detail") or "", latitude=d.get("latitude"),
            longitude=d.get("longitude"),
        )


class IncidentStepForm(forms.Form):
    step = forms.ChoiceField(choices=Step.choices)
    comment = forms.CharField(label=_("Comment"), required=False, max_length=2000,
                              widget=forms.Textarea(attrs={"rows": 2}))


class LinkAlertForm(forms.Form):
    alert = forms.ModelChoiceField(label=_("Alert"), queryset=None)

    def __init__(self, *args, alerts, viewer=None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["alert"].queryset = alerts
        if viewer is not None:  # titles as the viewer may read them (apps.alerts.redaction)
            titles = redaction.titles_for(viewer, alerts)
            self.fields["alert"].label_from_instance = lambda a: titles.get(a.pk, str(a))


class AttachEvidenceForm(forms.Form):
    frames = forms.MultipleChoiceField(choices=(), widget=forms.CheckboxSelectMultiple)
    note = forms.CharField(label=_("Note"), required=False, max_length=200)

    def __init__(self, *args, candidates, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["frames"].choices = [(f"{f.kind}:{f.id}", f"{f.camera} {f.taken_at}")
                                         for f in candidates]

    def chosen(self) -> list[tuple[str, int]]:
        out = []
        for value in self.cleaned_data["frames"]:
            kind, _sep, frame_id = value.partition(":")
            out.append((kind, int(frame_id)))
        return out


class IncidentAmendForm(forms.Form):
    category = forms.ChoiceField(label=_("What happened"), choices=Category.choices)
    description = forms.CharField(label=_("Description"), max_length=4000,
                                  widget=forms.Textarea(attrs={"rows": 4}))
    location_detail = forms.CharField(label=_("Where exactly"), required=False, max_length=200)
    reason = forms.CharField(label=_("Reason for the correction"), max_length=300)


class TipForm(forms.Form):
    form_token = forms.CharField(widget=forms.HiddenInput, max_length=200)
    # The honeypot: hidden by the stylesheet and labelled for screen readers as "leave empty".
    website = forms.CharField(required=False, max_length=200, label=_("Leave this empty"))
    facility = forms.ModelChoiceField(label=_("Near which place"), queryset=None,
                                      empty_label=_("Choose a place"))
    category = forms.ChoiceField(label=_("What did you see"), choices=Category.choices)
    description = forms.CharField(label=_("Describe it"), min_length=10, max_length=2000,
                                  widget=forms.Textarea(attrs={"rows": 5}))
    location_detail = forms.CharField(label=_("Where exactly (optional)"), required=False,
                                      max_length=200)
    contact = forms.CharField(label=_("Phone number, if we may call you (optional)"),
                              required=False, max_length=60)

    def __init__(self, *args, facilities, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["facility"].queryset = facilities


class DailyReportForm(forms.Form):
    operation = ReadOnceChoiceField(label=_("Operation"), queryset=None)
    region = ReadOnceChoiceField(label=_("Region"), queryset=None, required=False,
                                 empty_label=_("All regions"))
    day = forms.DateField(label=_("Day"), required=False,
                          widget=widgets.DateInput())

    def __init__(self, *args, operations, regions, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["operation"].queryset = operations
        self.fields["region"].queryset = regions

    def clean_day(self):
        day = self.cleaned_data.get("day")
        if day is not None and not 2000 <= day.year <= 2100:
            raise ValidationError(_("Enter a valid date."), code="invalid")
        return day
