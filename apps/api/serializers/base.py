"""Serializer building blocks: unknown keys refused, times only with their UTC offset."""

from __future__ import annotations

from collections.abc import Mapping

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import models
from django.utils import timezone
from django.utils.functional import lazy
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from apps.core.coordinates import coordinate
from apps.core.timing import MAX_YEAR, MIN_YEAR


class StrictMixin:
    """Refuse keys the serializer does not write: a typo must not be silently dropped, and a
    read-only field such as `id` or a hidden `facility` cannot be slipped into a write
    (mass assignment)."""

    def to_internal_value(self, data):
        if isinstance(data, Mapping):
            writable = {name for name, field in self.fields.items() if not field.read_only}
            unknown = sorted(str(key) for key in data if key not in writable)
            if unknown:
                raise serializers.ValidationError(
                    {key: [_("Unknown field.")] for key in unknown}, code="unknown_field")
        return super().to_internal_value(data)


def _year_text() -> str:
    return gettext("The year must be between %(low)d and %(high)d.") % {
        "low": MIN_YEAR, "high": MAX_YEAR}


_year_message = lazy(_year_text, str)  # translated when shown, not at import


class AwareDateTimeField(serializers.DateTimeField):
    """ISO 8601 with a UTC offset, both ways. A time without one is refused rather than
    guessed: a phone in WITA and a server in WIB must not disagree silently."""

    default_error_messages = {
        "naive": _("Give the time with its UTC offset, e.g. 2026-02-14T08:00:00+07:00."),
        "year": _year_message(),
    }

    def enforce_timezone(self, value):
        if timezone.is_naive(value):
            self.fail("naive")
        return super().enforce_timezone(value)

    def to_internal_value(self, value):
        parsed = super().to_internal_value(value)
        if not MIN_YEAR <= parsed.year <= MAX_YEAR:
            self.fail("year")
        return parsed


class CoordinateField(serializers.FloatField):
    """Latitude or longitude in degrees (null when not sent), read as every entry point reads
    it (apps.core.coordinates): rounded to 6 decimals (about 10 cm)."""

    def __init__(self, *, limit: int, **kwargs) -> None:
        kwargs.setdefault("required", False)
        kwargs.setdefault("allow_null", True)
        self.limit = limit
        super().__init__(min_value=-limit, max_value=limit, **kwargs)  # bounds for the schema

    def to_internal_value(self, data):
        if isinstance(data, str) and not data.strip():
            self.fail("invalid")  # JSON says "not sent" with null
        try:
            return coordinate(data, limit=self.limit)
        except DjangoValidationError as error:
            raise serializers.ValidationError(error.messages, code=error.code) from None


class Serializer(StrictMixin, serializers.Serializer):
    pass


class ModelSerializer(StrictMixin, serializers.ModelSerializer):
    serializer_field_mapping = {
        **serializers.ModelSerializer.serializer_field_mapping,
        models.DateTimeField: AwareDateTimeField,
    }


class NameField(serializers.CharField):
    """A related object's display name (str()), read only."""

    def __init__(self, source: str, **kwargs) -> None:
        super().__init__(source=source, read_only=True, **kwargs)

    def to_representation(self, value) -> str:
        return str(value)
