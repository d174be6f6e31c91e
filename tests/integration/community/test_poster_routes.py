"""GET /organisers/{code}/poster.pdf and /card.pdf: anyone may print them; links on the
organiser's page and on their host's page."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import AsyncIterator

import pytest
from litestar import Litestar

from groundswell.core.principal import Role
from groundswell.settings import Environment, Settings
from groundswell.web.app import create_app
from tests.helpers import (
    WebClient,
    asgi_client,
    make_host,
    make_locality,
    make_organiser,
    make_user,
)
from tests.pdfs import page_size_mm, pdf_text, qr_payloads


def text(page: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", page).split())


@pytest.fixture
async def organiser() -> tuple[int, str]:
    host = await make_host("Tŷ Hapus Community Trust")
    place = await make_locality("Grangetown")
    code = await make_organiser(host, place, name="Siân Łucja Evans", code="SIAN-7K")
    return host, code


@pytest.fixture
async def texting_client(settings: Settings) -> AsyncIterator[WebClient]:
    app = create_app(
        dataclasses.replace(settings, twilio_from_number="+447911123456"), run_scheduler=False
    )
    async with asgi_client(app) as web:
        yield web


async def test_anyone_can_print_the_poster(
    texting_client: WebClient, organiser: tuple[int, str]
) -> None:
    response = await texting_client.get("/organisers/SIAN-7K/poster.pdf")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/pdf"
    assert (
        response.headers["content-disposition"]
        == 'inline; filename="groundswell-poster-SIAN-7K.pdf"'
    )
    body = pdf_text(response.content)
    assert "Tell us about a time Siân Łucja Evans helped or changed something round here." in body
    assert "SIAN-7K" in body
    assert "to 07911 123456" in body
    assert "groundswell.test/vouch/SIAN-7K" in body  # GROUNDSWELL_PUBLIC_URL in tests
    assert qr_payloads(response.content) == ["https://groundswell.test/vouch/SIAN-7K"]


async def test_cards_on_a_sheet_or_one_card(
    texting_client: WebClient, organiser: tuple[int, str]
) -> None:
    sheet = await texting_client.get("/organisers/sian-7k/card.pdf")  # typed in lower case
    assert sheet.status_code == 200
    assert (
        sheet.headers["content-disposition"] == 'inline; filename="groundswell-cards-SIAN-7K.pdf"'
    )
    assert page_size_mm(sheet.content) == (210.0, 297.0)
    assert pdf_text(sheet.content).count("07911 123456") == 10
    single = await texting_client.get("/organisers/SIAN-7K/card.pdf?layout=single")
    assert (
        single.headers["content-disposition"] == 'inline; filename="groundswell-card-SIAN-7K.pdf"'
    )
    assert page_size_mm(single.content) == (85.0, 55.0)
    welsh = await texting_client.get("/organisers/SIAN-7K/card.pdf?lang=cy")
    assert "Soniwch am dro pan helpodd Siân Łucja Evans" in pdf_text(welsh.content)
    assert welsh.headers["content-disposition"].endswith('groundswell-cards-SIAN-7K-cy.pdf"')


async def test_the_welsh_poster(texting_client: WebClient, organiser: tuple[int, str]) -> None:
    response = await texting_client.get("/organisers/SIAN-7K/poster.pdf?lang=cy")
    assert response.status_code == 200
    assert "Beth ddigwyddodd?" in pdf_text(response.content)


async def test_without_a_number_development_prints_a_marked_placeholder(
    client: WebClient, organiser: tuple[int, str]
) -> None:
    # The test settings set no TWILIO_FROM_NUMBER and are not production.
    body = pdf_text((await client.get("/organisers/SIAN-7K/poster.pdf")).content)
    assert "[SMS NUMBER NOT SET]" in body and "TWILIO_FROM_NUMBER" in body


async def test_without_a_number_production_says_texting_is_not_set_up(
    settings: Settings, organiser: tuple[int, str]
) -> None:
    production: Litestar = create_app(
        dataclasses.replace(settings, env=Environment.PRODUCTION), run_scheduler=False
    )
    async with asgi_client(production) as web:
        body = pdf_text((await web.get("/organisers/SIAN-7K/poster.pdf")).content)
    assert "Texting is not set up yet" in body
    assert "NOT SET" not in body and "07911" not in body


async def test_unknown_codes_and_organisers_who_left_get_a_page_for_people(
    client: WebClient, organiser: tuple[int, str]
) -> None:
    host, _ = organiser
    await make_organiser(
        host, await make_locality("Splott"), name="Dele Okafor", code="DELE-3M", status="left"
    )
    for path in (
        "/organisers/NOBODY-9Z/poster.pdf",
        "/organisers/NOBODY-9Z/card.pdf",
        "/organisers/DELE-3M/poster.pdf",
        "/organisers/DELE-3M/card.pdf",
    ):
        response = await client.get(path, headers={"accept": "text/html"})
        assert response.status_code == 404, path
        assert response.headers["content-type"].startswith("text/html")
    page = text((await client.get("/organisers/DELE-3M/poster.pdf")).text)
    assert (
        "Dele Okafor is no longer taking vouches, so there is no poster or card to print." in page
    )
    assert "There is no organiser with the code NOBODY-9Z" in text(
        (await client.get("/organisers/NOBODY-9Z/poster.pdf")).text
    )


async def test_a_language_or_layout_we_do_not_have_is_refused(
    client: WebClient, organiser: tuple[int, str]
) -> None:
    assert (await client.get("/organisers/SIAN-7K/poster.pdf?lang=fr")).status_code == 422
    assert (await client.get("/organisers/SIAN-7K/card.pdf?layout=a3")).status_code == 422


async def test_the_organiser_page_and_the_host_page_link_to_them(
    client: WebClient, organiser: tuple[int, str]
) -> None:
    host, _ = organiser
    page = (await client.get("/organisers/SIAN-7K")).text
    assert 'href="/organisers/SIAN-7K/poster.pdf"' in page
    assert 'href="/organisers/SIAN-7K/poster.pdf?lang=cy"' in page
    assert 'href="/organisers/SIAN-7K/card.pdf"' in page
    assert 'href="/organisers/SIAN-7K/card.pdf?layout=single"' in page
    await make_organiser(
        host, await make_locality("Splott"), name="Dele Okafor", code="DELE-3M", status="left"
    )
    assert "poster.pdf" not in (await client.get("/organisers/DELE-3M")).text

    await client.login(await make_user(Role.HOST, host_ids=(host,)))
    host_page = (await client.get(f"/hosts/{host}")).text
    assert 'href="/organisers/SIAN-7K/poster.pdf"' in host_page
    assert 'href="/organisers/SIAN-7K/card.pdf"' in host_page
    assert "/organisers/DELE-3M/poster.pdf" not in host_page
