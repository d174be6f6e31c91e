"""No GET changes state (issue #14.9).

`GET …/payments/onboard` created a Stripe account and `…/return` refreshed it: a link or an
image on another site could make a signed-in host's browser do either. Every GET route in
the route table, for every role, now leaves every table's row count as it was."""

from __future__ import annotations

import pytest
from litestar import Litestar

from groundswell.piccolo_app import TABLES
from tests.helpers import asgi_client
from tests.integration.core import test_role_route_matrix as matrix
from tests.integration.core.test_role_route_matrix import ACCESS, World, fill

world = matrix.world  # the route table's fixture: one of every resource


async def row_counts() -> dict[str, int]:
    return {table._meta.tablename: await table.count() for table in TABLES}


@pytest.mark.parametrize("role", ["anonymous", "admin", "funder", "host"])
async def test_no_get_route_changes_any_table(app: Litestar, world: World, role: str) -> None:
    changed = []
    async with asgi_client(app) as client:
        if role != "anonymous":
            await client.login(f"{role}@example.org")
        await client.csrf_token()
        for method, template in sorted(ACCESS):
            if method != "GET":
                continue
            headers = {}
            if template.startswith("/api/") and role != "anonymous":
                headers["authorization"] = f"Bearer {world.tokens[role]}"
            before = await row_counts()
            await client.get(fill(template, world.params), headers=headers)
            after = await row_counts()
            if after != before:
                diff = {k: (before[k], after[k]) for k in after if after[k] != before[k]}
                changed.append(f"GET {template}: {diff}")
    assert not changed, "\n".join(changed)


async def test_stripes_return_and_refresh_links_ask_before_acting(
    app: Litestar, world: World
) -> None:
    host = world.params["host_id"]
    async with asgi_client(app) as client:
        await client.login("host@example.org")
        for path in (f"/hosts/{host}/payments/onboard", f"/hosts/{host}/payments/return"):
            page = await client.get(path)
            assert page.status_code == 200, (path, page.status_code)
            assert f'method="post" action="{path}"' in page.text
