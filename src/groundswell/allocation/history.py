"""An organiser's funding history: every allocation of every round, where its money is now
according to the ledger, and why the latest amount is what it is. For the organiser page.

Who sees what. The page is public. Once a round is approved its lines are public (what was
paid to a host is published as 360Giving open data anyway); a round still in review, or
paused, shows its lines only to the pool's funder and administrators, like the round page. A
cancelled round's lines are public too, saying that no money went out from it.
Residents stay anonymous: the explanation gives counts and totals, never one row or one
weight per resident.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from groundswell.allocation.columns import round_pool_funder
from groundswell.allocation.explain import Explained, explain
from groundswell.allocation.periods import Period
from groundswell.allocation.states import AllocationState, RoundStatus
from groundswell.allocation.tables import Allocation
from groundswell.core.principal import Principal
from groundswell.ledger.services import (
    allocation_reference,
    reversal_reference,
    round_commit_reference,
)
from groundswell.ledger.tables import LedgerTransaction

IN_REVIEW = frozenset({RoundStatus.COMPUTED.value, RoundStatus.PAUSED.value})
HISTORY_MAX = 200  # rounds shown; an organiser has one line per pool and period


class Stage:
    """Where a line's money is, read from the ledger's transactions for it."""

    NONE = ""  # nothing allocated (not funded)
    COMMITTED = "committed"  # allocated, not yet sent (in review, approved, held, retrying)
    IN_TRANSIT = "in_transit"
    PAID = "paid"
    REVERSED = "reversed"  # came back to the pool
    CANCELLED = "cancelled"  # its paused round was cancelled: the money went back unpaid


@dataclass(frozen=True)
class FundingLine:
    allocation_id: int
    round_id: int
    round_status: str
    pool_id: int
    pool_name: str
    funder_id: int
    funder_name: str
    host_name: str
    period: Period
    currency: str
    amount: int
    amount_reversed: int  # of a paid amount, what came back (in one part or several)
    endorsers: int
    state: str  # the allocation's own state
    stage: str  # where the money is, by the ledger (Stage)
    label: str  # Committed, Held, In transit, Paid, Reversed, Not funded
    note: str
    committed_on: datetime | None
    sent_on: datetime | None
    paid_on: datetime | None
    reversed_on: datetime | None
    explanation: dict[str, Any] = field(repr=False)

    @property
    def in_review(self) -> bool:
        return self.round_status in IN_REVIEW

    @property
    def funded(self) -> bool:
        return self.amount > 0


@dataclass(frozen=True)
class Totals:
    currency: str
    paid: int = 0  # received by the host and not reversed
    on_its_way: int = 0  # committed or in transit, in approved rounds, and not held
    held: int = 0  # approved, kept until the host finishes setting up payments
    reversed: int = 0


@dataclass(frozen=True)
class FundingHistory:
    lines: list[FundingLine]  # newest period first
    in_review_hidden: int  # lines of rounds in review that this viewer may not see
    totals: list[Totals]
    latest: FundingLine | None  # the newest line shown
    why: Explained | None  # its explanation, in words, without per-resident detail
    round_links: frozenset[int] = frozenset()  # rounds whose page this viewer may open


def _stage(
    amount: int, amount_reversed: int, committed: bool, steps: list[tuple[str, datetime]]
) -> str:
    if amount <= 0 or not committed:
        return Stage.NONE
    stage = Stage.COMMITTED
    for step, _ in steps:
        if step == "transfer":
            stage = Stage.IN_TRANSIT
        elif step == "failed":
            stage = Stage.COMMITTED
        elif step == "paid":
            stage = Stage.PAID
        elif step == "reversal" and amount_reversed >= amount:
            stage = Stage.REVERSED  # all of it came back; a part leaves the rest paid
    return stage


def _words(
    stage: str, state: str, round_status: str, host: str, review_until: datetime
) -> tuple[str, str]:
    """(label, note) in plain words."""
    if stage == Stage.CANCELLED:
        return "Cancelled", "The funder cancelled this round; no money went out from it."
    if stage == Stage.NONE:
        return "Not funded", "Too few residents' voices counted this round."
    if stage == Stage.PAID:
        return "Paid", f"Received by {host}."
    if stage == Stage.IN_TRANSIT:
        return "In transit", f"On its way to {host}."
    if stage == Stage.REVERSED:
        return "Reversed", "The payment was reversed and the money went back to the pool."
    if state == AllocationState.HELD.value:
        return "Held", f"Kept safe until {host} finishes setting up payments."
    if state == AllocationState.FAILED.value:
        return "Committed", "The transfer was refused; it is tried again."
    if round_status == RoundStatus.PAUSED.value:
        return "Committed", "The funder has paused this round."
    if round_status == RoundStatus.COMPUTED.value:
        return "Committed", f"In review until {review_until:%-d %b %Y}."
    return "Committed", f"Approved; being sent to {host}."


def _references(row: dict[str, Any]) -> dict[str, tuple[int, str]]:
    """Every ledger reference this line's payments may have used → (allocation id, step)."""
    allocation_id, attempts = row["id"], int(row["attempts"])
    refs = {
        allocation_reference(allocation_id, "transfer"): (allocation_id, "transfer"),
        allocation_reference(allocation_id, "paid"): (allocation_id, "paid"),
        allocation_reference(allocation_id, "reversal"): (allocation_id, "reversal"),
    }
    if row["amount_reversed"]:
        # Each part of a reversal is named by the total it brought the line to; the last
        # part's is the line's amount_reversed (when it was last reversed).
        refs[reversal_reference(allocation_id, int(row["amount_reversed"]))] = (
            allocation_id,
            "reversal",
        )
    for attempt in range(1, attempts + 1):
        refs[f"{allocation_reference(allocation_id, 'transfer')}:{attempt}"] = (
            allocation_id,
            "transfer",
        )
        refs[f"{allocation_reference(allocation_id, 'failed')}:{attempt}"] = (
            allocation_id,
            "failed",
        )
    return refs


async def _ledger_steps(
    rows: list[dict[str, Any]],
) -> tuple[dict[int, datetime], dict[int, list[tuple[str, datetime]]]]:
    """When each round committed its money, and each line's payment steps, oldest first."""
    commit_refs = {round_commit_reference(row["round_id"]): row["round_id"] for row in rows}
    line_refs: dict[str, tuple[int, str]] = {}
    for row in rows:
        if row["amount"] > 0:
            line_refs |= _references(row)
    wanted = [*commit_refs, *line_refs]
    commits: dict[int, datetime] = {}
    steps: dict[int, list[tuple[str, datetime]]] = defaultdict(list)
    for start in range(0, len(wanted), 500):
        found = (
            await LedgerTransaction.select(
                LedgerTransaction.id, LedgerTransaction.reference, LedgerTransaction.created_at
            )
            .where(LedgerTransaction.reference.is_in(wanted[start : start + 500]))
            .order_by(LedgerTransaction.id)
        )
        for txn in found:
            reference = txn["reference"]
            if reference in commit_refs:
                commits[commit_refs[reference]] = txn["created_at"]
            else:
                allocation_id, step = line_refs[reference]
                steps[allocation_id].append((step, txn["created_at"]))
    return commits, steps


def _first(steps: list[tuple[str, datetime]], step: str) -> datetime | None:
    return next((at for name, at in steps if name == step), None)


def _last(steps: list[tuple[str, datetime]], step: str) -> datetime | None:
    return next((at for name, at in reversed(steps) if name == step), None)


def _may_see(viewer: Principal | None, row: dict[str, Any]) -> bool:
    if row["round_status"] not in IN_REVIEW:
        return True
    return viewer is not None and viewer.can_manage_funder(row["funder_id"])


async def organiser_funding(organiser_id: int, viewer: Principal | None = None) -> FundingHistory:
    """Every round's line for this organiser that `viewer` may see, newest period first."""
    rows = (
        await Allocation.select(
            Allocation.id,
            Allocation.amount,
            Allocation.amount_reversed,
            Allocation.endorsers,
            Allocation.state,
            Allocation.attempts,
            Allocation.explanation,
            *round_pool_funder(),
            Allocation.round.review_until.as_alias("review_until"),
            Allocation.round.computed_at.as_alias("computed_at"),
            Allocation.host.name.as_alias("host_name"),
        )
        .where(Allocation.organiser == organiser_id)
        .order_by(Allocation.round.period_start, ascending=False)
        .order_by(Allocation.id, ascending=False)
        .limit(HISTORY_MAX)
        .output(load_json=True)
    )
    visible = [row for row in rows if _may_see(viewer, row)]
    commits, steps = await _ledger_steps(visible)
    lines = []
    for row in visible:
        own = steps.get(row["id"], [])
        stage = _stage(row["amount"], row["amount_reversed"], row["round_id"] in commits, own)
        if stage and row["state"] == AllocationState.CANCELLED.value:
            stage = Stage.CANCELLED
        label, note = _words(
            stage, row["state"], row["round_status"], row["host_name"], row["review_until"]
        )
        lines.append(
            FundingLine(
                allocation_id=row["id"],
                round_id=row["round_id"],
                round_status=row["round_status"],
                pool_id=row["pool_id"],
                pool_name=row["pool_name"],
                funder_id=row["funder_id"],
                funder_name=row["funder_name"],
                host_name=row["host_name"],
                period=Period(row["period_start"], row["period_end"]),
                currency=row["currency"],
                amount=row["amount"],
                amount_reversed=int(row["amount_reversed"]),
                endorsers=row["endorsers"],
                state=row["state"],
                stage=stage,
                label=label,
                note=note,
                committed_on=commits.get(row["round_id"]) if stage else None,
                sent_on=_first(own, "transfer"),
                paid_on=_last(own, "paid"),
                reversed_on=_last(own, "reversal"),
                explanation=row["explanation"],
            )
        )
    latest = lines[0] if lines else None
    return FundingHistory(
        lines=lines,
        in_review_hidden=len(rows) - len(visible),
        totals=_totals(lines),
        latest=latest,
        why=explain(latest.explanation, latest.currency, individual_weights=False)
        if latest is not None
        else None,
        round_links=frozenset(
            line.round_id
            for line in lines
            if viewer is not None and viewer.can_manage_funder(line.funder_id)
        ),
    )


def _totals(lines: list[FundingLine]) -> list[Totals]:
    sums: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for line in lines:
        if line.stage in (Stage.PAID, Stage.REVERSED):
            sums[line.currency]["paid"] += line.amount - line.amount_reversed
            sums[line.currency]["reversed"] += line.amount_reversed
        elif line.stage == Stage.COMMITTED and line.state == AllocationState.HELD.value:
            sums[line.currency]["held"] += line.amount
        elif line.stage in (Stage.COMMITTED, Stage.IN_TRANSIT) and not line.in_review:
            sums[line.currency]["on_its_way"] += line.amount
    return [Totals(currency=c, **dict(values)) for c, values in sorted(sums.items())]


@dataclass(frozen=True)
class PlaceFunding:
    """One organiser's money from approved rounds, for the page of the place they work in."""

    code: str
    name: str
    host_name: str
    currency: str
    rounds_funded: int
    paid: int  # received by the host and not reversed
    on_its_way: int  # approved, not yet received (in transit, being sent, retrying)
    held: int  # approved, kept until the host finishes setting up payments
    reversed: int
    latest_period: Period


ON_ITS_WAY_STATES = frozenset(
    {
        AllocationState.APPROVED.value,
        AllocationState.IN_TRANSIT.value,
        AllocationState.FAILED.value,
    }
)
RECEIVED_STATES = frozenset({AllocationState.PAID.value, AllocationState.REVERSED.value})


async def locality_funding(locality_id: int) -> list[PlaceFunding]:
    """What approved rounds gave each organiser in a place, most money first. Rounds in
    review are left out: the page is public and they are still the funder's to pause."""
    rows = await Allocation.select(
        Allocation.amount,
        Allocation.amount_reversed,
        Allocation.state,
        Allocation.organiser.code.as_alias("code"),
        Allocation.organiser.name.as_alias("name"),
        Allocation.host.name.as_alias("host_name"),
        *round_pool_funder(),
    ).where(
        (Allocation.organiser.locality == locality_id)
        & (Allocation.amount > 0)
        & (Allocation.state != AllocationState.CANCELLED.value)
        & Allocation.round.status.not_in(sorted(IN_REVIEW))
    )
    by_organiser: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        by_organiser[(row["code"], row["currency"])].append(row)
    summary = [
        PlaceFunding(
            code=code,
            name=lines[0]["name"],
            host_name=lines[0]["host_name"],
            currency=currency,
            rounds_funded=len(lines),
            paid=sum(
                line["amount"] - line["amount_reversed"]
                for line in lines
                if line["state"] in RECEIVED_STATES
            ),
            on_its_way=sum(line["amount"] for line in lines if line["state"] in ON_ITS_WAY_STATES),
            held=sum(line["amount"] for line in lines if line["state"] == AllocationState.HELD),
            reversed=sum(line["amount_reversed"] for line in lines),
            latest_period=max(Period(line["period_start"], line["period_end"]) for line in lines),
        )
        for (code, currency), lines in by_organiser.items()
    ]
    return sorted(summary, key=lambda f: (-(f.paid + f.on_its_way + f.held), f.name, f.code))
