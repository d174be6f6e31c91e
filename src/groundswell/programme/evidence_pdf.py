"""Drawing an asset bid's evidence pack (an `EvidencePack`) as a PDF: layout only."""

from __future__ import annotations

from collections.abc import Sequence

from fpdf.enums import TableCellFillMode, XPos, YPos
from fpdf.fonts import FontFace

from groundswell.core.pdf import ACCENT, INK, MUTED, SANS, Document, to_bytes, wrapped_lines
from groundswell.programme.clocks import human_date, month_and_year
from groundswell.programme.evidence import (
    EvidencePack,
    StatutoryLine,
    folded_places,
    plural,
)

# ---------------------------------------------------------------------------------------
# The document

_WIDTH = 210.0 - 2 * 20.0
_HEADING = FontFace(family=SANS, emphasis="BOLD", color=INK, fill_color=(239, 237, 231))


def build_evidence_pack(pack: EvidencePack) -> bytes:
    generated = human_date(pack.generated_at.date())
    doc = Document(
        title=f"Evidence of community support: {pack.asset_name}",
        footer_text=f"Groundswell evidence pack · {pack.asset_name} · generated {generated}",
        page_numbers=True,
        created=pack.generated_at,
    )
    doc.set_margins(20, 20, 20)
    doc.set_auto_page_break(True, margin=20)
    doc.add_page()

    doc.set_fill_color(*ACCENT)
    doc.rect(0, 0, 210, 6, style="F")
    doc.set_font(SANS, "", 10)
    doc.set_text_color(*MUTED)
    doc.cell(0, 5, "Community Right to Bid · nomination of an asset of community value")
    doc.ln(7)
    doc.set_text_color(*INK)
    doc.set_font(SANS, "B", 20)
    doc.multi_cell(0, 9, f"Evidence of community support: {pack.asset_name}", align="L")
    doc.ln(1)
    doc.set_font(SANS, "", 10.5)
    doc.multi_cell(
        0,
        5.2,
        f"Prepared by Groundswell for {pack.group_name}. Generated on {generated} from the "
        "records held then. Groundswell reference: asset bid "
        f"{pack.bid_id}.",
        align="L",
    )

    _heading(doc, "The asset")
    address = ", ".join(part for part in (pack.address, pack.postcode) if part)
    _facts(
        doc,
        [
            ("Name", pack.asset_name),
            ("Address", address or "Not recorded"),
            ("Owner", pack.owner or "Not recorded"),
            ("Local authority", pack.local_authority or "Not recorded"),
            ("Place", pack.place or "Not recorded"),
            ("Stage", pack.stage),
        ],
    )

    _heading(doc, "The nominating group")
    group = [("Name", pack.group_name), ("Identifier", pack.group_identifier)]
    if pack.group_host:
        group.append(("On Groundswell as", f"{pack.group_host} (a host organisation)"))
    _facts(doc, group)

    _heading(doc, "Statutory dates")
    _paragraph(
        doc,
        "Each period includes the day it starts; the date shown is its last day. A period of "
        "weeks ends the day before the same weekday that many weeks later; a period of months "
        "ends the day before the same date that many months later, or on the last day of that "
        "month where the date does not exist. Dates not yet recorded show as a dash.",
    )
    _dates_table(doc, pack.dates)

    _heading(doc, "Residents who vouched for this building")
    _voices(doc, pack)

    _heading(doc, "How the voices were verified")
    for line in _VERIFICATION:
        _bullet(doc, line)

    _heading(doc, "About this document")
    _paragraph(
        doc,
        "Groundswell is a grant platform that listens to residents instead of asking for "
        "applications. This pack was generated automatically from the dates programme staff "
        "recorded and the voices residents gave; nothing in it was written by the nominating "
        "group. Durations are those in force on the day it was generated: "
        f"nomination decision {plural(pack.durations.nomination_decision_weeks, 'weeks')}, "
        f"listing {plural(pack.durations.listing_years, 'years')}, interim moratorium "
        f"{plural(pack.durations.interim_moratorium_weeks, 'weeks')}, full moratorium "
        f"{plural(pack.durations.full_moratorium_months, 'months')}, protected period "
        f"{plural(pack.durations.protected_period_months, 'months')}.",
    )
    return to_bytes(doc)


_VERIFICATION: Sequence[str] = (
    "One voice per phone. A resident vouches by text message from their own mobile phone, "
    "or on the web, where a 6-digit code is sent to their mobile and must be typed back "
    "within 10 minutes. A phone counts once however often it is used; newer words replace "
    "older ones.",
    "Numbers are never stored in readable form: Groundswell keeps a keyed hash "
    "(HMAC-SHA256) of each number, enough to recognise the same phone again but not to "
    "recover the number. Nobody, the nominating group included, can see who vouched.",
    "Voices our checks flag (bursts, the same words from many phones, many voices from one "
    "source, links) wait for a person to review them and are not counted until cleared. "
    "Withdrawn voices are not counted.",
    "Words appear here only where the resident chose to make them public, and without any "
    "name; phone numbers and e-mail addresses typed into them are removed.",
)


def _heading(doc: Document, text: str) -> None:
    if doc.will_page_break(24):
        doc.add_page()
    doc.ln(5)
    doc.set_font(SANS, "B", 13)
    doc.set_text_color(*ACCENT)
    doc.cell(0, 7, text, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    doc.set_draw_color(*ACCENT)
    doc.set_line_width(0.3)
    doc.line(doc.l_margin, doc.get_y(), doc.l_margin + _WIDTH, doc.get_y())
    doc.ln(2.5)
    doc.set_text_color(*INK)


def _paragraph(
    doc: Document, text: str, *, size: float = 10, color: tuple[int, int, int] = INK
) -> None:
    doc.set_font(SANS, "", size)
    doc.set_text_color(*color)
    doc.multi_cell(0, size * 0.3528 * 1.4, text, align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    doc.set_text_color(*INK)
    doc.ln(1.5)


def _bullet(doc: Document, text: str) -> None:
    doc.set_font(SANS, "", 10)
    y = doc.get_y()
    doc.set_fill_color(*ACCENT)
    doc.ellipse(doc.l_margin + 0.8, y + 1.6, 1.8, 1.8, style="F")
    doc.set_x(doc.l_margin + 5)
    doc.multi_cell(_WIDTH - 5, 4.9, text, align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    doc.ln(1.2)


def _facts(doc: Document, rows: Sequence[tuple[str, str]]) -> None:
    doc.set_font(SANS, "", 10)
    doc.set_fill_color(255, 255, 255)  # a table paints its cells with the current fill
    with doc.table(
        cell_fill_mode=TableCellFillMode.NONE,
        col_widths=(45, _WIDTH - 45),
        first_row_as_headings=False,
        borders_layout="HORIZONTAL_LINES",
        line_height=5.6,
        padding=(1.2, 2, 1.2, 0),
        text_align="LEFT",
    ) as table:
        for label, value in rows:
            row = table.row()
            row.cell(label, style=FontFace(family=SANS, emphasis="BOLD"))
            row.cell(value)


def _dates_table(doc: Document, lines: Sequence[StatutoryLine]) -> None:
    doc.set_font(SANS, "", 9.5)
    doc.set_fill_color(255, 255, 255)
    with doc.table(
        cell_fill_mode=TableCellFillMode.NONE,
        col_widths=(62, 36, _WIDTH - 98),
        headings_style=_HEADING,
        borders_layout="HORIZONTAL_LINES",
        line_height=5,
        padding=(1.2, 2, 1.2, 2),
        text_align="LEFT",
    ) as table:
        heading = table.row()
        for text in ("What", "Date", "How it follows"):
            heading.cell(text)
        for line in lines:
            row = table.row()
            row.cell(line.what)
            row.cell(human_date(line.on) if line.on else "—")
            row.cell(line.how)


def _voices(doc: Document, pack: EvidencePack) -> None:
    voices = pack.voices
    if voices.count <= 0:
        doc.set_font(SANS, "B", 11)
        doc.multi_cell(
            0,
            6,
            "No residents have vouched for this building yet.",
            align="L",
            new_x=XPos.LMARGIN,
            new_y=YPos.NEXT,
        )
        doc.ln(1)
        _paragraph(
            doc,
            "When residents vouch for it, this section shows how many different residents did "
            "and when, and the words they agreed to make public.",
            color=MUTED,
        )
        return
    people = "1 resident" if voices.count == 1 else f"{voices.count} different residents"
    doc.set_font(SANS, "B", 11)
    doc.multi_cell(
        0,
        6,
        f"{people} vouched for {pack.asset_name} (one voice per phone).",
        align="L",
        new_x=XPos.LMARGIN,
        new_y=YPos.NEXT,
    )
    doc.ln(2)
    if voices.by_month:
        _subheading(doc, "When")
        _count_table(doc, "Month", [(month_and_year(day), n) for day, n in voices.by_month])
    places = folded_places(voices.places)
    if places:
        _subheading(doc, "Where they live, as they described it")
        _count_table(doc, "Place", places)
    _subheading(doc, "In their own words")
    if not voices.public_words:
        _paragraph(doc, "No resident has chosen to make their words public yet.", color=MUTED)
        return
    _paragraph(
        doc,
        f"{len(voices.public_words)} of the {voices.count} residents chose to make their words "
        "public; they are shown as given, newest first.",
        color=MUTED,
    )
    for item in voices.public_words:
        doc.set_font(SANS, "", 10)
        lines = wrapped_lines(doc, _WIDTH - 6, 5, item.words)
        if doc.will_page_break(len(lines) * 5 + 6):
            doc.add_page()
        top = doc.get_y()
        doc.set_x(doc.l_margin + 5)
        doc.multi_cell(
            _WIDTH - 6, 5, f"“{item.words}”", align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT
        )
        doc.set_font(SANS, "", 8.5)
        doc.set_text_color(*MUTED)
        doc.set_x(doc.l_margin + 5)
        doc.cell(
            0, 4.5, f"Given in {month_and_year(item.given_on)}", new_x=XPos.LMARGIN, new_y=YPos.NEXT
        )
        doc.set_text_color(*INK)
        doc.set_draw_color(*ACCENT)
        doc.set_line_width(0.8)
        doc.line(doc.l_margin + 1, top + 0.5, doc.l_margin + 1, doc.get_y() - 0.5)
        doc.ln(2.5)


def _subheading(doc: Document, text: str) -> None:
    if doc.will_page_break(18):
        doc.add_page()
    doc.set_font(SANS, "B", 10.5)
    doc.cell(0, 6, text, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    doc.ln(0.5)


def _count_table(doc: Document, label: str, rows: Sequence[tuple[str, int]]) -> None:
    doc.set_font(SANS, "", 9.5)
    doc.set_fill_color(255, 255, 255)
    with doc.table(
        width=110,
        align="LEFT",
        col_widths=(80, 30),
        headings_style=_HEADING,
        borders_layout="HORIZONTAL_LINES",
        line_height=5,
        padding=(1, 2, 1, 2),
        text_align=("LEFT", "RIGHT"),
        cell_fill_mode=TableCellFillMode.NONE,
    ) as table:
        heading = table.row()
        heading.cell(label)
        heading.cell("Residents")
        for name, count in rows:
            row = table.row()
            row.cell(name)
            row.cell(str(count))
    doc.ln(2)
