from __future__ import annotations

from typing import Any

import msgspec
from litestar import Controller, Request, get, post, put
from litestar.connection import ASGIConnection
from litestar.handlers import BaseRouteHandler
from litestar.params import JSONBody

from groundswell.core.principal import Role
from groundswell.core.web import RowId, requires_role, signed_in
from groundswell.funders import services
from groundswell.funders.schemas import LocalityRef, PoolDetail, PoolIn, PoolSummary


def _detail(pool: dict[str, Any]) -> PoolDetail:
    return PoolDetail(
        id=pool["id"],
        name=pool["name"],
        funder=pool["funder_name"],
        funder_id=pool["funder"],
        currency=pool["currency"],
        description=pool["description"],
        cadence=pool["cadence"],
        round_budget=pool["round_budget"],
        review_days=pool["review_days"],
        score_method=pool["score_method"],
        window_days=pool["window_days"],
        half_life_days=pool["half_life_days"],
        min_endorsers=pool["min_endorsers"],
        floor_amount=pool["floor_amount"],
        cap_amount=pool["cap_amount"],
        pairwise_m=pool["pairwise_m"],
        localities=[LocalityRef(id=loc["id"], name=loc["name"]) for loc in pool["localities"]],
    )


async def _manages_the_pool(
    connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler
) -> None:
    """Guards run before the body is decoded: another funder is told "not yours" (403),
    never which of the body's fields would have been wrong."""
    await services.pool_to_manage(signed_in(connection), int(connection.path_params["pool_id"]))


class PoolApi(Controller):
    path = "/api/v1/pools"
    tags = ("pools",)

    @get("/")
    async def list_pools(self) -> list[PoolSummary]:
        return [
            PoolSummary(
                id=p["id"],
                name=p["name"],
                funder=p["funder_name"],
                funder_id=p["funder"],
                currency=p["currency"],
            )
            for p in await services.list_pools()
        ]

    @get("/{pool_id:int}")
    async def get_pool(self, pool_id: RowId) -> PoolDetail:
        return _detail(await services.get_pool(pool_id))

    @post("/", guards=[requires_role(Role.ADMIN, Role.FUNDER)])
    async def create_pool(
        self, request: Request[Any, Any, Any], data: JSONBody[PoolIn]
    ) -> PoolDetail:
        raw = msgspec.structs.asdict(data)
        pool_id = await services.create_pool(
            signed_in(request), data.funder_id, services.read_pool_input(raw, minor_units=True)
        )
        return _detail(await services.get_pool(pool_id))

    @put("/{pool_id:int}", guards=[requires_role(Role.ADMIN, Role.FUNDER), _manages_the_pool])
    async def update_pool(
        self, request: Request[Any, Any, Any], pool_id: RowId, data: JSONBody[PoolIn]
    ) -> PoolDetail:
        raw = msgspec.structs.asdict(data)
        await services.update_pool(
            signed_in(request), pool_id, services.read_pool_input(raw, minor_units=True)
        )
        return _detail(await services.get_pool(pool_id))
