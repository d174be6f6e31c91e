"""Rounds: computing a period's round from residents' voices, reviewing and approving it.

When a round is computed: a period's round is computed on the first day of the period (the
scheduler looks every few minutes; `groundswell allocate` does it on demand), reading every
voice given up to that moment (`as_of`). It funds organisers whose bursary year ended before
or ends within the period, so continuation money is there when the first year's stops.

Computing is one transaction: the round, its lines, the ledger's move of the allocated money
from the pool's available to its committed account, and the e-mails to the funder's members
are written together or not at all. Then the review window (pool.review_days): the funder may
pause and resume the whole round, never edit a line. A scheduled job approves rounds whose
window has passed and that are not paused; approved lines are what payments transfers.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from typing import Any

import asyncpg

from groundswell import db
from groundswell.accounts.tables import Membership, User
from groundswell.allocation import inputs
from groundswell.allocation.periods import Period, period_containing
from groundswell.allocation.policy import PolicyResult, PolicySettings, ScoreMethod, allocate
from groundswell.allocation.states import AllocationState, RoundStatus
from groundswell.allocation.tables import Allocation, Round
from groundswell.core import audit
from groundswell.core.clock import now, on_uk_clocks, today
from groundswell.core.errors import Conflict, Forbidden, NotFound
from groundswell.core.forms import FieldReader
from groundswell.core.money import format_money
from groundswell.core.principal import Principal
from groundswell.db import write_transaction
from groundswell.funders import services as funders
from groundswell.funders.tables import Pool
from groundswell.ledger import services as ledger
from groundswell.ledger.states import AccountKind, TransactionKind
from groundswell.outbox.services import enqueue_email

INSERT_BATCH = 500


# --------------------------------------------------------------------------------------------
# Reports: a round, computed or stored, in one shape
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Line:
    organiser: str  # code
    name: str
    amount: int
    endorsers: int
    score: float
    explanation: dict[str, Any]
    state: str | None = None  # None in a dry run


@dataclass(frozen=True)
class RoundReport:
    pool_id: int
    pool_name: str
    funder_id: int
    period: Period
    currency: str
    budget: int
    unallocated: int
    lines: list[Line]
    as_of: datetime
    round_id: int | None = None  # None in a dry run
    status: str | None = None
    review_until: datetime | None = None
    policy: dict[str, Any] = field(default_factory=dict)

    @property
    def allocated(self) -> int:
        return self.budget - self.unallocated

    @property
    def funded(self) -> int:
        return sum(1 for line in self.lines if line.amount > 0)

    def as_json(self) -> dict[str, Any]:
        """The shape `groundswell allocate --json` prints (and scripts rely on)."""
        return {
            "pool": self.pool_id,
            "period": {"start": self.period.start.isoformat(), "end": self.period.end.isoformat()},
            "currency": self.currency,
            "budget": self.budget,
            "unallocated": self.unallocated,
            "allocations": [
                {
                    "organiser": line.organiser,
                    "amount": line.amount,
                    "endorsers": line.endorsers,
                    "score": line.score,
                    "explanation": line.explanation,
                }
                for line in self.lines
            ],
        }


@dataclass(frozen=True)
class Computed:
    report: RoundReport
    created: bool  # False: a dry run, or the period's round existed already (report is it)


def policy_settings(pool: Mapping[str, Any]) -> PolicySettings:
    return PolicySettings(
        score=ScoreMethod(pool["score_method"]),
        window_days=pool["window_days"],
        half_life_days=float(pool["half_life_days"]),
        min_endorsers=pool["min_endorsers"],
        floor=pool["floor_amount"],
        cap=pool["cap_amount"],
        pairwise_m=float(pool["pairwise_m"]),
    )


def _settings_json(settings: PolicySettings) -> dict[str, Any]:
    return {
        "score": settings.score.value,
        "window_days": settings.window_days,
        "half_life_days": settings.half_life_days,
        "min_endorsers": settings.min_endorsers,
        "floor": settings.floor,
        "cap": settings.cap,
        "pairwise_m": settings.pairwise_m,
    }


def current_period(pool: Mapping[str, Any]) -> Period:
    return period_containing(today(), pool["cadence"])


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
        policy=_settings_json(result.settings),
    )


async def round_for(pool_id: int, period_start: date) -> int | None:
    """The id of the pool's round starting on `period_start`, if it has been computed."""
    return await _round_id(pool_id, period_start)


async def _round_id(pool_id: int, period_start: date) -> int | None:
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
        return Computed(_report(pool, period, result, candidates, as_of), created=False)

    existing = await _round_id(pool_id, period.start)
    if existing is not None:
        return Computed(await round_report(existing), created=False)
    report: RoundReport | None = None
    try:
        async with write_transaction():
            await ledger.lock_pool(pool_id)
            # Whoever held the lock before us may have computed it.
            existing = await _round_id(pool_id, period.start)
            if existing is None:
                report = await _compute_and_store(
                    pool, period, settings, public_url=public_url, progress=progress
                )
    except (asyncpg.UniqueViolationError, sqlite3.IntegrityError):
        # The unique (pool, period_start) index is the last word if the lock was bypassed.
        existing = await _round_id(pool_id, period.start)
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
            policy=_settings_json(settings),
            as_of=as_of,
            computed_at=as_of,
            review_until=review_until,
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
    await _tell_funder(pool, round_id, period, allocated, review_until, public_url)
    return replace(
        _report(pool, period, result, candidates, as_of, stored=True),
        round_id=round_id,
        status=RoundStatus.COMPUTED.value,
        review_until=review_until,
    )


async def _tell_funder(
    pool: Mapping[str, Any],
    round_id: int,
    period: Period,
    allocated: int,
    review_until: datetime,
    public_url: str,
) -> None:
    member_ids = [
        row["user"]
        for row in await Membership.select(Membership.user).where(
            Membership.funder == pool["funder"]
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
    )


async def can_see_round(principal: Principal, round_id: int) -> dict[str, Any]:
    row = await get_round(round_id)
    if not principal.can_manage_funder(row["funder_id"]):
        raise Forbidden("Only the pool's funder and administrators can see this round.")
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
        query = query.where(Round.pool.funder.is_in(list(funder_ids) or [-1]))
    rows = await query
    for row in rows:
        row["period"] = _period_of(row)
    return rows


# --------------------------------------------------------------------------------------------
# Review: pause, resume, approve
# --------------------------------------------------------------------------------------------


async def _locked_round(round_id: int) -> dict[str, Any]:
    row = await db.locked(
        Round.select(Round.id, Round.status, Round.review_until, Round.pool).where(
            Round.id == round_id
        )
    ).first()
    if row is None:
        raise NotFound(f"There is no round {round_id}.")
    return row


async def _audit(actor: int | None, action: str, round_id: int, **detail: Any) -> None:
    await audit.record(actor, action, "round", round_id, **detail)


async def pause_round(principal: Principal, round_id: int) -> bool:
    """Hold the whole round during its review; False when it was paused already."""
    await can_see_round(principal, round_id)
    async with write_transaction():
        row = await _locked_round(round_id)
        status = RoundStatus(row["status"])
        if status is RoundStatus.PAUSED:
            return False
        if status is not RoundStatus.COMPUTED:
            raise Conflict(
                "This round has been approved and handed to payments; it can no longer be paused."
            )
        await Round.update({Round.status: RoundStatus.PAUSED.value, Round.paused_at: now()}).where(
            Round.id == round_id
        )
        await _audit(principal.user_id, "round.pause", round_id)
    return True


async def resume_round(principal: Principal, round_id: int) -> bool:
    """Put a paused round back in review; False when it was not paused.

    The review deadline stays as it was: a round resumed after it is approved at the
    scheduler's next look.
    """
    await can_see_round(principal, round_id)
    async with write_transaction():
        row = await _locked_round(round_id)
        status = RoundStatus(row["status"])
        if status is RoundStatus.COMPUTED:
            return False
        if status is not RoundStatus.PAUSED:
            raise Conflict("This round has been approved already; there is nothing to resume.")
        await Round.update({Round.status: RoundStatus.COMPUTED.value, Round.paused_at: None}).where(
            Round.id == round_id
        )
        await _audit(principal.user_id, "round.resume", round_id)
    return True


async def approve_round(round_id: int) -> bool:
    """Approve a round whose review window has passed and that is not paused.

    False (and nothing changes) when it is paused, still in review or approved already.
    Its funded lines become `approved`: payments transfers those.
    """
    async with write_transaction():
        row = await _locked_round(round_id)
        if RoundStatus(row["status"]) is not RoundStatus.COMPUTED or row["review_until"] > now():
            return False
        moment = now()
        await Round.update(
            {Round.status: RoundStatus.APPROVED.value, Round.approved_at: moment}
        ).where(Round.id == round_id)
        await Allocation.update(
            {Allocation.state: AllocationState.APPROVED.value, Allocation.updated_at: moment}
        ).where(
            (Allocation.round == round_id) & (Allocation.state == AllocationState.PROPOSED.value)
        )
        await _audit(None, "round.approve", round_id)
    return True


async def rounds_due_for_approval() -> list[int]:
    rows = (
        await Round.select(Round.id)
        .where((Round.status == RoundStatus.COMPUTED.value) & (Round.review_until <= now()))
        .order_by(Round.id)
    )
    return [row["id"] for row in rows]


async def pools_due_a_round() -> list[tuple[dict[str, Any], Period]]:
    """Active pools whose current period has no round yet and that have money to share."""
    pools = await Pool.select().where(Pool.is_active == True)  # noqa: E712
    balances = await ledger.all_pool_balances()
    due = []
    for pool in pools:
        period = current_period(pool)
        if balances.get(pool["id"], {}).get("available", 0) <= 0 or pool["round_budget"] <= 0:
            continue  # nothing to share yet; a deposit later in the period starts it
        if await _round_id(pool["id"], period.start) is None:
            due.append((pool, period))
    return due


# --------------------------------------------------------------------------------------------
# Simulation: other settings, same voices, nothing written
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SimulationRow:
    organiser: str
    name: str
    current: int
    simulated: int
    endorsers: int
    summary: str

    @property
    def change(self) -> int:
        return self.simulated - self.current


@dataclass(frozen=True)
class Simulation:
    period: Period
    budget: int
    currency: str
    current: dict[str, Any]
    proposed: dict[str, Any]
    rows: list[SimulationRow]
    current_unallocated: int
    simulated_unallocated: int


def read_simulation_input(
    raw: Mapping[str, Any], pool: Mapping[str, Any]
) -> tuple[PolicySettings, int]:
    """The settings to try, defaulting to the pool's own; amounts in pounds."""
    values = {
        "score_method": pool["score_method"],
        "window_days": pool["window_days"],
        "half_life_days": pool["half_life_days"],
        "min_endorsers": pool["min_endorsers"],
        "pairwise_m": pool["pairwise_m"],
        **{k: v for k, v in raw.items() if v not in (None, "")},
    }
    fields = FieldReader(values)
    method = fields.choice("score_method", ScoreMethod, default=ScoreMethod(pool["score_method"]))
    window_days = fields.integer("window_days", minimum=7, maximum=730)
    half_life_days = fields.number("half_life_days", default=90.0, minimum=1.0, maximum=3650.0)
    min_endorsers = fields.integer("min_endorsers", minimum=1, maximum=1000)
    pairwise_m = fields.number("pairwise_m", default=1.0, minimum=0.001, maximum=1000.0)
    budget = pool["round_budget"]
    if "budget" in raw and str(raw["budget"]).strip():
        budget = fields.money("budget")
    floor = pool["floor_amount"]
    if "floor_amount" in raw:
        floor = fields.money("floor_amount", required=False) or 0
    cap = pool["cap_amount"]
    if "cap_amount" in raw:
        cap = fields.money("cap_amount", required=False)
    fields.check("The simulation could not run.")
    assert window_days is not None and min_endorsers is not None and budget is not None
    return (
        PolicySettings(
            score=method,
            window_days=window_days,
            half_life_days=half_life_days,
            min_endorsers=min_endorsers,
            floor=floor,
            cap=cap or None,
            pairwise_m=pairwise_m,
        ),
        budget,
    )


async def simulate(pool_id: int, proposed: PolicySettings, budget: int) -> Simulation:
    """The current period's amounts under the pool's settings and under `proposed`, side by
    side, from the same voices and the same budget. Reads only."""
    pool = await funders.get_pool(pool_id)
    period = current_period(pool)
    current = policy_settings(pool)
    as_of = now()
    candidates = await inputs.candidates(pool_id, period)
    endorsements = await inputs.endorsements(pool_id, period, candidates)
    codes = [c.code for c in candidates]
    before = await asyncio.to_thread(allocate, codes, endorsements, current, as_of, budget)
    after = await asyncio.to_thread(allocate, codes, endorsements, proposed, as_of, budget)
    names = {c.code: c.name for c in candidates}
    rows = [
        SimulationRow(
            organiser=old.organiser,
            name=names.get(old.organiser, ""),
            current=old.amount,
            simulated=new.amount,
            endorsers=new.endorsers,
            summary=str(new.explanation.get("summary", "")),
        )
        for old, new in zip(before.allocations, after.allocations, strict=True)
    ]
    rows.sort(key=lambda r: (-r.simulated, -r.current, r.organiser))
    return Simulation(
        period=period,
        budget=budget,
        currency=pool["currency"],
        current=_settings_json(current),
        proposed=_settings_json(proposed),
        rows=rows,
        current_unallocated=before.unallocated,
        simulated_unallocated=after.unallocated,
    )
