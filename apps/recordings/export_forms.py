"""The evidence export form: cameras (one by one, or every camera of a facility), the span
in the facility's local time, the reason and the legal basis."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from apps.cameras.models import Camera
from apps.core.templatetags.posko import in_zone
from apps.places.models import Facility

_LOCAL = forms.DateTimeInput(attrs={"type": "datetime-local", "step": 1},
                             format="%Y-%m-%dT%H:%M:%S")


class ExportForm(forms.Form):
    facility = forms.ModelChoiceField(
        label=_("Every camera of a facility"), queryset=Facility.objects.none(),
        required=False, empty_label=_("— none, I choose cameras below —"))
    cameras = forms.ModelMultipleChoiceField(
        label=_("Cameras"), queryset=Camera.objects.none(), required=False,
        widget=forms.CheckboxSelectMultiple)
    start = forms.DateTimeField(label=_("From"), widget=_LOCAL,
                                help_text=_("In the facility's local time."))
    end = forms.DateTimeField(label=_("Until"), widget=_LOCAL)
    reason = forms.CharField(label=_("Reason"), max_length=2000,
                             widget=forms.Textarea(attrs={"rows": 3}))
    legal_basis = forms.CharField(
        label=_("Legal basis"), max_length=255,
        help_text=_("E.g. the investigator's letter of request (surat permintaan penyidik) "
                    "with its number and date, or a court order."))

    def __init__(self, *args, cameras, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        cameras = cameras.select_related("facility__region").order_by("facility__name", "name")
        self.fields["cameras"].queryset = cameras
        self.fields["cameras"].label_from_instance = (
            lambda camera: f"{camera.facility.name} · {camera.name}")
        self.fields["facility"].queryset = Facility.objects.filter(
            pk__in=cameras.values("facility_id")).order_by("name")
        self._reviewable = cameras

    def clean(self) -> dict:
        data = super().clean()
        chosen = {camera.pk: camera for camera in data.get("cameras") or ()}
        if data.get("facility"):
            chosen.update((camera.pk, camera) for camera in
                          self._reviewable.filter(facility=data["facility"]))
        if not chosen:
            raise forms.ValidationError(_("Choose a facility or at least one camera."))
        zones = {camera.facility.region.timezone for camera in chosen.values()}
        if len(zones) > 1:  # the bounds are the service's (exports.export_request)
            raise forms.ValidationError(_("Choose cameras in one time zone: the span is read "
                                          "in their facilities' local time."))
        zone = ZoneInfo(zones.pop())
        for field in ("start", "end"):
            if data.get(field):  # read as typed, in the facility's zone
                typed = timezone.make_naive(data[field], timezone.get_current_timezone())
                data[field] = timezone.make_aware(typed, zone)
        data["chosen"] = list(chosen.values())
        return data


class AttachForm(forms.Form):
    incident = forms.TypedChoiceField(label=_("Incident"), coerce=int)

    def __init__(self, *args, incidents, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["incident"].choices = [
            (i.pk, f"#{i.pk} {i} · {in_zone(i.occurred_at, i.facility.region)}")
            for i in incidents]


class ReleaseForm(forms.Form):
    reason = forms.CharField(label=_("Why the hold is released"), max_length=500)
