"""Co-funded pools: the lead funder (Pool.funder) and the co-funders that put money in.

Who may do what (README "Co-funded pools"): administrators and the lead funder's members add
co-funders and set the review rule; every funder of the pool sees it, its rounds and its
money, and tops it up by card; pausing, resuming and cancelling rounds follows the pool's
review rule. Funders with no part in the pool are refused exactly as before.
"""

from __future__ import annotations

from typing import Any

from groundswell import db
from groundswell.core import audit
from groundswell.core.clock import now
from groundswell.core.errors import Forbidden, NotFound, ValidationFailed
from groundswell.core.principal import Principal
from groundswell.db import write_transaction
from groundswell.funders.services import get_pool, pool_to_manage, refuse_if_closed
from groundswell.funders.states import ReviewRule
from groundswell.funders.tables import Funder, Pool, PoolCofunder

# The lead and five co-funders: what allocation/shares.py splits a round among quickly.
MAX_COFUNDERS = 5


async def cofunder_ids(pool_id: int) -> list[int]:
    """The pool's co-funders, in the order they were added (the lead funder is not one)."""
    rows = (
        await PoolCofunder.select(PoolCofunder.funder)
        .where(PoolCofunder.pool == pool_id)
        .order_by(PoolCofunder.id)
    )
    return [int(row["funder"]) for row in rows]


async def pool_funder_ids(pool: dict[str, Any]) -> list[int]:
    """Every funder of the pool, the lead first."""
    return [int(pool["funder"]), *await cofunder_ids(pool["id"])]


async def pool_funders(pool: dict[str, Any]) -> list[dict[str, Any]]:
    """The pool's funders, the lead first: id, name, org_id, lead, added_at."""
    rows = (
        await PoolCofunder.select(
            PoolCofunder.funder.id.as_alias("id"),
            PoolCofunder.funder.name.as_alias("name"),
            PoolCofunder.funder.org_id.as_alias("org_id"),
            PoolCofunder.added_at,
        )
        .where(PoolCofunder.pool == pool["id"])
        .order_by(PoolCofunder.id)
    )
    lead = (
        await Funder.select(Funder.id, Funder.name, Funder.org_id)
        .where(Funder.id == pool["funder"])
        .first()
    )
    assert lead is not None
    return [lead | {"lead": True, "added_at": None}, *[r | {"lead": False} for r in rows]]


def _member_of(principal: Principal, funder_ids: list[int]) -> bool:
    return any(principal.can_manage_funder(funder_id) for funder_id in funder_ids)


async def can_see_pool_money(principal: Principal | None, pool: dict[str, Any]) -> bool:
    """Administrators and the members of any of the pool's funders."""
    if principal is None:
        return False
    return _member_of(principal, await pool_funder_ids(pool))


async def pool_to_fund(principal: Principal, pool_id: int) -> dict[str, Any]:
    """The pool, when `principal` may see its money and put money in: administrators and
    the members of the lead funder or a co-funder. Others hear "not yours"."""
    pool = await get_pool(pool_id)
    if not await can_see_pool_money(principal, pool):
        raise Forbidden("Only the pool's funders and administrators can do this.")
    return pool


async def paying_funder(principal: Principal, pool: dict[str, Any]) -> int:
    """Whose money a top-up by `principal` is: the lead's for its members and administrators,
    otherwise the first of the pool's co-funders `principal` belongs to."""
    if principal.can_manage_funder(pool["funder"]):
        return int(pool["funder"])
    for funder_id in await cofunder_ids(pool["id"]):
        if principal.can_manage_funder(funder_id):
            return funder_id
    raise Forbidden("Only the pool's funders and administrators can do this.")


async def may_review(principal: Principal, pool: dict[str, Any]) -> bool:
    """Whether `principal` may pause, resume or cancel the pool's rounds."""
    if principal.can_manage_funder(pool["funder"]):
        return True
    if pool.get("review_rule", ReviewRule.LEAD.value) != ReviewRule.ANY.value:
        return False
    return _member_of(principal, await cofunder_ids(pool["id"]))


async def add_cofunder(principal: Principal, pool_id: int, funder_id: int) -> bool:
    """Add a co-funder; False when it is one already. Administrators and the lead funder's
    members only."""
    pool = await pool_to_manage(principal, pool_id)
    if not await Funder.exists().where(Funder.id == funder_id):
        raise ValidationFailed(
            "The co-funder could not be added.",
            field_errors={"cofunder_id": "Choose a funder from the list."},
        )
    if funder_id == pool["funder"]:
        raise ValidationFailed(
            "The co-funder could not be added.",
            field_errors={"cofunder_id": "This is the pool's lead funder already."},
        )
    async with write_transaction():
        await db.locked(Pool.select(Pool.id).where(Pool.id == pool_id))
        await refuse_if_closed(pool_id, "new co-funders")
        current = await cofunder_ids(pool_id)
        if funder_id in current:
            return False
        if len(current) >= MAX_COFUNDERS:
            raise ValidationFailed(
                "The co-funder could not be added.",
                field_errors={
                    "cofunder_id": f"A pool has at most {MAX_COFUNDERS} co-funders besides its lead."
                },
            )
        await PoolCofunder.insert(
            PoolCofunder(pool=pool_id, funder=funder_id, added_by=principal.user_id, added_at=now())
        )
        await audit.record(
            principal.user_id, "pool.cofunder_add", "pool", pool_id, funder=funder_id
        )
    return True


async def set_review_rule(principal: Principal, pool_id: int, rule: str) -> bool:
    """Change who may pause the pool's rounds; False when it was so already."""
    await pool_to_manage(principal, pool_id)
    try:
        chosen = ReviewRule(rule)
    except ValueError:
        raise ValidationFailed(
            "The review rule could not be saved.",
            field_errors={"review_rule": "Choose who may pause the pool's rounds."},
        ) from None
    async with write_transaction():
        row = await db.locked(Pool.select(Pool.review_rule).where(Pool.id == pool_id)).first()
        if row is None:
            raise NotFound(f"There is no pool {pool_id}.")
        if row["review_rule"] == chosen.value:
            return False
        await Pool.update({Pool.review_rule: chosen.value}).where(Pool.id == pool_id)
        await audit.record(
            principal.user_id,
            "pool.review_rule",
            "pool",
            pool_id,
            before=row["review_rule"],
            after=chosen.value,
        )
    return True
