"""Login limits that hold under concurrency (#14.3).

A limiter that checks the count, verifies the password, and only then records the failure
lets every request sent at the same moment through: 30 wrong passwords in parallel were all
checked. Each attempt now reserves its place in the account's and the address's buckets in
one statement before any password is checked, so at most `limit` checks ever run, whatever
the interleaving; the address's cap is generous and counts only attempts that were checked,
so one locked account does not lock out the other people behind the same address.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from litestar import Litestar

from groundswell.core.clock import frozen_at, now
from groundswell.core.principal import Role
from groundswell.settings import Settings
from tests.conftest import ENGINE
from tests.helpers import PASSWORD, WebClient, asgi_client, make_user
from tests.security.conftest import Verifications

PARALLEL = 30


async def _attempt(client: WebClient, email: str, password: str, token: str) -> int:
    response = await client.raw.post(
        "/login", data={"_csrf_token": token, "email": email, "password": password}
    )
    return response.status_code


async def test_parallel_wrong_passwords_check_at_most_the_limit(
    client: WebClient, settings: Settings, verifications: Verifications
) -> None:
    email = await make_user(Role.ADMIN)
    token = await client.csrf_token()
    limit = settings.login_attempts_per_15_minutes
    verifications.count = 0
    statuses = await asyncio.gather(
        *[_attempt(client, email, f"wrong guess {n:02d}", token) for n in range(PARALLEL)]
    )
    assert verifications.count <= limit, (ENGINE, verifications.count, statuses)
    assert statuses.count(422) == verifications.count
    assert statuses.count(429) == PARALLEL - verifications.count
    # And then even the right password waits for the window: no check runs.
    assert await _attempt(client, email, PASSWORD, token) == 429
    assert verifications.count <= limit


async def test_parallel_guesses_at_an_unknown_address_are_limited_the_same(
    client: WebClient, settings: Settings, verifications: Verifications
) -> None:
    token = await client.csrf_token()
    verifications.count = 0
    statuses = await asyncio.gather(
        *[_attempt(client, "nobody@example.org", f"guess {n}", token) for n in range(PARALLEL)]
    )
    assert verifications.count <= settings.login_attempts_per_15_minutes
    assert set(statuses) == {422, 429}


async def test_a_locked_account_does_not_lock_out_others_on_the_same_address(
    app_with: Callable[..., Litestar], verifications: Verifications
) -> None:
    # The shipped ratio (10 per account, 100 per address), scaled down to keep argon2 quick.
    app = app_with(login_attempts_per_15_minutes=3, login_attempts_per_address=30)
    victim = await make_user(Role.ADMIN, "victim@example.org")
    colleague = await make_user(Role.ADMIN, "colleague@example.org")
    async with asgi_client(app, address="192.0.2.7") as office:
        token = await office.csrf_token()
        verifications.count = 0
        # Far more tries than the address allows, all at one account from the office.
        for n in range(40):
            await _attempt(office, victim, f"guess {n}", token)
        assert verifications.count == 3
        assert await _attempt(office, victim, PASSWORD, token) == 429
        # Someone else at the same address still signs in, and so does a typo first.
        assert await _attempt(office, colleague, "a typo", token) == 422
        assert await _attempt(office, colleague, PASSWORD, token) in (302, 303)


async def test_a_locked_account_recovers_after_the_window(
    app_with: Callable[..., Litestar],
) -> None:
    app = app_with(login_attempts_per_15_minutes=3)
    email = await make_user(Role.ADMIN)
    # Windows are fixed 15-minute spans: start just after one begins.
    epoch = int(now().timestamp()) // 900 * 900 + 900
    start = datetime.fromtimestamp(epoch + 30, tz=UTC)
    async with asgi_client(app) as client:
        token = await client.csrf_token()
        with frozen_at(start):
            for n in range(3):
                assert await _attempt(client, email, f"guess {n}", token) == 422
            assert await _attempt(client, email, PASSWORD, token) == 429
        with frozen_at(start + timedelta(minutes=14)):
            assert await _attempt(client, email, PASSWORD, token) == 429
        with frozen_at(start + timedelta(minutes=15)):
            assert await _attempt(client, email, PASSWORD, token) in (302, 303)


async def test_one_address_trying_many_accounts_is_capped(
    app_with: Callable[..., Litestar], verifications: Verifications
) -> None:
    """Password spraying: one guess at each of many accounts from one address."""
    app = app_with(login_attempts_per_15_minutes=10, login_attempts_per_address=5)
    await make_user(Role.ADMIN, "real@example.org")
    async with asgi_client(app, address="203.0.113.9") as sprayer:
        token = await sprayer.csrf_token()
        verifications.count = 0
        statuses = [
            await _attempt(sprayer, f"user{n}@example.org", "Password1!", token) for n in range(8)
        ]
        assert statuses == [422] * 5 + [429] * 3
        assert verifications.count == 5
        # The address is refused for a real account too until the window ends...
        assert await _attempt(sprayer, "real@example.org", PASSWORD, token) == 429
    # ...but another address is not.
    async with asgi_client(app, address="198.51.100.4") as elsewhere:
        await elsewhere.login("real@example.org")


async def test_successful_sign_ins_do_not_use_up_the_address(
    app_with: Callable[..., Litestar],
) -> None:
    """A hundred people behind one school's address sign in every morning."""
    app = app_with(login_attempts_per_address=2)
    emails = [await make_user(Role.ADMIN, f"teacher{n}@example.org") for n in range(4)]
    async with asgi_client(app, address="192.0.2.50") as school:
        for email in emails:
            await school.login(email)


async def test_an_ipv6_network_counts_as_one_address(
    app_with: Callable[..., Litestar],
) -> None:
    """One machine holds a whole /64: a new address per guess must not reset the cap."""
    app = app_with(login_attempts_per_address=3)
    statuses = []
    for n in range(5):
        async with asgi_client(app, address=f"2001:db8:1:2::{n + 1:x}") as client:
            token = await client.csrf_token()
            statuses.append(await _attempt(client, f"user{n}@example.org", "guess", token))
    assert statuses == [422] * 3 + [429] * 2


async def test_right_password_after_typos_clears_the_account_count(
    app_with: Callable[..., Litestar],
) -> None:
    app = app_with(login_attempts_per_15_minutes=3)
    email = await make_user(Role.ADMIN)
    async with asgi_client(app) as client:
        token = await client.csrf_token()
        for n in range(2):
            assert await _attempt(client, email, f"typo {n}", token) == 422
        assert await _attempt(client, email, PASSWORD, token) in (302, 303)
        token = await client.csrf_token()  # signed in: the token is bound to the new session
        # The earlier typos no longer count against the account.
        for n in range(2):
            assert await _attempt(client, email, f"typo again {n}", token) == 422
        assert await _attempt(client, email, PASSWORD, token) in (302, 303)
