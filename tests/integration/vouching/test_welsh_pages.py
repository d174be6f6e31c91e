"""Residents' pages in Welsh: chosen by ?lang, remembered by a cookie, or offered by the
browser; lang="cy" on the page, a visible switch back, drafts announced; staff pages stay
English; the code texted from a Welsh page is in Welsh."""

from __future__ import annotations

import re
from html import unescape

import pytest

from groundswell.core import i18n
from groundswell.outbox.tables import OutboxMessage
from groundswell.vouching.tables import Resident
from tests.helpers import WebClient

FORM = {
    "testimony": "Fe drefnodd hi'r clwb ieuenctid pan gaeodd y ganolfan.",
    "theme": "value",
    "phone": "07911 123456",
    "hear_back": "1",
}
DRAFT_NOTICE = "Welsh draft awaiting review by a Welsh speaker"


def html_lang(page: str) -> str:
    match = re.search(r'<html lang="([^"]+)"', page)
    assert match
    return match.group(1)


async def test_lang_query_chooses_welsh_and_a_cookie_remembers_it(
    client: WebClient, amina: str
) -> None:
    page = await client.get("/vouch/AMINA-7K?lang=cy")
    assert page.status_code == 200
    assert html_lang(page.text) == "cy"
    assert "Cefnogi Amina Hussein" in page.text and "Anfonwch god ataf" in page.text
    assert "Send me a code" not in page.text
    assert page.headers["content-language"] == "cy"
    assert "gs_lang=cy" in page.headers["set-cookie"]
    # The switch goes back to English on the same page.
    assert 'href="/vouch/AMINA-7K?lang=en"' in page.text and ">English</a>" in page.text
    # Every Welsh text is a first draft: the page says so, in both languages.
    assert DRAFT_NOTICE in page.text

    remembered = await client.get("/organisers/AMINA-7K")
    assert (
        html_lang(remembered.text) == "cy" and "Beth mae cymdogion yn ei ddweud" in remembered.text
    )

    back = await client.get("/organisers?lang=en")
    assert html_lang(back.text) == "en-GB" and "Community organisers" in back.text
    assert 'href="/organisers?lang=cy"' in back.text and ">Cymraeg</a>" in back.text
    assert DRAFT_NOTICE not in back.text
    again = await client.get("/")
    assert html_lang(again.text) == "en-GB"


@pytest.mark.parametrize(
    ("header", "lang"),
    [("cy-GB,cy;q=0.9,en;q=0.5", "cy"), ("en-GB,en;q=0.9,cy;q=0.3", "en-GB"), ("fr", "en-GB")],
)
async def test_accept_language_chooses_when_nothing_else_does(
    client: WebClient, header: str, lang: str
) -> None:
    page = await client.get("/", headers={"Accept-Language": header})
    assert html_lang(page.text) == lang
    assert "set-cookie" not in page.headers or "gs_lang" not in page.headers["set-cookie"]
    assert "Accept-Language" in page.headers["vary"]
    # An explicit choice beats the browser's.
    chosen = await client.get("/?lang=en", headers={"Accept-Language": "cy"})
    assert html_lang(chosen.text) == "en-GB"


async def test_staff_pages_stay_english(client: WebClient) -> None:
    page = await client.get("/login?lang=cy")
    assert html_lang(page.text) == "en-GB"
    assert ">Organisers</a>" in page.text and "Cymraeg</a>" not in page.text


async def test_reviewed_welsh_shows_no_draft_notice(
    client: WebClient, amina: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    reviewed = {
        key: i18n.Entry(entry.text, draft=False) for key, entry in i18n.translations("cy").items()
    }
    monkeypatch.setattr(i18n, "translations", lambda lang: reviewed if lang == "cy" else {})
    page = await client.get("/vouch/AMINA-7K?lang=cy")
    assert html_lang(page.text) == "cy" and "Cefnogi Amina Hussein" in page.text
    assert DRAFT_NOTICE not in page.text


async def test_a_welsh_vouch_gets_welsh_errors_and_a_welsh_code(
    client: WebClient, amina: str
) -> None:
    await client.get("/vouch/AMINA-7K?lang=cy")
    refused = await client.submit("/vouch/AMINA-7K", {**FORM, "testimony": "Da", "phone": ""})
    assert refused.status_code == 422
    assert "Dywedwch ychydig mwy wrthym" in refused.text
    assert "Rhowch rif eich ffôn symudol" in refused.text
    assert "Gwall:" in refused.text
    landline = await client.submit("/vouch/AMINA-7K", {**FORM, "phone": "01642 123456"})
    assert "nad yw'n rhif ffôn symudol" in unescape(landline.text)

    started = await client.submit("/vouch/AMINA-7K", FORM)
    assert started.status_code in (302, 303), started.text[-600:]
    message = await OutboxMessage.select().order_by(OutboxMessage.id, ascending=False).first()
    assert message["body"].startswith("Eich cod Groundswell yw ")
    code = re.search(r"\b(\d{6})\b", message["body"]).group(1)  # type: ignore[union-attr]
    confirm = await client.get(started.headers["location"])
    assert "Edrychwch ar eich ffôn" in confirm.text and html_lang(confirm.text) == "cy"
    token = started.headers["location"].split("t=", 1)[1]
    wrong = await client.submit("/vouch/AMINA-7K/confirm", {"t": token, "code": "000000"})
    assert "Nid yw'r cod hwnnw'n gywir" in unescape(wrong.text)
    thanks = await client.submit("/vouch/AMINA-7K/confirm", {"t": token, "code": code})
    assert "Mae eich cefnogaeth wedi'i chofnodi" in unescape(thanks.text)
    # Hearing back will come by text, in Welsh.
    resident = await Resident.select(Resident.lang).first()
    assert resident["lang"] == "cy"


async def test_an_error_page_speaks_welsh_without_trusting_the_address(client: WebClient) -> None:
    page = await client.get("/vouch/<b>NOPE-2X?lang=cy")
    assert page.status_code == 404 and html_lang(page.text) == "cy"
    assert "Heb ei ganfod" in page.text and "Mynd i'r dudalen hafan" in unescape(page.text)
    assert "<b>" not in page.text  # what was typed in the address is escaped, never markup


@pytest.mark.parametrize(
    ("path", "english", "welsh"),
    [
        ("/privacy", "Privacy notice", "Hysbysiad preifatrwydd"),
        ("/accessibility", "Accessibility statement", "Datganiad hygyrchedd"),
        ("/contact", "Never send", "Peidiwch byth ag anfon"),
    ],
)
async def test_the_footer_pages_speak_welsh(
    client: WebClient, path: str, english: str, welsh: str
) -> None:
    page = await client.get(f"{path}?lang=cy")
    assert page.status_code == 200 and html_lang(page.text) == "cy"
    assert welsh in page.text and english not in page.text
    assert DRAFT_NOTICE in page.text
    # Markup in the Welsh is the page's own: links still work.
    assert '<a href="/my-voice">' in page.text or path == "/accessibility"
    assert "&lt;a" not in page.text and "&lt;strong" not in page.text
    english_page = await client.get(f"{path}?lang=en")
    assert english in english_page.text and welsh not in english_page.text


async def test_the_privacy_notice_counts_days_in_welsh(client: WebClient) -> None:
    page = unescape((await client.get("/privacy?lang=cy")).text)
    assert re.search(r"am \d+ diwrnod, cofnod bod pob neges", page)
    assert "anfonwch e-bost at" in page or "defnyddiwch y" in page


async def test_a_too_long_field_is_refused_in_welsh(client: WebClient, amina: str) -> None:
    await client.get("/vouch/AMINA-7K?lang=cy")
    refused = await client.submit("/vouch/AMINA-7K", {**FORM, "display_name": "A" * 41})
    assert refused.status_code == 422
    assert "Cadwch hwn i 40 nod neu lai." in refused.text
    assert "characters or fewer" not in refused.text
    await client.get("/vouch/AMINA-7K?lang=en")
    english = await client.submit("/vouch/AMINA-7K", {**FORM, "display_name": "A" * 41})
    assert "Keep this to 40 characters or fewer." in english.text


@pytest.mark.parametrize(
    ("lang", "expected"),
    [
        ("en", "There is no organiser or building with the code NOPE-2X."),
        ("cy", "Does dim trefnydd nac adeilad gyda'r cod NOPE-2X."),
    ],
)
async def test_a_mistyped_code_names_organisers_and_buildings(
    client: WebClient, lang: str, expected: str
) -> None:
    page = await client.get(f"/vouch/NOPE-2X?lang={lang}")
    assert page.status_code == 404
    assert expected in unescape(page.text)


async def test_the_funders_figures_stay_english_and_say_so(client: WebClient, amina: str) -> None:
    note = "Mae'r rhan hon yn Saesneg yn unig"
    welsh = unescape((await client.get("/organisers/AMINA-7K?lang=cy")).text)
    assert note in welsh and '<section aria-labelledby="for-funders"' in welsh
    assert 'class="for-funders" lang="en-GB"' in welsh and "For funders: figures" in welsh
    english = unescape((await client.get("/organisers/AMINA-7K?lang=en")).text)
    assert note not in english and "This part is in English only" not in english
