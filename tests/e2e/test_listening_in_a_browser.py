"""What people do, in Chromium: a resident vouches, a funder listens, pages are accessible,
and testimony is only ever text."""

from __future__ import annotations

import asyncio
import re
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from playwright.async_api import expect

from tests.e2e.conftest import (
    DESKTOP,
    PHONE,
    LiveServer,
    Watched,
    describe,
    login,
    new_page,
    run_axe,
    screenshot,
    serious,
    server_value,
)

pytestmark = pytest.mark.browser

ADMIN, FUNDER = "admin@groundswell.example", "funder@groundswell.example"


def active_organisers(live_server: LiveServer) -> list[str]:
    rows = httpx.get(f"{live_server.url}/api/v1/organisers", timeout=10).json()
    return [row["code"] for row in rows if row["status"] == "active"]


async def latest_code(browser: Any, live_server: LiveServer) -> str:
    """The 6-digit code of the newest queued code text, read from the server's database: the
    resident's phone, in effect (the outbox page never shows a code, issue #14)."""
    body = str(
        await server_value(
            live_server,
            "SELECT body FROM outbox_message WHERE purpose = 'verification_code' "
            "ORDER BY id DESC LIMIT 1",
        )
    )
    match = re.search(r"\b(\d{6})\b", body)
    assert match, body
    return match.group(1)


async def vouch(
    page: Any,
    browser: Any,
    live_server: LiveServer,
    code: str,
    words: str,
    phone: str,
    *,
    public: bool = False,
) -> None:
    await page.goto(f"/organisers/{code}")
    await page.get_by_role("link", name="Vouch on the web").click()
    await page.wait_for_url(f"**/vouch/{code}")
    await page.get_by_label("In your own words").fill(words)
    await page.get_by_label("A hope for what comes next").check()
    await page.get_by_label("Your first name (optional)").fill("Maureen")
    await page.get_by_label("Your neighbourhood (optional)").fill("Grove Hill")
    await page.get_by_label(re.compile("^Funders who sign in")).check()
    if public:
        await page.get_by_label(re.compile("^Anyone, on")).check()
    await page.get_by_label("Your mobile number").fill(phone)
    await page.get_by_role("button", name="Send me a code").click()
    await page.wait_for_url(re.compile(r"/vouch/[A-Z0-9-]+/confirm\?t="))
    await page.get_by_label("6-digit code").fill(await latest_code(browser, live_server))
    await page.get_by_role("button", name="Confirm my vouch").click()
    await page.wait_for_load_state()
    heading = await page.locator("h1").inner_text()
    assert heading in ("Your vouch is in", "Your new words are in"), await page.locator(
        "main"
    ).inner_text()


async def test_a_resident_vouches_on_the_web_and_a_funder_reads_it(
    browser: Any, live_server: LiveServer, session: tuple[Any, Watched]
) -> None:
    page, watched = session
    code = active_organisers(live_server)[0]
    words = "She got the council to fix the underpass lights after three years of asking."
    await vouch(page, browser, live_server, code, words, "07911 123456")
    assert "Thank you for speaking up" in await page.locator(".panel__body").inner_text()

    context, funder, _ = await new_page(browser, live_server)
    try:
        await login(funder, FUNDER)
        await funder.goto(f"/listen?organiser={code}")
        first = funder.locator("#results figure.testimony").first
        assert await first.locator("blockquote").inner_text() == words
        caption = await first.locator("figcaption").inner_text()
        assert "Maureen, Grove Hill" in caption and "A hope" in caption
    finally:
        await context.close()
    assert not watched.errors and not watched.csp, (watched.errors, watched.csp)


async def open_filters(page: Any) -> None:
    details = page.locator("details.filter-details")
    if not await details.evaluate("d => d.open"):
        await page.locator("summary", has_text="Filter and order").click()


async def quotes(page: Any) -> list[str]:
    return await page.locator("#results blockquote").all_inner_texts()


async def test_a_funder_filters_searches_pages_and_goes_back_with_htmx(
    session: tuple[Any, Watched],
) -> None:
    page, watched = session
    await login(page, FUNDER)
    await page.get_by_role("link", name="Listen", exact=True).click()
    await page.wait_for_url("**/listen")
    assert await page.evaluate("typeof htmx") == "object", "htmx is not loaded"
    # Marks that survive only if the page is never reloaded and the form never replaced.
    await page.evaluate(
        "window.__sameDocument = true; document.getElementById('listen-filters').__kept = true"
    )
    before = await quotes(page)
    assert len(before) == 20

    await open_filters(page)
    async with page.expect_response(lambda r: "/listen?" in r.url) as answer:
        await page.get_by_label("Mostly about").select_option("value")
    response = await answer.value
    assert response.request.headers.get("hx-request") == "true"
    await page.wait_for_url("**/listen?theme=value")  # canonical: no empty fields
    themed = await quotes(page)
    assert themed and themed != before
    assert set(await page.locator("#results .theme-tag").all_inner_texts()) == {"What they value"}
    assert await page.evaluate(
        "window.__sameDocument === true && document.getElementById('listen-filters').__kept"
    ), "more than the results region changed"

    await page.get_by_label("Search the words").fill("football")
    await page.get_by_label("Search the words").press("Enter")
    await page.wait_for_url(re.compile(r"/listen\?q=football&theme=value$"))
    searched = await quotes(page)
    assert searched and all("football" in q.lower() for q in searched)

    await page.get_by_role("link", name="Older testimony").click()
    await page.wait_for_url(re.compile(r"cursor="))
    page_two = await quotes(page)
    assert page_two and not set(page_two) & set(searched)
    assert all("football" in q.lower() for q in page_two)
    # Focus moves to the results once htmx has settled the swap, a moment after the URL.
    # (Polled from here: the page's CSP forbids the eval that wait_for_function uses.)
    for _ in range(50):
        if (
            await page.evaluate("document.activeElement && document.activeElement.id")
            == "results-heading"
        ):
            break
        await asyncio.sleep(0.1)
    assert await page.evaluate("document.activeElement.id") == "results-heading"
    assert await page.evaluate("window.__sameDocument === true")
    assert "Back to the start" in await page.locator("#results .pager").inner_text()

    await page.go_back()
    await page.wait_for_url(re.compile(r"/listen\?q=football&theme=value$"))
    await expect(page.locator("#results blockquote")).to_have_text(searched)
    assert await page.get_by_label("Search the words").input_value() == "football"
    assert await page.get_by_label("Mostly about").input_value() == "value"
    await page.go_back()
    await page.wait_for_url("**/listen?theme=value")
    await expect(page.locator("#results blockquote")).to_have_text(themed)
    assert await page.get_by_label("Search the words").input_value() == ""
    assert "(1 in use)" in await page.locator("main summary").inner_text()
    await page.go_forward()
    await page.wait_for_url(re.compile(r"q=football"))
    await expect(page.locator("#results blockquote")).to_have_text(searched)
    assert not watched.errors and not watched.csp, (watched.errors, watched.csp)


async def test_listening_works_without_javascript(browser: Any, live_server: LiveServer) -> None:
    context, page, _ = await new_page(browser, live_server, javascript=False)
    try:
        await login(page, FUNDER)
        await page.goto("/listen")
        await open_filters(page)
        await page.get_by_label("Mostly about").select_option("concern")
        await page.get_by_label("Order").select_option("organiser")
        await page.get_by_role("button", name="Show testimony").click()
        await page.wait_for_url(re.compile(r"theme=concern"))
        assert parse_qs(urlsplit(page.url).query)["sort"] == ["organiser"]
        assert set(await page.locator("#results .theme-tag").all_inner_texts()) == {"A concern"}
        assert await page.locator("#results .group-heading").count() >= 1
        first = await quotes(page)
        await page.get_by_role("link", name="More testimony").click()
        await page.wait_for_url(re.compile(r"cursor="))
        assert not set(await quotes(page)) & set(first)
        await page.go_back()
        await page.wait_for_url(re.compile(r"theme=concern"))
        await expect(page.locator("#results blockquote")).to_have_text(first)
        # A hand-made bad address gets the form's messages, not an error page.
        response = await page.goto("/listen?from=2026-02-30&theme=nope")
        assert response is not None and response.status == 422
        alert = await page.get_by_role("alert").inner_text()
        assert "Said on or after" in alert and "Mostly about" in alert
    finally:
        await context.close()


async def test_the_organiser_page_draws_voices_over_time_with_a_table(
    live_server: LiveServer, session: tuple[Any, Watched]
) -> None:
    page, watched = session
    await page.goto(f"/organisers/{active_organisers(live_server)[1]}")
    chart = page.locator("figure.chart svg[role=img]")
    assert await chart.count() == 1 and await chart.is_visible()
    assert await page.locator("figure.chart svg rect.chart-bar").count() >= 1
    assert "voices in all" in await chart.locator("desc").text_content()
    box = await chart.bounding_box()
    assert box is not None and box["width"] > 300 and box["height"] > 150
    await page.get_by_text("The numbers each month").click()
    table = page.get_by_role("table", name=re.compile("^Voices each month"))
    assert await table.is_visible()
    assert await table.locator("tbody tr").count() == 12
    assert await page.get_by_role("table", name=re.compile("mostly about")).is_visible()
    assert not watched.errors and not watched.csp


XSS = (
    "Thanks for everything <script>window.__xss = 'script'</script> "
    "<img src=x onerror=\"window.__xss = 'img'; alert(1)\"> "
    "<a href=\"javascript:window.__xss='link'\">click me</a> "
    "<svg onload=alert(2)></svg> and <b>bold</b> words."
)


async def test_testimony_is_only_ever_text_in_the_browser(
    browser: Any, live_server: LiveServer, session: tuple[Any, Watched]
) -> None:
    page, watched = session
    code = active_organisers(live_server)[2]
    await vouch(page, browser, live_server, code, XSS, "07911 123457", public=True)
    context, funder, funder_watched = await new_page(browser, live_server)
    try:
        await login(funder, FUNDER)
        for url in (f"/listen?organiser={code}", f"/organisers/{code}"):
            await funder.goto(url)
            quote = funder.locator("blockquote", has_text="Thanks for everything").first
            assert await quote.inner_text() == XSS
            assert await quote.locator("script, img, a, svg, b").count() == 0
            await funder.wait_for_timeout(300)
            assert await funder.evaluate("window.__xss === undefined")
        # And after an htmx swap of the results.
        await funder.goto("/listen")
        await funder.get_by_label("Search the words").fill("thanks everything bold")
        await funder.get_by_label("Search the words").press("Enter")
        await funder.wait_for_url(re.compile(r"q=thanks"))
        quote = funder.locator("#results blockquote").first
        assert await quote.inner_text() == XSS
        await funder.wait_for_timeout(300)
        assert await funder.evaluate("window.__xss === undefined")
        assert not funder_watched.dialogs and not funder_watched.errors, funder_watched
    finally:
        await context.close()
    assert not watched.dialogs


async def main_pages(live_server: LiveServer) -> list[tuple[str, str, str | None]]:
    """(name, path, who signs in) for each main page."""
    codes = active_organisers(live_server)
    locality = httpx.get(f"{live_server.url}/api/v1/localities", timeout=10).json()[0]["id"]
    return [
        ("home", "/", None),
        ("organisers", "/organisers", None),
        ("organiser", f"/organisers/{codes[3]}", None),
        ("places", "/localities", None),
        ("place", f"/localities/{locality}", None),
        ("vouch", f"/vouch/{codes[3]}", None),
        ("login", "/login", None),
        ("listen", "/listen", FUNDER),
        ("listen-filtered", "/listen?theme=concern&sort=organiser", FUNDER),
        ("listen-error", "/listen?from=2026-02-30", FUNDER),
        ("dashboard-funder", "/dashboard", FUNDER),
        ("outbox", "/admin/outbox", ADMIN),
        ("forgotten-password", "/account/forgotten-password", None),
        ("tokens", "/account/tokens", FUNDER),
        ("users", "/admin/users", ADMIN),
        ("user", "/admin/users/1", ADMIN),
    ]


async def test_main_pages_have_no_serious_accessibility_violations_and_are_captured(
    browser: Any, live_server: LiveServer
) -> None:
    failures = {}
    for viewport_name, viewport in (("desktop", DESKTOP), ("phone", PHONE)):
        for who in (None, FUNDER, ADMIN):
            context, page, watched = await new_page(browser, live_server, viewport=viewport)
            try:
                if who:
                    await login(page, who)
                for name, path, needs in await main_pages(live_server):
                    if needs != who:
                        continue
                    await page.goto(path)
                    results = await run_axe(page)
                    if bad := serious(results):
                        failures[f"{name} ({viewport_name})"] = bad
                    await screenshot(page, f"{name}-{viewport_name}")
                    # Nothing sideways-scrolls on a phone.
                    overflow = await page.evaluate(
                        "document.documentElement.scrollWidth - document.documentElement.clientWidth"
                    )
                    if overflow > 0:
                        failures[f"{name} ({viewport_name}) overflow"] = [{"px": overflow}]
                assert not watched.errors and not watched.csp, (watched.errors, watched.csp)
            finally:
                await context.close()
    assert not failures, describe(list(failures.items()))  # type: ignore[arg-type]


async def test_keyboard_reaches_the_results_and_focus_is_visible(
    session: tuple[Any, Watched],
) -> None:
    page, _ = session
    await login(page, FUNDER)
    await page.goto("/listen")
    await page.keyboard.press("Tab")
    assert await page.evaluate("document.activeElement.className") == "skip-link"
    outline = await page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline == "solid"
    await page.keyboard.press("Enter")
    assert await page.evaluate("document.activeElement.id") == "main"
    seen = []
    for _ in range(6):
        await page.keyboard.press("Tab")
        seen.append(await page.evaluate("document.activeElement.id"))
        if await page.evaluate("document.activeElement.tagName") == "SUMMARY":
            await page.keyboard.press("Enter")  # open the filters from the keyboard
            break
    for _ in range(25):
        await page.keyboard.press("Tab")
        seen.append(
            await page.evaluate(
                "document.activeElement.id || document.activeElement.textContent.trim()"
            )
        )
    for control in ("f-q", "f-pool", "f-locality", "f-organiser", "f-host", "f-theme", "f-from"):
        assert control in seen, seen


def place_names(live_server: LiveServer) -> list[str]:
    rows = httpx.get(f"{live_server.url}/api/v1/localities", timeout=10).json()
    return [row["name"] for row in rows]


async def test_the_place_box_suggests_as_you_type_and_filters_by_the_name(
    live_server: LiveServer, session: tuple[Any, Watched]
) -> None:
    page, watched = session
    name = place_names(live_server)[0]
    await login(page, FUNDER)
    await page.goto("/listen")
    await open_filters(page)
    box = page.get_by_label("Place", exact=True)
    async with page.expect_response(lambda r: "/listen/places?" in r.url) as answer:
        await box.press_sequentially(name[:3].lower(), delay=50)
    assert (await answer.value).status == 200
    options = page.locator("#f-locality-choices option")
    await expect(options.first).to_be_attached()
    assert 1 <= await options.count() <= 10
    assert name in await options.evaluate_all("os => os.map(o => o.value)")
    await box.fill(name)
    await box.press("Tab")  # leaving the box is a change: the results follow it
    await page.wait_for_url(re.compile(r"/listen\?locality=\d+$"))
    places = set(
        await page.locator("#results figcaption a[href^='/localities/']").all_inner_texts()
    )
    assert places == {name}
    assert not watched.errors and not watched.csp, (watched.errors, watched.csp)


async def test_without_javascript_a_typed_place_filters_or_asks_which(
    browser: Any, live_server: LiveServer
) -> None:
    names = place_names(live_server)
    letters = sorted(
        {ch for n in names for ch in n.lower() if ch.isalpha()},
        key=lambda ch: -sum(ch in n.lower() for n in names),
    )
    shared = letters[0]  # in the most names: several match
    context, page, _ = await new_page(browser, live_server, javascript=False)
    try:
        await login(page, FUNDER)
        await page.goto("/listen")
        await open_filters(page)
        await page.get_by_label("Place", exact=True).fill(shared)
        await page.get_by_role("button", name="Show testimony").click()
        await page.wait_for_url(re.compile(r"locality="))
        assert "Did you mean" in await page.get_by_role("alert").inner_text()
        suggestion = page.get_by_role("alert").locator("ul").nth(1).locator("a").first
        chosen = (await suggestion.inner_text()).split(" (")[0]
        await suggestion.click()
        await page.wait_for_url(re.compile(r"locality=\d+"))
        assert await page.get_by_label("Place", exact=True).input_value() == chosen
        await page.get_by_label("Place", exact=True).fill(names[-1].upper())
        await page.get_by_role("button", name="Show testimony").click()
        await page.wait_for_url(re.compile(r"locality="))
        assert await page.get_by_label("Place", exact=True).input_value() == names[-1]
    finally:
        await context.close()
