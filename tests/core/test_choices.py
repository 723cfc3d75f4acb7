"""apps.core.choices: a model choice validated and rendered from the rows read once."""

from __future__ import annotations

import pytest
from django import forms
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from apps.core.choices import ReadOnceChoiceField
from apps.org.models import Region

pytestmark = pytest.mark.django_db


class _Form(forms.Form):
    region = ReadOnceChoiceField(queryset=Region.objects.order_by("path"), required=False)


def test_the_rows_are_read_once_for_the_choice_and_the_options(world):
    regions = list(Region.objects.order_by("path"))
    form = _Form({"region": str(regions[-1].pk)})
    with CaptureQueriesContext(connection) as captured:
        assert form.is_valid()
        html = str(form["region"])
    assert len(captured.captured_queries) == 1
    assert form.cleaned_data["region"] == regions[-1]
    assert all(f'value="{r.pk}"' in html for r in regions)


def test_a_choice_outside_the_rows_is_refused(world):
    field = _Form().fields["region"]
    field.queryset = Region.objects.filter(pk=Region.objects.order_by("pk").first().pk)
    other = Region.objects.order_by("pk").last()
    with pytest.raises(ValidationError):
        field.clean(str(other.pk))
    with pytest.raises(ValidationError):
        field.clean("not a number")
    assert field.clean(field.queryset.get()) == field.queryset.get()
    assert field.clean("") is None
