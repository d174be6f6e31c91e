from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get, post
from litestar.response import Redirect, Template

from groundswell.accounts.roles import Role
from groundswell.community import services as community
from groundswell.core.errors import DomainError, Forbidden
from groundswell.core.pages import read_form, render, render_form_error
from groundswell.core.web import RowId, principal_of, requires_role, signed_in
from groundswell.funders import services
from groundswell.funders.states import Cadence, ScoreMethod

POOL_FORM = "funders/pool_form.html"


async def _pool_form_context() -> dict[str, Any]:
    return {
        "localities": await community.list_localities(),
        "cadences": list(Cadence),
        "score_methods": list(ScoreMethod),
    }


def _pool_form_values(pool: dict[str, Any]) -> dict[str, Any]:
    values = dict(pool)
    for key in ("round_budget", "floor_amount", "cap_amount"):
        amount = pool.get(key)
        values[key] = "" if amount is None else f"{amount / 100:.2f}"
    values["locality_ids"] = [str(loc["id"]) for loc in pool.get("localities", [])]
    return values


class FunderController(Controller):
    include_in_schema = False
    path = "/funders"

    @get("/", name="funders", guards=[requires_role(Role.ADMIN)])
    async def index(self) -> Template:
        return render(
            "funders/index.html", funders=await services.list_funders(), values={}, errors={}
        )

    @post("/", guards=[requires_role(Role.ADMIN)])
    async def create(self, request: Request[Any, Any, Any]) -> Any:
        data = await read_form(request)
        try:
            funder_id = await services.create_funder(
                signed_in(request),
                name=str(data.get("name") or ""),
                org_id=str(data.get("org_id") or ""),
                website=str(data.get("website") or ""),
            )
        except DomainError as exc:
            return render_form_error(
                "funders/index.html", exc, data, funders=await services.list_funders()
            )
        return Redirect(f"/funders/{funder_id}")

    @get("/{funder_id:int}", name="funder", guards=[requires_role(Role.ADMIN, Role.FUNDER)])
    async def detail(self, request: Request[Any, Any, Any], funder_id: RowId) -> Template:
        principal = signed_in(request)
        if not principal.can_manage_funder(funder_id):
            raise Forbidden("You can only see your own funders.")
        funder = await services.get_funder(funder_id)
        pools = await services.list_pools(funder_ids=frozenset({funder_id}))
        return render("funders/detail.html", funder=funder, pools=pools)

    @get("/{funder_id:int}/pools/new", guards=[requires_role(Role.ADMIN, Role.FUNDER)])
    async def new_pool(self, request: Request[Any, Any, Any], funder_id: RowId) -> Template:
        principal = signed_in(request)
        if not principal.can_manage_funder(funder_id):
            raise Forbidden("You can only create pools for your own funders.")
        funder = await services.get_funder(funder_id)
        defaults = {
            "currency": "GBP",
            "cadence": "quarterly",
            "score_method": "sqrt",
            "review_days": 7,
            "window_days": 180,
            "half_life_days": 90,
            "min_endorsers": 5,
            "pairwise_m": 1,
            "locality_ids": [],
        }
        return render(
            POOL_FORM,
            funder=funder,
            values=defaults,
            errors={},
            action=f"/funders/{funder_id}/pools",
            **await _pool_form_context(),
        )

    @post("/{funder_id:int}/pools", guards=[requires_role(Role.ADMIN, Role.FUNDER)])
    async def create_pool(self, request: Request[Any, Any, Any], funder_id: RowId) -> Any:
        principal = signed_in(request)
        data = await read_form(request, "locality_ids")
        funder = await services.get_funder(funder_id)
        try:
            pool_id = await services.create_pool(
                principal, funder_id, services.read_pool_input(data, minor_units=False)
            )
        except DomainError as exc:
            if isinstance(exc, Forbidden):
                raise
            return render_form_error(
                POOL_FORM,
                exc,
                data,
                funder=funder,
                action=f"/funders/{funder_id}/pools",
                **await _pool_form_context(),
            )
        return Redirect(f"/pools/{pool_id}")


class PoolController(Controller):
    include_in_schema = False
    path = "/pools"

    @get("/", name="pools")
    async def index(self) -> Template:
        return render("funders/pools.html", pools=await services.list_pools())

    @get("/{pool_id:int}", name="pool")
    async def detail(self, request: Request[Any, Any, Any], pool_id: RowId) -> Template:
        pool = await services.get_pool(pool_id)
        principal = principal_of(request)
        can_manage = principal is not None and principal.can_manage_funder(pool["funder"])
        return render("funders/pool.html", pool=pool, can_manage=can_manage)

    @get("/{pool_id:int}/edit", guards=[requires_role(Role.ADMIN, Role.FUNDER)])
    async def edit(self, request: Request[Any, Any, Any], pool_id: RowId) -> Template:
        pool = await services.get_pool(pool_id)
        principal = signed_in(request)
        if not principal.can_manage_funder(pool["funder"]):
            raise Forbidden("You can only change your own funders' pools.")
        funder = await services.get_funder(pool["funder"])
        return render(
            POOL_FORM,
            funder=funder,
            pool=pool,
            values=_pool_form_values(pool),
            errors={},
            action=f"/pools/{pool_id}/edit",
            **await _pool_form_context(),
        )

    @post("/{pool_id:int}/edit", guards=[requires_role(Role.ADMIN, Role.FUNDER)])
    async def update(self, request: Request[Any, Any, Any], pool_id: RowId) -> Any:
        principal = signed_in(request)
        pool = await services.get_pool(pool_id)
        data = await read_form(request, "locality_ids")
        try:
            await services.update_pool(
                principal, pool_id, services.read_pool_input(data, minor_units=False)
            )
        except DomainError as exc:
            if isinstance(exc, Forbidden):
                raise
            funder = await services.get_funder(pool["funder"])
            return render_form_error(
                POOL_FORM,
                exc,
                data,
                funder=funder,
                pool=pool,
                action=f"/pools/{pool_id}/edit",
                **await _pool_form_context(),
            )
        return Redirect(f"/pools/{pool_id}")
