"""The daily report PDF lays out a city's worth of facilities and cameras, every one printed."""

import base64
import re
import zlib
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from django.core.paginator import Paginator
from reportlab.platypus import Table, TableStyle

from apps.accounts.models import User
from apps.core.pdf import A4Document, cell, table
from apps.places.models import Facility, Operation
from apps.records.chain import ChainHead
from apps.records.report import CameraLine, DailyReport, FacilityLine
from apps.records.report_pdf import daily_report_pdf_bytes


def _page_text(pdf: bytes) -> str:
    """The text of every page content stream (zlib; ASCII85 too if reportlab is set to)."""
    return "".join(_page_texts(pdf))


def _page_texts(pdf: bytes) -> list[str]:
    """Each page content stream's text: binary streams are not stripped, their first or last
    byte may be a blank."""
    texts = []
    for stream in re.findall(rb"stream\r?\n(.*?)endstream", pdf, re.S):
        data = stream
        if data.rstrip().endswith(b"~>"):
            data = base64.a85decode(data.strip()[:-2])
        try:
            texts.append(zlib.decompressobj().decompress(data).decode("latin-1"))
        except zlib.error:
            continue  # not a compressed content stream
    return texts


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
    report = _report(facilities=45, cameras=1)
    long_name = "Gudang Logistik Komisi Pemilihan Umum " * 4
    report.facilities[0].facility.name = long_name + "<b>"
    text = _page_text(daily_report_pdf_bytes(report=report, user=User(username="cmd")))
    # Wrapped over several lines, each its own text run; the markup-like name printed as is.
    assert long_name.strip() not in text
    assert "(Pemilihan Umum <) Tj (b) Tj (>) Tj" in text and "&lt;" not in text


def test_every_facility_is_printed_once_and_the_header_only_atop_each_page():
    report = _report(facilities=300, cameras=1)
    pages = [page for page in _page_texts(daily_report_pdf_bytes(
        report=report, user=User(username="cmd"))) if " Tj" in page]
    printed = Counter(re.findall(r"\((Objek \d{3})\) Tj", "".join(pages)))
    # Each once in the facilities, and the one camera's facility once more.
    assert printed == {f"Objek {i:03d}": 1 for i in range(300)} | {"Objek 000": 2}
    # The facilities run over several pages, each under the header, and no header stands in
    # the middle of a page (once there was one every 40 rows): one a page, and one more
    # where the cameras' table begins.
    with_facilities = [page for page in pages if re.search(r"\(Objek \d{3}\) Tj", page)]
    assert len(with_facilities) > 3
    assert all(page.count("(Objek) Tj") >= 1 for page in with_facilities)
    assert sum(page.count("(Objek) Tj") for page in pages) <= len(pages) + 1


def _reportlab_table(cells, widths, style):
    chunk = Table(cells, colWidths=widths, repeatRows=1)
    chunk.setStyle(TableStyle([("FONT", (0, 0), (-1, -1), style.fontName, style.fontSize,
                                style.leading), ("VALIGN", (0, 0), (-1, -1), "TOP")]))
    return chunk


def test_a_table_is_laid_out_as_reportlab_table_lays_it_out():
    """Same heights and the same page breaks as reportlab's Table (which the reports used):
    a long report breaks its pages where it did."""
    document = A4Document(title="t", author="a", footer="f")
    style, widths = document.small, [document.width * 0.34, document.width * 0.66]
    rows = [["Objek", "Catatan"]] + [[f"Objek {i:03d}", "ok"] for i in range(39)]
    rows[7][1] = "Gudang Logistik Komisi Pemilihan Umum " * 6  # wraps over several lines
    (ours,) = table(rows, widths, style)
    theirs = _reportlab_table([[cell(v, w, style) for v, w in zip(row, widths, strict=True)]
                               for row in rows], widths, style)
    assert ours.wrap(document.width, 10_000) == theirs.wrap(document.width, 10_000)
    assert ours.hAlign == theirs.hAlign  # placed alike in the frame
    def heights(pieces):
        return [piece.wrap(document.width, 10_000)[1] for piece in pieces]

    for room in (60, 200, 333.3, 500):
        assert heights(ours.split(document.width, room)) == heights(
            theirs.split(document.width, room))
    assert ours.split(document.width, 15) == theirs.split(document.width, 15) == []
