from django import forms
from django.utils.translation import gettext_lazy as _

from apps.accounts.models import User


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
