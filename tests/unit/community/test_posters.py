"""Posters and pocket cards: read back as a person (their text, their pictures) and as a
phone's camera (their QR codes)."""

from __future__ import annotations

import dataclasses

import pytest

from groundswell.community.poster_layout import build_cards, build_poster
from groundswell.community.posters import (
    PosterData,
    display_sms_number,
    poster_data,
    poster_filename,
)
from groundswell.core.pdf import qr_code
from groundswell.settings import Environment, Settings
from tests.pdfs import font_names, page_size_mm, page_texts, pdf_text, qr_payloads, render_pages

SIAN = PosterData(
    name="Siân Łucja Evans",
    code="SIAN-7K",
    vouch_url="https://groundswell.cymru/vouch/SIAN-7K",
    host_name="Tŷ Hapus Community Trust",
    locality_name="Grangetown",
    sms_number="07911 123456",
)


def test_the_poster_asks_what_happened_and_says_how_to_answer() -> None:
    text = pdf_text(build_poster(SIAN))
    assert "Tell us about a time Siân Łucja Evans helped or changed something round here." in text
    assert "What happened?" in text
    assert "SIAN-7K" in text
    assert "to 07911 123456" in text
    assert "groundswell.cymru/vouch/SIAN-7K" in text
    assert "It takes one text, at your usual rate." in text
    assert "Your number is never shown to anyone." in text
    assert "Your words count towards Siân Łucja Evans's continued funding." in text
    assert "hosted by Tŷ Hapus Community Trust" in text
    # Ask about what happened, never for a score (DESIGN.md, "Listening well").
    for rating in ("rating", "out of 10", "0-10", "stars", "how likely"):
        assert rating not in text.lower()


def test_a_poster_is_one_a4_page_in_embedded_dejavu() -> None:
    pdf = build_poster(SIAN)
    assert len(page_texts(pdf)) == 1
    assert page_size_mm(pdf) == (210.0, 297.0)
    fonts = font_names(pdf)
    assert any("DejaVuSansBold" in name for name in fonts), fonts
    assert any("DejaVuSansMonoBold" in name for name in fonts), fonts  # the code


def test_without_a_number_in_production_the_poster_says_texting_is_not_set_up() -> None:
    text = pdf_text(build_poster(dataclasses.replace(SIAN, sms_number=None)))
    assert "Texting is not set up yet: scan the square below or go to the web address." in text
    assert "Siân Łucja Evans's vouching code SIAN-7K" in text
    assert "Text this code" not in text and "Text HELP" not in text
    assert "NOT SET" not in text
    assert "It takes one text" not in text


def test_without_a_number_in_development_a_marked_placeholder_stands_in() -> None:
    data = dataclasses.replace(SIAN, sms_number=None, placeholder=True)
    for pdf in (build_poster(data), build_cards(data), build_cards(data, "single")):
        text = pdf_text(pdf)
        assert "[SMS NUMBER NOT SET]" in text
    assert "Development copy: set TWILIO_FROM_NUMBER before printing." in pdf_text(
        build_poster(data)
    )


def test_the_welsh_poster() -> None:
    data = dataclasses.replace(
        SIAN,
        name="Dafydd ap Gwŷn",
        code="DAFYDD-3M",
        vouch_url="https://g.cymru/vouch/DAFYDD-3M",
        lang="cy",
    )
    text = pdf_text(build_poster(data))
    assert "Soniwch am dro pan helpodd Dafydd ap Gwŷn neu newid rhywbeth yma." in text
    assert "Beth ddigwyddodd?" in text
    assert "i 07911 123456" in text
    assert "Tecstiwch CYMRAEG i'r un rhif" in text
    assert "g.cymru/vouch/DAFYDD-3M" in text
    assert "Tell us" not in text
    assert poster_filename(data, "poster") == "groundswell-poster-DAFYDD-3M-cy.pdf"


def test_cards_ten_to_a_sheet_or_one_on_a_card_sized_page() -> None:
    sheet = build_cards(SIAN)
    text = pdf_text(sheet)
    assert page_size_mm(sheet) == (210.0, 297.0)
    assert text.count("Vouch for Siân Łucja Evans") == 10
    assert text.count("groundswell.cymru/vouch/SIAN-7K") == 10
    assert "Cut along the marks: ten cards, 85 × 55 mm each." in text
    single = build_cards(SIAN, "single")
    assert page_size_mm(single) == (85.0, 55.0)
    text = pdf_text(single)
    assert "Text SIAN-7K and your words to 07911 123456" in text
    assert "One text. Your number is never shown." in text
    assert "Your words count towards Siân Łucja Evans's funding." in text


def test_a_long_name_and_address_still_fit_on_one_page() -> None:
    data = dataclasses.replace(
        SIAN,
        name="Maximiliana Wolfeschlegelsteinhausen-Bergerdorff of the Valleys",
        code="MAXIMILIANA-7K",
        vouch_url="https://community-grants.groundswell.example.org.uk/vouch/MAXIMILIANA-7K",
    )
    pdf = build_poster(data)
    assert len(page_texts(pdf)) == 1
    text = pdf_text(pdf)
    # Split before /vouch/, never leaving the code's last letter alone on a line.
    assert "community-grants.groundswell.example.org.uk /vouch/MAXIMILIANA-7K" in text
    # The poster names them in full; a card too small for that uses their first name.
    assert "Tell us about a time Maximiliana Wolfeschlegelsteinhausen-Bergerdorff" in text
    card = pdf_text(build_cards(data, "single"))
    assert "Vouch for Maximiliana Tell us about a time Maximiliana helped" in card
    assert "count towards Maximiliana's funding" in card
    assert "Vouch for Siân Łucja Evans" in pdf_text(build_cards(SIAN, "single"))


def test_the_qr_codes_open_the_vouching_page() -> None:
    assert qr_payloads(build_poster(SIAN)) == [SIAN.vouch_url]
    assert qr_payloads(build_cards(SIAN, "single"), dpi=300) == [SIAN.vouch_url]
    assert qr_payloads(build_cards(SIAN), dpi=200) == [SIAN.vouch_url] * 10
    # What segno encodes is exactly the address, as a full (not micro) QR code.
    assert qr_code(SIAN.vouch_url).designator.endswith("-M")


def test_pictures_of_each_printable(request: pytest.FixtureRequest) -> None:
    """Renders each to test-artifacts/pdf/ to look at; checks pdftoppm makes a page of each."""
    dev = dataclasses.replace(SIAN, sms_number=None, placeholder=True)
    cy = dataclasses.replace(SIAN, name="Dafydd ap Gwŷn", lang="cy")
    for name, pdf in (
        ("poster-en", build_poster(SIAN)),
        ("poster-cy", build_poster(cy)),
        ("poster-dev", build_poster(dev)),
        ("poster-no-sms", build_poster(dataclasses.replace(SIAN, sms_number=None))),
        ("cards-sheet", build_cards(SIAN)),
        ("card-single", build_cards(SIAN, "single")),
    ):
        assert len(render_pages(pdf, name, dpi=100 if name != "card-single" else 300)) == 1


@pytest.mark.parametrize(
    ("raw", "printed"),
    [
        ("+447911123456", "07911 123456"),
        ("+44 29 2087 2087", "029 2087 2087"),
        ("+14155550100", "+1 415-555-0100"),
        ("60777", "60777"),  # a short code is printed as it is
    ],
)
def test_the_sms_number_as_residents_dial_it(raw: str, printed: str) -> None:
    assert display_sms_number(raw) == printed


def test_poster_data_from_settings() -> None:
    organiser = {
        "name": "Amina Hussein",
        "code": "AMINA-7K",
        "host_name": "Pallister Park CA",
        "locality_name": "Pallister",
    }
    base = Settings(
        public_url="https://groundswell.example.org/", twilio_from_number="+447911123456"
    )
    data = poster_data(organiser, base)
    assert data.vouch_url == "https://groundswell.example.org/vouch/AMINA-7K"
    assert data.short_url == "groundswell.example.org/vouch/AMINA-7K"
    assert data.sms_number == "07911 123456" and not data.placeholder
    unset = dataclasses.replace(base, twilio_from_number="")
    assert poster_data(organiser, unset).placeholder  # development
    production = dataclasses.replace(unset, env=Environment.PRODUCTION)
    assert poster_data(organiser, production).sms_number is None
    assert not poster_data(organiser, production).placeholder
    with pytest.raises(ValueError):
        poster_data(organiser, base, "fr")
