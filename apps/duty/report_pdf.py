"""The coverage report as a PDF to print and sign (A4 landscape, reportlab).

Summary per facility, the heatmap in compact form, the gaps with start, end and shortfall,
and a signature block. Every text from the database goes through `escape`: Paragraph reads
markup, and a facility called "<b>" must print as written."""

from __future__ import annotations

import io
from xml.sax.saxutils import escape

from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.platypus import (
    KeepTogether,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)

from apps.accounts.models import User
from apps.core.export import choice_label, number
from apps.core.zones import zone_label
from apps.duty.coverage_page import CoverageView
from apps.org.models import Agency

STATUS_COLOURS = {
    "ok": colors.HexColor("#cfe8d6"),
    "short": colors.HexColor("#f6c7c3"),
    "empty": colors.HexColor("#b3261e"),
    "future": colors.white,
    "future-short": colors.HexColor("#fbe7b5"),
    "no-standard": colors.HexColor("#eef1f4"),
    "no-posts": colors.HexColor("#eef1f4"),
}
MAX_GAP_LINES = 300
COLUMNS_PER_TABLE = 31


def _local(moment, zone) -> str:
    local = timezone.localtime(moment, zone)
    label = zone_label(zone)
    return f"{date_format(local, 'SHORT_DATETIME_FORMAT')} {label}"


def _hours(minutes: float) -> str:
    return number(minutes / 60, 1)


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{value:.0f}%"


def coverage_pdf_bytes(*, view: CoverageView, user: User) -> bytes:
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(
        buffer, pagesize=landscape(A4), leftMargin=12 * mm, rightMargin=12 * mm,
        topMargin=12 * mm, bottomMargin=12 * mm,
        title=_("Guard coverage report"), author=str(user), creator="Posko",
    )
    styles = getSampleStyleSheet()
    small = ParagraphStyle("small", parent=styles["Normal"], fontSize=7.5, leading=9)
    tiny = ParagraphStyle("tiny", parent=small, fontSize=6, leading=7)
    story = [
        Paragraph(escape(_("Guard coverage report (penjagaan 1x24 jam)")), styles["Title"]),
        Paragraph(escape(_("Period: %(start)s – %(end)s") % {
            "start": _local(view.period.start, view.zone),
            "end": _local(view.period.end, view.zone)}), styles["Normal"]),
        Paragraph(escape(_("Facilities: %(count)d. Presence counted up to %(now)s.") % {
            "count": view.facility_count,
            "now": _local(view.report.observed_until, view.zone)}), styles["Normal"]),
        Paragraph(escape(
            _("Unobserved time: too few guards present and no camera online or degraded.")
            if view.report.camera_data_used else
            _("Unobserved time counts guards only (no camera data).")), small),
        Spacer(1, 4 * mm),
    ]

    header = [_("Facility"), _("Zone"), _("Coverage"), _("Staffing"), _("Required (h)"),
              _("Short (h)"), _("Unobserved (h)"), _("Gaps")]
    rows = [[Paragraph(escape(h), small) for h in header]]
    for row in view.rows:
        r = row.result
        rows.append([
            Paragraph(escape(row.facility.name), small),
            row.facility.region.zone_abbreviation,
            _pct(r.coverage_pct), _pct(r.staffing_pct), _hours(r.required_minutes),
            _hours(r.short_minutes), _hours(r.unobserved_minutes), str(len(r.gaps)),
        ])
    story.append(_table(rows, [80 * mm, 16 * mm] + [22 * mm] * 6))
    story.append(Spacer(1, 5 * mm))

    # The heatmap, compact: present/required per column, coloured by status.
    for first in range(0, len(view.columns), COLUMNS_PER_TABLE):
        cols = view.columns[first:first + COLUMNS_PER_TABLE]
        fmt = "H" if view.hourly else "d/m"
        head = [Paragraph(escape(_("Facility")), tiny)] + [
            Paragraph(date_format(c.local, fmt), tiny) for c in cols]
        grid = [head]
        style = []
        for y, row in enumerate(view.rows, start=1):
            line = [Paragraph(escape(row.facility.name), tiny)]
            for x, cell in enumerate(row.cells[first:first + COLUMNS_PER_TABLE], start=1):
                text = "" if cell.status in ("no-posts", "no-standard") else (
                    f"{'-' if cell.present is None else cell.present}/{cell.required}")
                line.append(Paragraph(text, tiny))
                style.append(("BACKGROUND", (x, y), (x, y), STATUS_COLOURS[cell.status]))
                if cell.status == "empty":
                    style.append(("TEXTCOLOR", (x, y), (x, y), colors.white))
            grid.append(line)
        width = min((273 * mm - 55 * mm) / max(len(cols), 1), 14 * mm)
        table = _table(grid, [55 * mm] + [width] * len(cols), font_size=6)
        table.setStyle(TableStyle(style))
        story.append(table)
        story.append(Spacer(1, 3 * mm))
    story.append(Paragraph(escape(_(
        "Cells: people present (lowest in the period) / people required. Green: standard "
        "met; red: gap; dark red: nobody present; yellow: roster short ahead.")), small))
    story.append(Spacer(1, 5 * mm))

    story.append(Paragraph(escape(_("Gaps (standard not met)")), styles["Heading2"]))
    if view.gaps:
        gap_rows = [[Paragraph(escape(h), small) for h in (
            _("Facility"), _("From"), _("Until"), _("Duration (min)"), _("Required"),
            _("Present"), _("Shortfall"), _("Missing pillars"))]]
        for line in view.gaps[:MAX_GAP_LINES]:
            g = line.gap
            gap_rows.append([
                Paragraph(escape(line.facility.name), small), _local(g.start, line.zone),
                _local(g.end, line.zone), f"{g.minutes:.0f}", str(g.required),
                "" if g.present is None else str(g.present), str(g.shortfall),
                ", ".join(sorted(choice_label(Agency.Pillar, p) for p in g.missing_pillars)) or "—",
            ])
        story.append(_table(gap_rows, [70 * mm, 36 * mm, 36 * mm, 24 * mm, 20 * mm, 20 * mm,
                                       20 * mm, 40 * mm]))
        if len(view.gaps) > MAX_GAP_LINES:
            story.append(Paragraph(escape(_("%(more)d more gaps in the CSV export.") % {
                "more": len(view.gaps) - MAX_GAP_LINES}), small))
    else:
        story.append(Paragraph(escape(_("No gap: the standard was met.")), small))
    story.append(Spacer(1, 10 * mm))
    story.append(_signatures(view, user, styles["Normal"]))
    printed = _("Printed by %(user)s, %(at)s · Posko") % {
        "user": user, "at": _local(timezone.now(), view.zone)}

    def footer(canvas, document) -> None:
        # Every page says who printed it and when, and which page of how many it is, so a
        # signed page cannot be separated from its report unnoticed.
        canvas.saveState()
        canvas.setFont("Helvetica", 7)
        canvas.drawString(12 * mm, 7 * mm, printed)
        canvas.drawRightString(285 * mm, 7 * mm, _("Page %(page)d") % {"page": document.page})
        canvas.restoreState()

    doc.build(story, onFirstPage=footer, onLaterPages=footer)
    return buffer.getvalue()


def _table(rows, widths, font_size: float = 7.5) -> Table:
    table = Table(rows, colWidths=widths, repeatRows=1, hAlign="LEFT")
    table.setStyle(TableStyle([
        ("FONTSIZE", (0, 0), (-1, -1), font_size),
        ("GRID", (0, 0), (-1, -1), 0.3, colors.HexColor("#8893a0")),
        ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e3e8ee")),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ("TOPPADDING", (0, 0), (-1, -1), 1.5),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 1.5),
    ]))
    return table


def _signatures(view: CoverageView, user: User, style) -> KeepTogether:
    today = date_format(timezone.localtime(timezone.now(), view.zone),
                        "DATE_FORMAT")
    made_by = [
        Paragraph(escape(today), style),
        Paragraph(escape(_("Prepared by,")), style),
        Spacer(1, 18 * mm),
        Paragraph(escape(str(user)), style),
        Paragraph(escape(f"{user.id_number or ''}  {user.agency or ''}".strip()), style),
    ]
    approved = [
        Paragraph("&nbsp;", style),
        Paragraph(escape(_("Acknowledged by,")), style),
        Spacer(1, 18 * mm),
        Paragraph("(" + "&nbsp;" * 50 + ")", style),
        Paragraph(escape(_("Name, rank, ID number")), style),
    ]
    table = Table([[approved, made_by]], colWidths=[130 * mm, 130 * mm], hAlign="LEFT")
    table.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP")]))
    return KeepTogether([table])
