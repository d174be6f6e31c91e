"""The demo's money and rounds: the funders' deposits, and in one pool a paid round, an
approved one, a paused one and one in review, paid through the offline payments adapter."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from typing import Any

from groundswell.accounts.tables import User
from groundswell.allocation import review, rounds
from groundswell.allocation.cancel import cancel_round
from groundswell.allocation.loop import close_the_loop_for
from groundswell.allocation.periods import period_containing, previous_period
from groundswell.allocation.states import AllocationState
from groundswell.allocation.tables import Allocation
from groundswell.community.tables import HostOrganisation
from groundswell.core.clock import frozen_at, today
from groundswell.core.phones import PhoneCipher
from groundswell.core.principal import Principal, Role
from groundswell.demo.places_and_people import NOT_ONBOARDED_HOST, POOLS
from groundswell.demo.returns import load_returns
from groundswell.funders.tables import Pool
from groundswell.ledger import corrections, deposits
from groundswell.ledger import services as ledger
from groundswell.ledger.states import AccountKind
from groundswell.ledger.tables import LedgerCorrection
from groundswell.payments import checkout, deposit_reconciliation, payouts
from groundswell.payments import services as payments
from groundswell.payments.offline import OfflineGateway
from groundswell.settings import Settings
from groundswell.vouching.tables import Endorsement, Resident


async def _onboard_hosts(gateway: OfflineGateway, settings: Settings) -> None:
    hosts = await HostOrganisation.select(HostOrganisation.id, HostOrganisation.name).where(
        HostOrganisation.stripe_account_id.is_null() & (HostOrganisation.name != NOT_ONBOARDED_HOST)
    )
    for host in hosts:
        account = await gateway.create_connected_account(
            email="",
            metadata={"host_id": str(host["id"])},
            idempotency_key=f"groundswell-host-{host['id']}-account",
        )
        await HostOrganisation.update({HostOrganisation.stripe_account_id: account.id}).where(
            HostOrganisation.id == host["id"]
        )
        await gateway.complete_onboarding(account.id)
        await payments.refresh_account(settings, gateway, account.id)


async def _pay_through_the_offline_adapter(settings: Settings, round_id: int) -> None:
    """What the payments job does, with the offline adapter: simulated, no money moves."""
    gateway = OfflineGateway(settings)
    await _onboard_hosts(gateway, settings)
    lines = await Allocation.select(Allocation.id).where(
        (Allocation.round == round_id) & (Allocation.state == AllocationState.APPROVED.value)
    )
    for line in lines:
        await payouts.pay_allocation(gateway, line["id"])


async def _top_up_by_card(settings: Settings, pool_id: int, funder: Principal) -> None:
    """A funder tops up by (simulated) Checkout, as on the pool page."""
    gateway = OfflineGateway(settings)
    url = await checkout.start_top_up(settings, gateway, funder, pool_id, 500_00)
    session_id = url.rsplit("/", 1)[1]
    await gateway.complete_checkout_session(session_id)
    await checkout.apply_checkout_session(gateway, session_id)


def _at(day: Any, hour: int = 9) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=UTC)


async def _close_the_loop(settings: Settings, round_id: int) -> None:
    """A few residents of the paid round asked to hear back: their result SMS goes through the
    development outbox (visible on /admin/outbox) once the scheduler drains it."""
    organisers = [
        row["organiser"]
        for row in await Allocation.select(Allocation.organiser).where(Allocation.round == round_id)
    ]
    rows = (
        await Endorsement.select(Endorsement.resident)
        .where(
            Endorsement.organiser.is_in(organisers or [-1])
            & (Endorsement.state == "active")
            & Endorsement.verification.is_in(["sms_inbound", "sms_code"])
        )
        .order_by(Endorsement.resident)
        .limit(40)
    )
    cipher = PhoneCipher(settings.phone_key)
    for n, resident_id in enumerate(sorted({row["resident"] for row in rows})[:4]):
        # Made-up mobile numbers, held encrypted like a real opt-in.
        await Resident.update(
            {
                Resident.hear_back: True,
                Resident.phone_encrypted: cipher.encrypt(f"+4474000000{n:02d}"),
            }
        ).where(Resident.id == resident_id)
    await close_the_loop_for(settings, round_id)


async def load_money_and_rounds(settings: Settings) -> None:
    # Pools with a round budget share money in rounds; the programme's pool funds grants.
    pools = await Pool.select().where(Pool.round_budget > 0).order_by(Pool.id)
    if not pools:
        return
    # The Northern Roots funder's monthly pool has history: paid, approved, paused.
    northern = next((p for p in pools if p["name"] == POOLS[1][1]), pools[0])
    fran = await User.select(User.id).where(User.email == "funder@groundswell.example").first()
    # Fran, the demo's funder, pauses one of its rounds and tops it up by card.
    funder = (
        None
        if fran is None
        else Principal(
            user_id=fran["id"],
            email="funder@groundswell.example",
            name="Fran Funder",
            role=Role.FUNDER,
            funder_ids=frozenset({northern["funder"]}),
        )
    )
    current = period_containing(today(), northern["cadence"])
    paused_period = previous_period(current, northern["cadence"])
    approved_period = previous_period(paused_period, northern["cadence"])
    paid_period = previous_period(approved_period, northern["cadence"])
    # Before those, a round Fran paused and then cancelled: its money went back, unpaid.
    cancelled_period = previous_period(paid_period, northern["cadence"])
    # The money arrived a fortnight before the first of those rounds.
    deposit_day = cancelled_period.start - timedelta(days=14)
    with frozen_at(_at(deposit_day, 11)):
        for pool in pools:
            await deposits.record_deposit(
                None,
                pool["id"],
                deposits.DepositInput(
                    amount=pool["round_budget"] * 4,
                    reference=f"DEMO-BACS-{pool['id']:04d}",
                    received_on=deposit_day,
                    note="Demo deposit: bank transfer from the funder",
                ),
            )
    for period in (cancelled_period, paid_period, approved_period, paused_period):
        with frozen_at(_at(period.start, 6)):
            outcome = await rounds.compute_round(
                northern["id"], period=period, public_url=settings.public_url
            )
        round_id = outcome.report.round_id
        assert round_id is not None
        review_until = outcome.report.review_until
        assert review_until is not None
        if period == cancelled_period and funder is not None:
            if outcome.created:  # the demo loads again without changing what happened
                with frozen_at(_at(period.start + timedelta(days=1), 10)):
                    await review.pause_round(
                        funder, round_id, "The board wants to read the residents' words first"
                    )
                with frozen_at(_at(period.start + timedelta(days=3), 16)):
                    await cancel_round(
                        settings,
                        funder,
                        round_id,
                        "Our trustees moved this quarter's money to the flood appeal; "
                        "organisers keep their place for the next round",
                    )
            continue
        if period == paused_period and funder is not None:
            with frozen_at(_at(period.start + timedelta(days=2), 14)):
                await review.pause_round(
                    funder, round_id, "Checking two organisers' hosts with our grants team"
                )
            continue
        with frozen_at(review_until + timedelta(hours=1)):
            await review.approve_round(round_id)
        if period == paid_period:
            with frozen_at(review_until + timedelta(days=2)):
                await _pay_through_the_offline_adapter(settings, round_id)
            await _close_the_loop(settings, round_id)
    if funder is not None:
        await _top_up_by_card(settings, northern["id"], funder)
        await load_returns(settings, northern, funder)
    # And one round in review now, in the other Northern Roots pool.
    teesside = next((p for p in pools if p["name"] == POOLS[0][1]), None)
    if teesside is not None:
        await rounds.compute_round(teesside["id"], public_url=settings.public_url)
    await _correction_waiting(northern)
    await _deposits_reconciled()


CORRECTION_REASON = (
    "Demo: the bank charged £12.50 on the funder's first transfer, so the pool received "
    "£12.50 less than the deposit recorded. Take it back out of available."
)


async def _correction_waiting(pool: dict[str, Any]) -> None:
    """A correction the demo's administrator proposed, waiting for a second administrator
    (/admin/ledger/corrections): the proposer cannot approve their own."""
    admin = (
        await User.select(User.id, User.email, User.name)
        .where(User.role == Role.ADMIN.value)
        .order_by(User.id)
        .first()
    )
    if admin is None or await LedgerCorrection.exists().where(
        LedgerCorrection.reason == CORRECTION_REASON
    ):
        return
    proposer = Principal(
        user_id=admin["id"], email=admin["email"], name=admin["name"], role=Role.ADMIN
    )
    available = await ledger.pool_account(pool["id"], AccountKind.AVAILABLE)
    deposits_account = await ledger.funder_deposits_account(pool["funder"], pool["currency"])
    await corrections.propose(
        proposer,
        corrections.CorrectionInput(
            postings=[(available, -12_50), (deposits_account, 12_50)], reason=CORRECTION_REASON
        ),
    )


async def _deposits_reconciled() -> None:
    """The demo's bank-transfer deposits reached the platform balance by a top-up each, as
    an administrator records (/admin/deposits/unreconciled), so reconciliation is clean."""
    admin = (
        await User.select(User.id).where(User.role == Role.ADMIN.value).order_by(User.id).first()
    )
    if admin is None:
        return
    principal = Principal(user_id=admin["id"], email="", name="", role=Role.ADMIN)
    for row in await deposit_reconciliation.unreconciled():
        await deposit_reconciliation.reconcile_deposit(
            principal, row["id"], f"trxn_demo_topup_{row['id']:04d}"
        )
