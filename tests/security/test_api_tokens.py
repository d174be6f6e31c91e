"""API tokens (#14.9): a name, an expiry (90 days unless said, a year at most), an optional
read-only scope; listed without their secret and revoked, from the console and from one's
own page. Expired and revoked tokens authenticate nobody."""

from __future__ import annotations

import re
from datetime import timedelta

from groundswell.accounts import tokens
from groundswell.accounts.tables import ApiToken
from groundswell.core.clock import frozen_at, now
from groundswell.core.errors import ValidationFailed
from groundswell.core.principal import Role
from groundswell.core.tables import AuditEntry
from groundswell.funders.tables import Pool
from tests.helpers import WebClient, field_error, make_asset_bid, make_funder, make_user
from tests.integration.accounts.test_cli_and_tokens import run_cli


def bearer(token: str) -> dict[str, str]:
    return {"authorization": f"Bearer {token}"}


async def _funder_token(**options: object) -> tuple[int, str]:
    funder = await make_funder()
    email = await make_user(Role.FUNDER, funder_ids=(funder,))
    return funder, await tokens.create_api_token(email, "tests", **options)  # type: ignore[arg-type]


async def _write(client: WebClient, funder: int, token: str, name: str = "By token") -> int:
    response = await client.post(
        "/api/v1/pools",
        json={"funder_id": funder, "name": name, "round_budget": 100},
        headers=bearer(token),
    )
    return response.status_code


async def test_a_token_expires_after_90_days_unless_told(client: WebClient) -> None:
    funder, token = await _funder_token()
    row = await ApiToken.select().first()
    assert row is not None
    assert abs(row["expires_at"] - (now() + timedelta(days=90))) < timedelta(minutes=1)
    assert await _write(client, funder, token) == 201
    with frozen_at(now() + timedelta(days=89, hours=23)):
        assert await _write(client, funder, token, "Still") == 201
    with frozen_at(now() + timedelta(days=90, minutes=1)):
        response = await client.post(
            "/api/v1/pools",
            json={"funder_id": funder, "name": "Too late", "round_budget": 100},
            headers=bearer(token),
        )
        assert response.status_code == 401
        assert response.headers["content-type"].startswith("application/problem+json")
    assert await Pool.count() == 2


async def test_a_revoked_token_authenticates_nobody(client: WebClient) -> None:
    funder, token = await _funder_token()
    assert await _write(client, funder, token) == 201
    token_id = await tokens.find_token(token[:10])
    await tokens.revoke_token(None, token_id)
    assert await _write(client, funder, token, "After") == 401
    bid = await make_asset_bid()
    read = await client.get(f"/api/v1/programme/asset-bids/{bid}", headers=bearer(token))
    assert read.status_code == 401


async def test_expiry_is_at_most_a_year() -> None:
    email = await make_user(Role.ADMIN)
    for days in (0, 366, -1):
        try:
            await tokens.create_api_token(email, "long", expires_days=days)
        except ValidationFailed as exc:
            assert "expires_days" in exc.field_errors
        else:
            raise AssertionError(f"{days} days was accepted")
    await tokens.create_api_token(email, "a year", expires_days=365)
    assert await ApiToken.count() == 1


async def test_a_read_only_token_reads_but_may_not_write(client: WebClient) -> None:
    funder, token = await _funder_token(read_only=True)
    bid = await make_asset_bid()
    read = await client.get(f"/api/v1/programme/asset-bids/{bid}", headers=bearer(token))
    assert read.status_code == 200, read.text
    for method, path in (
        ("POST", "/api/v1/pools"),
        ("PATCH", f"/api/v1/programme/asset-bids/{bid}"),
        ("PUT", "/api/v1/pools/1"),
    ):
        response = await client.request(
            method,
            path,
            json={"funder_id": funder, "name": "No", "round_budget": 100},
            headers=bearer(token),
        )
        assert response.status_code == 403, (method, path, response.status_code)
        assert response.headers["content-type"].startswith("application/problem+json")
        assert "read-only" in response.json()["detail"]
    assert await Pool.count() == 0


async def test_cli_creates_lists_and_revokes_without_printing_secrets(client: WebClient) -> None:
    funder = await make_funder()
    email = await make_user(Role.FUNDER, funder_ids=(funder,))
    created = run_cli(
        "token",
        "create",
        "--email",
        email,
        "--name",
        "Nightly export",
        "--expires-days",
        "30",
        "--read-only",
    )
    assert created.returncode == 0, created.stderr
    secret = created.stdout.strip().splitlines()[0]
    assert secret.startswith("gs_") and len(secret) > 40
    row = await ApiToken.select().first()
    assert row is not None and row["read_only"] and row["name"] == "Nightly export"
    assert abs(row["expires_at"] - (now() + timedelta(days=30))) < timedelta(minutes=1)

    other = run_cli("token", "create", "--email", email, "--name", "Second")
    assert other.returncode == 0, other.stderr
    second_secret = other.stdout.strip().splitlines()[0]

    listed = run_cli("token", "list")
    assert listed.returncode == 0, listed.stderr
    assert secret not in listed.stdout and second_secret not in listed.stdout
    assert secret[:10] in listed.stdout and "Nightly export" in listed.stdout
    assert email in listed.stdout and "read-only" in listed.stdout
    for heading in ("PREFIX", "NAME", "OWNER", "CREATED", "LAST USED", "EXPIRES", "REVOKED"):
        assert heading in listed.stdout
    assert "nobody" not in run_cli("token", "list", "--email", email).stdout
    assert run_cli("token", "list", "--email", "nobody@example.org").stdout.count("gs_") == 0

    revoked = run_cli("token", "revoke", secret[:10])
    assert revoked.returncode == 0, revoked.stderr
    assert f"Revoked token {secret[:10]}" in revoked.stdout
    second_id = str(await tokens.find_token(second_secret[:10]))
    assert run_cli("token", "revoke", second_id).returncode == 0
    rows = run_cli("token", "list").stdout.strip().splitlines()[1:]
    assert len(rows) == 2 and all(re.search(r"\d{4}-\d\d-\d\d \d\d:\d\d$", r) for r in rows)
    assert await _write(client, funder, second_secret) == 401

    too_long = run_cli("token", "create", "--email", email, "--name", "x", "--expires-days", "400")
    assert too_long.returncode == 2 and "365" in too_long.stderr
    unknown = run_cli("token", "revoke", "gs_nothing")
    assert unknown.returncode == 2 and "no token" in unknown.stderr
    actions = {row["action"] for row in await AuditEntry.select(AuditEntry.action)}
    assert {"api_token.created", "api_token.revoked"} <= actions


async def test_my_tokens_page_creates_shows_once_and_revokes(client: WebClient) -> None:
    funder = await make_funder()
    email = await make_user(Role.FUNDER, funder_ids=(funder,))
    await client.login(email)
    page = await client.get("/account/tokens")
    assert page.status_code == 200
    assert "no-store" in page.headers["cache-control"]
    assert "You have no API tokens" in page.text

    created = await client.submit(
        "/account/tokens", {"name": "Spreadsheet", "expires_days": "30", "read_only": "yes"}
    )
    assert created.status_code == 201, created.text[-1500:]
    assert "no-store" in created.headers["cache-control"]
    secret = re.search(r"(gs_[A-Za-z0-9_-]{40,})", created.text)
    assert secret, created.text[-2000:]
    assert "you will not see it again" in created.text.lower()
    bid = await make_asset_bid()
    read = await client.get(f"/api/v1/programme/asset-bids/{bid}", headers=bearer(secret[1]))
    assert read.status_code == 200

    again = await client.get("/account/tokens")
    assert secret[1] not in again.text  # shown once
    assert (
        secret[1][:10] in again.text and "Spreadsheet" in again.text and "Read only" in again.text
    )

    token_id = await tokens.find_token(secret[1][:10])
    revoked = await client.submit(f"/account/tokens/{token_id}/revoke")
    assert revoked.status_code == 303
    banner = await client.get(revoked.headers["location"])
    assert "Token revoked" in banner.text
    assert 'class="notification-banner' in banner.text
    read = await client.get(f"/api/v1/programme/asset-bids/{bid}", headers=bearer(secret[1]))
    assert read.status_code == 401


async def test_my_tokens_page_explains_mistakes(client: WebClient) -> None:
    await client.login(await make_user(Role.ADMIN))
    response = await client.submit("/account/tokens", {"name": "", "expires_days": "500"})
    assert response.status_code == 422
    assert "error-summary" in response.text
    assert field_error(response.text, "name")
    assert (
        field_error(response.text, "expires_days") == "Choose from 1 to 365 days (a year at most)."
    )
    not_a_number = await client.submit("/account/tokens", {"name": "x", "expires_days": "ninety"})
    assert not_a_number.status_code == 422
    assert field_error(not_a_number.text, "expires_days")
    assert await ApiToken.count() == 0


async def test_nobody_revokes_anothers_token_from_their_page(client: WebClient) -> None:
    other = await make_user(Role.ADMIN, "other@example.org")
    await tokens.create_api_token(other, "theirs")
    token_id = (await ApiToken.select(ApiToken.id).first() or {})["id"]
    await client.login(await make_user(Role.ADMIN))
    response = await client.submit(f"/account/tokens/{token_id}/revoke")
    assert response.status_code == 404
    assert (await ApiToken.select(ApiToken.revoked_at).first() or {})["revoked_at"] is None
    page = await client.get("/account/tokens")
    assert "theirs" not in page.text
