"""Every page's footer leads to the privacy notice, the accessibility statement and contact,
and what the privacy notice says residents can do matches what the system does."""

from __future__ import annotations

from dataclasses import replace

import pytest

from groundswell.settings import Settings, SettingsError, load_settings
from groundswell.web.app import create_app
from tests.helpers import asgi_client

FOOTER_LINKS = ('href="/privacy"', 'href="/accessibility"', 'href="/contact"')


@pytest.mark.parametrize("path", ["/", "/privacy", "/organisers", "/login", "/no-such-page"])
async def test_every_page_has_the_footer_links(client, path: str) -> None:
    page = (await client.get(path)).text
    footer = page[page.index('<footer class="site-footer">') :]
    assert all(link in footer for link in FOOTER_LINKS), footer


async def test_the_privacy_notice_says_what_is_kept_and_how_to_use_each_right(client) -> None:
    response = await client.get("/privacy")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/html")
    page = response.text
    for words in (
        "scrambled code",  # the keyed hash of the number
        "first name and neighbourhood",
        "answer from 0 to 10",
        "Who may read your words",
        "hear what happened",
        "MYDATA",
        "DELETE",
        "WITHDRAW",
        "STOP",
        'href="/my-voice"',
        "30 days",  # vouching.jobs.INBOUND_KEPT_FOR, read from the code
        "Information Commissioner",
    ):
        assert words in page, words


async def test_contact_shows_the_configured_address(settings: Settings) -> None:
    app = create_app(
        replace(settings, contact_email="help@groundswell.example"), run_scheduler=False
    )
    async with asgi_client(app) as web:
        for path in ("/contact", "/privacy", "/accessibility"):
            page = (await web.get(path)).text
            assert 'href="mailto:help@groundswell.example"' in page, path


async def test_without_an_address_the_contact_page_says_so(client) -> None:
    page = (await client.get("/contact")).text
    assert "mailto:" not in page and "has not published a contact e-mail address" in page
    assert "mailto:" not in (await client.get("/accessibility")).text


@pytest.mark.parametrize(
    "bad",
    ["help", "help@localhost", "a b@example.org", "<x@example.org>", "x@example.org,y@example.org"],
)
def test_a_contact_address_that_is_not_one_address_stops_start_up(bad: str) -> None:
    with pytest.raises(SettingsError, match="GROUNDSWELL_CONTACT_EMAIL"):
        load_settings({"GROUNDSWELL_CONTACT_EMAIL": bad, "GROUNDSWELL_ENV": "test"})


def test_a_contact_address_is_read_from_the_environment() -> None:
    settings = load_settings(
        {"GROUNDSWELL_CONTACT_EMAIL": "help@example.org", "GROUNDSWELL_ENV": "test"}
    )
    assert settings.contact_email == "help@example.org"
