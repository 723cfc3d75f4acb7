"""The daily report PDF lays out a city's worth of facilities and cameras, every one printed."""

import base64
import re
import zlib
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from django.core.paginator import Paginator

from apps.accounts.models import User
from apps.core.pdf import CHUNK_ROWS
from apps.places.models import Facility, Operation
from apps.records.chain import ChainHead
from apps.records.report import CameraLine, DailyReport, FacilityLine
from apps.records.report_pdf import daily_report_pdf_bytes


def _page_text(pdf: bytes) -> str:
    """The text of every page content stream (reportlab writes them ASCII85 + zlib)."""
    texts = []
    for stream in re.findall(rb"stream\r?\n(.*?)endstream", pdf, re.S):
        data = stream.strip()
        if data.endswith(b"~>"):
            data = base64.a85decode(data[:-2])
        try:
            texts.append(zlib.decompress(data).decode("latin-1"))
        except zlib.error:
            continue  # not a compressed content stream
    return "".join(texts)


def _report(facilities: int, cameras: int) -> DailyReport:
    start = datetime(2026, 10, 1, tzinfo=UTC)
    places = [Facility(pk=i + 1, name=f"Objek {i:03d}") for i in range(facilities)]
    lines = [FacilityLine(f, 97.5, 3, 4, 1, 0, 0) for f in places]
    cams = [CameraLine(f"Kamera {i:04d}", places[i % facilities], 99.0) for i in range(cameras)]
    return DailyReport(
        operation=Operation(name="Operasi Uji"), region=None, day=date(2026, 10, 1),
        zone=ZoneInfo("Asia/Jakarta"), start=start, end=start + timedelta(days=1),
        observed_until=start + timedelta(days=1), facilities=lines, patrols=[], visits=0,
        missed_windows=0, checks=[], incidents=[], cameras=cams, alerts_by_kind=[],
        head=ChainHead(seq=7, entry_hash="ab" * 32, at=start), anchor=None,
        duty_available=True, facility_page=Paginator(lines, len(lines)).get_page(1),
    )


def test_every_facility_of_a_city_is_printed():
    report = _report(facilities=300, cameras=350)
    pdf = daily_report_pdf_bytes(report=report, user=User(username="cmd", full_name="Cmd"))
    assert pdf.startswith(b"%PDF")
    text = _page_text(pdf)
    assert len(set(re.findall(r"Objek \d{3}", text))) == 300
    assert len(set(re.findall(r"Kamera \d{4}", text))) == 350


def test_a_long_name_wraps_instead_of_running_over_its_column():
    report = _report(facilities=CHUNK_ROWS + 5, cameras=1)
    long_name = "Gudang Logistik Komisi Pemilihan Umum " * 4
    report.facilities[0].facility.name = long_name + "<b>"
    text = _page_text(daily_report_pdf_bytes(report=report, user=User(username="cmd")))
    # Wrapped over several lines, each its own text run; the markup-like name printed as is.
    assert long_name.strip() not in text
    assert "(Pemilihan Umum <) Tj (b) Tj (>) Tj" in text and "&lt;" not in text
