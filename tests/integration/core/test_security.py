"""Hostile-input basics, derived from the route table rather than a hand-kept list."""

from __future__ import annotations

import dataclasses
import re

from litestar import Litestar
from litestar.routes import HTTPRoute

from groundswell.core.principal import Role
from groundswell.piccolo_app import TABLES
from groundswell.settings import Environment, Settings
from groundswell.web.app import CSRF_EXEMPT, create_app
from tests.factories import pool_in_a_place
from tests.helpers import WebClient, asgi_client, make_organiser, make_user

SIGNED_WEBHOOKS = {
    "/webhooks/twilio/sms",
    "/webhooks/twilio/status",
    "/webhooks/stripe",
    "/webhooks/stripe/connect",
}


def state_changing_routes(app: Litestar) -> list[tuple[str, str]]:
    routes = []
    for route in app.routes:
        if isinstance(route, HTTPRoute):
            for method in route.methods & {"POST", "PUT", "PATCH", "DELETE"}:
                routes.append((method, route.path))
    return sorted(routes)


def concrete(path: str) -> str:
    """Any id or code will do: the request must be refused before it is looked up."""
    return re.sub(r"\{\w+:str\}", "AMINA-7K", re.sub(r"\{\w+:int\}", "1", path))


async def row_counts() -> dict[str, int]:
    return {table._meta.tablename: await table.count() for table in TABLES}


async def test_every_state_changing_html_route_refuses_a_request_without_csrf_token(
    app: Litestar, client: WebClient
) -> None:
    await make_user(Role.ADMIN)
    await client.login("admin@example.org")
    before = await row_counts()
    checked = 0
    for method, path in state_changing_routes(app):
        if path in SIGNED_WEBHOOKS or path.startswith("/api/"):
            continue
        response = await client.request(method, concrete(path), data={"name": "x"})
        assert response.status_code == 403, (method, path, response.status_code)
        checked += 1
    assert checked >= 10
    after = await row_counts()
    after.pop("user_session"), before.pop("user_session")
    assert after == before


def test_only_the_signed_webhooks_and_the_token_api_are_exempt_from_csrf() -> None:
    assert set(CSRF_EXEMPT) == SIGNED_WEBHOOKS | {"/api/"}


async def test_no_state_changes_on_get(app: Litestar, client: WebClient) -> None:
    place = await pool_in_a_place()
    await make_organiser(place.host, place.locality, code="AMINA-7K")
    await make_user(Role.ADMIN)
    await client.login("admin@example.org")
    before = await row_counts()
    for route in app.routes:
        if (
            isinstance(route, HTTPRoute)
            and "GET" in route.methods
            and not route.path.startswith(("/static", "/schema"))
        ):
            await client.get(concrete(route.path))
    after = await row_counts()
    # Reading pages may touch the session's last-seen time and nothing else.
    for name in ("user_session", "rate_limit_counter"):
        after.pop(name), before.pop(name)
    assert after == before


async def test_cookies_are_secure_outside_development(settings: Settings) -> None:
    production = dataclasses.replace(settings, env=Environment.PRODUCTION)
    async with asgi_client(create_app(production, run_scheduler=False)) as client:
        await make_user(Role.ADMIN)
        page = await client.get("/login")
        assert "secure" in page.headers["set-cookie"].lower()  # the CSRF cookie
        assert "strict-transport-security" in page.headers
        response = await client.login("admin@example.org")
        session_cookie = next(
            c for c in response.headers.get_list("set-cookie") if c.startswith("gs_session=")
        )
        lowered = session_cookie.lower()
        assert "secure" in lowered and "httponly" in lowered and "samesite=lax" in lowered


async def test_security_headers_on_every_kind_of_response(client: WebClient) -> None:
    for path in ("/", "/no-such-page", "/api/v1/pools", "/health"):
        response = await client.get(path)
        assert response.headers["x-content-type-options"] == "nosniff"
        assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
        assert "'unsafe-inline'" not in response.headers["content-security-policy"]
