"""One coordinate parser (apps.core.coordinates) behind the check-in form, the field-record
forms and the API: each accepts and refuses the same values."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from rest_framework import serializers

from apps.api.serializers.base import CoordinateField as ApiCoordinateField
from apps.core.coordinates import coordinate
from apps.duty.forms import CheckInForm
from apps.records.forms import VisitForm


def _check_in_form(value):
    form = CheckInForm(data={"latitude": value})
    if form.is_valid():
        return form.cleaned_data["latitude"]
    raise ValidationError(form.errors["latitude"])


def _records_form(value):
    return VisitForm.base_fields["latitude"].clean(value)


def _api(value):
    try:
        return ApiCoordinateField(limit=90).run_validation(value)
    except serializers.ValidationError as error:
        raise ValidationError(str(error.detail)) from None


ENTRY_POINTS = [_check_in_form, _records_form, _api]


@pytest.mark.parametrize("parse", ENTRY_POINTS, ids=["check-in", "records", "api"])
@pytest.mark.parametrize(("value", "expected"), [
    ("-8.0954321", Decimal("-8.095432")),  # more digits than a metre needs: rounded
    ("90", Decimal("90.000000")),
    ("-90", Decimal("-90.000000")),
])
def test_readable_latitudes(parse, value, expected):
    assert parse(value) == expected


@pytest.mark.parametrize("parse", ENTRY_POINTS, ids=["check-in", "records", "api"])
@pytest.mark.parametrize("value", ["90.0000001", "-91", "nan", "NaN", "inf", "-Infinity",
                                   "1e400", "utara", "1" * 41])
def test_unreadable_latitudes_are_refused(parse, value):
    with pytest.raises(ValidationError):
        parse(value)


@pytest.mark.parametrize("value", [True, float("nan"), 181.0, [1], {"a": 1}])
def test_values_that_are_not_numbers_or_out_of_range_are_refused(value):
    with pytest.raises(ValidationError):
        coordinate(value, limit=180)


def test_not_sent_is_none():
    assert coordinate(None, limit=90) is None and coordinate("  ", limit=90) is None
    assert _check_in_form("") is None and _records_form("") is None
    assert ApiCoordinateField(limit=90).run_validation(None) is None
