"""Whose money each line of a co-funded pool's round is (README "Co-funded pools").

When a round is computed (allocation/rounds.py), in the same transaction as the ledger's
move of its money from available to committed and under the pool's lock, each funded line
is split among the pool's funders in proportion to what each has made available at that
moment: its deposits, less what was returned to it, less what earlier rounds' lines
attributed to it and still hold (a cancelled round's lines hold nothing; a reversed line
holds what was not reversed). The split is allocation/shares.py's: exact minor units per
line, largest remainder, never more than a funder made available.

A line with no stored parts is all the lead funder's: single-funder pools (nothing is stored
for them, so they run exactly as before) and rounds computed before the pool had
co-funders. Money in the pool no funder deposited (a correction adding to available) counts
as the lead funder's, since the lead answers for the pool.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from typing import Any

from groundswell.allocation.shares import split_lines, split_one
from groundswell.allocation.states import AllocationState
from groundswell.allocation.tables import Allocation, AllocationShare
from groundswell.funders.cofunders import cofunder_ids
from groundswell.funders.tables import Deposit
from groundswell.ledger.states import ReturnStatus
from groundswell.ledger.tables import PoolReturn

INSERT_BATCH = 500


async def contributions(
    pool_id: int, lead_id: int, funder_ids: Sequence[int], *, leave_out_round: int | None = None
) -> dict[int, dict[str, int]]:
    """Per funder, in minor units: deposited, returned, held by rounds' lines (`in_rounds`)
    and what that leaves available (never below zero). `leave_out_round`: a round whose
    lines are being split now."""
    found = {f: {"deposited": 0, "returned": 0, "in_rounds": 0} for f in funder_ids}

    def add(funder_id: int, what: str, amount: int) -> None:
        found.setdefault(funder_id, {"deposited": 0, "returned": 0, "in_rounds": 0})
        found[funder_id][what] += amount

    for row in await Deposit.select(Deposit.funder, Deposit.amount).where(Deposit.pool == pool_id):
        add(row["funder"] or lead_id, "deposited", int(row["amount"]))
    for row in await PoolReturn.select(PoolReturn.funder, PoolReturn.amount).where(
        (PoolReturn.pool == pool_id) & (PoolReturn.status == ReturnStatus.RECORDED.value)
    ):
        add(row["funder"], "returned", int(row["amount"]))
    for funder_id, amount in (await _attributed(pool_id, lead_id, leave_out_round)).items():
        add(funder_id, "in_rounds", amount)
    for parts in found.values():
        parts["available"] = max(0, parts["deposited"] - parts["returned"] - parts["in_rounds"])
    return {f: found[f] for f in funder_ids}


async def _attributed(pool_id: int, lead_id: int, leave_out_round: int | None) -> dict[int, int]:
    """What the pool's earlier lines still hold, per funder."""
    query = Allocation.select(Allocation.id, Allocation.amount, Allocation.amount_reversed).where(
        (Allocation.round.pool == pool_id)
        & (Allocation.amount > 0)
        & (Allocation.state != AllocationState.CANCELLED.value)
    )
    if leave_out_round is not None:
        query = query.where(Allocation.round != leave_out_round)
    lines = {int(row["id"]): row for row in await query}
    parts: dict[int, dict[int, int]] = defaultdict(dict)
    if lines:
        shares = await AllocationShare.select(
            AllocationShare.allocation, AllocationShare.funder, AllocationShare.amount
        ).where(AllocationShare.round.pool == pool_id)
        for share in shares:
            if int(share["allocation"]) in lines:
                parts[int(share["allocation"])][int(share["funder"])] = int(share["amount"])
    held: dict[int, int] = defaultdict(int)
    for line_id, line in lines.items():
        line_parts = parts.get(line_id) or {lead_id: int(line["amount"])}
        funders = sorted(line_parts)
        released = split_one(int(line["amount_reversed"]), [line_parts[f] for f in funders])
        for funder_id, back in zip(funders, released, strict=True):
            held[funder_id] += line_parts[funder_id] - back
    return held


async def attribute_round(pool: Mapping[str, Any], round_id: int) -> None:
    """Store each funder's part of the round's funded lines; nothing for a pool without
    co-funders. Called under the pool's lock, in the round's transaction."""
    cofunders = await cofunder_ids(pool["id"])
    if not cofunders:
        return
    funder_ids = [int(pool["funder"]), *cofunders]
    given = await contributions(
        pool["id"], int(pool["funder"]), funder_ids, leave_out_round=round_id
    )
    lines = (
        await Allocation.select(Allocation.id, Allocation.amount)
        .where((Allocation.round == round_id) & (Allocation.amount > 0))
        .order_by(Allocation.id)
    )
    parts = split_lines(
        [int(line["amount"]) for line in lines], [given[f]["available"] for f in funder_ids]
    )
    rows = [
        AllocationShare(round=round_id, allocation=line["id"], funder=funder_id, amount=part)
        for line, line_parts in zip(lines, parts, strict=True)
        for funder_id, part in zip(funder_ids, line_parts, strict=True)
        if part > 0
    ]
    for start in range(0, len(rows), INSERT_BATCH):
        await AllocationShare.insert(*rows[start : start + INSERT_BATCH])


async def round_shares(round_row: Mapping[str, Any]) -> dict[int, int]:
    """Each funder's part of the round's funded lines (the lead's includes lines without
    stored parts)."""
    lead_id = int(round_row["funder_id"])
    totals: dict[int, int] = defaultdict(int)
    covered = 0
    for row in await AllocationShare.select(AllocationShare.funder, AllocationShare.amount).where(
        AllocationShare.round == round_row["id"]
    ):
        totals[int(row["funder"])] += int(row["amount"])
        covered += int(row["amount"])
    if round_row["allocated"] > covered:
        totals[lead_id] += int(round_row["allocated"]) - covered
    return dict(totals)


async def funder_round_shares(funder_ids: frozenset[int]) -> list[dict[str, Any]]:
    """For a funder's dashboard and statement: its part of every co-funded round of the
    pools it leads or co-funds, newest first, one row per funder and round."""
    if not funder_ids:
        return []
    rows = await AllocationShare.select(
        AllocationShare.funder,
        AllocationShare.funder.name.as_alias("funder_name"),
        AllocationShare.amount,
        AllocationShare.round.as_alias("round_id"),
        AllocationShare.round.period_start.as_alias("period_start"),
        AllocationShare.round.period_end.as_alias("period_end"),
        AllocationShare.round.status.as_alias("status"),
        AllocationShare.round.currency.as_alias("currency"),
        AllocationShare.round.allocated.as_alias("allocated"),
        AllocationShare.round.pool.id.as_alias("pool_id"),  # type: ignore[union-attr]
        AllocationShare.round.pool.name.as_alias("pool_name"),  # type: ignore[union-attr]
    ).where(AllocationShare.funder.is_in(sorted(funder_ids)))
    grouped: dict[tuple[int, int], dict[str, Any]] = {}
    for row in rows:
        key = (int(row["round_id"]), int(row["funder"]))
        amount = int(row.pop("amount"))
        if key in grouped:
            grouped[key]["share"] += amount
        else:
            grouped[key] = row | {"share": amount}
    by_name = sorted(grouped.values(), key=lambda r: r["funder_name"])
    return sorted(by_name, key=lambda r: (r["period_start"], r["round_id"]), reverse=True)


async def line_shares(round_id: int) -> dict[int, list[tuple[int, int]]]:
    """Per funded line of the round with stored parts: [(funder id, part), ...]."""
    found: dict[int, list[tuple[int, int]]] = defaultdict(list)
    for row in (
        await AllocationShare.select(
            AllocationShare.allocation, AllocationShare.funder, AllocationShare.amount
        )
        .where(AllocationShare.round == round_id)
        .order_by(AllocationShare.allocation)
        .order_by(AllocationShare.funder)
    ):
        found[int(row["allocation"])].append((int(row["funder"]), int(row["amount"])))
    return dict(found)
