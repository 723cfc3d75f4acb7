"""The A4 documents the portal prints to sign and file (the daily report, the evidence export
record): one page layout with a footer on every page, the small text style, and tables that
lay out fast. Every text from the database goes through `escape` (in `cell` here, by the
caller elsewhere): Paragraph reads markup, and a facility called "<b>" prints as written."""

from __future__ import annotations

import io
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.platypus import Flowable, Paragraph, SimpleDocTemplate, Table, TableStyle

MAX_ROWS = 400
CHUNK_ROWS = 40
_PADDING = 6  # a table cell's default left + right padding, in points
_MARGIN = 12 * mm


class A4Document:
    """A portrait A4 document: `styles` (reportlab's sample sheet), `small` for tables and
    notes, `width` of the text; `footer` and the page number printed on every page."""

    width = A4[0] - 2 * _MARGIN

    def __init__(self, *, title: str, author: str, footer: str) -> None:
        self.title, self.author, self.footer = title, author, footer
        self.styles = getSampleStyleSheet()
        self.small = ParagraphStyle("small", parent=self.styles["Normal"], fontSize=8,
                                    leading=10)

    def _on_page(self, canvas, doc) -> None:
        canvas.saveState()
        canvas.setFont("Helvetica", 6.5)
        canvas.drawString(_MARGIN, 7 * mm, self.footer)
        canvas.drawRightString(A4[0] - _MARGIN, 7 * mm, str(doc.page))
        canvas.restoreState()

    def build(self, story: list[Flowable]) -> bytes:
        buffer = io.BytesIO()
        doc = SimpleDocTemplate(
            buffer, pagesize=A4, leftMargin=_MARGIN, rightMargin=_MARGIN, topMargin=_MARGIN,
            bottomMargin=14 * mm, title=self.title, author=self.author, creator="Posko")
        doc.build(story, onFirstPage=self._on_page, onLaterPages=self._on_page)
        return buffer.getvalue()


def cell(value, width: float, style: ParagraphStyle):
    """A plain string when it fits its column on one line, else a Paragraph that wraps:
    laying out a Paragraph costs far more than a string, and most cells are short."""
    text = str(value)
    fits = stringWidth(text, style.fontName, style.fontSize) <= width - _PADDING
    return text if fits and "\n" not in text else Paragraph(escape(text), style)


def table(rows: list[list], widths: list[float], style: ParagraphStyle) -> list[Table]:
    """The rows (the first is the header; at most MAX_ROWS) as tables of `CHUNK_ROWS` rows,
    each under the header: splitting one long table across pages re-measures every
    remaining row at each page break."""
    header, *body = [[cell(value, w, style) for value, w in zip(row, widths, strict=True)]
                     for row in rows[:MAX_ROWS]]
    table_style = TableStyle([
        ("FONT", (0, 0), (-1, -1), style.fontName, style.fontSize, style.leading),
        ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e3e8ee")),
        ("GRID", (0, 0), (-1, -1), 0.25, colors.HexColor("#8893a0")),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
    ])
    tables = []
    for at in range(0, max(len(body), 1), CHUNK_ROWS):
        chunk = Table([header, *body[at:at + CHUNK_ROWS]], colWidths=widths, repeatRows=1)
        chunk.setStyle(table_style)
        tables.append(chunk)
    return tables
