"""Programme grants: money from a pool for one bid's group, proposed, awarded, paid or
cancelled, each step of the money one ledger transaction written with the grant's status.

Every change opens a write transaction, locks the grant's row and its pool, checks the
status and returns early when the change is already made (a repeated click changes nothing).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from groundswell import db
from groundswell.core import audit
from groundswell.core.clock import now, today
from groundswell.core.errors import Conflict, NotFound, ValidationFailed
from groundswell.core.forms import FieldReader
from groundswell.core.ids import read_row_id
from groundswell.core.money import format_money
from groundswell.core.principal import Principal
from groundswell.core.tables import varchar_length
from groundswell.funders.tables import Pool
from groundswell.ledger import services as ledger
from groundswell.ledger.states import AccountKind, TransactionKind
from groundswell.programme import grant_mail
from groundswell.programme.clocks import human_date
from groundswell.programme.inputs import read_date
from groundswell.programme.kinds import ASSET_BID, SERVICE_BID
from groundswell.programme.staff import require_staff
from groundswell.programme.states import GrantKind, GrantStatus, grant_ledger_steps
from groundswell.programme.tables import ProgrammeGrant

# 360Giving's regrant type codelist: a grant that the group passes on, and how.
REGRANT_TYPES = {
    "FRG010": "Common Regrant",
    "FRG020": "Transfer to intermediary",
    "FRG030": "Match funding",
    "FRG040": "Funder collaboration",
    "FRG050": "Fiscal sponsor",
    "FRG060": "Endowment",
    "FRG070": "Multipurpose",
}
TITLE_MAX = varchar_length(ProgrammeGrant.title)


def _default_title(title: str) -> str:
    """A grant's title from its bid's name, cut to fit programme_grant.title (Varchar(200))."""
    return title if len(title) <= TITLE_MAX else title[: TITLE_MAX - 1].rstrip() + "…"


@dataclass(frozen=True)
class GrantProposal:
    grant_id: int
    created: bool  # False: the same grant was proposed already (a repeated submit)


async def propose_grant(principal: Principal, raw: Mapping[str, Any], *, minor_units: bool) -> int:
    """Record a grant the programme means to make; `award_grant` makes it."""
    return (await propose_grant_once(principal, raw, minor_units=minor_units)).grant_id


async def propose_grant_once(
    principal: Principal, raw: Mapping[str, Any], *, minor_units: bool
) -> GrantProposal:
    """Propose a grant, unless the same one (bid, pool, kind, amount, title) is still proposed.

    A form sent twice (a double click, a retried request) would otherwise make two proposed
    grants that could each be awarded. The pool's lock serialises concurrent proposals.
    """
    require_staff(principal)
    fields = FieldReader(raw)
    pool_id = read_row_id(fields, "pool_id", what="a pool")
    asset_bid_id = read_row_id(fields, "asset_bid_id", what="a bid", required=False)
    service_bid_id = read_row_id(fields, "service_bid_id", what="a bid", required=False)
    kind = fields.choice("kind", GrantKind, default=None)
    if kind is None and "kind" not in fields.errors:
        fields.errors["kind"] = "Choose the kind of grant."
    amount = fields.money("amount", minor_units=minor_units)
    if amount == 0:
        fields.errors["amount"] = "A grant is for more than nothing."
    title = fields.text("title", required=False, max_length=TITLE_MAX)
    description = fields.text("description", required=False, max_length=4000)
    regrant_type = fields.text("regrant_type", required=False, max_length=8).upper()
    if regrant_type and regrant_type not in REGRANT_TYPES:
        fields.errors["regrant_type"] = "Choose a regrant type from the 360Giving codelist."
    if (asset_bid_id is None) == (service_bid_id is None) and not (
        {"asset_bid_id", "service_bid_id"} & fields.errors.keys()
    ):
        fields.errors["asset_bid_id"] = "A grant supports exactly one bid."
    fields.check("The grant could not be saved.")
    assert pool_id is not None and amount is not None
    pool = await Pool.select(Pool.id, Pool.currency).where(Pool.id == pool_id).first()
    if pool is None:
        raise ValidationFailed(
            "The grant could not be saved.",
            field_errors={"pool_id": "Choose a pool from the list."},
        )
    bid_kind, bid_id = (
        (ASSET_BID, asset_bid_id) if asset_bid_id is not None else (SERVICE_BID, service_bid_id)
    )
    table = bid_kind.table
    bid = await table.select(getattr(table, bid_kind.name_field)).where(table.id == bid_id).first()
    if bid is None:
        raise ValidationFailed(
            "The grant could not be saved.",
            field_errors={f"{bid_kind.key}_bid_id": "There is no such bid."},
        )
    bid_name = bid[bid_kind.name_field]
    title = title or _default_title(f"{kind.label} grant: {bid_name}")
    async with db.write_transaction():
        await ledger.lock_pool(pool_id)
        same = (
            await ProgrammeGrant.select(ProgrammeGrant.id)
            .where(
                (ProgrammeGrant.pool == pool_id)
                & (getattr(ProgrammeGrant, f"{bid_kind.key}_bid") == bid_id)
                & (ProgrammeGrant.kind == kind.value)
                & (ProgrammeGrant.amount == amount)
                & (ProgrammeGrant.title == title)
                & (ProgrammeGrant.status == GrantStatus.PROPOSED.value)
            )
            .first()
        )
        if same is not None:
            return GrantProposal(grant_id=int(same["id"]), created=False)
        rows = await ProgrammeGrant.insert(
            ProgrammeGrant(
                pool=pool_id,
                asset_bid=asset_bid_id,
                service_bid=service_bid_id,
                kind=kind.value,
                title=title,
                description=description,
                amount=amount,
                currency=pool["currency"],
                regrant_type=regrant_type,
            )
        ).returning(ProgrammeGrant.id)
        grant_id = int(rows[0]["id"])
        await audit.record(
            principal,
            "programme.grant.proposed",
            "programme_grant",
            grant_id,
            amount=amount,
            currency=pool["currency"],
            pool=pool_id,
        )
    return GrantProposal(grant_id=grant_id, created=True)


@dataclass(frozen=True)
class AwardResult:
    grant_id: int
    awarded_now: bool  # False: it was awarded before, and nothing changed


def _grant_memo(grant: Mapping[str, Any], what: str) -> str:
    return f"{what}: {grant['title']} (programme grant {grant['id']})"[:500]


async def _post_grant(
    grant: Mapping[str, Any],
    step: str,
    kind: TransactionKind,
    source: AccountKind,
    target: AccountKind,
    memo: str,
) -> None:
    """Post one step of a grant's money; the caller holds the grant's row and its pool."""
    accounts = await ledger.pool_grant_accounts(grant["pool"])
    reference = ledger.grant_reference(grant["id"], step)
    posted = await ledger.post(
        kind,
        reference,
        [
            ledger.Posting(accounts[source], -int(grant["amount"])),
            ledger.Posting(accounts[target], int(grant["amount"])),
        ],
        memo=memo,
    )
    if posted is None:
        # The reference is taken, yet the grant's status says this step has not happened:
        # the ledger and the grant disagree, and moving the money again would hide it.
        raise Conflict(
            f"The ledger already has {reference} but the grant is {grant['status']}. "
            "Nothing was changed; run `groundswell ledger check`."
        )


async def _locked_grant(grant_id: int) -> dict[str, Any]:
    """The grant's row, locked until the transaction ends; call inside `db.write_transaction()`."""
    grant: dict[str, Any] | None = await db.locked(
        ProgrammeGrant.select().where(ProgrammeGrant.id == grant_id)
    ).first()
    if grant is None:
        raise NotFound(f"There is no programme grant {grant_id}.")
    return grant


async def award_grant(principal: Principal, grant_id: int) -> AwardResult:
    """Award a proposed grant: the pool's money set aside for the group (ledger transaction
    "grant:<id>:award", available → grant awarded), status, date and audit entry in one
    transaction. Refused with nothing written when the pool has not that much available.
    """
    require_staff(principal)
    async with db.write_transaction():
        grant = await _locked_grant(grant_id)
        status = GrantStatus(grant["status"])
        if status is GrantStatus.AWARDED:
            return AwardResult(grant_id, awarded_now=False)
        if status is not GrantStatus.PROPOSED:
            raise Conflict(f"This grant was {status.value}; it cannot be awarded.")
        await ledger.lock_pool(grant["pool"])
        available = await ledger.locked_available(grant["pool"])
        if available < grant["amount"]:
            pool = await Pool.select(Pool.name).where(Pool.id == grant["pool"]).first()
            raise Conflict(
                f"{(pool or {}).get('name', 'The pool')} has "
                f"{format_money(available, grant['currency'])} available and this grant is for "
                f"{format_money(grant['amount'], grant['currency'])}, so it was not awarded. "
                "Record a deposit into the pool, or propose a smaller grant."
            )
        await _post_grant(
            grant,
            "award",
            TransactionKind.GRANT_AWARD,
            AccountKind.AVAILABLE,
            AccountKind.GRANT_AWARDED,
            _grant_memo(grant, "Grant awarded"),
        )
        awarded_on = today()
        await ProgrammeGrant.update(
            {
                ProgrammeGrant.status: GrantStatus.AWARDED.value,
                ProgrammeGrant.awarded_on: awarded_on,
                ProgrammeGrant.awarded_by: principal.user_id,
                ProgrammeGrant.updated_at: now(),
            }
        ).where(ProgrammeGrant.id == grant_id)
        await audit.record(
            principal,
            "programme.grant.awarded",
            "programme_grant",
            grant_id,
            amount=grant["amount"],
            currency=grant["currency"],
            pool=grant["pool"],
            awarded_on=awarded_on.isoformat(),
            ledger_reference=ledger.grant_reference(grant_id, "award"),
        )
        await grant_mail.tell_group(
            grant,
            "award",
            f"Your group has been awarded a grant of "
            f"{format_money(grant['amount'], grant['currency'])}. "
            "We will e-mail again when the money has been paid.",
        )
    return AwardResult(grant_id, awarded_now=True)


async def mark_grant_paid(principal: Principal, grant_id: int, raw: Mapping[str, Any]) -> bool:
    """Record that the group was paid an awarded grant (a bank transfer, say): ledger
    transaction "grant:<id>:paid" (grant awarded → grant paid), status, payment details and
    audit entry in one transaction. False when it was recorded as paid already.

    `raw`: "payment_reference" (required: the bank's or finance system's reference) and
    "paid_on" (YYYY-MM-DD; today when left out), neither before the award nor in the future.
    """
    require_staff(principal)
    reference, paid_on = read_payment(raw)
    async with db.write_transaction():
        grant = await _locked_grant(grant_id)
        status = GrantStatus(grant["status"])
        if status is GrantStatus.PAID:
            return False
        if status is not GrantStatus.AWARDED:
            raise Conflict(
                f"This grant is {status.value}; only an awarded grant can be marked paid."
            )
        paid_after_award(grant, paid_on)
        await ledger.lock_pool(grant["pool"])
        await _post_grant(
            grant,
            "paid",
            TransactionKind.GRANT_PAYMENT,
            AccountKind.GRANT_AWARDED,
            AccountKind.GRANT_PAID,
            _grant_memo(grant, f"Grant paid on {paid_on.isoformat()}, ref. {reference}"),
        )
        await ProgrammeGrant.update(
            {
                ProgrammeGrant.status: GrantStatus.PAID.value,
                ProgrammeGrant.paid_on: paid_on,
                ProgrammeGrant.paid_by: principal.user_id,
                ProgrammeGrant.payment_reference: reference,
                ProgrammeGrant.updated_at: now(),
            }
        ).where(ProgrammeGrant.id == grant_id)
        await audit.record(
            principal,
            "programme.grant.paid",
            "programme_grant",
            grant_id,
            amount=grant["amount"],
            currency=grant["currency"],
            pool=grant["pool"],
            paid_on=paid_on.isoformat(),
            payment_reference=reference,
            ledger_reference=ledger.grant_reference(grant_id, "paid"),
        )
        await grant_mail.tell_group(
            grant,
            "paid",
            f"Your group's grant of {format_money(grant['amount'], grant['currency'])} was paid "
            f"on {human_date(paid_on)} (payment reference {reference}).",
        )
    return True


def read_payment(raw: Mapping[str, Any]) -> tuple[str, date]:
    """A payment's reference and date from a form, or ValidationFailed with a message each;
    the check page and the confirmed record both read it here, so both refuse the same."""
    fields = FieldReader(raw)
    reference = fields.text("payment_reference", max_length=100)
    paid_on = read_date(fields, "paid_on") or today()
    if paid_on > today():
        fields.errors["paid_on"] = "A payment already made has a date today or earlier."
    fields.check("The payment could not be recorded.")
    return reference, paid_on


def paid_after_award(grant: Mapping[str, Any], paid_on: date) -> None:
    """ValidationFailed when the payment's date is before the award's."""
    if grant["awarded_on"] is not None and paid_on < grant["awarded_on"]:
        raise ValidationFailed(
            "The payment could not be recorded.",
            field_errors={
                "paid_on": f"The grant was awarded on {human_date(grant['awarded_on'])}; "
                "it was paid on that day or later."
            },
        )


async def cancel_grant(principal: Principal, grant_id: int, reason: str) -> bool:
    """Withdraw a proposed grant, or cancel an award not yet paid: then the money goes back
    to the pool's available account (ledger transaction "grant:<id>:cancel") in the same
    transaction as the status and audit entry. False when it was already cancelled."""
    require_staff(principal)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed(
            "Say why the grant is cancelled.", field_errors={"reason": "This is required."}
        )
    async with db.write_transaction():
        grant = await _locked_grant(grant_id)
        status = GrantStatus(grant["status"])
        if status is GrantStatus.CANCELLED:
            return False
        if status is GrantStatus.PAID:
            raise Conflict(
                "This grant has been paid, so it cannot be cancelled: the money has left the pool."
            )
        if status is GrantStatus.AWARDED:
            await ledger.lock_pool(grant["pool"])
            await _post_grant(
                grant,
                "cancel",
                TransactionKind.GRANT_CANCELLATION,
                AccountKind.GRANT_AWARDED,
                AccountKind.AVAILABLE,
                _grant_memo(grant, f"Award cancelled ({reason[:200]})"),
            )
        await ProgrammeGrant.update(
            {
                ProgrammeGrant.status: GrantStatus.CANCELLED.value,
                ProgrammeGrant.cancelled_reason: reason[:2000],
                ProgrammeGrant.updated_at: now(),
            }
        ).where(ProgrammeGrant.id == grant_id)
        detail: dict[str, Any] = {"reason": reason[:500], "was": status.value}
        if status is GrantStatus.AWARDED:
            detail["ledger_reference"] = ledger.grant_reference(grant_id, "cancel")
            detail["amount"] = grant["amount"]
            detail["currency"] = grant["currency"]
            detail["pool"] = grant["pool"]
        await audit.record(
            principal, "programme.grant.cancelled", "programme_grant", grant_id, **detail
        )
    return True


async def list_grants(
    *, asset_bid_id: int | None = None, service_bid_id: int | None = None
) -> list[dict[str, Any]]:
    query = ProgrammeGrant.select(
        *ProgrammeGrant.all_columns(),
        ProgrammeGrant.pool.name.as_alias("pool_name"),
        ProgrammeGrant.pool.funder.name.as_alias("funder_name"),  # type: ignore[union-attr]
        ProgrammeGrant.asset_bid.asset_name.as_alias("asset_name"),
        ProgrammeGrant.service_bid.service_name.as_alias("service_name"),
    ).order_by(ProgrammeGrant.id)
    if asset_bid_id is not None:
        query = query.where(ProgrammeGrant.asset_bid == asset_bid_id)
    if service_bid_id is not None:
        query = query.where(ProgrammeGrant.service_bid == service_bid_id)
    rows = await query
    for row in rows:
        row["kind_label"] = GrantKind(row["kind"]).label
    return rows


async def get_grant(grant_id: int) -> dict[str, Any]:
    grant = await ProgrammeGrant.select().where(ProgrammeGrant.id == grant_id).first()
    if grant is None:
        raise NotFound(f"There is no programme grant {grant_id}.")
    return grant


def grant_ledger_references(grant: Mapping[str, Any]) -> list[str]:
    """The ledger transactions a grant's status implies (what `ledger check` expects)."""
    steps = grant_ledger_steps(
        GrantStatus(grant["status"]), was_awarded=grant["awarded_on"] is not None
    )
    return [ledger.grant_reference(grant["id"], step) for step in steps]


_LEDGER_STEPS = {
    "award": "Grant awarded: set aside from available",
    "paid": "Grant paid to the group",
    "cancel": "Award cancelled: back to available",
}


async def grants_in_ledger(pool_id: int) -> dict[str, dict[str, str]]:
    """For the pool's ledger page: each grant reference it may hold, with the grant's title,
    what the step did and the bid's page."""
    rows = await ProgrammeGrant.select(
        ProgrammeGrant.id,
        ProgrammeGrant.title,
        ProgrammeGrant.asset_bid,
        ProgrammeGrant.service_bid,
        ProgrammeGrant.payment_reference,
    ).where(ProgrammeGrant.pool == pool_id)
    labels: dict[str, dict[str, str]] = {}
    for row in rows:
        bid_type = "asset" if row["asset_bid"] is not None else "service"
        url = f"/programme/{bid_type}-bids/{row[f'{bid_type}_bid']}#grants"
        for step, what in _LEDGER_STEPS.items():
            if step == "paid" and row["payment_reference"]:
                what = f"{what} (ref. {row['payment_reference']})"
            labels[ledger.grant_reference(row["id"], step)] = {
                "title": row["title"],
                "step": what,
                "url": url,
            }
    return labels


async def list_pools_for_grants() -> list[dict[str, Any]]:
    """Pools meant for programme grants, each with what it has `available` (an award needs
    it). A programme pool runs no allocation rounds (inactive, or no round budget) or has
    made programme grants already; a pool sharing money in rounds is not offered, so a
    grant cannot take a round's money by a slip of the list."""
    pools = await Pool.select(
        Pool.id,
        Pool.name,
        Pool.currency,
        Pool.is_active,
        Pool.round_budget,
        Pool.funder.name.as_alias("funder_name"),
    ).order_by(Pool.name)
    granting = await pools_with_grants()
    balances = await ledger.all_pool_balances()
    offered = []
    for pool in pools:
        if pool["id"] in granting or not pool["is_active"] or not pool["round_budget"]:
            pool["available"] = balances.get(pool["id"], {}).get("available", 0)
            offered.append(pool)
    return offered


async def pools_with_grants() -> set[int]:
    """Pools that have made Community Rights programme grants (the programme pool): an
    inactive one runs no allocation rounds, so it has no amount "each round"."""
    rows = await ProgrammeGrant.select(ProgrammeGrant.pool).distinct()
    return {row["pool"] for row in rows}
