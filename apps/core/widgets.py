"""Form inputs whose values every browser accepts, in every language of the portal.

A browser's date, time and datetime-local inputs take one fixed format (RFC 3339: 2026-12-06,
18:00, 2026-12-06T18:00) whatever the page's language, and drop any other value: Django's
default widgets render the active locale's format (Indonesian 18.00.00), so the input showed
empty and saving the form unchanged cleared the value. These widgets always render the
browser's format; Django parses it back in every language (the ISO input formats are always
accepted). Every form of the project uses these instead of Django's date and time widgets.
(Number inputs need nothing: Django localises a widget's value only for a field made with
localize=True, and no field here is.)
"""

from __future__ import annotations

from django import forms

DATE_FORMAT = "%Y-%m-%d"
TIME_FORMAT = "%H:%M"
DATETIME_FORMAT = "%Y-%m-%dT%H:%M"


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs=None) -> None:
        super().__init__(attrs, format=DATE_FORMAT)


class TimeInput(forms.TimeInput):
    input_type = "time"

    def __init__(self, attrs=None) -> None:
        super().__init__(attrs, format=TIME_FORMAT)


class DateTimeInput(forms.DateTimeInput):
    """A wall-clock time without a zone (datetime-local): the field decides which zone."""

    input_type = "datetime-local"

    def __init__(self, attrs=None) -> None:
        super().__init__(attrs, format=DATETIME_FORMAT)

