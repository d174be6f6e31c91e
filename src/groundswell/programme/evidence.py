"""An asset bid's evidence pack: a PDF a council officer can file with the nomination.

Plain data in, bytes out (no requests, no tables). It sets out the asset, the nominating
group, the statutory dates (computed by ``clocks.asset_bid_deadlines`` from the recorded
dates and the configured durations, exactly as the bid's page shows them), how many
different residents vouched for the building and when, the words they agreed to make
public, and how those voices were verified.

Residents vouching for a building does not exist yet (issue #18): the route passes
``BuildingVoices()`` (nobody yet) and the pack says so. Whoever adds it builds a
``BuildingVoices`` from the verified voices that count now, as ``BuildingVoices`` describes.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from fpdf.enums import TableCellFillMode, XPos, YPos
from fpdf.fonts import FontFace

from groundswell.core.pdf import ACCENT, INK, MUTED, SANS, Document, to_bytes, wrapped_lines
from groundswell.programme.clocks import (
    AssetBidDates,
    ClockDurations,
    asset_bid_deadlines,
    human_date,
)
from groundswell.programme.states import AssetBidStage

__all__ = [
    "MIN_PLACE_COUNT",
    "BuildingVoices",
    "EvidencePack",
    "PublicWords",
    "StatutoryLine",
    "build_evidence_pack",
    "evidence_filename",
    "evidence_pack",
]

# A place named by fewer residents than this is counted under "Other places", so that a
# street or estate with one or two voices cannot point at who they are.
MIN_PLACE_COUNT = 3

_MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)


@dataclass(frozen=True, slots=True)
class PublicWords:
    """Words one resident agreed to make public (already redacted), and when they gave them."""

    words: str
    given_on: date


@dataclass(frozen=True, slots=True)
class BuildingVoices:
    """Residents who vouched for a building: how many and when, never who.

    ``count``: different residents (one phone, one voice) whose voice counts now: verified,
    not withdrawn, not hidden or held by moderation. ``by_month``: (first day of the month,
    residents) by when each resident's counted words were given, oldest first. ``places``:
    (neighbourhood as residents gave it, residents); the pack folds small ones together
    (``MIN_PLACE_COUNT``). ``public_words``: only words the resident chose to make public,
    redacted (no phone numbers or e-mail addresses), newest first.
    """

    count: int = 0
    by_month: tuple[tuple[date, int], ...] = ()
    places: tuple[tuple[str, int], ...] = ()
    public_words: tuple[PublicWords, ...] = ()


@dataclass(frozen=True, slots=True)
class StatutoryLine:
    """One row of the dates table: what happened or falls due, when, and how it follows."""

    what: str
    on: date | None
    how: str


@dataclass(frozen=True, slots=True)
class EvidencePack:
    bid_id: int
    asset_name: str
    address: str
    postcode: str
    owner: str
    local_authority: str
    place: str
    group_name: str
    group_identifier: str
    group_host: str
    stage: str
    dates: tuple[StatutoryLine, ...]
    durations: ClockDurations
    generated_at: datetime
    voices: BuildingVoices = field(default_factory=BuildingVoices)


def _plural(amount: int, unit: str) -> str:
    return f"{amount} {unit}" if amount != 1 else f"1 {unit[:-1]}"


def statutory_lines(bid: Mapping[str, Any], durations: ClockDurations) -> tuple[StatutoryLine, ...]:
    """The recorded dates and the deadlines that follow from them, in the order of the law."""
    recorded = AssetBidDates(
        nominated_on=bid.get("nominated_on"),
        listed_on=bid.get("listed_on"),
        disposal_notice_on=bid.get("disposal_notice_on"),
        bidder_request_on=bid.get("bidder_request_on"),
    )
    due = asset_bid_deadlines(recorded, durations)
    full_how = (
        f"{_plural(durations.full_moratorium_months, 'months')} from the notice, because a "
        "community interest group asked to be treated as a potential bidder within the "
        "interim moratorium"
    )
    if recorded.bidder_request_on is None:
        full_how = (
            "Only if a community interest group asks in writing within the interim moratorium"
        )
    elif due.full_moratorium_end is None:
        full_how = "Does not apply: the request came after the interim moratorium ended"
    return (
        StatutoryLine("Nominated", recorded.nominated_on, "Recorded"),
        StatutoryLine(
            "The council's decision on the nomination is due",
            due.decision_due,
            f"{_plural(durations.nomination_decision_weeks, 'weeks')} from the nomination",
        ),
        StatutoryLine("Listed as an asset of community value", recorded.listed_on, "Recorded"),
        StatutoryLine(
            "The listing expires",
            due.listing_expires,
            f"{_plural(durations.listing_years, 'years')} from the listing",
        ),
        StatutoryLine("The owner's notice of disposal", recorded.disposal_notice_on, "Recorded"),
        StatutoryLine(
            "The interim moratorium ends",
            due.interim_moratorium_end,
            f"{_plural(durations.interim_moratorium_weeks, 'weeks')} from the notice",
        ),
        StatutoryLine(
            "Request to be treated as a potential bidder", recorded.bidder_request_on, "Recorded"
        ),
        StatutoryLine("The full moratorium ends", due.full_moratorium_end, full_how),
        StatutoryLine(
            "The protected period ends",
            due.protected_period_end,
            f"{_plural(durations.protected_period_months, 'months')} from the notice",
        ),
    )


def evidence_pack(
    bid: Mapping[str, Any],
    *,
    durations: ClockDurations,
    voices: BuildingVoices,
    generated_at: datetime,
) -> EvidencePack:
    """The pack's facts from an asset bid as programme services return it."""
    if bid.get("group_org_id"):
        identifier = str(bid["group_org_id"])
    elif bid.get("group_host_org_id"):
        identifier = str(bid["group_host_org_id"])
    else:
        identifier = "Not registered"
    return EvidencePack(
        bid_id=int(bid["id"]),
        asset_name=str(bid["asset_name"]),
        address=str(bid.get("address") or ""),
        postcode=str(bid.get("postcode") or ""),
        owner=str(bid.get("owner") or ""),
        local_authority=str(bid.get("local_authority") or ""),
        place=str(bid.get("locality_name") or ""),
        group_name=str(bid["group_name"]),
        group_identifier=identifier,
        group_host=str(bid.get("group_host_name") or ""),
        stage=AssetBidStage(bid["stage"]).label,
        dates=statutory_lines(bid, durations),
        durations=durations,
        generated_at=generated_at,
        voices=voices,
    )


def evidence_filename(pack: EvidencePack) -> str:
    return (
        f"groundswell-evidence-asset-bid-{pack.bid_id}-{pack.generated_at.date().isoformat()}.pdf"
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
        f"nomination decision {_plural(pack.durations.nomination_decision_weeks, 'weeks')}, "
        f"listing {_plural(pack.durations.listing_years, 'years')}, interim moratorium "
        f"{_plural(pack.durations.interim_moratorium_weeks, 'weeks')}, full moratorium "
        f"{_plural(pack.durations.full_moratorium_months, 'months')}, protected period "
        f"{_plural(pack.durations.protected_period_months, 'months')}.",
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


def _month(day: date) -> str:
    return f"{_MONTHS[day.month - 1]} {day.year}"


def folded_places(places: Sequence[tuple[str, int]]) -> list[tuple[str, int]]:
    """Places with at least ``MIN_PLACE_COUNT`` residents, most first; the rest together."""
    shown = sorted(
        ((name.strip(), n) for name, n in places if name.strip() and n >= MIN_PLACE_COUNT),
        key=lambda item: (-item[1], item[0]),
    )
    other = sum(n for name, n in places if not name.strip() or n < MIN_PLACE_COUNT)
    if other:
        shown.append(("Other places, or not given", other))
    return shown


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
        _count_table(doc, "Month", [(_month(day), n) for day, n in voices.by_month])
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
        doc.cell(0, 4.5, f"Given in {_month(item.given_on)}", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
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
