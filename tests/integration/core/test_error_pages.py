"""Error pages: bad input is a 422, and the 500 page says what happened in its title."""

from __future__ import annotations

import logging

import pytest

from groundswell.core.principal import Role
from groundswell.vouching import moderation_queue
from groundswell.vouching.tables import Endorsement
from tests.helpers import (
    WebClient,
    make_host,
    make_locality,
    make_organiser,
    make_resident,
    make_user,
    vouch,
)


async def test_unknown_moderation_action_is_bad_input_not_a_missing_page(
    client: WebClient,
) -> None:
    code = await make_organiser(await make_host(), await make_locality())
    endorsement = await vouch(await make_resident("r1"), code)
    await client.login(await make_user(Role.ADMIN))
    response = await client.submit("/admin/moderation", {"ids": endorsement, "action": "zzz"})
    assert response.status_code == 422, response.text[-1500:]
    assert "Choose keep counting or hide." in response.text
    row = await Endorsement.select(Endorsement.state).first()
    assert row is not None and row["state"] == "active"


async def test_the_500_page_has_a_title(client: WebClient, monkeypatch: pytest.MonkeyPatch) -> None:
    async def broken(*_: object) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(moderation_queue, "queue", broken)
    await client.login(await make_user(Role.ADMIN))
    response = await client.get("/admin/moderation")
    assert response.status_code == 500
    assert "<h1>Something went wrong</h1>" in response.text
    assert "<title>Error" not in response.text and "boom" not in response.text


async def test_each_response_has_a_request_id_and_the_500_page_quotes_it(
    client: WebClient, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    async def broken(*_: object) -> None:
        raise RuntimeError("boom")

    home = await client.get("/")
    assert len(home.headers["x-request-id"]) == 32
    echoed = await client.get("/", headers={"x-request-id": "lb-7f3a9c2e11"})
    assert echoed.headers["x-request-id"] == "lb-7f3a9c2e11"

    monkeypatch.setattr(moderation_queue, "queue", broken)
    await client.login(await make_user(Role.ADMIN))
    with caplog.at_level(logging.ERROR):
        response = await client.get("/admin/moderation")
    reference = response.headers["x-request-id"]
    assert response.status_code == 500 and f"<code>{reference}</code>" in response.text
    # The operator finds the failure's traceback by the reference the person quotes.
    (failure,) = [r for r in caplog.records if r.getMessage().startswith("Unhandled error")]
    assert getattr(failure, "request_id", None) == reference
