"""Layout and feedback (#19), in Chromium at 390 and 1280 px: the navigation folds behind
"Menu" on a phone (also without JavaScript), every control is at least 44 px to tap, the
footer's pages are accessible, a banner follows an action once, and tables stack on a phone."""

from __future__ import annotations

import re
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

pytestmark = pytest.mark.browser

ADMIN, FUNDER = "admin@groundswell.example", "funder@groundswell.example"
TAP = 44


async def overflow(page: Any) -> int:
    return int(
        await page.evaluate(
            "document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
    )


async def heights(page: Any, selector: str) -> list[float]:
    return [
        box["height"]
        for box in [await e.bounding_box() for e in await page.locator(selector).all()]
        if box is not None
    ]


async def check(page: Any, name: str, failures: dict[str, Any]) -> None:
    """axe finds nothing serious, the page never scrolls sideways; and a screenshot."""
    if bad := serious(await run_axe(page)):
        failures[name] = bad
    if (extra := await overflow(page)) > 0:
        failures[f"{name} overflow"] = extra
    await screenshot(page, name)


@pytest.mark.parametrize("javascript", [True, False])
async def test_the_navigation_folds_behind_menu_on_a_phone(
    browser: Any, live_server: LiveServer, javascript: bool
) -> None:
    context, page, watched = await new_page(
        browser, live_server, viewport=PHONE, javascript=javascript
    )
    try:
        await login(page, ADMIN)
        nav = page.get_by_role("navigation", name="Main")
        menu = nav.locator("summary", has_text="Menu")
        assert await menu.is_visible()
        assert not await nav.get_by_role("link", name="Organisers").is_visible()
        await menu.click()
        assert await nav.get_by_role("link", name="Organisers").is_visible()
        if javascript:
            await screenshot(page, "menu-open-phone")
            results = await run_axe(page)
            assert not serious(results), describe(serious(results))
        # Every item of the open menu is a full-size target.
        sizes = await heights(page, ".site-menu > .nav > li > a, .site-menu .link-button")
        assert sizes and min(sizes) >= TAP, sizes
        await nav.get_by_role("link", name="Organisers").click()
        await page.wait_for_url(re.compile(r"/organisers$"))
        assert not watched.errors and not watched.csp, (watched.errors, watched.csp)
    finally:
        await context.close()


async def test_on_a_desktop_the_links_show_without_a_menu(
    browser: Any, live_server: LiveServer
) -> None:
    context, page, _ = await new_page(browser, live_server, viewport=DESKTOP)
    try:
        await page.goto("/")
        nav = page.get_by_role("navigation", name="Main")
        assert not await nav.locator("summary", has_text="Menu").is_visible()
        for name in ("Organisers", "Places", "Pools", "Sign in"):
            assert await nav.get_by_role("link", name=name).is_visible(), name
        sizes = await heights(page, ".site-menu > .nav > li > a")
        assert min(sizes) >= TAP, sizes
    finally:
        await context.close()


async def test_the_vouch_forms_answers_are_big_enough_to_tap(
    browser: Any, live_server: LiveServer
) -> None:
    context, page, _ = await new_page(browser, live_server, viewport=PHONE)
    try:
        await page.goto("/organisers")
        code = (await page.locator("#results tbody tr code").first.inner_text()).strip()
        await page.goto(f"/vouch/{code}")
        boxes = [await p.bounding_box() for p in await page.locator(".scale-point").all()]
        assert len(boxes) == 11
        assert all(b and b["height"] >= TAP and b["width"] >= TAP for b in boxes), boxes
        checks = await heights(page, "form .check")
        assert checks and min(checks) >= TAP, checks
        # The whole box takes the tap: its corner chooses the answer.
        seven = page.locator(".scale-point").nth(7)
        await seven.scroll_into_view_if_needed()
        box = await seven.bounding_box()
        assert box is not None
        await page.mouse.click(box["x"] + box["width"] - 4, box["y"] + box["height"] - 4)
        assert await page.locator("#score-7").is_checked()
        await screenshot(page, "vouch-form-phone")
    finally:
        await context.close()


async def test_the_footer_pages_are_accessible_at_both_widths(
    browser: Any, live_server: LiveServer
) -> None:
    failures: dict[str, Any] = {}
    for width_name, viewport in (("phone", PHONE), ("desktop", DESKTOP)):
        context, page, watched = await new_page(browser, live_server, viewport=viewport)
        try:
            await page.goto("/")
            footer = page.locator("footer")
            for name, heading in (
                ("Privacy", "Privacy notice"),
                ("Accessibility", "Accessibility statement"),
                ("Contact", "Contact"),
            ):
                await footer.get_by_role("link", name=name).click()
                await page.wait_for_url(re.compile(f"/{name.lower()}$"))
                assert await page.get_by_role("heading", level=1, name=heading).is_visible()
                await check(page, f"footer-{name.lower()}-{width_name}", failures)
            assert not watched.errors and not watched.csp, (watched.errors, watched.csp)
        finally:
            await context.close()
    assert not failures, describe(list(failures.items()))  # type: ignore[arg-type]


@pytest.mark.parametrize("viewport_name", ["phone", "desktop"])
async def test_saving_a_pool_says_so_once(
    browser: Any, live_server: LiveServer, viewport_name: str
) -> None:
    viewport = PHONE if viewport_name == "phone" else DESKTOP
    context, page, watched = await new_page(browser, live_server, viewport=viewport)
    try:
        await login(page, FUNDER)
        href = await page.locator("main a[href^='/pools/']").first.get_attribute("href")
        pool = re.match(r"/pools/\d+", href or "")
        assert pool, href
        await page.goto(f"{pool.group(0)}/edit")
        await page.locator("main form[method=post] button[type=submit]").last.click()
        await page.wait_for_url(re.compile(rf"{pool.group(0)}$"))
        banner = page.get_by_role("alert").filter(has_text="Pool settings saved")
        assert await banner.is_visible()
        # The focus is on the banner, so a screen reader reads it first.
        assert await page.evaluate(
            "document.activeElement.classList.contains('notification-banner')"
        )
        results = await run_axe(page)
        assert not serious(results), describe(serious(results))
        await screenshot(page, f"banner-after-saving-a-pool-{viewport_name}")
        await page.reload()
        assert await page.locator(".notification-banner").count() == 0
        assert not watched.errors and not watched.csp, (watched.errors, watched.csp)
    finally:
        await context.close()


async def test_tables_stack_into_labelled_rows_on_a_phone(
    browser: Any, live_server: LiveServer
) -> None:
    context, page, _ = await new_page(browser, live_server, viewport=PHONE)
    failures: dict[str, Any] = {}
    try:
        await login(page, ADMIN)
        await page.goto("/admin/rounds")
        round_path = await page.locator("main a[href^='/rounds/']").first.get_attribute("href")
        await page.goto("/hosts")
        host_path = await page.locator("main a[href^='/hosts/']").first.get_attribute("href")
        for name, path in (
            ("outbox", "/admin/outbox"),
            ("round", round_path),
            ("host", host_path),
            ("rounds", "/admin/rounds"),
            ("ledger", "/admin/ledger"),
        ):
            await page.goto(str(path))
            table = page.locator("table.stack-on-phone").first
            assert await table.count(), name
            cell = table.locator("td[data-label]").first
            label = await cell.get_attribute("data-label")
            shown = await cell.evaluate("c => getComputedStyle(c, '::before').content")
            assert shown == f'"{label}"', (name, shown, label)
            assert await table.locator("thead").evaluate(
                "h => h.getBoundingClientRect().height <= 1"
            ), name
            await check(page, f"stacked-{name}-phone", failures)
    finally:
        await context.close()
    assert not failures, describe(list(failures.items()))  # type: ignore[arg-type]
