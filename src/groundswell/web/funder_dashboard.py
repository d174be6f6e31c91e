"""What a funder sees first: their pools' money by stage (from the ledger), rounds waiting on
their review, the next round of each pool, and the latest words from their pools' places."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from groundswell.allocation import attribution, rounds
from groundswell.allocation.periods import Period, next_period
from groundswell.allocation.reports import current_period
from groundswell.allocation.states import RoundStatus
from groundswell.core.principal import Principal
from groundswell.funders import services as funders
from groundswell.funders.states import ReviewRule
from groundswell.funders.tables import PoolLocality
from groundswell.ledger import services as ledger
from groundswell.listening.feed import FeedFilters, FeedSort, published_feed
from groundswell.vouching.queries import audience_of

RECENT_VOICES = 5
RECENT_ROUNDS = 20
REVIEW_SCAN = 200
REVIEWABLE = (RoundStatus.COMPUTED.value, RoundStatus.PAUSED.value)


@dataclass(frozen=True)
class NextRound:
    period: Period
    computed_on: date
    budget: (
        int  # what it would share if computed now: the round budget, or less if less is available
    )
    due_now: bool  # the current period has no round yet
    short: bool  # less than the round budget is available


@dataclass
class PoolMoney:
    pool: dict[str, Any]
    balances: dict[str, int]  # available, committed, in_transit, paid: from the ledger
    places: list[str]
    next_round: NextRound | None  # None for a pool that shares no money in rounds

    @property
    def total(self) -> int:
        return sum(self.balances.values())


@dataclass
class FunderDashboard:
    funders: list[dict[str, Any]]
    pools: list[PoolMoney]
    to_review: list[dict[str, Any]]  # rounds in review or paused, soonest deadline first
    rounds: list[dict[str, Any]]  # recent rounds of every status
    voices: list[dict[str, Any]] = field(default_factory=list)
    # Each of the funder's parts of co-funded rounds (allocation/attribution.py).
    shares: list[dict[str, Any]] = field(default_factory=list)
    listen_url: str = "/listen"


async def _next_round(pool: dict[str, Any], available: int) -> NextRound | None:
    if not pool["is_active"] or pool["round_budget"] <= 0:
        return None
    current = current_period(pool)
    due_now = await rounds.round_for(pool["id"], current.start) is None
    period = current if due_now else next_period(current, pool["cadence"])
    return NextRound(
        period=period,
        computed_on=period.start,
        budget=max(0, min(pool["round_budget"], available)),
        due_now=due_now,
        short=available < pool["round_budget"],
    )


async def funder_dashboard(principal: Principal) -> FunderDashboard:
    funder_ids = principal.funder_ids
    pools = await funders.list_pools(funder_ids=funder_ids)
    places = await PoolLocality.select(
        PoolLocality.pool, PoolLocality.locality, PoolLocality.locality.name.as_alias("name")
    ).where(PoolLocality.pool.is_in([p["id"] for p in pools] or [-1]))
    by_pool: dict[int, list[dict[str, Any]]] = {}
    for row in places:
        by_pool.setdefault(row["pool"], []).append(row)
    money = []
    for pool in pools:
        balances = await ledger.pool_balances(pool["id"])
        money.append(
            PoolMoney(
                pool=pool,
                balances=balances,
                places=sorted(row["name"] for row in by_pool.get(pool["id"], [])),
                next_round=await _next_round(pool, balances["available"]),
            )
        )
    # Rounds in review are the newest of each pool; reading more than are shown finds them
    # however many pools there are.
    latest = await rounds.list_rounds(funder_ids=funder_ids, limit=REVIEW_SCAN)
    recent = latest[:RECENT_ROUNDS]
    # A co-funder reviews only where the pool's rule lets any co-funder pause.
    reviewing = {
        p["id"]
        for p in pools
        if principal.can_manage_funder(p["funder"]) or p["review_rule"] == ReviewRule.ANY.value
    }
    to_review = sorted(
        (r for r in latest if r["status"] in REVIEWABLE and r["pool"] in reviewing),
        key=lambda r: (r["review_until"], r["id"]),
    )
    dashboard = FunderDashboard(
        funders=[f for f in await funders.list_funders() if f["id"] in funder_ids],
        pools=money,
        to_review=to_review,
        rounds=recent,
        shares=await attribution.funder_round_shares(funder_ids),
    )
    listening = [p for p in pools if p["is_active"]]
    if listening:
        # A pool that names no places listens everywhere; otherwise, the places they name.
        everywhere = any(not by_pool.get(p["id"]) for p in listening)
        localities = sorted(
            {row["locality"] for p in listening for row in by_pool.get(p["id"], [])}
        )
        # Funders (and staff) read the words residents shared with funders.
        filters = FeedFilters(
            locality_in=None if everywhere else tuple(localities), audience=audience_of(principal)
        )
        dashboard.voices, _ = await published_feed(
            filters, sort=FeedSort.NEWEST, limit=RECENT_VOICES
        )
        if len(listening) == 1:
            dashboard.listen_url = f"/listen?pool={listening[0]['id']}"
    return dashboard
