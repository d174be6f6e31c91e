"""CSRF tokens are bound to the session (issue #14.5).

The attack that worked: the victim's session cookie sent with the attacker's own CSRF cookie
and token (both genuine, from the attacker's own visit) was accepted (303). Now a token is
valid only for the session (or, before sign-in, the pre-session id) it was made for: every
unsafe route refuses the mix with a 403 page that says what to do, htmx requests included,
and changes nothing."""

from __future__ import annotations

import httpx
from litestar import Litestar

from groundswell.core.csrf import CSRF_COOKIE
from groundswell.core.principal import Role
from groundswell.core.web import SESSION_COOKIE
from tests.factories import pool_in_a_place
from tests.helpers import asgi_client, make_organiser, make_user
from tests.integration.core.test_security import (
    SIGNED_WEBHOOKS,
    concrete,
    row_counts,
    state_changing_routes,
)


async def _victim_and_attacker(app: Litestar) -> tuple[str, str, str, str]:
    """(victim's session, victim's token, attacker's CSRF cookie, attacker's token)."""
    await make_user(Role.ADMIN, "victim@example.org")
    await make_user(Role.ADMIN, "attacker@example.org")
    async with asgi_client(app) as victim:
        await victim.login("victim@example.org")
        session = victim.raw.cookies.get(SESSION_COOKIE)
        victim_token = await victim.csrf_token()
    async with asgi_client(app) as attacker:
        await attacker.login("attacker@example.org")
        await attacker.raw.get("/dashboard")
        attacker_token = await attacker.csrf_token()
    assert session and attacker_token and attacker_token != victim_token
    return session, victim_token, attacker_token, attacker_token


async def _post(
    app: Litestar, method: str, path: str, cookies: dict[str, str], **kw: object
) -> httpx.Response:
    transport = httpx.ASGITransport(app=app, client=("127.0.0.1", 40000))
    async with httpx.AsyncClient(transport=transport, base_url="https://groundswell.test") as raw:
        header = "; ".join(f"{k}={v}" for k, v in cookies.items())
        headers = {"cookie": header, **dict(kw.pop("headers", {}) or {})}  # type: ignore[call-overload]
        return await raw.request(method, path, headers=headers, **kw)  # type: ignore[arg-type]


async def test_victims_session_with_the_attackers_csrf_token_is_refused_everywhere(
    app: Litestar,
) -> None:
    place = await pool_in_a_place()
    await make_organiser(place.host, place.locality, code="AMINA-7K")
    session, _, attacker_cookie, attacker_token = await _victim_and_attacker(app)
    cookies = {SESSION_COOKIE: session, CSRF_COOKIE: attacker_cookie}
    before = await row_counts()
    checked = 0
    for method, path in state_changing_routes(app):
        if path in SIGNED_WEBHOOKS or path.startswith("/api/"):
            continue
        url = concrete(path)
        form = await _post(
            app, method, url, cookies, data={"_csrf_token": attacker_token, "name": "x"}
        )
        assert form.status_code == 403, (method, path, form.status_code)
        assert "reload the page" in form.text  # the helpful page, not a bare refusal
        htmx = await _post(
            app,
            method,
            url,
            cookies,
            data={"name": "x"},
            headers={"hx-request": "true", "x-csrftoken": attacker_token},
        )
        assert htmx.status_code == 403, (method, path, htmx.status_code)
        checked += 1
    assert checked >= 40
    after = await row_counts()
    after.pop("user_session"), before.pop("user_session")
    assert after == before


async def test_the_victims_own_token_still_works(app: Litestar) -> None:
    session, victim_token, _, _ = await _victim_and_attacker(app)
    response = await _post(
        app,
        "POST",
        "/account/tokens",
        {SESSION_COOKIE: session, CSRF_COOKIE: victim_token},
        data={"_csrf_token": victim_token, "name": "laptop"},
    )
    assert response.status_code not in (401, 403), response.text[-500:]


async def test_anonymous_forms_are_bound_to_their_own_browser(app: Litestar) -> None:
    await make_user(Role.ADMIN, "someone@example.org")
    async with asgi_client(app) as first, asgi_client(app) as second:
        first_token = await first.csrf_token()
        second_token = await second.csrf_token()
        assert first_token != second_token
        # Each browser's own anonymous form works...
        ok = await first.raw.post(
            "/login",
            data={
                "_csrf_token": first_token,
                "email": "someone@example.org",
                "password": "wrong-password",
            },
        )
        assert ok.status_code == 422
        # ...and a token from another browser does not.
        refused = await second.raw.post(
            "/login",
            data={
                "_csrf_token": first_token,
                "email": "someone@example.org",
                "password": "wrong-password",
            },
        )
        assert refused.status_code == 403


async def test_signing_in_rebinds_the_token(app: Litestar) -> None:
    await make_user(Role.ADMIN, "someone@example.org")
    async with asgi_client(app) as browser:
        before = await browser.csrf_token()
        await browser.login("someone@example.org")
        after = browser.raw.cookies.get(CSRF_COOKIE)
        assert after and after != before  # the pre-sign-in token no longer works
        stale = await browser.raw.post("/account/tokens", data={"_csrf_token": before, "name": "x"})
        assert stale.status_code == 403
        fresh = await browser.raw.post("/account/tokens", data={"_csrf_token": after, "name": "x"})
        assert fresh.status_code not in (401, 403)
