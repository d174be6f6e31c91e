"""Reconciliation covers the money and speaks up: card deposits, refunds and the platform
balance, each difference stored, e-mailed to administrators once, shown and in /health."""

from __future__ import annotations

from groundswell.core.principal import Role
from groundswell.outbox.tables import OutboxMessage
from groundswell.payments.findings import reconcile_and_report
from groundswell.payments.provider import gateway_for
from groundswell.payments.tables import CheckoutIntent, ReconciliationDifference
from groundswell.settings import Settings
from tests.helpers import WebClient, make_funder, make_pool, make_user
from tests.integration.payments.conftest import event, signed
from tests.stripe_server import config_request, make_stripe_client


async def test_a_paid_top_up_without_its_deposit_then_a_refund_are_each_reported_once(
    stripe_client: WebClient, stripe_server: str, stripe_settings: Settings
) -> None:
    admin = await make_user(Role.ADMIN)
    funder = await make_funder()
    pool = await make_pool(funder)
    await stripe_client.login(await make_user(Role.FUNDER, funder_ids=(funder,)))
    await stripe_client.submit(f"/pools/{pool}/top-up", {"amount": "250.00"})
    intent = await CheckoutIntent.select().first()
    assert intent is not None
    session_id = intent["session_id"]
    config_request(stripe_server, "POST", f"/_config/checkout/sessions/{session_id}/complete")
    gateway = gateway_for(stripe_settings)

    # Paid at Stripe, but the webhook never arrived: the pool is missing £250.
    found = await reconcile_and_report(stripe_settings, gateway)
    assert [d.key for d in found] == [f"deposit-missing:{session_id}"]
    assert "£250.00" in found[0].text and "no deposit records it" in found[0].text
    await reconcile_and_report(stripe_settings, gateway)  # again: still one row, one e-mail
    assert await ReconciliationDifference.count() == 1
    mails = await OutboxMessage.select().where(OutboxMessage.purpose == "payments.reconciliation")
    assert [m["recipient_email"] for m in mails] == [admin]
    assert session_id in mails[0]["body"]

    await stripe_client.login(admin)
    page = await stripe_client.get("/admin/reconciliation")
    assert page.status_code == 200 and session_id in page.text
    health = (await stripe_client.get("/health")).json()
    assert health["reconciliation"]["open_differences"] == 1
    assert any("reconciliation found 1 difference" in r for r in health["reasons"])

    # The webhook arrives: the difference is resolved.
    body, headers = signed(
        event("evt_late", "checkout.session.completed", {"id": session_id, "object": "x"})
    )
    assert (await stripe_client.post("/webhooks/stripe", content=body, headers=headers)).is_success
    assert await reconcile_and_report(stripe_settings, gateway) == []
    assert (await ReconciliationDifference.select().first() or {})["resolved_at"] is not None

    # Someone refunds the card payment in Stripe's dashboard: the ledger still counts it.
    session = await gateway.retrieve_checkout_session(session_id)
    assert session.payment_intent
    stripe = make_stripe_client(stripe_server, stripe_settings.stripe_api_key)
    refund = stripe.v1.refunds.create({"payment_intent": session.payment_intent, "amount": 5000})
    found = await reconcile_and_report(stripe_settings, gateway)
    assert [d.key for d in found] == [f"refund:{refund['id']}"]
    assert "£50.00" in found[0].text and "not in our ledger" in found[0].text
    mails = await OutboxMessage.select().where(OutboxMessage.purpose == "payments.reconciliation")
    assert len(mails) == 2


async def test_a_platform_balance_short_of_what_is_committed_is_a_difference(
    stripe_settings: Settings, stripe_server: str
) -> None:
    from groundswell.db import write_transaction
    from groundswell.ledger import services as ledger
    from groundswell.ledger.states import AccountKind, TransactionKind
    from tests.helpers import deposit

    pool = await make_pool(await make_funder())
    await deposit(pool, "100.00")
    async with write_transaction():
        # What a round does when it is computed: £60 set aside for hosts.
        await ledger.move(
            pool,
            TransactionKind.ROUND_COMMIT,
            "test:commit",
            AccountKind.AVAILABLE,
            AccountKind.COMMITTED,
            60_00,
        )
    gateway = gateway_for(stripe_settings)
    found = await reconcile_and_report(stripe_settings, gateway)
    assert found == []  # the test server's balance is untracked: ample
    config_request(stripe_server, "POST", "/_config/balance", {"available": {"gbp": 1000}})
    found = await reconcile_and_report(stripe_settings, gateway)
    assert [d.key for d in found] == ["balance-short:GBP"]
    assert "holds £10.00" in found[0].text and "£60.00 committed" in found[0].text
    assert "£50.00 short" in found[0].text
