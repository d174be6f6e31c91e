"""Signed-in pages and private downloads are never kept by a browser or proxy cache (#14.9).

Rounds, the outbox and statements were cacheable: on a shared computer the back button or a
proxy could show them to the next person. Every response to a signed-in principal (session
or API token) carries `Cache-Control: no-store`, whichever route sent it, so a route added
later is covered too. Walked across the whole route table."""

from __future__ import annotations

import pytest
from litestar import Litestar

from tests.helpers import asgi_client
from tests.integration.core import test_role_route_matrix as matrix
from tests.integration.core.test_role_route_matrix import ACCESS, World, fill

world = matrix.world  # the route table's fixture: one of every resource


@pytest.mark.parametrize("role", ["admin", "funder", "host"])
async def test_every_signed_in_page_is_no_store(app: Litestar, world: World, role: str) -> None:
    cacheable = []
    answered = 0
    async with asgi_client(app) as client:
        await client.login(f"{role}@example.org")
        for method, template in sorted(ACCESS):
            if method != "GET":
                continue
            headers = {}
            if template.startswith("/api/"):
                headers["authorization"] = f"Bearer {world.tokens[role]}"
            response = await client.get(fill(template, world.params), headers=headers)
            answered += 1
            if "no-store" not in response.headers.get("cache-control", ""):
                cacheable.append(
                    f"{template}: {response.status_code} {response.headers.get('cache-control')}"
                )
    assert answered > 50
    assert not cacheable, "\n".join(cacheable)


async def test_anonymous_public_pages_stay_cacheable(app: Litestar, world: World) -> None:
    # Only people signed in get no-store: the public organiser page may still be cached.
    async with asgi_client(app) as client:
        response = await client.get(f"/organisers/{world.params['code']}")
    assert response.status_code == 200
    assert "no-store" not in response.headers.get("cache-control", "")
