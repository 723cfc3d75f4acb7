from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from apps.access import policy
from apps.cameras import services
from apps.cameras.models import Camera, CameraShare
from apps.cameras.services import RECORDING_FIELDS
from apps.core import widgets
from apps.places.models import Facility


class CameraForm(forms.ModelForm):
    """Camera settings. Credentials are write-only: the fields start empty, an empty field
    keeps the stored value, and nothing secret is ever rendered back. Saved through
    apps.cameras.services.camera_save as `user`; the orientation is offered only to the owner
    agency's officials (it decides whether the camera may ever be shared)."""

    username = forms.CharField(
        label=_("Username"), required=False, max_length=128,
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
        help_text=_("Leave empty to keep the stored username."),
    )
    password = forms.CharField(
        label=_("Password"), required=False, max_length=256,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
        help_text=_("Leave empty to keep the stored password."),
    )
    clear_credentials = forms.BooleanField(label=_("Remove stored credentials"), required=False)

    class Meta:
        model = Camera
        fields = [
            "facility", "name", "source_kind", "url", "substream_url", "orientation", "enabled",
            "analysis_fps", "snapshot_interval", "idle_snapshot_interval", "timeline_interval",
            "timeline_retention_days", "armed_from", "armed_until", "recording_mode",
            "recording_days", "recording_alert_days", "motion_zones", "privacy_masks",
        ]
        widgets = {
            "motion_zones": forms.HiddenInput(),
            "privacy_masks": forms.HiddenInput(),
            "armed_from": widgets.TimeInput(),
            "armed_until": widgets.TimeInput(),
        }

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        # Where the camera may be: facilities this person configures (the service asks again).
        self.fields["facility"].queryset = policy.scope(
            user, Facility.objects.all(), policy.Action.MANAGE)
        # The recording settings keep their stored values when a post leaves them out (a
        # form posted by a script written before they existed, or a disabled field).
        for name in RECORDING_FIELDS:
            if name in self.fields:  # the admin leaves out what it shows read-only
                self.fields[name].required = False
        if not may_classify(user, self.instance):
            for name in OWNERS_FIELDS:
                if name in self.fields:
                    self.fields[name].disabled = True
            if "orientation" in self.fields:
                self.fields["orientation"].help_text = _(
                    "Only the owner agency may change a camera's orientation.")

    def clean(self) -> dict:
        cleaned = super().clean()
        for name in RECORDING_FIELDS:
            if cleaned.get(name) in (None, "") and name not in self.errors:
                cleaned[name] = getattr(self.instance, name)
        return cleaned

    def clean_analysis_fps(self) -> float:
        value = self.cleaned_data["analysis_fps"]
        if not 0.2 <= value <= 15:
            raise forms.ValidationError(_("Between 0.2 and 15 frames per second."))
        return value

    def save(self, commit: bool = True) -> Camera:
        if not commit:
            return super().save(commit=False)
        camera = services.camera_save(camera=self.instance, by=self.user)
        self.save_credentials(camera)
        return camera

    def save_credentials(self, camera: Camera) -> None:
        """Store what was typed (after the camera is saved: the key is bound to its id)."""
        if self.cleaned_data.get("clear_credentials"):
            camera.set_credentials("", "")
        else:
            camera.set_credentials(
                self.cleaned_data.get("username") or None,
                self.cleaned_data.get("password") or None,
            )


# What the camera may show and what of it is kept: the owner agency's to set
# (apps.cameras.services.camera_save).
OWNERS_FIELDS = ("orientation", "privacy_masks", *RECORDING_FIELDS)


def may_classify(user, camera: Camera) -> bool:
    """Whether `user` is offered the orientation and masks of `camera` (the service decides
    again): its
    owner agency's officials; for a new camera, officials, who add cameras only to their own
    agency's facilities."""
    if camera.pk is None or camera.facility_id is None:
        return user.has_role("facility_official")
    return policy.is_camera_owner(user, camera)


class ShareForm(forms.Form):
    grantee = forms.ModelChoiceField(label=_("Share with"), queryset=None)
    operation = forms.ModelChoiceField(label=_("For operation"), queryset=None, required=False)
    basis = forms.CharField(label=_("Legal basis"), max_length=255)
    recordings = forms.TypedChoiceField(
        label=_("Rights granted"), choices=CameraShare._meta.get_field("recordings").choices,
        coerce=lambda value: value in (True, "True"), empty_value=False, initial=False,
        required=False,
        help_text=_("Recordings: only footage recorded within the share's period."))
    valid_until = forms.DateTimeField(
        label=_("Valid until"), required=False,
        widget=widgets.DateTimeInput(),
    )

    def __init__(self, *args, grantees, operations, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["grantee"].queryset = grantees
        self.fields["operation"].queryset = operations


class RevokeForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=255)
