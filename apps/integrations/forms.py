from django import forms
from django.utils.translation import gettext_lazy as _

from apps.alerts.models import Alert
from apps.integrations.models import WebhookEndpoint
from apps.org.models import Region


class TokenForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=80,
                           help_text=_("Which device or system uses it, e.g. “Phone Pos 1”."))


class WebhookForm(forms.ModelForm):
    region = forms.ModelChoiceField(Region.objects.all(), required=False,
                                    label=_("Only in region"))
    min_severity = forms.TypedChoiceField(choices=Alert.Severity.choices, coerce=int,
                                          label=_("Lowest alert severity"))

    class Meta:
        model = WebhookEndpoint
        fields = ["name", "url", "send_alerts", "send_incidents", "min_severity", "region",
                  "active"]
        widgets = {"url": forms.URLInput(attrs={"placeholder": "https://"})}
