import os
import subprocess
import sys

from groundswell.accounts.tables import ApiToken, User
from groundswell.cli import main
from groundswell.funders.tables import Funder
from tests.helpers import WebClient, make_funder


def run_cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "groundswell", *args],
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        timeout=60,
    )


async def test_createuser_and_token_create_then_bearer_works(client: WebClient) -> None:
    funder = await make_funder()
    created = run_cli(
        "createuser",
        "--email",
        "Fran@Example.org",
        "--role",
        "funder",
        "--org",
        str(funder),
        env={"GROUNDSWELL_NEW_PASSWORD": "a long password"},
    )
    assert created.returncode == 0, created.stderr
    assert "Created funder user fran@example.org" in created.stdout
    token = run_cli(
        "token", "create", "--email", "fran@example.org", "--name", "tests"
    ).stdout.strip()
    assert token.startswith("gs_")
    stored = await ApiToken.select(ApiToken.token_hash, ApiToken.prefix).first()
    assert (
        stored is not None and stored["token_hash"] != token and token.startswith(stored["prefix"])
    )
    response = await client.post(
        "/api/v1/pools",
        json={"funder_id": funder, "name": "By token", "round_budget": 100},
        headers={"authorization": f"Bearer {token}"},
    )
    assert response.status_code == 201


async def test_createuser_errors_are_clear_and_write_nothing() -> None:
    duplicate_role = run_cli(
        "createuser",
        "--email",
        "x@example.org",
        "--role",
        "host",
        env={"GROUNDSWELL_NEW_PASSWORD": "a long password"},
    )
    assert duplicate_role.returncode == 2
    assert "host member belongs to at least one host organisation" in duplicate_role.stderr
    short = run_cli(
        "createuser",
        "--email",
        "y@example.org",
        "--role",
        "admin",
        env={"GROUNDSWELL_NEW_PASSWORD": "short"},
    )
    assert short.returncode == 2 and "at least 10 characters" in short.stderr
    missing_org = run_cli(
        "createuser",
        "--email",
        "z@example.org",
        "--role",
        "funder",
        "--org",
        "424242",
        env={"GROUNDSWELL_NEW_PASSWORD": "a long password"},
    )
    assert missing_org.returncode == 2 and "no funder 424242" in missing_org.stderr
    no_user = run_cli("token", "create", "--email", "nobody@example.org", "--name", "x")
    assert no_user.returncode == 2 and "no user" in no_user.stderr
    assert await User.count() == 0 and await Funder.count() == 0


def test_cli_usage_errors_exit_2(capsys) -> None:  # type: ignore[no-untyped-def]
    import pytest

    with pytest.raises(SystemExit) as raised:
        main(["createuser", "--role", "wizard", "--email", "a@b.c"])
    assert raised.value.code == 2
    assert "invalid choice" in capsys.readouterr().err


async def test_forms_without_csrf_token_are_refused(client: WebClient) -> None:
    await client.get("/login")
    response = await client.post(
        "/login", data={"email": "a@example.org", "password": "whatever you like"}
    )
    assert response.status_code == 403
    assert "This form has expired" in response.text


async def test_security_headers(client: WebClient) -> None:
    response = await client.get("/")
    csp = response.headers["content-security-policy"]
    assert (
        "script-src 'self'" in csp
        and "unsafe-inline" not in csp
        and "frame-ancestors 'none'" in csp
    )
    assert response.headers["x-content-type-options"] == "nosniff"
    assert "strict-transport-security" not in response.headers  # development/test: no HSTS
