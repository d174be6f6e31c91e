"""What a host sees of its money: payments received, amounts held and why, statements."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from groundswell.allocation.columns import round_pool_funder
from groundswell.allocation.periods import Period
from groundswell.allocation.states import AllocationState, RoundStatus
from groundswell.allocation.tables import Allocation
from groundswell.core import dates
from groundswell.core.clock import today
from groundswell.core.errors import ValidationFailed
from groundswell.core.money import format_money, major_amount

RECEIVED_STATES = (AllocationState.PAID.value, AllocationState.REVERSED.value)
WAITING_STATES = (
    AllocationState.APPROVED.value,
    AllocationState.HELD.value,
    AllocationState.FAILED.value,
    AllocationState.IN_TRANSIT.value,
)
# Each column's key and the heading a host's finance person reads in their spreadsheet.
STATEMENT_COLUMNS = {
    "date": "Date paid",
    "amount": "Amount",
    "amount_reversed": "Amount reversed",
    "currency": "Currency",
    "funder": "Funder",
    "pool": "Pool",
    "round": "Round",
    "period": "Round period",
    "period_start": "Round period starts",
    "organiser_code": "Organiser code",
    "organiser": "Organiser",
    "stripe_transfer_id": "Stripe transfer",
    "state": "Status",
}


def _columns() -> list[Any]:
    return [
        Allocation.id,
        Allocation.amount,
        Allocation.amount_reversed,
        Allocation.state,
        Allocation.paid_at,
        Allocation.next_attempt_at,
        Allocation.stripe_transfer_id,
        *round_pool_funder(),
        Allocation.organiser.code.as_alias("organiser_code"),
        Allocation.organiser.name.as_alias("organiser_name"),
    ]


async def payments_received(
    host_id: int, start: datetime | None = None, end: datetime | None = None
) -> list[dict[str, Any]]:
    query = Allocation.select(*_columns()).where(
        (Allocation.host == host_id)
        & Allocation.state.is_in(list(RECEIVED_STATES))
        & Allocation.paid_at.is_not_null()
    )
    if start is not None:
        query = query.where(Allocation.paid_at >= start)
    if end is not None:
        query = query.where(Allocation.paid_at < end)
    rows: list[dict[str, Any]] = await query.order_by(Allocation.paid_at, ascending=False)
    return rows


def why_waiting(line: Mapping[str, Any], payouts_enabled: bool) -> str:
    state = line["state"]
    if state == AllocationState.HELD.value or (
        state == AllocationState.APPROVED.value and not payouts_enabled
    ):
        return "Held until you finish setting up payments; it is sent as soon as you do."
    if state == AllocationState.FAILED.value:
        when = line["next_attempt_at"]
        return "The transfer was refused; we try again" + (
            f" on {when:%-d %b %Y at %H:%M}." if when else "."
        )
    if state == AllocationState.IN_TRANSIT.value:
        return "On its way to your Stripe account."
    return "Approved: it is sent within minutes."


async def money_waiting(host_id: int, payouts_enabled: bool) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = (
        await Allocation.select(*_columns())
        .where(
            (Allocation.host == host_id)
            & (Allocation.amount > 0)
            & Allocation.state.is_in(list(WAITING_STATES))
        )
        .order_by(Allocation.id)
    )
    for row in rows:
        row["why"] = why_waiting(row, payouts_enabled)
    return rows


async def money_expected(host_id: int) -> list[dict[str, Any]]:
    """Amounts in rounds still in review: what the host can expect, and from when. A round in
    review is approved when its review ends unless the funder pauses it; a paused round waits
    for the funder (and may be cancelled), so it has no date."""
    rows: list[dict[str, Any]] = (
        await Allocation.select(*_columns(), Allocation.round.review_until.as_alias("review_until"))
        .where(
            (Allocation.host == host_id)
            & (Allocation.amount > 0)
            & (Allocation.state == AllocationState.PROPOSED.value)
            & Allocation.round.status.is_in([RoundStatus.COMPUTED.value, RoundStatus.PAUSED.value])
        )
        .order_by(Allocation.round.review_until)
        .order_by(Allocation.id)
    )
    for row in rows:
        row["period"] = Period(row["period_start"], row["period_end"]).in_words()
        row["paused"] = row["round_status"] == RoundStatus.PAUSED.value
    return rows


def read_statement_range(raw_from: str | None, raw_to: str | None) -> tuple[date, date]:
    """The statement's first and last day (inclusive); this year to date when not given."""
    errors: dict[str, str] = {}
    end = today()
    start = date(end.year, 1, 1)
    values: dict[str, date] = {}
    for name, raw, default in (("from", raw_from, start), ("to", raw_to, end)):
        text = (raw or "").strip()
        if not text:
            values[name] = default
            continue
        try:
            values[name] = date.fromisoformat(text)
        except ValueError:
            errors[name] = f"Enter the {name} date as YYYY-MM-DD, e.g. 2026-03-31."
            continue
        if not dates.in_range(values[name]):
            errors[name] = dates.RANGE_HELP
    if not errors and values["from"] > values["to"]:
        errors["from"] = "The first day must not be after the last."
    if errors:
        raise ValidationFailed(
            "The statement's dates are not valid: " + " ".join(errors.values()),
            field_errors=errors,
        )
    return values["from"], values["to"]


async def statement(host_id: int, first: date, last: date) -> list[dict[str, str]]:
    start = datetime.combine(first, time.min, tzinfo=UTC)
    end = datetime.combine(last + timedelta(days=1), time.min, tzinfo=UTC)
    rows = await payments_received(host_id, start, end)
    return [
        {
            "date": row["paid_at"].date().isoformat(),
            "amount": major_amount(row["amount"]),
            "amount_reversed": major_amount(row["amount_reversed"]),
            "currency": row["currency"],
            "funder": row["funder_name"],
            "pool": row["pool_name"],
            "round": str(row["round_id"]),
            "period": Period(row["period_start"], row["period_end"]).in_words(),
            "period_start": row["period_start"].isoformat(),
            "organiser_code": row["organiser_code"],
            "organiser": row["organiser_name"],
            "stripe_transfer_id": row["stripe_transfer_id"] or "",
            "state": _statement_status(row),
        }
        for row in sorted(rows, key=lambda r: (r["paid_at"], r["id"]))
    ]


def _statement_status(row: Mapping[str, Any]) -> str:
    if row["state"] == AllocationState.REVERSED.value:
        return "Reversed"
    return "Paid, part reversed" if row["amount_reversed"] else "Paid"


def total(rows: list[dict[str, Any]]) -> str:
    currency = rows[0]["currency"] if rows else "GBP"
    return format_money(sum(int(r["amount"]) for r in rows), currency)
