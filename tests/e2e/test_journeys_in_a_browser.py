"""Four journeys end to end (#19), one per kind of user, each checking what the service says
after every step: a resident on a phone, a funder, a host and staff. Every page touched is
checked by axe (nothing serious or critical) at 390 and 1280 px, must not scroll sideways
on the phone, and is captured at both widths in test-artifacts/screenshots/journey-*.png."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.conftest import (
    DESKTOP,
    PHONE,
    LiveServer,
    describe,
    login,
    new_page,
    run_axe,
    screenshot,
    serious,
)
from tests.e2e.test_listening_in_a_browser import active_organisers, latest_code

pytestmark = pytest.mark.browser

ADMIN, FUNDER, HOST = (
    "admin@groundswell.example",
    "funder@groundswell.example",
    "host@groundswell.example",
)


class Journey:
    """The pages one journey touched, and what was wrong with any of them."""

    def __init__(self, page: Any, viewport: dict[str, int]) -> None:
        self.page, self.viewport = page, viewport
        self.failures: dict[str, Any] = {}

    async def look(self, name: str) -> None:
        # Judge the page at rest: results fade while htmx fetches (an in-between state).
        await self.page.wait_for_load_state("networkidle")
        await self.page.wait_for_function(
            "!document.querySelector('.htmx-request, .htmx-settling, .htmx-swapping')"
        )
        await self.page.locator(".results").evaluate_all(
            "els => Promise.all(els.flatMap(e => e.getAnimations()).map(a => a.finished))"
        )
        for width, size in (("phone", PHONE), ("desktop", DESKTOP)):
            await self.page.set_viewport_size(size)
            if bad := serious(await run_axe(self.page)):
                self.failures[f"{name}-{width}"] = bad
            if width == "phone":
                extra = await self.page.evaluate(
                    "document.documentElement.scrollWidth - document.documentElement.clientWidth"
                )
                if extra > 0:
                    self.failures[f"{name}-phone overflow"] = extra
            await screenshot(self.page, f"journey-{name}-{width}")
        await self.page.set_viewport_size(self.viewport)

    async def banner(self, heading: str) -> str:
        """The success banner says `heading` and holds the keyboard's focus."""
        banner = self.page.locator(".notification-banner").filter(has_text=heading)
        assert await banner.is_visible(), await self.page.locator("main").inner_text()
        assert await banner.evaluate("b => b === document.activeElement"), heading
        return str(await banner.inner_text())

    def done(self) -> None:
        assert not self.failures, describe(list(self.failures.items()))  # type: ignore[arg-type]


async def _query(live_server: LiveServer, sql: str) -> list[tuple[Any, ...]]:
    url = live_server.database_url
    if url.startswith("sqlite"):
        import sqlite3

        with sqlite3.connect(url.removeprefix("sqlite:///")) as connection:
            return list(connection.execute(sql).fetchall())
    import asyncpg

    connection = await asyncpg.connect(url)
    try:
        return [tuple(row) for row in await connection.fetch(sql)]
    finally:
        await connection.close()


async def test_a_resident_on_a_phone_finds_an_organiser_and_vouches(
    browser: Any, live_server: LiveServer
) -> None:
    context, page, watched = await new_page(browser, live_server, viewport=PHONE)
    journey = Journey(page, PHONE)
    try:
        code = active_organisers(live_server)[4]
        await page.goto("/")
        await journey.look("resident-home")
        nav = page.get_by_role("navigation", name="Main")
        await nav.locator("summary", has_text="Menu").click()
        await nav.get_by_role("link", name="Organisers").click()
        await page.wait_for_url(re.compile(r"/organisers$"))
        await page.get_by_label("Name, code or place").fill(code)
        await page.get_by_role("button", name="Find").click()
        await page.wait_for_url(re.compile(r"/organisers\?"))
        assert f"q={code}" in page.url  # the search can be shared
        await journey.look("resident-search")
        await page.locator("#results").get_by_role("link").first.click()
        await page.wait_for_url(f"**/organisers/{code}")
        await journey.look("resident-organiser")

        await page.get_by_role("link", name="Vouch on the web").click()
        await page.wait_for_url(f"**/vouch/{code}")
        await journey.look("resident-vouch-form")
        # Sent empty, the form says what to do, at the top, with the focus.
        await page.get_by_role("button", name="Send me a code").click()
        summary = page.locator(".error-summary")
        assert await summary.is_visible()
        assert await summary.evaluate("s => s === document.activeElement")
        await journey.look("resident-vouch-errors")
        await page.get_by_label("In your own words").fill(
            "She got the bus stop moved back after the works. Everyone on our road noticed."
        )
        await page.get_by_label("What I value in their work").check()
        await page.get_by_label("Your mobile number").fill("07911 123458")
        await page.get_by_role("button", name="Send me a code").click()
        await page.wait_for_url(re.compile(r"/vouch/[A-Z0-9-]+/confirm\?t="))
        confirm = await page.locator("main").inner_text()
        assert "Not received a text message?" in confirm and "123458" not in confirm
        await journey.look("resident-code")
        await page.get_by_label("6-digit code").fill(await latest_code(browser, live_server))
        await page.get_by_role("button", name="Confirm my vouch").click()
        panel = page.locator(".panel")
        await panel.wait_for()
        assert await page.locator("h1").inner_text() == "Your vouch is in"
        assert await panel.evaluate("p => p === document.activeElement")
        thanks = await page.locator("main").inner_text()
        assert "Tell a neighbour" in thanks
        await journey.look("resident-thanks")
        assert not watched.errors and not watched.csp, (watched.errors, watched.csp)
    finally:
        await context.close()
    journey.done()


async def test_a_funder_creates_a_pool_and_reviews_a_round(
    browser: Any, live_server: LiveServer
) -> None:
    context, page, watched = await new_page(browser, live_server, viewport=DESKTOP)
    journey = Journey(page, DESKTOP)
    try:
        await login(page, FUNDER)
        await journey.look("funder-dashboard")
        await page.get_by_role("link", name="Create a pool").first.click()
        await page.wait_for_url(re.compile(r"/funders/\d+/pools/new$"))
        await journey.look("funder-pool-form")
        # A refused form says so at the top, beside the field, and keeps what was typed.
        await page.get_by_label("Name").fill("Journey Fund")
        await page.get_by_label(re.compile(r"^Budget for each round")).fill("lots")
        await page.get_by_role("button", name="Save pool").click()
        assert await page.locator(".error-summary").is_visible()
        assert await page.get_by_label("Name").input_value() == "Journey Fund"
        await journey.look("funder-pool-form-errors")
        await page.get_by_label(re.compile(r"^Budget for each round")).fill("12000")
        await page.get_by_label("All places: organisers anywhere can be funded").check()
        await page.get_by_role("button", name="Save pool").click()
        await page.wait_for_url(re.compile(r"/pools/\d+$"))
        await journey.banner("Pool “Journey Fund” created")
        assert await page.locator("#no-money-yet").is_visible()
        await journey.look("funder-new-pool")

        await page.get_by_role("link", name="Your pools").click()
        in_review = page.locator("section.to-review li", has_text="Approved automatically")
        await in_review.get_by_role("link", name=re.compile("^Review")).first.click()
        await page.wait_for_url(re.compile(r"/rounds/\d+$"))
        assert "In review until" in await page.locator(".notice").first.inner_text()
        await journey.look("funder-round")
        href = await page.get_by_role("link", name="Download these lines as CSV").get_attribute(
            "href"
        )
        response = await page.request.get(str(href))
        assert response.ok
        rows = list(csv.DictReader(io.StringIO((await response.body()).decode("utf-8-sig"))))
        assert rows and all(r["Organiser's code"] and r["Why"] for r in rows)
        assert not watched.errors and not watched.csp, (watched.errors, watched.csp)
    finally:
        await context.close()
    journey.done()


async def test_a_host_sees_what_is_coming_and_downloads_a_statement(
    browser: Any, live_server: LiveServer
) -> None:
    context, page, watched = await new_page(browser, live_server, viewport=DESKTOP)
    journey = Journey(page, DESKTOP)
    try:
        await login(page, HOST)
        if not re.search(r"/hosts/\d+$", page.url):
            await page.locator("main a[href^='/hosts/']").first.click()
            await page.wait_for_url(re.compile(r"/hosts/\d+$"))
        expected = page.locator("section[aria-labelledby=money-expected]")
        assert await expected.get_by_role("heading", name="Expected: in review").is_visible()
        if await expected.locator("table").count():
            approved = await expected.locator("td[data-label=Approved]").first.inner_text()
            assert re.search(r"\d{4}|Paused by the funder", approved), approved
        await journey.look("host-page")
        await page.get_by_label("From").fill("2000-01-01")
        async with page.expect_download() as download_info:
            await page.get_by_role("button", name="Download statement (CSV)").click()
        download = await download_info.value
        text = Path(await download.path()).read_text(encoding="utf-8-sig")
        header = next(csv.reader(io.StringIO(text)))
        assert {"Funder", "Pool", "Round period"} <= set(header), header
        for row in csv.DictReader(io.StringIO(text)):
            assert not re.search(r"(\w+ \d{4}) to \1", row["Round period"]), row
        assert not watched.errors and not watched.csp, (watched.errors, watched.csp)
    finally:
        await context.close()
    journey.done()


async def test_staff_decide_a_burst_and_award_a_grant_after_checking(
    browser: Any, live_server: LiveServer
) -> None:
    context, page, watched = await new_page(browser, live_server, viewport=DESKTOP)
    journey = Journey(page, DESKTOP)
    try:
        await login(page, ADMIN)
        card = page.locator("#moderation-waiting")
        assert re.search(r"\d+ voices? waiting for a decision", await card.inner_text())
        await journey.look("staff-dashboard")
        await card.get_by_role("link", name="Moderation").click()
        await page.wait_for_url(re.compile(r"/admin/moderation$"))
        await journey.look("staff-moderation")
        group = page.locator("article", has_text="voices flagged together").first
        size = re.search(r"(\d+) voices flagged together", await group.inner_text())
        assert size, await group.inner_text()
        await group.get_by_label(re.compile("^Note")).fill("one burst at a meeting: checked")
        await group.get_by_role("button", name=f"Keep counting all {size.group(1)}").click()
        await page.wait_for_url(re.compile(r"/admin/moderation\?tab=waiting"))
        text = await journey.banner(f"Kept counting the {size.group(1)} voices")
        assert "They count again" in text
        # The place is kept: the banner sits where the next card begins, on the screen.
        placed = page.locator(".moderation-done + article, .notification-banner + .cards")
        assert await placed.count() == 1
        assert await page.locator(".notification-banner").evaluate(
            "b => b.getBoundingClientRect().top >= 0 && b.getBoundingClientRect().top < innerHeight"
        )
        assert await page.locator("nav.tabs a[aria-current=page]").inner_text() == "Waiting " + (
            await page.locator("nav.tabs a[aria-current=page] .count").inner_text()
        )
        await journey.look("staff-moderation-decided")
        await page.get_by_role("link", name=re.compile("^Hidden")).click()
        await page.wait_for_url(re.compile(r"tab=hidden"))
        await journey.look("staff-moderation-hidden")

        [(asset, service)] = await _query(
            live_server,
            "SELECT asset_bid, service_bid FROM programme_grant WHERE status = 'proposed' "
            "ORDER BY id LIMIT 1",
        )
        bid = f"/programme/asset-bids/{asset}" if asset else f"/programme/service-bids/{service}"
        await page.goto("/programme")
        await journey.look("staff-programme")
        await page.goto(bid)
        await page.get_by_role("button", name=re.compile("^Award")).first.click()
        await page.wait_for_url(re.compile(r"/award$"))
        assert "Nothing has been recorded yet." in await page.locator("main").inner_text()
        await journey.look("staff-award-check")
        await page.get_by_role("button", name=re.compile("^Confirm")).click()
        await page.wait_for_url(re.compile(r"/programme/(asset|service)-bids/\d+"))
        await journey.banner("Grant awarded")
        await journey.look("staff-grant-awarded")

        for name, path in (
            ("staff-ledger", "/admin/ledger"),
            ("staff-ledger-corrections", "/admin/ledger/corrections"),
            ("staff-returns", "/admin/returns"),
            ("staff-rounds", "/admin/rounds"),
        ):
            await page.goto(path)
            await journey.look(name)
        await page.goto("/admin/ledger")
        await page.locator("main a[href^='/admin/ledger/pools/']").first.click()
        await journey.look("staff-ledger-pool")
        assert not watched.errors and not watched.csp, (watched.errors, watched.csp)
    finally:
        await context.close()
    journey.done()
