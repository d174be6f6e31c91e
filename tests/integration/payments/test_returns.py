"""Money back and pools closed: the funder asks, an administrator records the return (a card
refund through the gateway, or a bank transfer), the ledger moves available back to the
funder once, and an empty pool closes."""

from __future__ import annotations

import asyncio

import pytest

from groundswell.core.errors import Conflict, Forbidden, ValidationFailed
from groundswell.core.principal import Role
from groundswell.core.tables import AuditEntry
from groundswell.funders.services import PoolClosed, get_pool
from groundswell.ledger import deposits
from groundswell.ledger import services as ledger
from groundswell.ledger.tables import LedgerTransaction, PoolReturn
from groundswell.ledger_check import check_ledger
from groundswell.payments import checkout, returns
from groundswell.payments.offline import OfflineGateway
from groundswell.settings import Settings
from tests.factories import pool_in_a_place
from tests.helpers import WebClient, deposit, make_funder, make_pool, make_user
from tests.integration.ledger.test_corrections import person


@pytest.fixture
async def pool() -> int:
    place = await pool_in_a_place()
    await deposit(place.pool, "100.00")
    await make_user(Role.ADMIN, "alice@example.org")
    await make_user(Role.ADMIN, "bola@example.org")
    await make_user(Role.FUNDER, "funder@example.org", funder_ids=(place.funder,))
    other = await make_funder("Other Trust")
    await make_user(Role.FUNDER, "other@example.org", funder_ids=(other,))
    await make_user(Role.HOST, "host@example.org", host_ids=(place.host,))
    return place.pool


async def ask(pool: int, amount: str = "40.00", close: bool = False) -> int:
    data = returns.read_request(
        {"amount": amount, "reason": "Programme ending", **({"close_pool": "yes"} if close else {})}
    )
    return await returns.request_return(await person("funder@example.org"), pool, data)


def bank(reference: str = "BACS-RET-1") -> returns.ReturnRecord:
    return returns.ReturnRecord(method=returns.ReturnMethod.BANK_TRANSFER, reference=reference)


async def card_deposit(settings: Settings, pool: int, amount: int) -> tuple[OfflineGateway, int]:
    gateway = OfflineGateway(settings)
    url = await checkout.start_top_up(
        settings, gateway, await person("funder@example.org"), pool, amount
    )
    session_id = url.rsplit("/", 1)[1]
    await gateway.complete_checkout_session(session_id)
    await checkout.apply_checkout_session(gateway, session_id)
    row = (
        await deposits.Deposit.select()
        .where(deposits.Deposit.external_reference == session_id)
        .first()
    )
    assert row is not None
    return gateway, int(row["id"])


# --- attacks first --------------------------------------------------------------------------


async def test_only_the_pools_own_funder_asks(pool: int, client: WebClient) -> None:
    data = returns.read_request({"amount": "10.00", "reason": "x"})
    for email in ("other@example.org", "host@example.org", "alice@example.org"):
        with pytest.raises(Forbidden):
            await returns.request_return(await person(email), pool, data)
    for email in ("other@example.org", "host@example.org"):
        await client.login(email)
        assert (await client.get(f"/pools/{pool}/returns/new")).status_code == 403
        posted = await client.submit(f"/pools/{pool}/returns", {"amount": "10.00", "reason": "x"})
        assert posted.status_code == 403
    assert await PoolReturn.count() == 0


async def test_only_administrators_record(pool: int, settings: Settings, client: WebClient) -> None:
    return_id = await ask(pool)
    gateway = OfflineGateway(settings)
    for email in ("funder@example.org", "other@example.org", "host@example.org"):
        with pytest.raises(Forbidden):
            await returns.record_return(await person(email), gateway, return_id, bank())
        await client.login(email)
        for path in ("/admin/returns", f"/admin/returns/{return_id}"):
            assert (await client.get(path)).status_code == 403
        form = {"method": "bank_transfer", "reference": "X"}
        for path in (f"/admin/returns/{return_id}/check", f"/admin/returns/{return_id}/record"):
            assert (await client.submit(path, form)).status_code == 403
    assert (await returns.get_return(return_id))["status"] == "requested"
    assert (await ledger.pool_balances(pool))["available"] == 100_00


async def test_asking_for_more_than_is_available_is_refused(pool: int) -> None:
    with pytest.raises(ValidationFailed) as refused:
        await ask(pool, "100.01")
    assert "£100.00 available" in refused.value.field_errors["amount"]


async def test_recording_more_than_is_available_is_refused_clearly(
    pool: int, settings: Settings
) -> None:
    first, second = await ask(pool, "70.00"), await ask(pool, "60.00")
    alice, gateway = await person("alice@example.org"), OfflineGateway(settings)
    assert (await returns.record_return(alice, gateway, first, bank("A"))).created
    with pytest.raises(ValidationFailed) as refused:
        await returns.record_return(alice, gateway, second, bank("B"))
    assert "cannot give back more than it holds" in refused.value.field_errors["amount"]
    assert (await returns.get_return(second))["status"] == "requested"
    with pytest.raises(ValidationFailed):  # the check-your-answers page says so too
        await returns.preview(second, bank("B"))
    assert (await ledger.pool_balances(pool))["available"] == 30_00
    assert (await check_ledger()).ok


async def test_two_administrators_at_once_do_not_overdraw(pool: int, settings: Settings) -> None:
    first, second = await ask(pool, "70.00"), await ask(pool, "60.00")
    gateway = OfflineGateway(settings)
    results = await asyncio.gather(
        returns.record_return(await person("alice@example.org"), gateway, first, bank("A")),
        returns.record_return(await person("bola@example.org"), gateway, second, bank("B")),
        return_exceptions=True,
    )
    assert sum(isinstance(r, returns.Recorded) for r in results) == 1
    assert sum(isinstance(r, ValidationFailed) for r in results) == 1
    assert (await ledger.pool_balances(pool))["available"] in (30_00, 40_00)
    assert await LedgerTransaction.count().where(LedgerTransaction.kind == "return") == 1
    assert (await check_ledger()).ok


async def test_double_submit_records_once(pool: int, settings: Settings) -> None:
    return_id = await ask(pool)
    assert await ask(pool) == return_id  # the same request twice is one request
    alice, gateway = await person("alice@example.org"), OfflineGateway(settings)
    results = await asyncio.gather(
        returns.record_return(alice, gateway, return_id, bank()),
        returns.record_return(alice, gateway, return_id, bank()),
    )
    assert sorted(r.created for r in results) == [False, True]
    assert (await ledger.pool_balances(pool))["available"] == 60_00
    assert await LedgerTransaction.count().where(LedgerTransaction.kind == "return") == 1
    assert (await check_ledger()).ok


async def test_closing_a_pool_with_money_in_it_is_refused(pool: int, settings: Settings) -> None:
    return_id = await ask(pool, "40.00", close=True)
    with pytest.raises(ValidationFailed) as refused:
        await returns.record_return(
            await person("alice@example.org"), OfflineGateway(settings), return_id, bank()
        )
    assert "cannot close" in refused.value.field_errors["amount"]
    # Nothing half-written: the money did not move either.
    assert (await ledger.pool_balances(pool))["available"] == 100_00
    assert (await get_pool(pool))["closed_at"] is None
    assert (await returns.get_return(return_id))["status"] == "requested"
    assert (await check_ledger()).ok


async def test_a_card_refund_cannot_exceed_its_deposit(pool: int, settings: Settings) -> None:
    gateway, deposit_id = await card_deposit(settings, pool, 50_00)
    alice = await person("alice@example.org")
    card = returns.ReturnRecord(method=returns.ReturnMethod.CARD_REFUND, deposit_id=deposit_id)
    first = await ask(pool, "30.00")
    assert (await returns.record_return(alice, gateway, first, card)).created
    second = await ask(pool, "30.00")
    with pytest.raises(ValidationFailed) as refused:
        await returns.record_return(alice, gateway, second, card)
    assert "£20.00 left to refund" in refused.value.field_errors["deposit"]
    bank_deposit = (await deposits.list_deposits(pool))[-1]["id"]
    wrong = returns.ReturnRecord(method=returns.ReturnMethod.CARD_REFUND, deposit_id=bank_deposit)
    with pytest.raises(ValidationFailed):
        await returns.record_return(alice, gateway, second, wrong)
    refunds = [r async for r in gateway.list_refunds()]
    assert [r.amount for r in refunds] == [30_00]
    assert (await ledger.pool_balances(pool))["available"] == 120_00
    assert (await check_ledger()).ok


# --- what happens ---------------------------------------------------------------------------


async def test_give_everything_back_and_close(pool: int, settings: Settings) -> None:
    return_id = await ask(pool, "100.00", close=True)
    alice = await person("alice@example.org")
    summary = await returns.preview(return_id, bank("BACS-9"))
    assert (summary["available_before"], summary["available_after"]) == (100_00, 0)
    result = await returns.record_return(alice, OfflineGateway(settings), return_id, bank("BACS-9"))
    assert result.created and result.closed
    row = await returns.get_return(return_id)
    assert row["status"] == "recorded" and row["reference"] == "BACS-9" and row["txn"]
    assert (await ledger.pool_balances(pool))["available"] == 0
    assert (await get_pool(pool))["closed_at"] is not None
    actions = {r["action"] for r in await AuditEntry.select(AuditEntry.action)}
    assert {"pool_return.requested", "pool_return.recorded", "pool.closed"} <= actions
    assert (await check_ledger()).ok
    # A closed pool takes no deposits, top-ups, requests or rounds.
    with pytest.raises(PoolClosed):
        await deposit(pool, "5.00", reference="LATE")
    with pytest.raises(PoolClosed):
        await checkout.start_top_up(
            settings, OfflineGateway(settings), await person("funder@example.org"), pool, 500
        )
    with pytest.raises(Conflict):
        await ask(pool, "1.00")
    from groundswell.allocation.rounds import compute_round

    with pytest.raises(Conflict):
        await compute_round(pool)


async def test_the_pages(pool: int, client: WebClient) -> None:
    await client.login("funder@example.org")
    page = await client.get(f"/pools/{pool}")
    assert "Ask for money back / Close this pool" in page.text
    bad = await client.submit(f"/pools/{pool}/returns", {"amount": "500.00", "reason": "x"})
    assert (
        bad.status_code == 422 and "error-summary" in bad.text and "£100.00 available" in bad.text
    )
    asked = await client.submit(
        f"/pools/{pool}/returns", {"amount": "100.00", "close_pool": "yes", "reason": "Done"}
    )
    assert asked.status_code == 303 and asked.headers["location"] == f"/pools/{pool}"
    assert "Request sent" in (await client.get(f"/pools/{pool}")).text
    return_id = int((await PoolReturn.select(PoolReturn.id).first() or {})["id"])
    await client.login("alice@example.org")
    listing = await client.get("/admin/returns")
    assert f"/admin/returns/{return_id}" in listing.text
    missing = await client.submit(f"/admin/returns/{return_id}/check", {})
    assert missing.status_code == 422 and "Choose how the money goes back" in missing.text
    check = await client.submit(
        f"/admin/returns/{return_id}/check", {"method": "bank_transfer", "reference": "BACS-7"}
    )
    assert check.status_code == 200
    assert "Return £100.00 to Northern Roots" in check.text and "ref BACS-7" in check.text
    assert "from £100.00 to £0.00" in check.text
    assert (await returns.get_return(return_id))["status"] == "requested"  # checking is not doing
    form = {"method": "bank_transfer", "reference": "BACS-7"}
    for _ in range(2):
        done = await client.submit(f"/admin/returns/{return_id}/record", form)
        assert done.status_code == 303
    assert await LedgerTransaction.count().where(LedgerTransaction.kind == "return") == 1
    shown = (await client.get("/admin/returns")).text
    assert "Already recorded" in shown or "Return recorded" in shown
    assert "Bank transfer BACS-7" in shown
    client.cookies.clear()  # the public page, signed out
    public = await client.get(f"/pools/{pool}")
    assert public.status_code == 200 and "Closed" in public.text
    assert (await check_ledger()).ok


async def test_a_pool_without_money_closes_on_request(pool: int, settings: Settings) -> None:
    empty = await make_pool((await get_pool(pool))["funder"], name="Spare Fund")
    data = returns.read_request({"close_pool": "yes", "reason": "Never used"})
    return_id = await returns.request_return(await person("funder@example.org"), empty, data)
    result = await returns.record_return(
        await person("alice@example.org"),
        OfflineGateway(settings),
        return_id,
        returns.read_record({}, 0),
    )
    assert result.closed and (await get_pool(empty))["closed_at"] is not None
    assert not await LedgerTransaction.exists().where(LedgerTransaction.kind == "return")
    assert (await check_ledger()).ok


async def test_a_card_refund_through_stripe(
    stripe_client: WebClient, stripe_server: str, stripe_settings: Settings
) -> None:
    """The real adapter against the local Stripe server: the refund is made once (its
    idempotency key is return:<id>) and reconciliation sees it as recorded."""
    from groundswell.payments.reconcile import find_differences
    from groundswell.payments.stripe_gateway import StripeGateway
    from tests.integration.payments.conftest import event, signed
    from tests.stripe_server import config_request

    place = await pool_in_a_place()
    await make_user(Role.ADMIN, "alice@example.org")
    await make_user(Role.FUNDER, "funder@example.org", funder_ids=(place.funder,))
    await stripe_client.login("funder@example.org")
    assert (
        await stripe_client.submit(f"/pools/{place.pool}/top-up", {"amount": "80.00"})
    ).status_code == 303
    intent = await checkout.CheckoutIntent.select().first()
    assert intent is not None
    config_request(
        stripe_server, "POST", f"/_config/checkout/sessions/{intent['session_id']}/complete"
    )
    body, headers = signed(
        event(
            "evt_cs_1",
            "checkout.session.completed",
            {"id": intent["session_id"], "object": "checkout.session"},
        )
    )
    assert (
        await stripe_client.post("/webhooks/stripe", content=body, headers=headers)
    ).status_code == 200
    deposit_id = int((await deposits.Deposit.select(deposits.Deposit.id).first() or {})["id"])
    return_id = await ask(place.pool, "30.00")
    gateway = StripeGateway(stripe_settings)
    card = returns.ReturnRecord(method=returns.ReturnMethod.CARD_REFUND, deposit_id=deposit_id)
    alice = await person("alice@example.org")
    assert (await returns.record_return(alice, gateway, return_id, card)).created
    assert not (await returns.record_return(alice, gateway, return_id, card)).created
    refunds = [r async for r in gateway.list_refunds()]
    assert [r.amount for r in refunds] == [30_00]
    assert (await returns.get_return(return_id))["reference"] == refunds[0].id
    assert (await ledger.pool_balances(place.pool))["available"] == 50_00
    assert not [d for d in await find_differences(stripe_settings, gateway) if d.kind == "refund"]
    assert (await check_ledger()).ok
