"""What funders and hosts do, in Chromium: a funder pauses and resumes a round, a host sets up
payments, and the organisers list, funding history and dashboards are accessible on a
desktop and a phone."""

from __future__ import annotations

import asyncio
import re
from typing import Any

import pytest

from groundswell.community.directory import PAGE_SIZE
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
)

pytestmark = pytest.mark.browser

ADMIN, FUNDER, HOST = (
    "admin@groundswell.example",
    "funder@groundswell.example",
    "host@groundswell.example",
)
UNBOARDED_HOST = "Hulme Community Garden Centre"  # the demo's host without payments set up


async def funded_organiser(browser: Any, live_server: LiveServer) -> tuple[str, str]:
    """(organiser code, round path) of the best-funded organiser in the demo's paid round."""
    context, page, _ = await new_page(browser, live_server)
    try:
        await login(page, FUNDER)
        # Paid, or paying while one host's money is held until it sets up payments.
        rows = page.locator(
            "section[aria-labelledby=rounds] tbody tr", has_text=re.compile(r"Pa(id|ying)")
        )
        assert await rows.count(), await page.locator("main").inner_text()
        round_path = await rows.first.locator("a").first.get_attribute("href")
        assert round_path, await page.locator("main").inner_text()
        await page.goto(round_path)
        lines = page.get_by_role("table", name="Allocations in this round")
        first = lines.locator("tbody tr").first.locator("code")
        return (await first.inner_text()).strip(), round_path
    finally:
        await context.close()


async def pages_to_check(
    browser: Any, live_server: LiveServer
) -> list[tuple[str, str, str | None]]:
    """(name, path, who signs in) for each new or changed page."""
    code, round_path = await funded_organiser(browser, live_server)
    return [
        ("organisers-search", "/organisers?q=a", None),
        ("organiser-funded", f"/organisers/{code}", None),
        ("organiser-funded-funder", f"/organisers/{code}", FUNDER),
        # Organiser lifecycle (issue #16): every form staff use, and the history.
        ("organiser-manage", f"/organisers/{code}/manage", ADMIN),
        ("dashboard-funder-full", "/dashboard", FUNDER),
        ("round", round_path, FUNDER),
        ("dashboard-host", "/dashboard", HOST),
        ("admin-dashboard", "/dashboard", ADMIN),
    ]


async def test_new_pages_have_no_serious_accessibility_violations_and_are_captured(
    browser: Any, live_server: LiveServer
) -> None:
    checks = await pages_to_check(browser, live_server)
    failures: dict[str, Any] = {}
    for viewport_name, viewport in (("desktop", DESKTOP), ("phone", PHONE)):
        for who in (None, FUNDER, HOST, ADMIN):
            context, page, watched = await new_page(browser, live_server, viewport=viewport)
            try:
                if who:
                    await login(page, who)
                for name, path, needs in checks:
                    if needs != who:
                        continue
                    await page.goto(path)
                    if name == "organiser-funded":
                        await page.get_by_text("Every step behind this amount").click()
                    await check_page(page, f"{name}-{viewport_name}", failures)
                if who == HOST:
                    await page.get_by_role("link", name=UNBOARDED_HOST).click()
                    await page.wait_for_url(re.compile(r"/hosts/\d+$"))
                    await check_page(page, f"host-{viewport_name}", failures)
                if who is None:
                    # The second page of organisers, reached from the first.
                    await page.goto("/organisers")
                    await page.get_by_role("link", name="Next organisers").click()
                    await page.wait_for_url(re.compile(r"after="))
                    await check_page(page, f"organisers-page-2-{viewport_name}", failures)
                assert not watched.errors and not watched.csp, (watched.errors, watched.csp)
            finally:
                await context.close()
    assert not failures, describe(list(failures.items()))  # type: ignore[arg-type]


async def check_page(page: Any, name: str, failures: dict[str, Any]) -> None:
    results = await run_axe(page)
    if bad := serious(results):
        failures[name] = bad
    await screenshot(page, name)
    overflow = await page.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    if overflow > 0:
        failures[f"{name} overflow"] = [{"px": overflow}]


async def test_the_organisers_list_searches_and_pages_with_htmx(
    session: tuple[Any, Watched],
) -> None:
    page, watched = session
    await page.goto("/organisers")
    assert await page.evaluate("typeof htmx") == "object", "htmx is not loaded"
    await page.evaluate("window.__sameDocument = true")
    first = await page.locator("#results tbody tr").all_inner_texts()
    assert len(first) == PAGE_SIZE
    await page.get_by_role("link", name="Next organisers").click()
    await page.wait_for_url(re.compile(r"/organisers\?after="))
    second = await page.locator("#results tbody tr").all_inner_texts()
    assert second and not set(second) & set(first)
    assert "Back to the start" not in await page.locator(".pager").inner_text()
    await page.get_by_role("link", name="Previous organisers").click()
    await page.wait_for_url(re.compile(r"/organisers$"))  # the first page, plainly
    assert await page.locator("#results tbody tr").all_inner_texts() == first
    # Typing searches as you go; the address follows.
    await page.get_by_label("Name, code or place").fill("amina")
    await page.wait_for_url(re.compile(r"/organisers\?q=amina$"))
    names = await page.locator("#results tbody tr td:first-child a").all_inner_texts()
    assert names and all("amina" in n.lower() for n in names)
    assert await page.evaluate("window.__sameDocument === true")
    await page.go_back()
    await page.wait_for_url(re.compile(r"/organisers$"))
    assert await page.locator("#results tbody tr").all_inner_texts() == first
    assert not watched.errors and not watched.csp, (watched.errors, watched.csp)


async def test_the_organiser_page_speaks_to_residents_first_on_a_phone(
    browser: Any, live_server: LiveServer
) -> None:
    """Issue #19: at 390 px, what neighbours say and how to vouch come before the funders'
    figures; "More words" appends the next words with htmx and the address keeps the page;
    a typo in the search is forgiven. Axe stays clean at both widths."""
    code, _ = await funded_organiser(browser, live_server)
    failures: dict[str, Any] = {}
    for viewport_name, viewport in (("phone", PHONE), ("desktop", DESKTOP)):
        context, page, watched = await new_page(browser, live_server, viewport=viewport)
        try:
            await page.goto(f"/organisers/{code}")
            tops = []
            for heading in ("#neighbours", "#how-to-vouch", "#for-funders", "#funding"):
                box = await page.locator(heading).bounding_box()
                assert box is not None, heading
                tops.append(box["y"])
            assert tops == sorted(tops), tops
            await check_page(page, f"organiser-residents-first-{viewport_name}", failures)
            words = page.locator("section.organiser-neighbours figure.testimony")
            before = await words.count()
            more = page.get_by_role("link", name="More words")
            if await more.count():
                await page.evaluate("window.__sameDocument = true")
                await more.click()
                await page.wait_for_url(re.compile(r"[?]words="))
                await page.wait_for_function(
                    f"document.querySelectorAll('section.organiser-neighbours figure.testimony').length > {before}"
                )
                assert await page.evaluate("window.__sameDocument === true")
                await check_page(page, f"organiser-more-words-{viewport_name}", failures)
            # A search with a slip in it still finds the organiser.
            name = (await page.locator("h1").inner_text()).strip()
            first = name.split()[0]
            typo = first[0] + first[2] + first[1] + first[3:] if len(first) > 3 else first
            await page.goto("/organisers?q=" + typo)
            assert await page.locator("#results tbody tr").count()
            if typo.lower() != first.lower():
                assert "Showing results for" in await page.locator("#results").inner_text()
            await check_page(page, f"organisers-typo-{viewport_name}", failures)
            assert not watched.errors and not watched.csp, (watched.errors, watched.csp)
        finally:
            await context.close()
    assert not failures, describe(list(failures.items()))  # type: ignore[arg-type]


async def test_the_organisers_list_works_without_javascript(
    browser: Any, live_server: LiveServer
) -> None:
    context, page, _ = await new_page(browser, live_server, javascript=False)
    try:
        await page.goto("/organisers")
        await page.get_by_label("Place", exact=True).select_option(label="Pallister")
        await page.get_by_role("button", name="Find").click()
        await page.wait_for_url(re.compile(r"locality=\d+"))
        places = await page.locator("#results tbody tr .place").all_inner_texts()
        assert places and set(places) == {"Pallister"}
    finally:
        await context.close()


async def test_a_funder_pauses_and_then_resumes_a_round(session: tuple[Any, Watched]) -> None:
    page, watched = session
    await login(page, FUNDER)
    await page.get_by_role("link", name="Your pools").click()
    review = page.locator("section.to-review")
    assert await review.is_visible()
    in_review = review.locator("li", has_text="Approved automatically")
    await in_review.get_by_role("link", name=re.compile("^Review")).first.click()
    await page.wait_for_url(re.compile(r"/rounds/\d+$"))
    round_url = page.url
    assert "In review until" in await page.locator(".notice").inner_text()
    # Pausing asks why; the reason is shown with who paused it.
    await page.get_by_label("Why you are pausing it").fill("Our trustees want to read it")
    await page.get_by_role("button", name="Pause this round").click()
    await page.wait_for_url(round_url)
    notice = await page.get_by_role("status").first.inner_text()
    assert notice.startswith("Paused on"), notice
    assert "Our trustees want to read it" in notice
    await screenshot(page, "round-paused-desktop")

    # The dashboard offers to resume it; resume from the round page.
    await page.get_by_role("link", name="Your pools").click()
    assert (
        await page.locator("section.to-review")
        .get_by_role("link", name=re.compile("^Resume"))
        .count()
    )
    await page.goto(round_url)
    await page.get_by_label("Why you are resuming it").fill("Trustees are content")
    await page.get_by_role("button", name="Resume this round").click()
    await page.wait_for_url(round_url)
    assert "In review until" in await page.get_by_role("status").first.inner_text()
    assert await page.get_by_role("button", name="Pause this round").is_visible()
    assert not watched.errors and not watched.csp, (watched.errors, watched.csp)


async def test_a_host_sets_up_payments_and_is_onboarded(
    browser: Any, live_server: LiveServer
) -> None:
    context, page, watched = await new_page(browser, live_server, viewport=PHONE)
    try:
        await login(page, HOST)
        # On a phone the navigation opens from "Menu" first.
        await page.get_by_role("navigation", name="Main").get_by_text("Menu").click()
        await page.get_by_role("link", name="Your organisations").click()
        await page.get_by_role("link", name=UNBOARDED_HOST).click()
        await page.wait_for_url(re.compile(r"/hosts/\d+$"))
        host_url = page.url
        setup = page.locator("#payments-setup").locator("..")
        assert "Next step" in await setup.inner_text()
        held_before = await page.locator(
            "#money-waiting ~ .table-scroll tbody tr"
        ).all_inner_texts()
        received_before = await page.locator(
            "#payments-received ~ .table-scroll tbody tr"
        ).all_inner_texts()
        assert not received_before
        assert "No payments yet." in await page.locator("#payments-received ~ p").all_inner_texts()
        await page.get_by_role("button", name="Set up payments").click()
        await page.wait_for_url(re.compile(r"/payments/simulated/onboarding/acct_sim_\w+$"))
        assert "Simulated" in await page.locator("main").inner_text()
        await check_page(page, "simulated-onboarding-phone", failures := {})
        assert not failures, describe(list(failures.items()))  # type: ignore[arg-type]
        await page.get_by_role("button", name="Complete onboarding (simulated)").click()
        await page.wait_for_url(host_url)
        assert "Ready." in await setup.inner_text()
        # Money that was held for it went out the moment onboarding completed. (An approved
        # round not yet paid stays "approved": the payments job, off here, sends it.)
        held = [row for row in held_before if "Held until" in row]
        assert held, held_before
        waiting = await page.locator("#money-waiting ~ .table-scroll tbody tr").all_inner_texts()
        assert not [row for row in waiting if "Held until" in row], waiting
        received = await page.locator(
            "#payments-received ~ .table-scroll tbody tr"
        ).all_inner_texts()
        assert received and "tr_sim_" in received[0]
        await screenshot(page, "host-onboarded-phone")
        assert not watched.errors and not watched.csp, (watched.errors, watched.csp)
    finally:
        await context.close()


async def test_pressing_a_form_button_twice_sends_the_form_once(
    session: tuple[Any, Watched],
) -> None:
    page, watched = session
    posts: list[str] = []
    page.on("request", lambda request: request.method == "POST" and posts.append(request.url))

    async def slow_server(route: Any) -> None:
        if route.request.method == "POST":
            await asyncio.sleep(1.5)  # a slow answer is when people press again
        await route.continue_()

    await page.route("**/login", slow_server)
    await page.goto("/login")
    await page.get_by_label("E-mail").fill("twice@groundswell.example")
    await page.get_by_label("Password").fill("not the password at all")
    # As a person presses: the second press 0.3 s after the first, while it is on its way.
    # (Playwright's own click would wait for the next page before pressing again.)
    await page.evaluate(
        """() => {
            const button = document.querySelector("main form button[type=submit]");
            button.click();
            setTimeout(() => button.click(), 300);
        }"""
    )
    await page.get_by_text("do not match an account").wait_for()
    await page.wait_for_timeout(500)  # past the second press
    assert len(posts) == 1, posts
    # The answer is a fresh page: its form can be sent again.
    await page.get_by_label("Password").fill("still not the password")
    await page.get_by_role("button", name=re.compile("Sign in", re.I)).click()
    await page.get_by_text("do not match an account").wait_for()
    assert len(posts) == 2, posts
    assert not watched.errors and not watched.csp, (watched.errors, watched.csp)
