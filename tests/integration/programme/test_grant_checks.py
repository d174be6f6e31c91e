"""Check before money moves: awarding a grant and recording its payment each show a check
page first; nothing is written until the confirm, which is judged again (never trusted)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from groundswell.core.clock import today
from groundswell.core.principal import Role
from groundswell.core.tables import AuditEntry
from groundswell.ledger.tables import LedgerTransaction
from groundswell.outbox.tables import OutboxMessage
from groundswell.programme.tables import ProgrammeGrant
from tests.helpers import (
    WebClient,
    deposit,
    make_asset_bid,
    make_funder,
    make_pool,
    make_programme_grant,
    make_user,
)


async def grant_row(grant_id: int) -> dict[str, Any]:
    row = await ProgrammeGrant.select().where(ProgrammeGrant.id == grant_id).first()
    assert row is not None
    return row


async def setup(pounds: str = "10000.00", amount: int = 4_000_00) -> tuple[int, int, int]:
    pool = await make_pool(await make_funder(), name="Community Rights Programme")
    await deposit(pool, pounds)
    bid = await make_asset_bid()
    grant = await make_programme_grant(pool, asset_bid=bid, amount=amount, title="Capital grant")
    return pool, bid, grant


async def test_award_check_page_says_what_happens_and_writes_nothing(client: WebClient) -> None:
    _, bid, grant = await setup()
    await client.login(await make_user(Role.ADMIN))
    ledger_before = await LedgerTransaction.count()
    check = await client.submit(f"/programme/grants/{grant}/award", {})
    assert check.status_code == 200
    assert "Award £4,000.00 from Community Rights Programme to" in check.text
    assert "this publishes to 360Giving" in check.text
    assert "£10,000.00 now; £6,000.00 after the award" in check.text
    assert 'name="confirmed" value="yes"' in check.text
    assert f'href="/programme/asset-bids/{bid}#grants"' in check.text  # Change
    assert (await grant_row(grant))["status"] == "proposed"
    assert await LedgerTransaction.count() == ledger_before
    assert await AuditEntry.count().where(AuditEntry.action == "programme.grant.awarded") == 0

    for value in ("", "no", "YES "):  # only confirmed=yes confirms
        await client.submit(f"/programme/grants/{grant}/award", {"confirmed": value})
        assert (await grant_row(grant))["status"] == "proposed"


async def test_double_confirm_awards_once(client: WebClient) -> None:
    _, bid, grant = await setup()
    await client.login(await make_user(Role.ADMIN))
    first = await client.submit(f"/programme/grants/{grant}/award", {"confirmed": "yes"})
    second = await client.submit(f"/programme/grants/{grant}/award", {"confirmed": "yes"})
    assert first.status_code in (302, 303) and second.status_code in (302, 303)
    assert await AuditEntry.count().where(AuditEntry.action == "programme.grant.awarded") == 1
    page = await client.get(f"/programme/asset-bids/{bid}")
    assert "already awarded" in page.text


async def test_non_admins_cannot_see_the_check_or_confirm(client: WebClient) -> None:
    _, _, grant = await setup()
    await client.login(await make_user(Role.FUNDER, funder_ids=(await make_funder(),)))
    for data in ({}, {"confirmed": "yes"}):
        refused = await client.submit(f"/programme/grants/{grant}/award", data)
        assert refused.status_code == 403
        paid = await client.submit(
            f"/programme/grants/{grant}/paid", {"payment_reference": "X", **data}
        )
        assert paid.status_code == 403
    assert (await grant_row(grant))["status"] == "proposed"


async def test_a_confirm_refused_shows_the_summary_at_the_top(client: WebClient) -> None:
    pool, _, grant = await setup(pounds="5000.00")
    await client.login(await make_user(Role.ADMIN))
    assert (await client.submit(f"/programme/grants/{grant}/award", {})).status_code == 200
    # Between the check and the confirm the pool's money goes to another grant.
    other = await make_programme_grant(pool, asset_bid=await make_asset_bid(), amount=3_000_00)
    took = await client.submit(f"/programme/grants/{other}/award", {"confirmed": "yes"})
    assert took.status_code in (302, 303)
    refused = await client.submit(f"/programme/grants/{grant}/award", {"confirmed": "yes"})
    assert refused.status_code == 409
    assert "has £2,000.00 available and this grant is for £4,000.00" in refused.text
    assert (await grant_row(grant))["status"] == "proposed"


async def test_payment_check_then_confirm_and_tampering_is_judged_again(
    client: WebClient,
) -> None:
    _, bid, grant = await setup()
    await client.login(await make_user(Role.ADMIN))
    await client.submit(f"/programme/grants/{grant}/award", {"confirmed": "yes"})
    on = today().isoformat()
    check = await client.submit(
        f"/programme/grants/{grant}/paid", {"payment_reference": "FPS 77", "paid_on": on}
    )
    assert check.status_code == 200, check.text[-800:]
    assert "Mark £4,000.00 paid to" in check.text and "(reference FPS 77)" in check.text
    assert 'name="payment_reference" value="FPS 77"' in check.text
    change = f"/programme/asset-bids/{bid}?change_paid={grant}&amp;payment_reference=FPS+77"
    assert change in check.text
    assert (await grant_row(grant))["status"] == "awarded"

    # The Change link opens the form again with what was typed.
    again = await client.get(
        f"/programme/asset-bids/{bid}?change_paid={grant}&payment_reference=FPS+77&paid_on={on}"
    )
    assert 'value="FPS 77"' in again.text and 'grant-paid" open' in again.text

    # Values altered after the check page are validated afresh on the confirm.
    future = (today() + timedelta(days=3)).isoformat()
    tampered = await client.submit(
        f"/programme/grants/{grant}/paid",
        {"payment_reference": "FPS 77", "paid_on": future, "confirmed": "yes"},
    )
    assert tampered.status_code == 422 and "today or earlier" in tampered.text
    blank = await client.submit(
        f"/programme/grants/{grant}/paid",
        {"payment_reference": "  ", "paid_on": on, "confirmed": "yes"},
    )
    assert blank.status_code == 422
    assert (await grant_row(grant))["status"] == "awarded"

    paid = await client.submit(
        f"/programme/grants/{grant}/paid",
        {"payment_reference": "FPS 77", "paid_on": on, "confirmed": "yes"},
    )
    twice = await client.submit(
        f"/programme/grants/{grant}/paid",
        {"payment_reference": "FPS 77", "paid_on": on, "confirmed": "yes"},
    )
    assert paid.status_code in (302, 303) and twice.status_code in (302, 303)
    row = await grant_row(grant)
    assert row["status"] == "paid" and row["payment_reference"] == "FPS 77"
    assert await AuditEntry.count().where(AuditEntry.action == "programme.grant.paid") == 1


async def test_the_grant_form_offers_programme_pools_only(client: WebClient) -> None:
    funder = await make_funder()
    programme = await make_pool(funder, name="Community Rights Programme", round_budget=0)
    rounds = await make_pool(funder, name="Listening Fund")  # shares money in rounds
    bid = await make_asset_bid()
    await client.login(await make_user(Role.ADMIN))
    form = await client.get(f"/programme/grants/new?bid=asset-{bid}")
    assert f'value="{programme}"' in form.text and "Community Rights Programme" in form.text
    assert "Listening Fund" not in form.text
    # Sent by hand anyway: refused, nothing saved.
    sent = await client.submit(
        "/programme/grants",
        {"bid": f"asset-{bid}", "pool_id": str(rounds), "kind": "capital", "amount": "10"},
    )
    assert sent.status_code == 422 and "Choose a pool from the list." in sent.text
    assert await ProgrammeGrant.count() == 0


async def test_a_paid_record_is_corrected_with_a_reason(client: WebClient) -> None:
    _, bid, grant = await setup()
    await client.login(await make_user(Role.ADMIN))
    on = today().isoformat()
    await client.submit(f"/programme/grants/{grant}/award", {"confirmed": "yes"})
    await client.submit(
        f"/programme/grants/{grant}/paid",
        {"payment_reference": "FPS 71", "paid_on": on, "confirmed": "yes"},
    )
    url = f"/programme/grants/{grant}/payment-correction"
    no_reason = await client.submit(url, {"payment_reference": "FPS 77", "paid_on": on})
    assert no_reason.status_code == 422 and "Say why" in no_reason.text
    assert 'class="correct-payment" open' in no_reason.text
    assert (await grant_row(grant))["payment_reference"] == "FPS 71"

    fixed = {"payment_reference": "FPS 77", "paid_on": on, "reason": "Typo in the reference"}
    assert (await client.submit(url, fixed)).status_code in (302, 303)
    assert (await client.submit(url, fixed)).status_code in (302, 303)  # a repeat: no change
    row = await grant_row(grant)
    assert row["payment_reference"] == "FPS 77" and row["status"] == "paid"
    entries = await AuditEntry.select().where(
        AuditEntry.action == "programme.grant.payment_corrected"
    )
    assert len(entries) == 1
    page = await client.get(f"/programme/asset-bids/{bid}")
    assert "was ref. FPS 71" in page.text and "Typo in the reference" in page.text

    await client.login(await make_user(Role.FUNDER, funder_ids=(await make_funder(),)))
    refused = await client.submit(url, {**fixed, "payment_reference": "HACK"})
    assert refused.status_code == 403
    assert (await grant_row(grant))["payment_reference"] == "FPS 77"


async def test_only_a_paid_grant_is_corrected(client: WebClient) -> None:
    _, _, grant = await setup()
    await client.login(await make_user(Role.ADMIN))
    response = await client.submit(
        f"/programme/grants/{grant}/payment-correction",
        {"payment_reference": "X", "reason": "because"},
    )
    assert response.status_code == 409 and (await grant_row(grant))["paid_on"] is None


async def test_the_group_is_emailed_once_when_awarded_and_when_paid(client: WebClient) -> None:
    _, _, grant = await setup()
    await client.login(await make_user(Role.ADMIN))
    await client.submit(f"/programme/grants/{grant}/award", {})  # the check page: no e-mail
    assert await OutboxMessage.count() == 0
    for _ in range(2):
        await client.submit(f"/programme/grants/{grant}/award", {"confirmed": "yes"})
    paid = {"payment_reference": "FPS 9", "paid_on": today().isoformat(), "confirmed": "yes"}
    for _ in range(2):
        await client.submit(f"/programme/grants/{grant}/paid", paid)
    mails = await OutboxMessage.select().order_by(OutboxMessage.id)
    assert [m["purpose"] for m in mails] == ["grant_awarded", "grant_paid"]
    assert {m["recipient_email"] for m in mails} == {"friends@redlion.example.org"}
    assert "£4,000.00" in mails[0]["subject"] and "FPS 9" in mails[1]["body"]
