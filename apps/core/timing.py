"""Device time beside server time, for entries made on a phone (maybe offline): field records
and check-ins/check-outs judge what a phone's clock says by this one window.

The server's receive time is always recorded and never replaced. The phone's time says when
the entry was made; it is accepted only inside a window: up to 5 minutes ahead of the server
(clocks drift; a little ahead is clamped to now), and up to 24 hours behind (an entry queued
offline for a night shift). Older than an hour is accepted and flagged as sent late. Naive
times are refused: an offline queue in WITA and a server in WIB must not disagree silently.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

DEVICE_FUTURE_LIMIT = timedelta(minutes=5)
DEVICE_PAST_LIMIT = timedelta(hours=24)
DEVICE_DELAY_FLAG = timedelta(hours=1)
MIN_YEAR, MAX_YEAR = 2000, 2100


def parse_device_time(text: str | None) -> datetime | None:
    """ISO 8601 with an offset (what `Date.toISOString()` sends); empty means "not sent"."""
    text = (text or "").strip()
    if not text:
        return None
    if len(text) > 40:
        raise ValidationError(_("The phone sent an unreadable time."), code="invalid")
    try:
        value = parse_datetime(text)
    except ValueError:
        value = None
    if value is None:
        raise ValidationError(_("The phone sent an unreadable time."), code="invalid")
    if timezone.is_naive(value):
        raise ValidationError(_("The phone's time has no time zone."), code="naive")
    if not MIN_YEAR <= value.year <= MAX_YEAR:
        raise ValidationError(_("The phone's clock is wrong: check its date."), code="year")
    return value


class DeviceTimeField(forms.CharField):
    """The phone's clock as a hidden form field; empty means "not sent"."""

    widget = forms.HiddenInput

    def __init__(self, **kwargs) -> None:
        super().__init__(required=False, max_length=40, **kwargs)

    def clean(self, value):
        return parse_device_time(super().clean(value))


@dataclass(frozen=True)
class Timing:
    occurred_at: datetime
    device_time: datetime | None
    received_at: datetime
    delayed: bool


def device_time_window(device_time: datetime | None, *, now: datetime) -> Timing:
    """When the entry happened (`occurred_at`) by what the phone said, or ValidationError."""
    if device_time is None:
        return Timing(now, None, now, False)
    if timezone.is_naive(device_time):
        raise ValidationError(_("The phone's time has no time zone."), code="naive")
    if device_time > now + DEVICE_FUTURE_LIMIT:
        raise ValidationError(_("The phone's clock is ahead of the server: check its time."),
                              code="future")
    if device_time < now - DEVICE_PAST_LIMIT:
        raise ValidationError(_("This entry is more than 24 hours old and cannot be sent."),
                              code="too_old")
    return Timing(min(device_time, now), device_time, now,
                  device_time < now - DEVICE_DELAY_FLAG)
