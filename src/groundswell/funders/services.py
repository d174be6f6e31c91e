"""Funders and their no-strings pools."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any

from groundswell.community.identifiers import validate_org_id
from groundswell.community.tables import Locality
from groundswell.core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from groundswell.core.forms import FieldReader
from groundswell.core.ids import read_row_ids
from groundswell.core.money import SUPPORTED_CURRENCIES
from groundswell.core.principal import Principal
from groundswell.db import write_transaction
from groundswell.funders.states import Cadence, ScoreMethod
from groundswell.funders.tables import Funder, Pool, PoolCofunder, PoolLocality


@dataclass(frozen=True)
class PoolInput:
    name: str
    description: str
    currency: str
    cadence: Cadence
    round_budget: int
    review_days: int
    score_method: ScoreMethod
    window_days: int
    half_life_days: float
    min_endorsers: int
    floor_amount: int
    cap_amount: int | None
    pairwise_m: float
    locality_ids: tuple[int, ...]


def read_pool_input(raw: Mapping[str, Any], *, minor_units: bool) -> PoolInput:
    """Validate a pool from a form (amounts in pounds) or the API (amounts in pence)."""
    fields = FieldReader(raw)
    name = fields.text("name", max_length=200)
    description = fields.text("description", required=False, max_length=4000)
    currency = fields.text("currency", required=False, max_length=3, default="GBP").upper() or "GBP"
    if currency not in SUPPORTED_CURRENCIES:
        fields.errors["currency"] = f"Choose one of: {', '.join(SUPPORTED_CURRENCIES)}."
    cadence = fields.choice("cadence", Cadence, default=Cadence.QUARTERLY)
    round_budget = fields.money("round_budget", minor_units=minor_units)
    review_days = fields.integer("review_days", default=7, minimum=1, maximum=60)
    score_method = fields.choice("score_method", ScoreMethod, default=ScoreMethod.SQRT)
    window_days = fields.integer("window_days", default=180, minimum=7, maximum=730)
    half_life_days = fields.number("half_life_days", default=90.0, minimum=1.0, maximum=3650.0)
    min_endorsers = fields.integer("min_endorsers", default=5, minimum=1, maximum=1000)
    floor_amount = fields.money("floor_amount", required=False, minor_units=minor_units) or 0
    cap_amount = fields.money("cap_amount", required=False, minor_units=minor_units)
    pairwise_m = fields.number("pairwise_m", default=1.0, minimum=0.001, maximum=1000.0)
    locality_ids = read_row_ids(fields, "locality_ids", what="localities")
    # The form asks "all places" or "only these" outright; the API says it by the list alone.
    places = fields.text("places", required=False, max_length=10)
    if places == "all":
        locality_ids = []
    elif places == "chosen" and not locality_ids:
        fields.errors["places"] = "Tick at least one place, or choose All places."
    elif places not in ("", "chosen"):
        fields.errors["places"] = "Choose All places or Only the places I tick."
    if cap_amount is not None and round_budget is not None and cap_amount == 0:
        fields.errors["cap_amount"] = (
            "Leave the cap empty for no cap, or give an amount above zero."
        )
    fields.check("The pool could not be saved.")
    assert round_budget is not None and review_days is not None
    assert window_days is not None and min_endorsers is not None
    return PoolInput(
        name=name,
        description=description,
        currency=currency,
        cadence=cadence,
        round_budget=round_budget,
        review_days=review_days,
        score_method=score_method,
        window_days=window_days,
        half_life_days=half_life_days,
        min_endorsers=min_endorsers,
        floor_amount=floor_amount,
        cap_amount=cap_amount,
        pairwise_m=pairwise_m,
        locality_ids=tuple(sorted(set(locality_ids))),
    )


async def _check_localities(locality_ids: tuple[int, ...]) -> None:
    if not locality_ids:
        return
    found = await Locality.count().where(Locality.id.is_in(list(locality_ids)))
    if found != len(locality_ids):
        raise ValidationFailed(
            "The pool could not be saved.",
            field_errors={"locality_ids": "One of the localities does not exist."},
        )


def _pool_columns(data: PoolInput) -> dict[str, Any]:
    values = asdict(data)
    values.pop("locality_ids")
    values["cadence"] = data.cadence.value
    values["score_method"] = data.score_method.value
    return values


def check_can_create_pool(principal: Principal, funder_id: int) -> None:
    """Asked before a form is read: someone else's funder hears "not yours", never which
    of their fields would have been wrong."""
    if not principal.can_manage_funder(funder_id):
        raise Forbidden("You can only create pools for your own funders.")


async def pool_to_manage(principal: Principal, pool_id: int) -> dict[str, Any]:
    """The pool, when `principal` may change it or move its money (its lead funder's
    members and administrators; co-funders: `pool_to_fund`); asked before any form is read."""
    pool = await get_pool(pool_id)
    if not principal.can_manage_funder(pool["funder"]):
        raise Forbidden("Only the pool's funder and administrators can change it.")
    return pool


async def create_pool(principal: Principal, funder_id: int, data: PoolInput) -> int:
    check_can_create_pool(principal, funder_id)
    await get_funder(funder_id)
    await _check_localities(data.locality_ids)
    async with write_transaction():
        rows = await Pool.insert(Pool(funder=funder_id, **_pool_columns(data))).returning(Pool.id)
        pool_id = int(rows[0]["id"])
        if data.locality_ids:
            await PoolLocality.insert(
                *[PoolLocality(pool=pool_id, locality=lid) for lid in data.locality_ids]
            )
    return pool_id


async def update_pool(principal: Principal, pool_id: int, data: PoolInput) -> None:
    pool = await pool_to_manage(principal, pool_id)
    if data.currency != pool["currency"]:
        raise ValidationFailed(
            "The pool could not be saved.",
            field_errors={"currency": "A pool's currency cannot change once it exists."},
        )
    await _check_localities(data.locality_ids)
    async with write_transaction():
        await Pool.update({getattr(Pool, k): v for k, v in _pool_columns(data).items()}).where(
            Pool.id == pool_id
        )
        await PoolLocality.delete().where(PoolLocality.pool == pool_id)
        if data.locality_ids:
            await PoolLocality.insert(
                *[PoolLocality(pool=pool_id, locality=lid) for lid in data.locality_ids]
            )


class PoolClosed(Conflict):
    """The pool is closed (payments/returns.py): it takes no more money and runs no rounds."""


async def refuse_if_closed(pool_id: int, what: str) -> None:
    """Writers call this after locking the pool, so a close cannot slip in between."""
    row = await Pool.select(Pool.closed_at).where(Pool.id == pool_id).first()
    if row is not None and row["closed_at"] is not None:
        raise PoolClosed(f"This pool is closed, so it takes no {what}.")


async def get_pool(pool_id: int) -> dict[str, Any]:
    pool = (
        await Pool.select(*Pool.all_columns(), Pool.funder.name.as_alias("funder_name"))
        .where(Pool.id == pool_id)
        .first()
    )
    if pool is None:
        raise NotFound(f"There is no pool {pool_id}.")
    pool["localities"] = (
        await PoolLocality.select(
            PoolLocality.locality.id.as_alias("id"), PoolLocality.locality.name.as_alias("name")
        )
        .where(PoolLocality.pool == pool_id)
        .order_by(PoolLocality.locality.name)
    )
    return pool


async def pools_cofunded_by(funder_ids: frozenset[int]) -> list[int]:
    """The pools any of `funder_ids` co-funds (not those it leads)."""
    if not funder_ids:
        return []
    rows = await PoolCofunder.select(PoolCofunder.pool).where(
        PoolCofunder.funder.is_in(list(funder_ids))
    )
    return sorted({int(row["pool"]) for row in rows})


async def list_pools(*, funder_ids: frozenset[int] | None = None) -> list[dict[str, Any]]:
    query = (
        Pool.select(
            Pool.id,
            Pool.name,
            Pool.currency,
            Pool.cadence,
            Pool.round_budget,
            Pool.is_active,
            Pool.closed_at,
            Pool.review_rule,
            Pool.funder,
            Pool.funder.name.as_alias("funder_name"),
        )
        .order_by(Pool.funder.name)
        .order_by(Pool.name)
    )
    if funder_ids is not None:
        # Pools the funders lead, and those they co-fund (funders/cofunders.py).
        cofunded = await pools_cofunded_by(funder_ids)
        query = query.where(
            Pool.funder.is_in(list(funder_ids) or [-1]) | Pool.id.is_in(cofunded or [-1])
        )
    return await query


async def create_funder(
    principal: Principal, *, name: str, org_id: str = "", website: str = ""
) -> int:
    if not principal.is_admin:
        raise Forbidden("Only administrators register funders.")
    fields = FieldReader({"name": name, "org_id": org_id, "website": website})
    clean_name = fields.text("name")
    clean_org_id: str | None = None
    if org_id.strip():
        try:
            clean_org_id = validate_org_id(org_id)
        except ValueError as exc:
            fields.errors["org_id"] = str(exc)
    clean_website = fields.web_address("website", max_length=300)
    fields.check("The funder could not be saved.")
    async with write_transaction():
        if clean_org_id and await Funder.exists().where(Funder.org_id == clean_org_id):
            raise ValidationFailed(
                "The funder could not be saved.",
                field_errors={"org_id": "A funder with this identifier exists already."},
            )
        rows = await Funder.insert(
            Funder(name=clean_name, org_id=clean_org_id, website=clean_website)
        ).returning(Funder.id)
    return int(rows[0]["id"])


async def get_funder(funder_id: int) -> dict[str, Any]:
    funder = await Funder.select().where(Funder.id == funder_id).first()
    if funder is None:
        raise NotFound(f"There is no funder {funder_id}.")
    return funder


async def list_funders() -> list[dict[str, Any]]:
    return await Funder.select().order_by(Funder.name)
