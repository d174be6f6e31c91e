"""Issue #18 in Chromium on a phone: a resident switches the page to Welsh and vouches for a
building on the web, end to end, with the code texted in Welsh; every page says lang="cy",
has no serious accessibility problem, and the bid's page then shows the words."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.e2e.conftest import (
    PHONE,
    LiveServer,
    describe,
    login,
    new_page,
    run_axe,
    screenshot,
    serious,
    server_value,
)
from tests.e2e.test_listening_in_a_browser import ADMIN, latest_code

pytestmark = pytest.mark.browser

WORDS = "Dyma lle dysgodd fy mhlant ddarllen, a lle cawn ni gyfarfod bob wythnos."


async def accessible_welsh_page(page: Any, name: str) -> None:
    assert await page.locator("html").get_attribute("lang") == "cy"
    violations = serious(await run_axe(page))
    assert not violations, describe(violations)
    await screenshot(page, name)


async def test_a_resident_vouches_for_a_building_in_welsh_on_a_phone(
    browser: Any, live_server: LiveServer
) -> None:
    code = str(await server_value(live_server, "SELECT code FROM vouch_subject ORDER BY id"))
    bid_id = await server_value(
        live_server,
        f"SELECT a.id FROM asset_bid a JOIN vouch_subject s ON s.id = a.vouch_subject "
        f"WHERE s.code = '{code}'",
    )
    context, page, watched = await new_page(browser, live_server, viewport=PHONE)
    try:
        await page.goto(f"/vouch/{code}")
        assert await page.locator("html").get_attribute("lang") == "en-GB"
        await page.get_by_role("link", name="Cymraeg").click()
        await page.wait_for_url(f"**/vouch/{code}?lang=cy")
        assert (await page.locator("h1").inner_text()).startswith("Cefnogi ")
        await accessible_welsh_page(page, "building-vouch-welsh-phone")

        # A mistake first: the error summary is in Welsh too.
        await page.get_by_role("button", name="Anfonwch god ataf").click()
        await page.wait_for_load_state()
        assert "Dywedwch wrthym" in await page.locator(".error-summary").inner_text()
        await accessible_welsh_page(page, "building-vouch-welsh-error-phone")

        await page.get_by_label("Yn eich geiriau eich hun").fill(WORDS)
        await page.get_by_label("Eich cymdogaeth (dewisol)").fill("Parc Pallister")
        await page.get_by_label(re.compile("^Fy ngeiriau, i'r cyngor")).check()
        await page.get_by_label("Rhif eich ffôn symudol").fill("07912 345678")
        await page.get_by_role("button", name="Anfonwch god ataf").click()
        await page.wait_for_url(re.compile(rf"/vouch/{code}/confirm\?t="))
        assert await page.locator("h1").inner_text() == "Edrychwch ar eich ffôn"
        await accessible_welsh_page(page, "building-vouch-welsh-code-phone")
        texted = str(
            await server_value(
                live_server,
                "SELECT body FROM outbox_message WHERE purpose = 'verification_code' "
                "ORDER BY id DESC LIMIT 1",
            )
        )
        assert texted.startswith("Eich cod Groundswell yw ")  # the text came in Welsh

        await page.get_by_label("Cod 6 digid").fill(await latest_code(browser, live_server))
        await page.get_by_role("button", name="Cadarnhau fy nghefnogaeth").click()
        await page.wait_for_load_state()
        heading = await page.locator("h1").inner_text()
        assert heading in (
            "Mae eich cefnogaeth wedi'i chofnodi",
            "Mae eich geiriau newydd wedi'u cofnodi",
        ), await page.locator("main").inner_text()
        assert "Diolch am siarad dros" in await page.locator(".panel__body").inner_text()
        await accessible_welsh_page(page, "building-vouch-welsh-thanks-phone")
        assert not watched.errors and not watched.csp, (watched.errors, watched.csp)
    finally:
        await context.close()

    staff_context, staff, _ = await new_page(browser, live_server)
    try:
        await login(staff, ADMIN)
        await staff.goto(f"/programme/asset-bids/{bid_id}")
        voices = staff.locator("section", has=staff.locator("#voices-heading"))
        assert WORDS in await voices.inner_text()
    finally:
        await staff_context.close()
