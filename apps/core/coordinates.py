"""Latitude and longitude sent by a phone (forms, offline queue, API): one parser, so every
entry point accepts and refuses the same values.

Phones report more digits than a metre needs: values are rounded to 6 decimals (about 10 cm)
rather than refused. Not-a-number, infinities, booleans and values beyond the poles or the
date line are refused."""

from __future__ import annotations

import math
from decimal import Decimal

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

LATITUDE_LIMIT, LONGITUDE_LIMIT = 90, 180
MAX_TEXT = 40  # longer than any honest decimal degree


def _unreadable() -> ValidationError:
    return ValidationError(_("The location is not readable."), code="location")


def coordinate(value, *, limit: int) -> Decimal | None:
    """A latitude (limit 90) or longitude (limit 180), or None when not sent."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, bool) or (isinstance(value, str) and len(value) > MAX_TEXT):
        raise _unreadable()
    try:
        number = float(value)
    except (TypeError, ValueError, OverflowError):
        raise _unreadable() from None
    if not math.isfinite(number) or abs(number) > limit:
        raise _unreadable()
    return Decimal(f"{number:.6f}")


class CoordinateField(forms.CharField):
    """A latitude or longitude as a hidden form field (filled in by the page's script)."""

    widget = forms.HiddenInput

    def __init__(self, *, limit: int, **kwargs) -> None:
        self.limit = limit
        super().__init__(required=False, max_length=MAX_TEXT, **kwargs)

    def clean(self, value):
        return coordinate(super().clean(value), limit=self.limit)
