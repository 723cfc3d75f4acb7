"""CSV exports written for the people who open them, not for developers.

One helper, `CsvExport`, for every CSV the portal offers:
- headers in the reader's language (pass gettext strings; the request's language is active);
- human labels instead of internal codes (pass `get_FOO_display()` or `choice_label(...)`);
- times in the facility's own zone with its name (`local_time`: "2026-12-06 20:13 WIB");
- a file a spreadsheet opens correctly with the reader's regional settings: a UTF-8 byte
  order mark (or Excel guesses a legacy code page and garbles "–" and names), and, where the
  language writes a decimal comma (Indonesian), ';' between cells and "12,5" for numbers,
  as Excel and LibreOffice expect under Indonesian settings;
- text that looks like a formula stays text (`safe_csv_cell`).
"""

from __future__ import annotations

import csv
import io
from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.http import HttpResponse
from django.utils import formats, numberformat, timezone
from django.utils.translation import gettext

from apps.core.zones import zone_label

_FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
_BOM = "\ufeff"


def safe_csv_cell(value: object) -> str:
    """Spreadsheets run cells that start like a formula; prefix them so they stay text."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA_PREFIXES) else text


class _Number(str):
    """A number already written the reader's way: never taken for a formula."""


def number(value: float | Decimal | int | None, places: int = 1) -> str:
    """`value` rounded to `places` decimals with the language's decimal separator and no
    thousands grouping (a grouped figure is text to a spreadsheet). None is an empty cell."""
    if value is None:
        return ""
    return _Number(numberformat.format(
        value, formats.get_format("DECIMAL_SEPARATOR"), decimal_pos=places,
        grouping=0, thousand_sep="", force_grouping=False, use_l10n=True))


def _zone_of(zone_owner: ZoneInfo | object) -> ZoneInfo:
    return zone_owner if isinstance(zone_owner, ZoneInfo) else zone_owner.zoneinfo


def local_time(moment: datetime | None, zone_owner: ZoneInfo | object) -> str:
    """An aware time in a zone (or a facility's/region's zone) with the zone's name, in a
    form spreadsheets of every language read the same: "2026-12-06 20:13 WIB"."""
    if moment is None:
        return ""
    zone = _zone_of(zone_owner)
    local = timezone.localtime(moment, zone)
    return f"{local:%Y-%m-%d %H:%M} {zone_label(zone)}"


def choice_label(choices, value: str) -> str:
    """The human label of a stored choice (`choices` is a TextChoices class); the code
    itself when it is not (or no longer) one of them."""
    try:
        return str(choices(value).label)
    except ValueError:
        return value


def choice_labels(choices) -> dict[str, str]:
    """Every label of `choices` (a TextChoices class) by its code, translated once: for a
    list of rows, `labels.get(code, code)`. Translated row by row (get_FOO_display), a
    city's day of patrols cost ~10 ms of a report."""
    return {value: str(label) for value, label in choices.choices}


def _cell(value: object) -> str:
    if type(value) is str:  # most cells of a long export: one test instead of seven
        return safe_csv_cell(value)
    if value is None:
        return ""
    if isinstance(value, bool):
        return gettext("yes") if value else gettext("no")
    if isinstance(value, _Number):
        return value
    if isinstance(value, int):
        return _Number(value)
    if isinstance(value, float | Decimal):
        return number(value)
    if isinstance(value, datetime):
        raise TypeError("Give times through local_time(moment, zone): a CSV time needs a zone.")
    if isinstance(value, date):
        return value.isoformat()
    return safe_csv_cell(value)


class CsvExport:
    """An attachment response that rows are written into:

        export = CsvExport("cakupan.csv")
        export.row(_("Facility"), _("Kind"))
        export.row(facility.name, facility.get_kind_display())
        return export.response
    """

    def __init__(self, filename: str) -> None:
        self._response = HttpResponse(content_type="text/csv; charset=utf-8")
        self._response["Content-Disposition"] = f'attachment; filename="{filename}"'
        # Rows are gathered as text and encoded once: written to the response one by one,
        # each of a city's daily report's ~1,500 rows looked up the response's charset again.
        self._text = io.StringIO(_BOM)
        self._text.seek(0, io.SEEK_END)
        decimal_comma = formats.get_format("DECIMAL_SEPARATOR") == ","
        self._writer = csv.writer(self._text, delimiter=";" if decimal_comma else ",")

    @property
    def response(self) -> HttpResponse:
        """The response holding every row written so far."""
        self._response.content = self._text.getvalue()
        return self._response

    def row(self, *cells: object) -> None:
        self._writer.writerow([_cell(c) for c in cells])

    def rows(self, rows) -> None:
        for cells in rows:
            self.row(*cells)
