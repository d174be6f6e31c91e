"""Money back declined, and the `groundswell returns` console commands (issue #16): an
administrator declines with a reason the funder reads (page and e-mail); nothing posts;
the console lists, records bank transfers after the same check as the page, and declines."""

from __future__ import annotations

import pytest

from groundswell.core.errors import Conflict, Forbidden, ValidationFailed
from groundswell.core.tables import AuditEntry
from groundswell.ledger import services as ledger
from groundswell.ledger.tables import LedgerTransaction, PoolReturn
from groundswell.ledger_check import check_ledger
from groundswell.outbox.tables import OutboxMessage
from groundswell.payments import returns
from groundswell.payments.offline import OfflineGateway
from groundswell.settings import Settings
from tests.helpers import WebClient, field_error
from tests.integration.allocation.test_allocate_cli import groundswell
from tests.integration.ledger.test_corrections import person
from tests.integration.payments.test_returns import ask, bank, pool  # noqa: F401 - fixture

WHY = "The trustees have not signed the request off yet."


async def _status(return_id: int) -> str:
    row = await PoolReturn.select(PoolReturn.status).where(PoolReturn.id == return_id).first()
    assert row is not None
    return str(row["status"])


async def test_only_administrators_decline(pool: int, client: WebClient) -> None:  # noqa: F811
    return_id = await ask(pool)
    for email in ("funder@example.org", "other@example.org", "host@example.org"):
        with pytest.raises(Forbidden):
            await returns.decline_return(await person(email), return_id, WHY)
        await client.login(email)
        response = await client.submit(
            f"/admin/returns/{return_id}/decline", {"decline_reason": WHY}
        )
        assert response.status_code == 403
    assert await _status(return_id) == "requested"


async def test_declined_with_a_reason_funder_told_nothing_posts(
    pool: int,  # noqa: F811
    client: WebClient,
    settings: Settings,
) -> None:
    return_id = await ask(pool)
    before = await ledger.pool_balances(pool)
    await client.login("alice@example.org")
    empty = await client.submit(f"/admin/returns/{return_id}/decline", {"decline_reason": " "})
    assert empty.status_code == 422
    assert (
        field_error(empty.text, "decline_reason") == "Say why, in a few words: the funder reads it."
    )
    done = await client.submit(f"/admin/returns/{return_id}/decline", {"decline_reason": WHY})
    assert done.status_code in (302, 303)
    assert await _status(return_id) == "declined"
    assert await ledger.pool_balances(pool) == before
    assert (
        await LedgerTransaction.count().where(LedgerTransaction.reference == f"return:{return_id}")
        == 0
    )
    mail = await OutboxMessage.select().where(OutboxMessage.purpose == "pool_return.declined")
    assert [m["recipient_email"] for m in mail] == ["funder@example.org"]
    assert WHY in mail[0]["body"] and "No money moved" in mail[0]["body"]
    again = await client.submit(f"/admin/returns/{return_id}/decline", {"decline_reason": WHY})
    assert again.status_code in (302, 303)
    assert await OutboxMessage.count().where(OutboxMessage.purpose == "pool_return.declined") == 1
    audits = await AuditEntry.count().where(AuditEntry.action == "pool_return.declined")
    assert audits == 1
    # The funder sees it on the pool page; it can no longer be recorded.
    await client.login("funder@example.org")
    page = await client.get(f"/pools/{pool}")
    assert "Declined" in page.text and WHY in page.text
    with pytest.raises(Conflict):
        await returns.record_return(
            await person("bola@example.org"), OfflineGateway(settings), return_id, bank()
        )
    assert (await check_ledger()).ok


async def test_a_recorded_return_cannot_be_declined(pool: int, settings: Settings) -> None:  # noqa: F811
    return_id = await ask(pool)
    admin = await person("alice@example.org")
    await returns.record_return(admin, OfflineGateway(settings), return_id, bank())
    with pytest.raises(Conflict):
        await returns.decline_return(admin, return_id, WHY)
    with pytest.raises(ValidationFailed):
        returns.read_decline({"decline_reason": "x" * 1001})
    assert await _status(return_id) == "recorded"


async def test_the_console_lists_records_and_declines(pool: int) -> None:  # noqa: F811
    first, second = await ask(pool, "40.00"), await ask(pool, "10.00")
    listing = groundswell("returns", "list")
    assert listing.returncode == 0 and f"{first:>5}  requested" in listing.stdout
    nobody = groundswell(
        "returns", "record", str(first), "--as", "funder@example.org", "--reference", "R1"
    )
    assert nobody.returncode == 2 and "not an active administrator" in nobody.stderr
    missing = groundswell("returns", "record", str(first), "--as", "alice@example.org")
    assert missing.returncode == 2 and "reference" in missing.stderr
    check = groundswell(
        "returns", "record", str(first), "--as", "alice@example.org", "--reference", "BACS-9"
    )
    assert check.returncode == 0, check.stderr
    assert "£100.00 to £60.00" in check.stdout and "--yes" in check.stdout
    assert await _status(first) == "requested"
    done = groundswell(
        "returns",
        "record",
        str(first),
        "--as",
        "alice@example.org",
        "--reference",
        "BACS-9",
        "--yes",
    )
    assert done.returncode == 0 and f"return:{first}" in done.stdout, done.stderr
    again = groundswell(
        "returns",
        "record",
        str(first),
        "--as",
        "alice@example.org",
        "--reference",
        "BACS-9",
        "--yes",
    )
    assert again.returncode == 0 and "recorded already" in again.stdout
    no_reason = groundswell(
        "returns", "decline", str(second), "--as", "bola@example.org", "--reason", ""
    )
    assert no_reason.returncode == 2 and "Say why" in no_reason.stderr
    declined = groundswell(
        "returns", "decline", str(second), "--as", "bola@example.org", "--reason", WHY
    )
    assert declined.returncode == 0 and "Declined request" in declined.stdout, declined.stderr
    late = groundswell(
        "returns", "decline", str(first), "--as", "bola@example.org", "--reason", WHY
    )
    assert late.returncode == 2 and "recorded already" in late.stderr
    unknown = groundswell(
        "returns", "decline", "999999", "--as", "bola@example.org", "--reason", WHY
    )
    assert unknown.returncode == 2 and "no return request" in unknown.stderr
    everything = groundswell("returns", "list", "--all")
    assert (
        "declined because: " + WHY in everything.stdout and "reference: BACS-9" in everything.stdout
    )
    assert (await check_ledger()).ok
