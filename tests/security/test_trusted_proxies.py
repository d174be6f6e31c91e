"""Behind a proxy everyone was one person (issue #14.4): whose forwarded address is believed.

Only a connection from GROUNDSWELL_TRUSTED_PROXIES may say whom it forwards, and then the
right-most hop that is not a trusted proxy is the client: anything further left was written
by the client itself. Every limit and the shared-source signal use the same answer."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from litestar import Litestar

from groundswell.core.client_address import client_address, parse_networks
from groundswell.core.tables import RateLimitCounter
from groundswell.settings import Settings, SettingsError, load_settings
from groundswell.vouching.recording import source_hash
from groundswell.vouching.tables import WebVerification
from tests.helpers import WebClient, asgi_client, make_host, make_locality, make_organiser

PROXIES = parse_networks("10.0.0.0/8, 2001:db8:f00::/48, 127.0.0.1")


@pytest.mark.parametrize(
    ("peer", "forwarded", "expected"),
    [
        # A direct connection: its own address, whatever it claims.
        ("203.0.113.9", ["198.51.100.1"], "203.0.113.9"),
        ("203.0.113.9", [], "203.0.113.9"),
        # Through our proxy: the hop the proxy appended.
        ("10.0.0.2", ["198.51.100.1"], "198.51.100.1"),
        # The client forged hops to the left: the proxy's own hop (right-most) wins.
        ("10.0.0.2", ["1.1.1.1, 2.2.2.2, 198.51.100.1"], "198.51.100.1"),
        # Two of our proxies in a row: skip both.
        ("10.0.0.2", ["198.51.100.1, 10.0.0.7"], "198.51.100.1"),
        # A header per proxy instead of one list.
        ("10.0.0.2", ["6.6.6.6", "198.51.100.1", "10.0.0.7"], "198.51.100.1"),
        # Ports and brackets as some proxies write them.
        ("10.0.0.2", ["198.51.100.1:5555"], "198.51.100.1"),
        ("10.0.0.2", ["[2001:db8:1::5]:443"], "2001:db8:1::5"),
        ("2001:db8:f00::1", ["2001:db8:1::5"], "2001:db8:1::5"),
        ("::ffff:10.0.0.2", ["198.51.100.1"], "198.51.100.1"),
        # Garbage where an address should be: stop at the last address we can trust.
        ("10.0.0.2", ["not-an-ip"], "10.0.0.2"),
        ("10.0.0.2", ["198.51.100.1, unknown, 10.0.0.7"], "10.0.0.7"),
        # Only trusted hops: the left-most one.
        ("10.0.0.2", ["10.0.0.9"], "10.0.0.9"),
        # No peer (a unix socket): nothing to believe.
        (None, ["198.51.100.1"], "unknown"),
    ],
)
def test_the_client_address_is_the_rightmost_untrusted_hop(
    peer: str | None, forwarded: list[str], expected: str
) -> None:
    assert client_address(peer, forwarded, PROXIES) == expected


def test_the_default_trusts_loopback_only(tmp_path: Path) -> None:
    trusted = parse_networks(load_settings({}, cwd=tmp_path).trusted_proxies)
    assert client_address("127.0.0.1", ["198.51.100.1"], trusted) == "198.51.100.1"
    assert client_address("::1", ["198.51.100.1"], trusted) == "198.51.100.1"
    assert client_address("10.0.0.2", ["198.51.100.1"], trusted) == "10.0.0.2"


def test_a_bad_entry_is_named(tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match=r"GROUNDSWELL_TRUSTED_PROXIES.*'proxy\.internal'"):
        load_settings({"GROUNDSWELL_TRUSTED_PROXIES": "10.0.0.0/8,proxy.internal"}, cwd=tmp_path)


async def _wrong_password(client: WebClient, n: int, forwarded: str) -> int:
    response = await client.submit(
        "/login",
        {"email": f"user{n}@example.org", "password": "not the password"},
        headers={"x-forwarded-for": forwarded},
    )
    return response.status_code


async def test_residents_behind_a_trusted_proxy_each_have_their_own_login_limit(
    app_with: Callable[..., Litestar],
) -> None:
    app = app_with(login_attempts_per_address=2, trusted_proxies="10.0.0.0/8")
    async with asgi_client(app, address="10.0.0.2") as proxy:
        statuses = [await _wrong_password(proxy, n, f"198.51.100.{n}") for n in range(1, 7)]
    assert statuses == [422] * 6  # six people, one guess each: nobody is limited
    assert await RateLimitCounter.exists().where(
        RateLimitCounter.bucket == "login:source:198.51.100.3"
    )
    assert not await RateLimitCounter.exists().where(
        RateLimitCounter.bucket == "login:source:10.0.0.2"
    )


async def test_a_direct_client_cannot_escape_its_limit_by_forging_the_header(
    app_with: Callable[..., Litestar],
) -> None:
    app = app_with(login_attempts_per_address=2, trusted_proxies="10.0.0.0/8")
    async with asgi_client(app, address="203.0.113.9") as attacker:
        statuses = [await _wrong_password(attacker, n, f"198.51.100.{n}") for n in range(1, 5)]
    assert statuses == [422, 422, 429, 429]


@pytest.fixture
async def organiser_code() -> str:
    host = await make_host("Pallister Park CA")
    locality = await make_locality("Pallister")
    return await make_organiser(host, locality, name="Amina Hussein", code="AMINA-7K")


VOUCH = {
    "testimony": "She got the lights fixed on the underpass after three years of us asking.",
    "theme": "value",
    "phone": "07911 123456",
}


async def test_web_vouch_limit_and_shared_source_signal_see_the_forwarded_client(
    app_with: Callable[..., Litestar], settings: Settings, organiser_code: str
) -> None:
    app = app_with(trusted_proxies="10.0.0.0/8")
    async with asgi_client(app, address="10.0.0.2") as proxy:
        response = await proxy.submit(
            f"/vouch/{organiser_code}", VOUCH, headers={"x-forwarded-for": "198.51.100.7"}
        )
    assert response.status_code in (302, 303), response.text[-600:]
    assert await RateLimitCounter.exists().where(RateLimitCounter.bucket == "web:ip:198.51.100.7")
    row = await WebVerification.select(WebVerification.source_hash).first()
    assert row is not None
    # The "one source behind many voices" flag groups voices by this hash.
    assert row["source_hash"] == source_hash(settings, "198.51.100.7")


def test_serve_gives_uvicorn_the_same_trusted_list(
    monkeypatch: pytest.MonkeyPatch, settings: Settings
) -> None:
    import dataclasses

    import uvicorn

    from groundswell.cli import server

    seen: dict[str, Any] = {}
    monkeypatch.setattr(
        server,
        "checked_settings",
        lambda: dataclasses.replace(settings, trusted_proxies="10.0.0.0/8, 192.0.2.7"),
    )
    monkeypatch.setattr(server, "cmd_migrate", lambda args: 0)
    monkeypatch.setattr(uvicorn, "run", lambda *a, **kw: seen.update(kw))
    server.cmd_serve(argparse.Namespace(host="127.0.0.1", port=8000, workers=1, no_scheduler=True))
    assert seen["proxy_headers"] is True
    assert seen["forwarded_allow_ips"] == ["10.0.0.0/8", "192.0.2.7"]
