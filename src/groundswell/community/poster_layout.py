"""Drawing the poster (A4) and pocket cards (85 × 55 mm) from `PosterData`: layout only;
the words are chosen in `posters.py`."""

from __future__ import annotations

import dataclasses

from fpdf.enums import XPos, YPos

from groundswell.community.posters import CardLayout, PosterData
from groundswell.core.pdf import (
    ACCENT,
    INK,
    MONO,
    MUTED,
    SANS,
    Document,
    draw_qr,
    fit_font_size,
    to_bytes,
    wrapped_lines,
)

# ---------------------------------------------------------------------------------------
# The A4 poster

_W, _H = 210.0, 297.0
PT = 0.3528  # millimetres in a point
_MARGIN = 16.0


def build_poster(data: PosterData) -> bytes:
    """One A4 page to pin on a noticeboard."""
    doc = Document(title=data.text("title"), lang=data.lang)
    doc.set_auto_page_break(False)
    doc.set_margins(_MARGIN, _MARGIN, _MARGIN)
    doc.add_page()
    width = _W - 2 * _MARGIN

    # A band across the top: whose poster it is and where.
    doc.set_fill_color(*ACCENT)
    doc.rect(0, 0, _W, 14, style="F")
    doc.set_text_color(255, 255, 255)
    doc.set_font(SANS, "B", 13)
    doc.set_xy(_MARGIN, 3.5)
    band = f"Groundswell · {data.locality_name}" if data.locality_name else "Groundswell"
    doc.cell(width, 7, band)
    doc.set_text_color(*INK)

    # The question: what happened, in the organiser's name.
    y = 24.0
    prompt = data.text("prompt")
    size = _fit_lines(doc, prompt, width, largest=32, smallest=18, max_lines=3)
    doc.set_font(SANS, "B", size)
    doc.set_xy(_MARGIN, y)
    doc.multi_cell(width, size * PT * 1.2, prompt, align="L")
    y = doc.get_y() + 1
    doc.set_text_color(*ACCENT)
    doc.set_font(SANS, "B", min(size, 26))
    doc.set_xy(_MARGIN, y)
    doc.cell(width, 12, data.text("prompt_2"))
    doc.set_text_color(*INK)
    y += 17

    y = _poster_text_block(doc, data, y, width)
    y = _poster_web_block(doc, data, y + 6, width)

    # What it costs and what it does.
    y += 6
    doc.set_draw_color(*ACCENT)
    for line in data.points():
        doc.set_fill_color(*ACCENT)
        doc.ellipse(_MARGIN + 1, y + 2.2, 3.2, 3.2, style="F")
        doc.set_font(SANS, "B", 15)
        doc.set_xy(_MARGIN + 8, y)
        doc.multi_cell(width - 8, 7.2, line, align="L")
        y = doc.get_y() + 2.2

    # Who this is, at the foot of the page.
    footer = data.text("footer") + (data.text("footer_sms") if data.sms_number else "")
    doc.set_font(SANS, "", 9.5)
    doc.set_text_color(*MUTED)
    lines = wrapped_lines(doc, width, 4.6, footer)
    doc.set_draw_color(*ACCENT)
    doc.set_line_width(0.4)
    top = _H - 12 - len(lines) * 4.6
    doc.line(_MARGIN, top - 3, _W - _MARGIN, top - 3)
    doc.set_xy(_MARGIN, top)
    doc.multi_cell(width, 4.6, footer, align="L")
    return to_bytes(doc)


def _poster_text_block(doc: Document, data: PosterData, y: float, width: float) -> float:
    """'Text this code and your words to NUMBER', with the code large in a box."""
    texting = data.sms_number is not None or data.placeholder
    intro = data.text("text_intro") + ":" if texting else data.text("code_label")
    doc.set_font(SANS, "B", fit_font_size(doc, intro, width, largest=17, smallest=11))
    doc.set_xy(_MARGIN, y)
    doc.cell(width, 8, intro)
    y += 10
    # The code: monospaced bold, so 0/O and 1/I/l cannot be confused; as large as fits.
    code_size = fit_font_size(doc, data.code, width - 16, family=MONO, largest=64, smallest=30)
    box_h = code_size * PT + 12
    doc.set_draw_color(*INK)
    doc.set_line_width(1.2)
    doc.rect(_MARGIN, y, width, box_h, round_corners=True, corner_radius=3)
    doc.set_font(MONO, "B", code_size)
    doc.set_xy(_MARGIN, y)
    doc.cell(width, box_h, data.code, align="C")
    y += box_h + 3
    if data.sms_number:
        doc.set_font(SANS, "B", 17)
        to = data.text("text_to")
        to_width = doc.get_string_width(to) + 3
        number_size = fit_font_size(doc, data.sms_number, width - to_width, largest=38, smallest=20)
        # fpdf2 puts a cell's baseline at half its height plus 0.3 of the font size: move
        # the small "to" down by the difference so both sit on one line.
        doc.set_font(SANS, "B", 17)
        doc.set_xy(_MARGIN, y + 0.3 * (number_size - 17) * PT)
        doc.cell(to_width, 16, to)
        doc.set_font(SANS, "B", number_size)
        doc.set_xy(_MARGIN + to_width, y)
        doc.cell(width - to_width, 16, data.sms_number)
        y += 18
        doc.set_font(SANS, "", 12)
        doc.set_text_color(*MUTED)
        doc.set_xy(_MARGIN, y)
        doc.multi_cell(width, 5.6, data.text("text_how"), align="L")
        if data.text("language_hint"):
            doc.set_x(_MARGIN)
            doc.multi_cell(width, 5.6, data.text("language_hint"), align="L")
        doc.set_text_color(*INK)
        return doc.get_y()
    if data.placeholder:
        # Development: a marked gap where the number goes, impossible to mistake for one.
        doc.set_draw_color(164, 22, 26)
        doc.set_line_width(0.8)
        with doc.local_context(dash_pattern={"dash": 2, "gap": 1.5}):
            doc.rect(_MARGIN, y, width, 22)
        doc.set_text_color(164, 22, 26)
        doc.set_font(SANS, "B", 20)
        doc.set_xy(_MARGIN, y + 2)
        doc.cell(width, 10, f"{data.text('text_to')} [{data.text('placeholder')}]", align="C")
        doc.set_font(SANS, "", 11)
        doc.set_xy(_MARGIN, y + 12)
        doc.cell(width, 7, data.text("placeholder_note"), align="C")
        doc.set_text_color(*INK)
        return y + 24
    doc.set_font(SANS, "B", 14)
    doc.set_text_color(*MUTED)
    doc.set_xy(_MARGIN, y)
    doc.multi_cell(width, 6.5, data.text("no_sms"), align="L")
    doc.set_text_color(*INK)
    return doc.get_y()


def _poster_web_block(doc: Document, data: PosterData, y: float, width: float) -> float:
    """The QR code beside the web address."""
    qr_size = 56.0
    draw_qr(doc, data.vouch_url, _MARGIN - 4, y, qr_size)  # the quiet zone is white margin
    x = _MARGIN + qr_size + 2
    right = width - (x - _MARGIN)
    doc.set_font(SANS, "B", 17)
    doc.set_xy(x, y + 8)
    texting = data.sms_number is not None or data.placeholder
    intro = data.text("web_intro" if texting else "web_intro_no_sms")
    doc.multi_cell(right, 8, intro, align="L")
    doc.set_text_color(*ACCENT)
    doc.set_y(doc.get_y() + 2)
    for part in _url_lines(doc, data.short_url, right):
        size = fit_font_size(doc, part, right, family=MONO, largest=17, smallest=7)
        doc.set_font(MONO, "B", size)
        doc.set_x(x)
        doc.cell(right, size * PT * 1.4, part, new_x=XPos.LEFT, new_y=YPos.NEXT)
    doc.set_text_color(*MUTED)
    doc.set_font(SANS, "", 12)
    doc.set_xy(x, doc.get_y() + 2)
    doc.multi_cell(right, 6, data.text("web_after"), align="L")
    doc.set_text_color(*INK)
    return max(y + qr_size, doc.get_y())


def _url_lines(doc: Document, url: str, width: float, smallest: float = 12) -> list[str]:
    """The address on one line if it fits at ``smallest`` points or more; otherwise split
    before "/vouch/", so a long host name never leaves the code's last letter on its own."""
    doc.set_font(MONO, "B", smallest)
    if doc.get_string_width(url) <= width or "/vouch/" not in url:
        return [url]
    host, _, rest = url.partition("/vouch/")
    return [host, f"/vouch/{rest}"]


def _fit_lines(
    doc: Document, text: str, width: float, *, largest: float, smallest: float, max_lines: int
) -> float:
    """The largest bold size at which ``text`` wraps into at most ``max_lines`` lines."""
    size = largest
    while size > smallest:
        doc.set_font(SANS, "B", size)
        lines = wrapped_lines(doc, width, size * PT * 1.2, text)
        if len(lines) <= max_lines:
            return size
        size -= 1
    return smallest


# ---------------------------------------------------------------------------------------
# Pocket cards

CARD_W, CARD_H = 85.0, 55.0
_COLUMNS, _ROWS = 2, 5
_SHEET_X = (_W - _COLUMNS * CARD_W) / 2
_SHEET_Y = (_H - _ROWS * CARD_H) / 2


def build_cards(data: PosterData, layout: CardLayout = "sheet") -> bytes:
    """Ten cards on an A4 sheet with cut marks, or one card on its own 85 × 55 mm page."""
    if layout == "single":
        doc = Document(title=data.text("card_title"), lang=data.lang, page_format=(CARD_W, CARD_H))
        doc.set_auto_page_break(False)
        doc.set_margins(0, 0, 0)
        doc.add_page()
        _card(doc, card_wording(doc, data), 0, 0)
        return to_bytes(doc)
    doc = Document(title=data.text("card_title"), lang=data.lang)
    doc.set_auto_page_break(False)
    doc.set_margins(0, 0, 0)
    doc.add_page()
    wording = card_wording(doc, data)
    for row in range(_ROWS):
        for column in range(_COLUMNS):
            _card(doc, wording, _SHEET_X + column * CARD_W, _SHEET_Y + row * CARD_H)
    _cut_marks(doc)
    # Between the first two cut marks, so the words never cross one.
    doc.set_font(SANS, "", 7)
    doc.set_text_color(*MUTED)
    doc.set_xy(_SHEET_X + 2, 4.5)
    doc.cell(CARD_W - 4, 3, data.text("cut_here"), align="L")
    return to_bytes(doc)


_CARD_PAD = 4.0
_CARD_QR = 25.0


def card_wording(doc: Document, data: PosterData) -> PosterData:
    """The card names the organiser in full where that fits (the title on one line at 8 pt,
    the question in three lines, the closing line in two); otherwise by their first name,
    as neighbours would. The poster always has room for the full name."""
    inner = CARD_W - 2 * _CARD_PAD
    left = inner - _CARD_QR + 1

    def fits(candidate: PosterData) -> bool:
        doc.set_font(SANS, "B", 8)
        if doc.get_string_width(candidate.text("card_title")) > inner - 2:
            return False
        doc.set_font(SANS, "", 7)
        question = candidate.text("card_prompt") + " " + candidate.text("prompt_2")
        if len(wrapped_lines(doc, left, 3.1, question)) > 3:
            return False
        doc.set_font(SANS, "", 6)
        closing = candidate.text("card_points" if candidate.sms_number else "card_points_no_sms")
        return len(wrapped_lines(doc, inner, 2.9, closing)) <= 2

    if fits(data) or not data.name.split():
        return data
    return dataclasses.replace(data, name=data.name.split()[0])


def _card(doc: Document, data: PosterData, x0: float, y0: float) -> None:
    pad = _CARD_PAD
    inner = CARD_W - 2 * pad
    qr_size = _CARD_QR
    # Title strip, inset from the card's edges: a cut a millimetre off leaves no green on
    # the neighbouring card.
    inset = 2.5
    doc.set_fill_color(*ACCENT)
    doc.rect(
        x0 + inset,
        y0 + inset,
        CARD_W - 2 * inset,
        8,
        style="F",
        round_corners=True,
        corner_radius=1.5,
    )
    doc.set_text_color(255, 255, 255)
    title = data.text("card_title")
    doc.set_font(SANS, "B", fit_font_size(doc, title, inner - 2, largest=11, smallest=7))
    doc.set_xy(x0 + pad, y0 + inset + 1)
    doc.cell(inner, 6, title)
    doc.set_text_color(*INK)

    left = inner - qr_size + 1
    y = y0 + 12.5
    doc.set_font(SANS, "", 7)
    doc.set_xy(x0 + pad, y)
    doc.multi_cell(left, 3.1, data.text("card_prompt") + " " + data.text("prompt_2"), align="L")
    y = doc.get_y() + 1.2
    if data.sms_number or data.placeholder:
        doc.set_font(SANS, "", 7)
        lead = data.text("card_text") + " "
        doc.set_xy(x0 + pad, y + 1.2)
        doc.cell(doc.get_string_width(lead), 4, lead)
        code_x = x0 + pad + doc.get_string_width(lead)
        code_size = fit_font_size(
            doc, data.code, left - (code_x - x0 - pad), family=MONO, largest=13, smallest=8
        )
        doc.set_font(MONO, "B", code_size)
        doc.set_xy(code_x, y)
        doc.cell(left, 6, data.code)
        y += 6.2
        doc.set_font(SANS, "", 7)
        doc.set_xy(x0 + pad, y)
        doc.cell(left, 3.5, data.text("card_and"))
        y += 3.6
        if data.sms_number:
            doc.set_font(
                SANS, "B", fit_font_size(doc, data.sms_number, left, largest=11, smallest=7)
            )
            doc.set_xy(x0 + pad, y)
            doc.cell(left, 5, data.sms_number)
        else:
            doc.set_text_color(164, 22, 26)
            doc.set_font(
                SANS, "B", fit_font_size(doc, data.text("placeholder"), left, largest=9, smallest=5)
            )
            doc.set_xy(x0 + pad, y)
            doc.cell(left, 5, f"[{data.text('placeholder')}]")
            doc.set_text_color(*INK)
        y += 5.6
    else:
        doc.set_font(
            MONO, "B", fit_font_size(doc, data.code, left, family=MONO, largest=13, smallest=8)
        )
        doc.set_xy(x0 + pad, y)
        doc.cell(left, 6, data.code)
        y += 6.5
        doc.set_font(SANS, "", 6.5)
        doc.set_text_color(*MUTED)
        doc.set_xy(x0 + pad, y)
        doc.multi_cell(left, 3, data.text("card_no_sms"), align="L")
        doc.set_text_color(*INK)
        y = doc.get_y() + 0.5

    draw_qr(doc, data.vouch_url, x0 + CARD_W - pad - qr_size + 1.5, y0 + 12, qr_size)

    # The web address across the card's width, under the QR code.
    doc.set_font(SANS, "", 6.5)
    web = data.text("card_web") + " "
    url_top = y0 + 39.6
    doc.set_xy(x0 + pad, url_top)
    doc.cell(doc.get_string_width(web), 4, web)
    url_x = x0 + pad + doc.get_string_width(web)
    url_width = inner - (url_x - x0 - pad)
    doc.set_font(
        MONO,
        "B",
        fit_font_size(doc, data.short_url, url_width, family=MONO, largest=8, smallest=4.5),
    )
    doc.set_text_color(*ACCENT)
    doc.set_xy(url_x, url_top)
    doc.cell(url_width, 4, data.short_url)
    doc.set_text_color(*MUTED)
    key = "card_points" if data.sms_number else "card_points_no_sms"
    doc.set_font(SANS, "", 6)
    doc.set_xy(x0 + pad, y0 + 44.8)
    doc.multi_cell(inner, 2.9, data.text(key), align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    doc.set_text_color(*INK)


def _cut_marks(doc: Document) -> None:
    """Short marks in the margins where each cut goes, and faint lines between the cards."""
    doc.set_draw_color(*MUTED)
    doc.set_line_width(0.2)
    xs = [_SHEET_X + i * CARD_W for i in range(_COLUMNS + 1)]
    ys = [_SHEET_Y + j * CARD_H for j in range(_ROWS + 1)]
    bottom, right = ys[-1], xs[-1]
    for x in xs:
        doc.line(x, _SHEET_Y - 6, x, _SHEET_Y - 1.5)
        doc.line(x, bottom + 1.5, x, bottom + 6)
    for y in ys:
        doc.line(_SHEET_X - 8, y, _SHEET_X - 1.5, y)
        doc.line(right + 1.5, y, right + 8, y)
    doc.set_draw_color(200, 200, 200)
    doc.set_line_width(0.1)
    with doc.local_context(dash_pattern={"dash": 1, "gap": 1}):
        for x in xs:
            doc.line(x, _SHEET_Y, x, bottom)
        for y in ys:
            doc.line(_SHEET_X, y, right, y)
