"""The device-time window (apps.core.timing) that field records and check-ins both use; their
own tests check that each entry point applies it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.core.exceptions import ValidationError

from apps.core.timing import device_time_window, parse_device_time

NOW = datetime(2026, 11, 23, 22, 0, tzinfo=UTC)


def test_no_device_time_means_now():
    timing = device_time_window(None, now=NOW)
    assert (timing.occurred_at, timing.device_time, timing.delayed) == (NOW, None, False)


@pytest.mark.parametrize(("offset", "occurred", "delayed"), [
    (timedelta(minutes=5), NOW, False),  # a little ahead: clamped to now
    (timedelta(minutes=-59), NOW - timedelta(minutes=59), False),
    (timedelta(hours=-2), NOW - timedelta(hours=2), True),  # sent late: accepted, flagged
    (timedelta(hours=-24), NOW - timedelta(hours=24), True),
])
def test_inside_the_window(offset, occurred, delayed):
    timing = device_time_window(NOW + offset, now=NOW)
    assert (timing.occurred_at, timing.device_time, timing.received_at, timing.delayed) == (
        occurred, NOW + offset, NOW, delayed)


@pytest.mark.parametrize(("device_time", "code"), [
    (NOW + timedelta(minutes=5, seconds=1), "future"),
    (NOW - timedelta(hours=24, seconds=1), "too_old"),
    (NOW.replace(tzinfo=None), "naive"),
])
def test_outside_the_window(device_time, code):
    with pytest.raises(ValidationError) as error:
        device_time_window(device_time, now=NOW)
    assert error.value.code == code


@pytest.mark.parametrize(("text", "code"), [
    ("2026-11-23T22:00:00", "naive"), ("kemarin", "invalid"), ("9" * 41, "invalid"),
    ("1999-12-31T23:00:00Z", "year"),
])
def test_unreadable_device_times_are_refused(text, code):
    with pytest.raises(ValidationError) as error:
        parse_device_time(text)
    assert error.value.code == code


def test_an_iso_time_with_its_offset_is_read():
    assert parse_device_time(" 2026-11-23T22:00:00.000Z ") == NOW
    assert parse_device_time("") is None
