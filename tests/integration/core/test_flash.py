"""After an action, the next page says what happened, once (core/flash.py): post/redirect/get,
no banner on refresh, the words escaped, and a cookie we did not sign is never shown."""

from __future__ import annotations

import re

from groundswell.core.flash import FLASH_COOKIE, decode_flash, encode_flash
from groundswell.core.principal import Role
from groundswell.funders.tables import Pool
from tests.helpers import WebClient, make_funder, make_user
from tests.integration.funders.test_pools import GOOD_FORM

BANNER = re.compile(
    r'<div class="notification-banner notification-banner--success" role="alert"[^>]*>.*?</div>\s*</div>',
    re.S,
)


def banner(page: str) -> str | None:
    found = BANNER.search(page)
    return found.group(0) if found else None


def test_a_message_reads_back_only_with_its_signature_and_before_it_expires() -> None:
    value = encode_flash("secret-one", "Pool saved", "Next round uses it.", at=1000)
    assert decode_flash("secret-one", value, at=1010) == {
        "heading": "Pool saved",
        "text": "Next round uses it.",
    }
    assert decode_flash("secret-two", value, at=1010) is None  # another site's key
    assert decode_flash("secret-one", value, at=1000 + 121) is None  # expired
    payload, _, signature = value.partition(".")
    forged = encode_flash("secret-one", "Send your bank details to x@evil.example", at=1000)
    assert decode_flash("secret-one", f"{forged.partition('.')[0]}.{signature}", at=1010) is None
    for junk in ("", ".", "abc", f"{payload}.", "!!!.???"):
        assert decode_flash("secret-one", junk, at=1010) is None


async def test_the_banner_shows_once_after_creating_a_pool_and_not_on_refresh(
    client: WebClient,
) -> None:
    funder = await make_funder()
    await client.login(await make_user(Role.FUNDER, funder_ids=(funder,)))
    created = await client.submit(f"/funders/{funder}/pools", GOOD_FORM)
    pool = await Pool.select(Pool.id).first()
    assert pool is not None
    assert created.status_code == 303 and created.headers["location"] == f"/pools/{pool['id']}"
    assert FLASH_COOKIE in created.headers["set-cookie"]
    assert "httponly" in created.headers["set-cookie"].lower()

    shown = await client.get(created.headers["location"])
    said = banner(shown.text)
    assert said and "Pool “Teesside Listening Fund” created" in said, shown.text[:3000]
    assert "holds no money yet" in said
    # The page that showed it deletes it, and is not kept by any cache.
    assert re.search(rf'{FLASH_COOKIE}=""?;.*Max-Age=0', shown.headers["set-cookie"])
    assert shown.headers["cache-control"] == "no-store"

    again = await client.get(created.headers["location"])
    assert banner(again.text) is None and "created" not in again.text


async def test_the_words_in_a_banner_are_escaped(client: WebClient) -> None:
    funder = await make_funder()
    await client.login(await make_user(Role.FUNDER, funder_ids=(funder,)))
    name = '<script>alert("x")</script>'
    created = await client.submit(f"/funders/{funder}/pools", {**GOOD_FORM, "name": name})
    page = (await client.get(created.headers["location"])).text
    said = banner(page)
    assert said and "&lt;script&gt;alert(" in said
    assert "<script>alert" not in page


async def test_a_cookie_we_did_not_sign_shows_nothing_and_is_cleared(client: WebClient) -> None:
    forged = encode_flash("not-our-key", "Your account is locked: call 0800 000 000")
    client.cookies.set(FLASH_COOKIE, forged, domain="groundswell.test")
    page = await client.get("/")
    assert page.status_code == 200 and banner(page.text) is None
    assert "locked" not in page.text
    assert FLASH_COOKIE in page.headers.get("set-cookie", "")


async def test_a_refused_form_shows_no_banner(client: WebClient) -> None:
    funder = await make_funder()
    await client.login(await make_user(Role.FUNDER, funder_ids=(funder,)))
    refused = await client.submit(f"/funders/{funder}/pools", {**GOOD_FORM, "round_budget": "x"})
    assert refused.status_code == 422 and FLASH_COOKIE not in refused.headers.get("set-cookie", "")
    assert banner(refused.text) is None
