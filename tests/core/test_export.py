"""The CSV helper writes files for the people who open them (apps.core.export)."""

from __future__ import annotations

import csv
import io
import uuid
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from django.utils import timezone, translation

from apps.core.export import CsvExport, choice_label, local_time, number
from apps.places.models import Facility
from apps.records.services.patrols import patrol_start
from tests.records.conftest import make_checkpoint


def _read(response) -> tuple[str, list[list[str]]]:
    text = response.content.decode("utf-8")
    delimiter = ";" if translation.get_language() == "id" else ","
    return text, list(csv.reader(io.StringIO(text.lstrip("\ufeff")), delimiter=delimiter))


def _export() -> CsvExport:
    export = CsvExport("x.csv")
    export.row("Objek", "Jenis", "Mulai", "Hari", "Cakupan", "Jumlah", "Lengkap")
    export.row("=HYPERLINK(\"x\")", choice_label(Facility.Kind, "kpu_warehouse"),
               local_time(datetime(2026, 12, 6, 13, 13, tzinfo=UTC), ZoneInfo("Asia/Jakarta")),
               date(2026, 12, 6), 12.345, -3, True)
    return export


def test_indonesian_file_opens_in_a_spreadsheet_with_indonesian_settings():
    with translation.override("id"):
        export = _export()
        text, rows = _read(export.response)
    assert text.startswith("\ufeff")  # UTF-8 byte order mark
    assert export.response["Content-Type"] == "text/csv; charset=utf-8"
    assert export.response["Content-Disposition"] == 'attachment; filename="x.csv"'
    assert rows[1] == ["'=HYPERLINK(\"x\")", "Gudang Logistik KPU", "2026-12-06 20:13 WIB",
                       "2026-12-06", "12,3", "-3", "ya"]


def test_english_file_uses_commas_and_decimal_points():
    with translation.override("en"):
        _text, rows = _read(_export().response)
    assert rows[1][1:] == ["KPU logistics warehouse", "2026-12-06 20:13 WIB", "2026-12-06",
                           "12.3", "-3", "yes"]


def test_numbers_are_never_grouped_and_local_time_names_the_zone():
    with translation.override("id"):
        assert number(412500.5, 2) == "412500,50"
        assert number(None) == ""
    makassar = ZoneInfo("Asia/Makassar")
    assert local_time(datetime(2026, 12, 6, 16, 0, tzinfo=UTC), makassar) == "2026-12-07 00:00 WITA"
    assert local_time(None, makassar) == ""


def test_a_bare_time_without_a_zone_is_refused():
    with pytest.raises(TypeError):
        CsvExport("x.csv").row(datetime(2026, 12, 6, tzinfo=UTC))


def test_an_unknown_code_is_shown_as_it_is():
    assert choice_label(Facility.Kind, "retired_kind") == "retired_kind"


def test_the_daily_report_csv_reads_in_indonesian(client, world):
    make_checkpoint(world.a.facilities["kpu_office"], "Gerbang utama")
    patrol_start(user=world.a.users["padal"], client_key=uuid.uuid4(), team_name="Samapta",
                 mode="motorcycle", member_names=[], pillars=[], planned=[],
                 operation=world.a.operation)
    client.force_login(world.a.users["commander"])
    response = client.get(reverse("records:daily_csv"), {
        "operation": world.a.operation.pk, "day": timezone.localdate().isoformat()})
    text, rows = _read(response)
    assert rows[0] == ["Operasi", world.a.operation.name]
    patrol = next(r for r in rows if r and r[0] == "Samapta")
    assert patrol[2] == "Sepeda motor"  # the label, not "motorcycle"
    assert patrol[3].endswith(" WIB") and "T" not in patrol[3] and "+00:00" not in text
