"""Printable documents: fpdf2 with Groundswell's fonts, QR codes and page furniture.

Plain data in, PDF bytes out: nothing here knows about requests or tables, so the posters
(community/posters.py) and the evidence pack (programme/evidence.py) can be built and tested
without a web server or a database.

Fonts are DejaVu, shipped in ``core/fonts`` (see its README for why and the licence), so
names like Siân, Łucja or Dafydd ap Gwŷn print the same on every machine. Sizes are in
millimetres; font sizes in points.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

import segno
from fpdf import FPDF
from fpdf.enums import PathPaintRule

__all__ = [
    "ACCENT",
    "INK",
    "MONO",
    "MUTED",
    "SANS",
    "Document",
    "draw_qr",
    "fit_font_size",
    "qr_code",
    "to_bytes",
    "wrapped_lines",
]

FONT_DIR = Path(__file__).resolve().parent / "fonts"
SANS = "gs-sans"  # DejaVu Sans, regular and bold ("B")
MONO = "gs-mono"  # DejaVu Sans Mono, bold only: codes and addresses people copy by hand

# The site's colours (static/groundswell.css): dark green accent, near-black ink.
ACCENT = (11, 93, 59)
INK = (27, 31, 36)
MUTED = (74, 85, 96)
LINE = (213, 210, 202)

_FONTS = (
    (SANS, "", "DejaVuSans.ttf"),
    (SANS, "B", "DejaVuSans-Bold.ttf"),
    (MONO, "B", "DejaVuSansMono-Bold.ttf"),
)


class Document(FPDF):
    """An A4 (or other) page in millimetres with the fonts loaded and the metadata set.

    ``footer_text`` is printed small at the foot of every page; with ``page_numbers`` it is
    followed by "Page N of M" (``page_label`` lets a Welsh document say "Tudalen").
    """

    def __init__(
        self,
        *,
        title: str,
        lang: str = "en",
        orientation: Literal["portrait", "landscape"] = "portrait",
        page_format: str | tuple[float, float] = "A4",
        footer_text: str = "",
        page_numbers: bool = False,
        page_label: str = "Page {page} of {pages}",
        created: datetime | None = None,
    ) -> None:
        super().__init__(orientation=orientation, unit="mm", format=page_format)
        for family, style, filename in _FONTS:
            self.add_font(family, style, str(FONT_DIR / filename))
        self.footer_text = footer_text
        self.page_numbers = page_numbers
        self.page_label = page_label
        self.set_title(title)
        self.set_author("Groundswell")
        self.set_creator("Groundswell")
        self.set_lang(lang)
        self.set_creation_date(created or datetime.now(UTC))
        self.set_text_color(*INK)
        if page_numbers:
            self.alias_nb_pages("{nb}")

    def footer(self) -> None:
        if not (self.footer_text or self.page_numbers):
            return
        self.set_y(-12)
        self.set_font(SANS, "", 8)
        self.set_text_color(*MUTED)
        text = self.footer_text
        if self.page_numbers:
            label = self.page_label.format(page=self.page_no(), pages="{nb}")
            text = f"{text}   ·   {label}" if text else label
        self.cell(0, 5, text, align="C")
        self.set_text_color(*INK)


def to_bytes(document: FPDF) -> bytes:
    return bytes(document.output())


def fit_font_size(
    document: FPDF,
    text: str,
    width: float,
    *,
    family: str = SANS,
    style: str = "B",
    largest: float,
    smallest: float,
) -> float:
    """The largest font size, from ``largest`` down to ``smallest``, at which ``text`` fits
    on one line of ``width`` mm (``smallest`` if even that is too wide: the caller wraps)."""
    size = largest
    while size > smallest:
        document.set_font(family, style, size)
        if document.get_string_width(text) <= width:
            return size
        size = max(smallest, size - 1)
    return smallest


def wrapped_lines(document: FPDF, width: float, line_height: float, text: str) -> list[str]:
    """The lines ``text`` wraps into at ``width`` mm in the current font (nothing drawn)."""
    lines = document.multi_cell(width, line_height, text, dry_run=True, output="LINES")
    assert isinstance(lines, list)
    return [str(line) for line in lines]


def qr_code(payload: str) -> segno.QRCode:
    """The QR code for ``payload``: a full QR (never a micro QR, which phones do not all
    read), error correction M, so a poster with a scuff or a pin through it still scans."""
    return segno.make_qr(payload, error="m", boost_error=False)


def draw_qr(
    document: FPDF, payload: str, x: float, y: float, size: float, *, quiet_zone: bool = True
) -> segno.QRCode:
    """Draw ``payload``'s QR code as vector squares in a ``size`` mm square at (x, y).

    One filled path for the whole symbol, so no hairlines show between modules when a viewer
    anti-aliases. ``quiet_zone`` keeps the four-module white margin scanners need inside
    ``size``; leave it off only where the code sits on white with that space around it.
    """
    qr = qr_code(payload)
    border = 4 if quiet_zone else 0
    rows = list(qr.matrix_iter(scale=1, border=border))
    module = size / len(rows)
    with document.new_path(paint_rule=PathPaintRule.FILL_NONZERO) as path:
        path.style.fill_color = "#1b1f24"
        path.style.stroke_color = None
        for row_index, row in enumerate(rows):
            for start, length in _dark_runs(row):
                path.rectangle(x + start * module, y + row_index * module, length * module, module)
    return qr


def _dark_runs(row: Iterable[int | bool]) -> list[tuple[int, int]]:
    """(start, length) of each run of dark modules in a row, so a row is a few rectangles."""
    runs: list[tuple[int, int]] = []
    start = None
    cells = list(row)
    for index, dark in enumerate([*cells, False]):
        if dark and start is None:
            start = index
        elif not dark and start is not None:
            runs.append((start, index - start))
            start = None
    return runs
