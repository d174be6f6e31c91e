"""Rounds: computing a period's round from residents' voices, and reading rounds back.

When a round is computed: a period's round is computed on the first day of the period (the
scheduler looks every few minutes; `groundswell allocate` does it on demand), reading every
voice given up to that moment (`as_of`). It funds organisers whose bursary year ended before
or ends within the period, so continuation money is there when the first year's stops.

Computing is one transaction: the round, its lines, the ledger's move of the allocated money
from the pool's available to its committed account, and the e-mails to the funder's members
are written together or not at all. Then the review window (allocation/review.py).
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Mapping
from dataclasses import replace
from datetime import date, datetime, timedelta
from typing import Any

import asyncpg

from groundswell.accounts.tables import Membership, User
from groundswell.allocation import attribution, inputs
from groundswell.allocation.periods import Period
from groundswell.allocation.policy import PolicyResult, PolicySettings, allocate
from groundswell.allocation.reports import (
    Computed,
    Line,
    RoundReport,
    current_period,
    policy_settings,
    settings_json,
)
from groundswell.allocation.states import AllocationState, RoundStatus
from groundswell.allocation.tables import Allocation, Round
from groundswell.community import moves
from groundswell.core.clock import now, on_uk_clocks
from groundswell.core.errors import Conflict, Forbidden, NotFound
from groundswell.core.metrics import ROUNDS_COMPUTED
from groundswell.core.money import format_money
from groundswell.core.principal import Principal
from groundswell.db import write_transaction
from groundswell.funders import cofunders
from groundswell.funders import services as funders
from groundswell.funders.states import ReviewRule
from groundswell.funders.tables import Pool
from groundswell.ledger import services as ledger
from groundswell.ledger.states import AccountKind, TransactionKind
from groundswell.outbox.services import enqueue_email

INSERT_BATCH = 500


# --------------------------------------------------------------------------------------------
# Computing
# --------------------------------------------------------------------------------------------


async def _run_policy(
    pool_id: int,
    period: Period,
    settings: PolicySettings,
    budget: int,
    as_of: datetime,
    progress: inputs.Progress | None,
) -> tuple[PolicyResult, list[inputs.Candidate]]:
    candidates = await inputs.candidates(pool_id, period)
    endorsements = await inputs.endorsements(pool_id, period, candidates, progress=progress)
    if progress is not None:
        progress("sharing the budget", 0, 1)
    # The policy is pure CPU work: off the event loop, so the site keeps answering.
    result = await asyncio.to_thread(
        allocate, [c.code for c in candidates], endorsements, settings, as_of, budget
    )
    if progress is not None:
        progress("sharing the budget", 1, 1)
    return result, candidates


def _report(
    pool: Mapping[str, Any],
    period: Period,
    result: PolicyResult,
    candidates: list[inputs.Candidate],
    as_of: datetime,
    *,
    stored: bool = False,
) -> RoundReport:
    """The report of a computed result; `stored`: its lines carry their initial states."""
    names = {c.code: c.name for c in candidates}

    def state(amount: int) -> str | None:
        if not stored:
            return None
        return (AllocationState.PROPOSED if amount > 0 else AllocationState.NOT_FUNDED).value

    return RoundReport(
        pool_id=pool["id"],
        pool_name=pool["name"],
        funder_id=pool["funder"],
        period=period,
        currency=pool["currency"],
        budget=result.budget,
        unallocated=result.unallocated,
        lines=[
            Line(
                a.organiser,
                names.get(a.organiser, ""),
                a.amount,
                a.endorsers,
                a.score,
                a.explanation,
                state(a.amount),
            )
            for a in result.allocations
        ],
        as_of=as_of,
        policy=settings_json(result.settings),
    )


async def round_for(pool_id: int, period_start: date) -> int | None:
    """The id of the pool's round starting on `period_start`, if it has been computed."""
    row = (
        await Round.select(Round.id)
        .where((Round.pool == pool_id) & (Round.period_start == period_start))
        .first()
    )
    return None if row is None else int(row["id"])


async def compute_round(
    pool_id: int,
    *,
    period: Period | None = None,
    dry_run: bool = False,
    public_url: str = "",
    progress: inputs.Progress | None = None,
) -> Computed:
    """Compute the pool's round for `period` (default: the period containing today).

    Once per (pool, period): when the round exists, it is returned unchanged. `dry_run`
    computes and explains without writing anything. The budget is the pool's round budget,
    or what is available if that is less; with nothing available, Conflict (nothing is
    written, so the period's round can still happen when money arrives).
    """
    pool = await funders.get_pool(pool_id)
    period = period or current_period(pool)
    settings = policy_settings(pool)
    if dry_run:
        as_of = now()
        available = (await ledger.pool_balances(pool_id))["available"]
        budget = max(0, min(pool["round_budget"], available))
        result, candidates = await _run_policy(pool_id, period, settings, budget, as_of, progress)
        dry = _report(pool, period, result, candidates, as_of)
        return Computed(replace(dry, skipped=await _skipped(pool_id, period)), created=False)

    existing = await round_for(pool_id, period.start)
    if existing is not None:
        return Computed(await round_report(existing), created=False)
    # Moves due by today first, so a round computed on a move's date pays the new host
    # even when the scheduler's moves job has not run yet.
    await moves.apply_due_moves()
    report: RoundReport | None = None
    try:
        async with write_transaction():
            await ledger.lock_pool(pool_id)
            # Whoever held the lock before us may have computed it.
            existing = await round_for(pool_id, period.start)
            if existing is None:
                await funders.refuse_if_closed(pool_id, "new rounds")
                report = await _compute_and_store(
                    pool, period, settings, public_url=public_url, progress=progress
                )
    except (asyncpg.UniqueViolationError, sqlite3.IntegrityError):
        # The unique (pool, period_start) index is the last word if the lock was bypassed.
        existing = await round_for(pool_id, period.start)
        if existing is None:
            raise
    if report is None:
        assert existing is not None
        return Computed(await round_report(existing), created=False)
    # Built from what was just written rather than read back: 10,000 lines take seconds.
    return Computed(report, created=True)


async def _compute_and_store(
    pool: Mapping[str, Any],
    period: Period,
    settings: PolicySettings,
    *,
    public_url: str,
    progress: inputs.Progress | None,
) -> RoundReport:
    pool_id = pool["id"]
    as_of = now()
    budget = max(0, min(pool["round_budget"], await ledger.locked_available(pool_id)))
    if budget == 0:
        # A round with nothing to share would use up the period: wait for money instead.
        raise Conflict(
            f"Pool {pool_id} has no money available to allocate; record a deposit first "
            "(or use --dry-run to see what the voices say)."
        )
    result, candidates = await _run_policy(pool_id, period, settings, budget, as_of, progress)
    allocated = result.budget - result.unallocated
    review_until = as_of + timedelta(days=pool["review_days"])
    skipped = await _skipped(pool_id, period)
    rows = await Round.insert(
        Round(
            pool=pool_id,
            period_start=period.start,
            period_end=period.end,
            status=RoundStatus.COMPUTED.value,
            currency=pool["currency"],
            budget=result.budget,
            allocated=allocated,
            unallocated=result.unallocated,
            candidates=len(candidates),
            funded=sum(1 for a in result.allocations if a.amount > 0),
            policy=settings_json(settings),
            as_of=as_of,
            computed_at=as_of,
            review_until=review_until,
            skipped=skipped,
        )
    ).returning(Round.id)
    round_id = int(rows[0]["id"])
    by_code = {c.code: c for c in candidates}
    lines = [
        Allocation(
            round=round_id,
            organiser=by_code[a.organiser].id,
            host=by_code[a.organiser].host,
            amount=a.amount,
            endorsers=a.endorsers,
            score=a.score,
            state=(AllocationState.PROPOSED if a.amount > 0 else AllocationState.NOT_FUNDED).value,
            explanation=a.explanation,
            created_at=as_of,
            updated_at=as_of,
        )
        for a in result.allocations
    ]
    for start in range(0, len(lines), INSERT_BATCH):
        await Allocation.insert(*lines[start : start + INSERT_BATCH])
        if progress is not None:
            progress("saving allocations", min(start + INSERT_BATCH, len(lines)), len(lines))
    if allocated > 0:
        await ledger.move(
            pool_id,
            TransactionKind.ROUND_COMMIT,
            ledger.round_commit_reference(round_id),
            AccountKind.AVAILABLE,
            AccountKind.COMMITTED,
            allocated,
            memo=f"Round {round_id} ({period.label()}): allocated to "
            f"{sum(1 for a in result.allocations if a.amount > 0)} organisers",
        )
        await attribution.attribute_round(pool, round_id)
    await _tell_funder(pool, round_id, period, allocated, review_until, public_url)
    ROUNDS_COMPUTED.inc()
    return replace(
        _report(pool, period, result, candidates, as_of, stored=True),
        round_id=round_id,
        status=RoundStatus.COMPUTED.value,
        review_until=review_until,
        skipped=skipped,
    )


async def _skipped(pool_id: int, period: Period) -> list[dict[str, str]]:
    """Who the round leaves out by status (paused, left), with why: kept with the round."""
    return [skip.as_json() for skip in await inputs.skipped(pool_id, period)]


async def _tell_funder(
    pool: Mapping[str, Any],
    round_id: int,
    period: Period,
    allocated: int,
    review_until: datetime,
    public_url: str,
) -> None:
    # Co-funders' members are told too where the pool's rule lets them pause.
    reviewers = [pool["funder"]]
    if pool.get("review_rule") == ReviewRule.ANY.value:
        reviewers += await cofunders.cofunder_ids(pool["id"])
    member_ids = [
        row["user"]
        for row in await Membership.select(Membership.user).where(
            Membership.funder.is_in(reviewers)
        )
    ]
    if not member_ids:
        return
    members = await User.select(User.id, User.email, User.name).where(
        User.id.is_in(member_ids) & (User.is_active == True)  # noqa: E712
    )
    money = format_money(allocated, pool["currency"])
    link = f"{public_url.rstrip('/')}/rounds/{round_id}"
    for member in members:
        await enqueue_email(
            to=member["email"],
            subject=f"{pool['name']}: the {period.label()} round is ready for review",
            body=(
                f"Hello {member['name']},\n\n"
                f"The {period.label()} round of {pool['name']} has been computed from what "
                f"residents said: {money} shared among the organisers they vouched for.\n\n"
                f"It will be approved and handed to payments on "
                f"{on_uk_clocks(review_until):%-d %B %Y at %H:%M %Z} unless you pause it. You "
                "can read why each organiser gets what they get, and pause or resume the whole "
                f"round, here:\n{link}\n\nGroundswell\n"
            ),
            purpose="round_review",
            dedupe_key=f"round:{round_id}:review:{member['id']}",
        )


async def pools_due_a_round() -> list[tuple[dict[str, Any], Period]]:
    """Active pools whose current period has no round yet and that have money to share."""
    pools = await Pool.select().where(Pool.is_active == True)  # noqa: E712
    balances = await ledger.all_pool_balances()
    due = []
    for pool in pools:
        period = current_period(pool)
        if balances.get(pool["id"], {}).get("available", 0) <= 0 or pool["round_budget"] <= 0:
            continue  # nothing to share yet; a deposit later in the period starts it
        if await round_for(pool["id"], period.start) is None:
            due.append((pool, period))
    return due


# --------------------------------------------------------------------------------------------
# Reading rounds
# --------------------------------------------------------------------------------------------


def _period_of(row: Mapping[str, Any]) -> Period:
    return Period(row["period_start"], row["period_end"])


async def get_round(round_id: int) -> dict[str, Any]:
    row = (
        await Round.select(
            *Round.all_columns(),
            Round.pool.name.as_alias("pool_name"),
            Round.pool._.funder._.id.as_alias("funder_id"),
            Round.pool._.funder._.name.as_alias("funder_name"),
        )
        .where(Round.id == round_id)
        .output(load_json=True)
        .first()
    )
    if row is None:
        raise NotFound(f"There is no round {round_id}.")
    row["period"] = _period_of(row)
    return row


async def round_report(round_id: int) -> RoundReport:
    row = await get_round(round_id)
    lines = (
        await Allocation.select(
            Allocation.amount,
            Allocation.endorsers,
            Allocation.score,
            Allocation.state,
            Allocation.explanation,
            Allocation.organiser.code.as_alias("code"),
            Allocation.organiser.name.as_alias("name"),
        )
        .where(Allocation.round == round_id)
        .order_by(Allocation.organiser.code)
        .output(load_json=True)
    )
    return RoundReport(
        pool_id=row["pool"],
        pool_name=row["pool_name"],
        funder_id=row["funder_id"],
        period=row["period"],
        currency=row["currency"],
        budget=row["budget"],
        unallocated=row["unallocated"],
        lines=[
            Line(
                organiser=line["code"],
                name=line["name"],
                amount=line["amount"],
                endorsers=line["endorsers"],
                score=line["score"],
                explanation=line["explanation"],
                state=line["state"],
            )
            # In the policy's order (Python's, not the database collation's), so a stored
            # round reads exactly as it was computed.
            for line in sorted(lines, key=lambda line: line["code"])
        ],
        as_of=row["as_of"],
        round_id=row["id"],
        status=row["status"],
        review_until=row["review_until"],
        policy=row["policy"],
        skipped=list(row.get("skipped") or []),
    )


async def can_see_round(principal: Principal, round_id: int) -> dict[str, Any]:
    """The round, for administrators and the members of any of its pool's funders."""
    row = await get_round(round_id)
    if not principal.can_manage_funder(row["funder_id"]) and not any(
        principal.can_manage_funder(f) for f in await cofunders.cofunder_ids(row["pool"])
    ):
        raise Forbidden("Only the pool's funders and administrators can see this round.")
    return row


async def can_review_round(principal: Principal, round_id: int) -> dict[str, Any]:
    """The round, when `principal` may pause, resume or cancel it (the pool's review rule)."""
    row = await can_see_round(principal, round_id)
    if not await cofunders.may_review(principal, await funders.get_pool(row["pool"])):
        raise Forbidden(
            "The pool's lead funder decides on pausing its rounds; ask them or an administrator."
        )
    return row


async def list_rounds(
    *,
    pool_id: int | None = None,
    funder_ids: frozenset[int] | None = None,
    limit: int = 50,
) -> list[dict[str, Any]]:
    query = (
        Round.select(
            Round.id,
            Round.pool,
            Round.period_start,
            Round.period_end,
            Round.status,
            Round.currency,
            Round.budget,
            Round.allocated,
            Round.funded,
            Round.candidates,
            Round.computed_at,
            Round.review_until,
            Round.paused_at,
            Round.cancelled_at,
            Round.approved_at,
            Round.pool.name.as_alias("pool_name"),
            Round.pool._.funder._.name.as_alias("funder_name"),
        )
        .order_by(Round.computed_at, ascending=False)
        .order_by(Round.id, ascending=False)
        .limit(limit)
    )
    if pool_id is not None:
        query = query.where(Round.pool == pool_id)
    if funder_ids is not None:
        cofunded = await funders.pools_cofunded_by(funder_ids)
        query = query.where(
            Round.pool.funder.is_in(list(funder_ids) or [-1]) | Round.pool.is_in(cofunded or [-1])
        )
    rows = await query
    for row in rows:
        row["period"] = _period_of(row)
    return rows
