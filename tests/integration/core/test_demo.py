"""The demo fills every page of rounds and the ledger with something real, once."""

import re

from groundswell.allocation.tables import Allocation, Round
from groundswell.demo.loader import load_demo
from groundswell.funders.tables import Deposit
from groundswell.ledger import services as ledger
from groundswell.ledger.tables import LedgerCorrection, LedgerTransaction
from groundswell.ledger_check import check_ledger
from groundswell.outbox.tables import OutboxMessage
from groundswell.settings import load_settings
from groundswell.vouching.tables import Endorsement, Resident


async def test_demo_has_voices_money_and_rounds_in_every_state_and_loads_once() -> None:
    first = await load_demo()
    assert first.created
    statuses = sorted(row["status"] for row in await Round.select(Round.status))
    # One host is not onboarded: its lines are held, so that round is still paying.
    # And one was paused and then cancelled: its money went back, nothing paid from it.
    # Two are in review: one pool's, and the co-funded pool's (demo/cofunded.py).
    assert statuses == ["approved", "cancelled", "computed", "computed", "paused", "paying"]
    report = await check_ledger()
    assert report.ok, report.violations
    assert await LedgerTransaction.exists().where(LedgerTransaction.kind == "round_cancellation")
    # A correction waits for a second administrator (the demo has one: it stays waiting).
    assert await LedgerCorrection.count().where(LedgerCorrection.status == "proposed") == 1
    # Paid through the offline adapter, as the payments job does; nothing faked.
    assert not await LedgerTransaction.exists().where(LedgerTransaction.kind == "simulated_payment")
    payouts = await LedgerTransaction.count().where(LedgerTransaction.kind == "payout")
    paid = await Allocation.select().where(Allocation.state == "paid")
    assert paid and payouts == len(paid) and all(p["stripe_transfer_id"] for p in paid)
    assert await Allocation.exists().where(Allocation.state == "held")
    assert await Deposit.exists().where(Deposit.method == "stripe")  # a top-up by Checkout
    # Money back: a card refund recorded, and a request waiting for an administrator.
    from groundswell.ledger.tables import PoolReturn

    assert await LedgerTransaction.count().where(LedgerTransaction.kind == "return") == 1
    assert await PoolReturn.count().where(PoolReturn.status == "requested") == 1
    assert any(b["paid"] > 0 for b in (await ledger.all_pool_balances()).values())

    # Funders asked to review a round get a link they can follow from their e-mail.
    reviews = await OutboxMessage.select(OutboxMessage.body).where(
        OutboxMessage.purpose == "round_review"
    )
    link = f"{load_settings().public_url}/rounds/"
    assert reviews and all(link in r["body"] for r in reviews), reviews[:1]
    # The outbox shows what happens to messages: delivered, not delivered, failed, waiting.
    outbox = {row["status"] for row in await OutboxMessage.select(OutboxMessage.status)}
    assert {"sent", "delivered", "undelivered", "failed", "pending"} <= outbox
    retrying = await OutboxMessage.select().where(
        (OutboxMessage.status == "pending") & (OutboxMessage.attempts > 0)
    )
    assert retrying and all(r["last_error"] for r in retrying)

    # A nominating group's contact has a sign-in link waiting in the development outbox.
    sign_in = await OutboxMessage.select(OutboxMessage.body).where(
        (OutboxMessage.purpose == "group_sign_in")
        & (OutboxMessage.recipient_email == "friends@redlion.example.org")
    )
    assert sign_in and "/groups/sign-in/" in sign_in[0]["body"]

    residents = await Resident.select(Resident.voice_hash)
    assert len(residents) > 100
    assert all(re.fullmatch(r"[0-9a-f]{64}", r["voice_hash"]) for r in residents)
    testimonies = [row["testimony"] for row in await Endorsement.select(Endorsement.testimony)]
    assert len(set(testimonies)) > 30
    assert not any(re.search(r"\+?\d{10,}", t) for t in testimonies)  # no phone numbers
    states = {row["state"] for row in await Endorsement.select(Endorsement.state)}
    assert states == {"active", "withdrawn", "hidden"}

    # Organiser lifecycle (issue #16): one moved to Pallister from a date, one paused, each
    # with its history.
    from groundswell.community.tables import Organiser
    from groundswell.core.tables import AuditEntry

    moves = await AuditEntry.select(AuditEntry.detail).where(AuditEntry.action == "organiser.move")
    assert len(moves) == 1
    assert await Organiser.exists().where(Organiser.status == "paused")

    again = await load_demo()
    assert not again.created and again.counts == first.counts
    assert await LedgerCorrection.count() == 1
