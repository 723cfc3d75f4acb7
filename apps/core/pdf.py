"""The A4 documents the portal prints to sign and file (the daily report, the evidence export
record): one page layout with a footer on every page, the small text style, and tables that
lay out fast. Every text from the database goes through `escape` (in `cell` here, by the
caller elsewhere): Paragraph reads markup, and a facility called "<b>" prints as written."""

from __future__ import annotations

import io
from functools import cache
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.platypus import Flowable, Paragraph, SimpleDocTemplate

MAX_ROWS = 400
_PADDING = 6  # a table cell's default left + right padding, in points
_SIDE_PADDING, _TOP_PADDING = 6, 3  # a cell's padding on each side, above and below (Table's)
_TALL = 72000  # the height a cell's Paragraph may take (Table's)
_HEADER, _GRID, _GRID_WIDTH = colors.HexColor("#e3e8ee"), colors.HexColor("#8893a0"), 0.25
_MARGIN = 12 * mm


def binary_streams() -> None:
    """Every PDF of the process writes its page streams compressed but not also ASCII85-
    encoded (reportlab's default, for 7-bit mail): encoding a city's daily report's 24 pages
    in Python cost more than laying out a tenth of it. Called once at start-up
    (CoreConfig.ready), so that no PDF depends on which module was imported first."""
    from reportlab import rl_config

    rl_config.useA85 = 0


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


@cache
def _widest_ascii(font_name: str) -> float:
    """The advance of the font's widest ASCII character, per point of size."""
    return max(stringWidth(chr(code), font_name, 1) for code in range(32, 127))


def cell(value, width: float, style: ParagraphStyle):
    """A plain string when it fits its column on one line, else a Paragraph that wraps:
    laying out a Paragraph costs far more than a string, and most cells are short (so
    short that their widest possible width fits: measuring each was a tenth of a city's
    report)."""
    text = str(value)
    room = width - _PADDING
    fits = (text.isascii() and len(text) * _widest_ascii(style.fontName) * style.fontSize
            <= room) or stringWidth(text, style.fontName, style.fontSize) <= room
    return text if fits and "\n" not in text else Paragraph(escape(text), style)


class _Grid(Flowable):
    """A table's header and rows drawn straight on the canvas, laid out as reportlab's Table
    lays out the style `table` once gave it: a cell padded 6 points on each side and 3 above
    and below, its text at the top, one line of the style's leading for a string and the
    wrapped height for a Paragraph; the header shaded, a 0.25-point grid; split between rows
    with the header repeated. The Table's per-cell styles, a text object per cell and its
    numbers formatted in Python cost ~20 µs a cell: most of drawing a city's daily report
    (5,500 cells, ten times a tenth's)."""

    def __init__(self, header: tuple[list, float], rows: list[tuple[list, float]],
                 widths: list[float], style: ParagraphStyle) -> None:
        super().__init__()
        self.hAlign = "CENTER"  # as Table: it is the text's width, the frame's padding wider
        self._header, self._rows, self._widths, self._style = header, rows, widths, style
        self._lefts = [sum(widths[:i]) for i in range(len(widths) + 1)]
        self.width = self._lefts[-1]
        self.height = header[1] + sum(height for _cells, height in rows)

    def wrap(self, availWidth, availHeight):
        return self.width, self.height

    def split(self, availWidth, availHeight):
        # As Table.split with repeatRows=1: the rows that fit, at least one under the header.
        used, fit = self._header[1], 0
        for _cells, height in self._rows:
            if used + height > availHeight:
                break
            used, fit = used + height, fit + 1
        if fit == len(self._rows):
            return [self]
        if fit == 0:
            return []
        return [_Grid(self._header, self._rows[:fit], self._widths, self._style),
                _Grid(self._header, self._rows[fit:], self._widths, self._style)]

    def draw(self) -> None:
        canv, style, lefts = self.canv, self._style, self._lefts
        header_height = self._header[1]
        canv.saveState()
        canv.setFillColor(_HEADER)
        canv.rect(0, self.height - header_height, self.width, header_height, stroke=0, fill=1)
        canv.setFillColor(colors.black)
        text = canv.beginText()
        text.setFont(style.fontName, style.fontSize, style.leading)
        top, tops = self.height, []
        starts = [_number(left + _SIDE_PADDING) for left in lefts]
        for cells, height in [self._header, *self._rows]:
            tops.append(top)
            baseline = _number(top - _TOP_PADDING - style.fontSize)
            for start, left, width, value in zip(starts, lefts, self._widths, cells,
                                                 strict=False):
                if isinstance(value, str):
                    # setTextOrigin's operator (into the text object's own list of them),
                    # its numbers formatted once a column and once a row: reportlab formats
                    # them in Python for each cell, and that was a third of the drawing.
                    text._code.append(f"1 0 0 1 {start} {baseline} Tm")
                    text.textLine(value)
                else:  # a Paragraph, after the text so far (the page reads in order)
                    canv.drawText(text)
                    _w, wrapped = value.wrap(width - 2 * _SIDE_PADDING, height)
                    value.drawOn(canv, left + _SIDE_PADDING, top - _TOP_PADDING - wrapped)
                    text = canv.beginText()
                    text.setFont(style.fontName, style.fontSize, style.leading)
            top -= height
        canv.drawText(text)
        canv.setLineWidth(_GRID_WIDTH)
        canv.setStrokeColor(_GRID)
        # The grid as one path of literal operators, for the same reason.
        right, bottom = _number(self.width), _number(self.height)
        canv.addLiteral(" ".join(
            [f"0 {y} m {right} {y} l" for y in map(_number, [*tops, 0])]
            + [f"{x} 0 m {x} {bottom} l" for x in map(_number, lefts)]) + " S")
        canv.restoreState()


def _number(value: float) -> str:
    """A coordinate for the page's operators (a hundredth of a point is finer than print)."""
    return f"{value:.2f}"


def _row(cells: list, widths: list[float], style: ParagraphStyle) -> tuple[list, float]:
    """The row's cells and its height: a line for strings, a Paragraph's wrapped height."""
    height = style.leading
    for value, width in zip(cells, widths, strict=True):
        if not isinstance(value, str):
            height = max(height, value.wrap(width - 2 * _SIDE_PADDING, _TALL)[1])
    return cells, height + 2 * _TOP_PADDING


def table(rows: list[list], widths: list[float], style: ParagraphStyle) -> list[Flowable]:
    """The rows (the first is the header; at most MAX_ROWS) as one table, split between pages
    with the header on top of each. (reportlab's Table re-measured every remaining row at each
    page break, so tables were once cut into 40-row pieces, each under a header of its own: a
    header in the middle of a page. A _Grid's rows are measured once.)"""
    header, *body = [_row([cell(value, w, style) for value, w in zip(row, widths, strict=True)],
                          widths, style) for row in rows[:MAX_ROWS]]
    return [_Grid(header, body, widths, style)]
