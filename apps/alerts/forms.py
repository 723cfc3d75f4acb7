from django import forms
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from apps.accounts.models import User
from apps.alerts.models import STEP_ROLES, Alert
from apps.org.models import Region


class AlertActionForm(forms.Form):
    ACTIONS = [
        ("acknowledge", _("Acknowledge")),
        ("assign", _("Assign")),
        ("resolve", _("Resolve")),
    ]
    action = forms.ChoiceField(choices=ACTIONS)
    comment = forms.CharField(
        label=_("Comment"), max_length=2000, required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    assignee = forms.ModelChoiceField(
        label=_("Assign to"), queryset=User.objects.none(), required=False
    )

    def __init__(self, *args, assignees=None, **kwargs):
        super().__init__(*args, **kwargs)
        if assignees is not None:
            self.fields["assignee"].queryset = assignees

    def clean(self):
        data = super().clean()
        if data.get("action") == "assign" and not data.get("assignee"):
            self.add_error("assignee", _("Choose who takes this alert."))
        if data.get("action") == "resolve" and not (data.get("comment") or "").strip():
            self.add_error("comment", _("Say how the alert was resolved."))
        return data


class EscalationChainForm(forms.Form):
    """A region's chain for a severity, its steps in order; no step: back to the default."""

    STEPS = 5
    region = forms.ModelChoiceField(label=_("Region"), queryset=Region.objects.none())
    severity = forms.TypedChoiceField(
        label=_("Severity"), coerce=int,
        choices=[(s.value, s.label) for s in Alert.Severity if s >= Alert.Severity.HIGH])
    repeat_minutes = forms.IntegerField(
        label=capfirst(_("repeat the last step every (minutes)")), min_value=1, max_value=120,
        initial=5)

    def __init__(self, *args, regions, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["region"].queryset = regions
        for n in range(1, self.STEPS + 1):
            self.fields[f"role_{n}"] = forms.ChoiceField(
                label=_("Step %(n)d") % {"n": n}, required=False,
                choices=[("", "—"), *STEP_ROLES])
            self.fields[f"delay_{n}"] = forms.IntegerField(
                label=capfirst(_("after (minutes)")), min_value=0, max_value=240,
                required=False)

    def clean(self):
        data = super().clean()
        steps = []
        for n in range(1, self.STEPS + 1):
            role, delay = data.get(f"role_{n}"), data.get(f"delay_{n}")
            if role and delay is None:
                self.add_error(f"delay_{n}", _("Say after how many minutes."))
            elif role:
                steps.append((role, delay))
        data["steps"] = steps
        return data
