"""Recording a bank deposit: a check page first (what goes in, the balance before and after);
nothing is written until confirmed=yes, and the confirm reads every value afresh."""

from __future__ import annotations

from datetime import timedelta

from groundswell.core.clock import today
from groundswell.core.principal import Role
from groundswell.funders.tables import Deposit
from groundswell.ledger import services as ledger
from tests.helpers import WebClient, deposit, make_funder, make_pool, make_user


async def test_check_then_confirm_once(client: WebClient) -> None:
    pool = await make_pool(await make_funder(), name="Community Rights Programme")
    await deposit(pool, "1000.00")
    await client.login(await make_user(Role.ADMIN))
    form = {"amount": "10,000", "reference": "BACS 9", "received_on": today().isoformat()}
    check = await client.submit(f"/pools/{pool}/deposits", form)
    assert check.status_code == 200
    assert "Record a deposit of £10,000.00 from" in check.text
    assert "into Community Rights Programme (bank reference BACS 9)" in check.text
    assert "goes from £1,000.00 to £11,000.00" in check.text
    assert 'name="amount" value="10000.00"' in check.text
    assert f"/pools/{pool}?change=deposit&amp;amount=10000.00&amp;reference=BACS+9" in check.text
    assert await Deposit.count() == 1  # only the one made above

    for value in ("", "no", "true"):
        await client.submit(f"/pools/{pool}/deposits", {**form, "confirmed": value})
    assert await Deposit.count() == 1

    # "Change" brings the form back with the values kept.
    back = await client.get(f"/pools/{pool}?change=deposit&amount=10000.00&reference=BACS+9")
    assert 'value="10000.00"' in back.text and 'value="BACS 9"' in back.text

    first = await client.submit(f"/pools/{pool}/deposits", {**form, "confirmed": "yes"})
    second = await client.submit(f"/pools/{pool}/deposits", {**form, "confirmed": "yes"})
    assert first.status_code == 303 and second.status_code == 303
    assert await Deposit.count() == 2
    assert (await ledger.pool_balances(pool))["available"] == 11_000_00


async def test_tampered_confirm_is_validated_again(client: WebClient) -> None:
    pool = await make_pool(await make_funder())
    await client.login(await make_user(Role.ADMIN))
    future = (today() + timedelta(days=2)).isoformat()
    for bad in (
        {"amount": "-10", "reference": "BACS 1"},
        {"amount": "10", "reference": ""},
        {"amount": "10", "reference": "BACS 1", "received_on": future},
    ):
        refused = await client.submit(f"/pools/{pool}/deposits", {**bad, "confirmed": "yes"})
        assert refused.status_code == 422
        assert "data-focus-on-load" in refused.text
    assert await Deposit.count() == 0
    # The same reference with another amount than recorded is refused at the confirm.
    await deposit(pool, "10.00", reference="BACS 1")
    other = await client.submit(
        f"/pools/{pool}/deposits", {"amount": "99", "reference": "BACS 1", "confirmed": "yes"}
    )
    assert other.status_code == 422 and "recorded already" in other.text
    assert await Deposit.count() == 1


async def test_only_admins_see_the_check_or_confirm(client: WebClient) -> None:
    funder = await make_funder()
    pool = await make_pool(funder)
    await client.login(await make_user(Role.FUNDER, funder_ids=(funder,)))
    for data in ({}, {"confirmed": "yes"}):
        response = await client.submit(
            f"/pools/{pool}/deposits", {"amount": "10", "reference": "X", **data}
        )
        assert response.status_code == 403
    assert await Deposit.count() == 0
