"""The demo's money back: Fran Funder asked for £100 of a card top-up back and an
administrator recorded the refund (through the offline gateway), and a second request, by
bank transfer, waits on /admin/returns."""

from __future__ import annotations

from typing import Any

from groundswell.accounts.tables import User
from groundswell.core.principal import Principal, Role
from groundswell.funders.states import DepositMethod
from groundswell.funders.tables import Deposit
from groundswell.ledger.states import ReturnMethod
from groundswell.ledger.tables import PoolReturn
from groundswell.payments import returns
from groundswell.payments.offline import OfflineGateway
from groundswell.settings import Settings

REFUND_REASON = "Demo: we topped up twice by mistake; please refund £100 of the card payment."
WAITING_REASON = "Demo: our council partner's share for next year goes back to them."


async def load_returns(settings: Settings, pool: dict[str, Any], funder: Principal) -> None:
    admin = (
        await User.select(User.id, User.email, User.name)
        .where(User.role == Role.ADMIN.value)
        .order_by(User.id)
        .first()
    )
    card = (
        await Deposit.select(Deposit.id)
        .where((Deposit.pool == pool["id"]) & (Deposit.method == DepositMethod.STRIPE.value))
        .order_by(Deposit.id)
        .first()
    )
    if admin is None or card is None:
        return
    if await PoolReturn.exists().where(PoolReturn.reason == REFUND_REASON):
        return  # the demo loads again without changing what happened
    recorder = Principal(
        user_id=admin["id"], email=admin["email"], name=admin["name"], role=Role.ADMIN
    )
    refund_id = await returns.request_return(
        funder,
        pool["id"],
        returns.ReturnRequest(amount=100_00, close_pool=False, reason=REFUND_REASON),
    )
    await returns.record_return(
        recorder,
        OfflineGateway(settings),
        refund_id,
        returns.ReturnRecord(method=ReturnMethod.CARD_REFUND, deposit_id=int(card["id"])),
    )
    await returns.request_return(
        funder,
        pool["id"],
        returns.ReturnRequest(amount=250_00, close_pool=False, reason=WAITING_REASON),
    )
