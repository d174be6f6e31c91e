"""Bank-transfer deposits reconcile with how the money reached the platform balance (issue
#16): an administrator records the platform top-up's reference; one left unreconciled past
GROUNDSWELL_BANK_DEPOSIT_RECONCILE_DAYS is a reconciliation difference (/health says so)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from groundswell.core.clock import today
from groundswell.core.errors import Conflict, Forbidden
from groundswell.core.principal import Role
from groundswell.core.tables import AuditEntry
from groundswell.funders.tables import Deposit
from groundswell.ledger import deposits
from groundswell.ledger_check import check_ledger
from groundswell.payments import deposit_reconciliation
from groundswell.payments.findings import reconcile_and_report
from groundswell.payments.offline import OfflineGateway
from groundswell.settings import Settings
from tests.factories import pool_in_a_place
from tests.helpers import WebClient, make_user
from tests.integration.allocation.test_allocate_cli import groundswell
from tests.integration.ledger.test_corrections import person


async def _bank_deposit(pool: int, days_ago: int, reference: str = "BACS-77") -> int:
    received = (today() - timedelta(days=days_ago)).isoformat()
    data = deposits.read_deposit_input(
        {"amount": "500.00", "reference": reference, "received_on": received}
    )
    return (await deposits.record_deposit(None, pool, data)).deposit_id


@pytest.fixture
async def pool() -> int:
    place = await pool_in_a_place()
    await make_user(Role.ADMIN, "alice@example.org")
    await make_user(Role.FUNDER, "funder@example.org", funder_ids=(place.funder,))
    await make_user(Role.HOST, "host@example.org", host_ids=(place.host,))
    return place.pool


async def _reconciled(deposit_id: int) -> tuple[str, bool]:
    row = (
        await Deposit.select(Deposit.platform_reference, Deposit.reconciled_at)
        .where(Deposit.id == deposit_id)
        .first()
    )
    assert row is not None
    return row["platform_reference"], row["reconciled_at"] is not None


async def test_only_administrators_reconcile(pool: int, client: WebClient) -> None:
    deposit_id = await _bank_deposit(pool, 1)
    for email in ("funder@example.org", "host@example.org"):
        with pytest.raises(Forbidden):
            await deposit_reconciliation.reconcile_deposit(await person(email), deposit_id, "x")
        await client.login(email)
        assert (await client.get("/admin/deposits/unreconciled")).status_code == 403
        posted = await client.submit(
            f"/admin/deposits/{deposit_id}/reconcile", {"platform_reference": "trxn_1"}
        )
        assert posted.status_code == 403
    assert await _reconciled(deposit_id) == ("", False)


async def test_an_old_unreconciled_deposit_is_a_difference_until_recorded(
    pool: int, client: WebClient, settings: Settings
) -> None:
    fresh = await _bank_deposit(pool, 1, "BACS-NEW")
    old = await _bank_deposit(pool, settings.bank_deposit_reconcile_days + 2, "BACS-OLD")
    gateway = OfflineGateway(settings)
    found = await reconcile_and_report(settings, gateway)
    assert [d.key for d in found] == [f"deposit-unreconciled:{old}"]
    assert "no platform top-up recorded" in found[0].text
    await client.login("alice@example.org")
    health = (await client.get("/health")).json()
    assert any("reconciliation found 1 difference" in r for r in health["reasons"])
    page = await client.get("/admin/deposits/unreconciled")
    assert f"Deposit {old}" in page.text and f"Deposit {fresh}" in page.text
    empty = await client.submit(f"/admin/deposits/{old}/reconcile", {"platform_reference": ""})
    assert empty.status_code == 422
    assert "top-up&#39;s reference" in empty.text or "top-up's reference" in empty.text
    done = await client.submit(f"/admin/deposits/{old}/reconcile", {"platform_reference": "trxn_9"})
    assert done.status_code in (302, 303)
    assert await _reconciled(old) == ("trxn_9", True)
    again = await client.submit(
        f"/admin/deposits/{old}/reconcile", {"platform_reference": "trxn_9"}
    )
    assert again.status_code in (302, 303)
    other = await client.submit(
        f"/admin/deposits/{old}/reconcile", {"platform_reference": "trxn_X"}
    )
    assert other.status_code == 409 and "reconciled already" in other.text
    assert await AuditEntry.count().where(AuditEntry.action == "deposit.reconciled") == 1
    assert await reconcile_and_report(settings, gateway) == []
    page = await client.get("/admin/deposits/unreconciled")
    assert f"Deposit {old}<" not in page.text and f"Deposit {fresh}" in page.text
    assert (await check_ledger()).ok


async def test_a_card_deposit_has_nothing_to_reconcile(pool: int, settings: Settings) -> None:
    from tests.integration.payments.test_returns import card_deposit

    _, deposit_id = await card_deposit(settings, pool, 50_00)
    with pytest.raises(Conflict):
        await deposit_reconciliation.reconcile_deposit(
            await person("alice@example.org"), deposit_id, "trxn_1"
        )
    assert await deposit_reconciliation.unreconciled() == []


async def test_the_console_lists_and_reconciles(pool: int) -> None:
    deposit_id = await _bank_deposit(pool, 4)
    listing = groundswell("payments", "unreconciled")
    assert listing.returncode == 0 and "BACS-77" in listing.stdout
    refused = groundswell(
        "payments", "reconcile-deposit", str(deposit_id), "--as", "host@example.org",
        "--reference", "trxn_5",
    )  # fmt: skip
    assert refused.returncode == 2 and "not an active administrator" in refused.stderr
    blank = groundswell(
        "payments", "reconcile-deposit", str(deposit_id), "--as", "alice@example.org",
        "--reference", " ",
    )  # fmt: skip
    assert blank.returncode == 2 and "reference" in blank.stderr
    done = groundswell(
        "payments", "reconcile-deposit", str(deposit_id), "--as", "alice@example.org",
        "--reference", "trxn_5",
    )  # fmt: skip
    assert done.returncode == 0 and "reconciled" in done.stdout, done.stderr
    assert await _reconciled(deposit_id) == ("trxn_5", True)
    assert "Every bank-transfer deposit" in groundswell("payments", "unreconciled").stdout
