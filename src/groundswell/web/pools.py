"""Funders and pools: the pool page (money by the ledger, rounds, voices, simulator) and topping a pool up."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from litestar import Controller, Request, get, post
from litestar.params import FromQuery
from litestar.response import Redirect, Template

from groundswell.allocation import attribution, rounds, simulation
from groundswell.allocation.reports import current_period
from groundswell.allocation.signal import voices_by_round
from groundswell.community import services as community
from groundswell.core.clock import today
from groundswell.core.errors import DomainError, Forbidden, ValidationFailed
from groundswell.core.flash import flash_redirect
from groundswell.core.money import format_money, major_amount
from groundswell.core.pages import read_form, render, render_form_error
from groundswell.core.principal import Role
from groundswell.core.text import plain_number
from groundswell.core.web import RowId, principal_of, requires_role, settings_of, signed_in
from groundswell.funders import cofunders, services
from groundswell.funders.states import REVIEW_RULE_LABELS, Cadence, ScoreMethod
from groundswell.ledger import deposits
from groundswell.ledger import services as ledger
from groundswell.payments import checkout, returns
from groundswell.payments.gateway import GatewayError
from groundswell.payments.provider import gateway_for
from groundswell.programme.grants import pools_with_grants

POOL_FORM = "funders/pool_form.html"
POOL_PAGE = "funders/pool.html"
SIMULATION = "allocation/_simulation.html"
DEPOSIT_CHECK = "funders/deposit_check.html"
DEPOSIT_FIELDS = ("amount", "reference", "received_on", "note", "funder_id")
SIMULATION_FIELDS = (
    "score_method",
    "min_endorsers",
    "window_days",
    "half_life_days",
    "floor_amount",
    "cap_amount",
    "pairwise_m",
    "budget",
)


def _pounds(amount: int | None) -> str:
    return "" if amount is None else major_amount(amount)


def _simulation_defaults(pool: dict[str, Any]) -> dict[str, Any]:
    return {
        "score_method": pool["score_method"],
        "min_endorsers": pool["min_endorsers"],
        "window_days": pool["window_days"],
        "half_life_days": plain_number(pool["half_life_days"]),
        "floor_amount": _pounds(pool["floor_amount"]),
        "cap_amount": _pounds(pool["cap_amount"]),
        "pairwise_m": plain_number(pool["pairwise_m"]),
        "budget": _pounds(pool["round_budget"]),
    }


async def _mark_programme_pools(pools: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each pool's `has_grants`: whether it funds programme grants instead of rounds."""
    granting = await pools_with_grants()
    for pool in pools:
        pool["has_grants"] = pool["id"] in granting
    return pools


async def _deposit_check(pool: dict[str, Any], given: deposits.DepositInput) -> Template:
    """The deposit's check page: what will be recorded and the available balance it makes."""
    before = (await ledger.pool_balances(pool["id"])).get("available", 0)
    money = lambda amount: format_money(amount, pool["currency"])  # noqa: E731
    names = {f["id"]: f["name"] for f in await cofunders.pool_funders(pool)}
    funder_id = given.funder_id or pool["funder"]
    if funder_id not in names:
        raise ValidationFailed(
            "The deposit could not be recorded.",
            field_errors={"funder_id": "Choose one of the pool's funders."},
        )
    hidden = {
        "amount": major_amount(given.amount),
        "reference": given.reference,
        "received_on": given.received_on.isoformat(),
        "note": given.note,
        "funder_id": str(funder_id),
    }
    return render(
        DEPOSIT_CHECK,
        pool=pool,
        given=given,
        sentence=(
            f"Record a deposit of {money(given.amount)} from {names[funder_id]} into "
            f"{pool['name']} (bank reference {given.reference}): the pool's available balance "
            f"goes from {money(before)} to {money(before + given.amount)}."
        ),
        hidden=hidden,
        change_url=f"/pools/{pool['id']}?{urlencode({'change': 'deposit', **hidden})}#deposit",
    )


async def pool_page(
    request: Request[Any, Any, Any], pool: dict[str, Any], status_code: int = 200, **extra: Any
) -> Template:
    """The pool page; its funders' members and admins also see money, rounds and the
    simulator; the lead funder's members and admins change settings and add co-funders."""
    principal = principal_of(request)
    can_manage = await cofunders.can_see_pool_money(principal, pool)
    await _mark_programme_pools([pool])
    funders = await cofunders.pool_funders(pool)
    context: dict[str, Any] = {
        "pool": pool,
        "can_manage": can_manage,
        "can_lead": principal is not None and principal.can_manage_funder(pool["funder"]),
        "pool_funders": funders,
        "review_rules": REVIEW_RULE_LABELS,
    }
    if can_manage:
        assert principal is not None
        pool_rounds = await rounds.list_rounds(pool_id=pool["id"], limit=12)
        context |= {
            "is_admin": principal.is_admin,
            "balances": await ledger.pool_balances(pool["id"]),
            "grant_balances": await ledger.pool_grant_balances(pool["id"]),
            "rounds": pool_rounds,
            "round_voices": await voices_by_round([r["id"] for r in pool_rounds]),
            "current_period": current_period(pool),
            "score_methods": list(ScoreMethod),
            "sim_values": _simulation_defaults(pool),
            "sim_errors": {},
            "simulation": None,
            "deposit_values": {"received_on": today().isoformat()},
            "deposit_errors": {},
            "top_up_values": {},
            "top_up_errors": {},
            # Only the pool's own funder members ask; administrators record (/admin/returns).
            "can_ask_return": principal.role is Role.FUNDER
            and pool["funder"] in principal.funder_ids
            and pool["closed_at"] is None,
            "pool_returns": await returns.list_returns(pool_id=pool["id"]),
            "contributions": await attribution.contributions(
                pool["id"], pool["funder"], [f["id"] for f in funders]
            ),
            "funder_options": [(str(f["id"]), f["name"]) for f in funders],
            "other_funders": [
                (str(f["id"]), f["name"])
                for f in await services.list_funders()
                if f["id"] not in {g["id"] for g in funders}
            ]
            if principal.can_manage_funder(pool["funder"])
            else [],
        }
    context |= extra
    return render(POOL_PAGE, status_code=status_code, **context)


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
        values[key] = "" if amount is None else major_amount(amount)
    for key in ("half_life_days", "pairwise_m"):
        if key in pool:
            values[key] = plain_number(pool[key])
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
        return flash_redirect(
            request,
            f"/funders/{funder_id}",
            f"Funder “{str(data.get('name') or '').strip()}” added",
        )

    @get("/{funder_id:int}", name="funder", guards=[requires_role(Role.ADMIN, Role.FUNDER)])
    async def detail(self, request: Request[Any, Any, Any], funder_id: RowId) -> Template:
        principal = signed_in(request)
        if not principal.can_manage_funder(funder_id):
            raise Forbidden("You can only see your own funders.")
        funder = await services.get_funder(funder_id)
        pools = await _mark_programme_pools(
            await services.list_pools(funder_ids=frozenset({funder_id}))
        )
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
        funder = await services.get_funder(funder_id)
        services.check_can_create_pool(principal, funder_id)
        data = await read_form(request, "locality_ids")
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
        return flash_redirect(
            request,
            f"/pools/{pool_id}",
            f"Pool “{str(data.get('name') or '').strip()}” created",
            "It holds no money yet: top it up or record a bank deposit below before its first round.",
        )


class PoolController(Controller):
    include_in_schema = False
    path = "/pools"

    @get("/", name="pools")
    async def index(self) -> Template:
        pools = await _mark_programme_pools(await services.list_pools())
        return render("funders/pools.html", pools=pools)

    @get("/{pool_id:int}", name="pool")
    async def detail(
        self,
        request: Request[Any, Any, Any],
        pool_id: RowId,
        deposited: FromQuery[int | None] = None,
        topped_up: FromQuery[int | None] = None,
    ) -> Template:
        extra: dict[str, Any] = {}
        if request.query_params.get("change") == "deposit":  # the check page's "Change"
            extra["deposit_values"] = {
                name: str(request.query_params.get(name) or "") for name in DEPOSIT_FIELDS
            }
        return await pool_page(
            request,
            await services.get_pool(pool_id),
            deposited=deposited,
            topped_up=topped_up,
            **extra,
        )

    @get("/{pool_id:int}/simulate", guards=[requires_role(Role.ADMIN, Role.FUNDER)])
    async def simulate(self, request: Request[Any, Any, Any], pool_id: RowId) -> Template:
        """Dry-run other settings against the current period's voices; writes nothing.

        htmx asks for the partial; without JavaScript the same GET form gets the whole page.
        """
        pool = await cofunders.pool_to_fund(signed_in(request), pool_id)
        raw = {
            k: request.query_params.get(k) for k in SIMULATION_FIELDS if k in request.query_params
        }
        values = _simulation_defaults(pool) | raw
        context: dict[str, Any] = {"sim_values": values, "sim_errors": {}}
        status_code = 200
        try:
            settings, budget = simulation.read_simulation_input(raw, pool)
            context["simulation"] = await simulation.simulate(pool_id, settings, budget)
        except ValidationFailed as exc:
            context |= {"simulation": None, "sim_errors": exc.field_errors}
            status_code = 422
        if request.headers.get("hx-request") == "true":
            return render(SIMULATION, status_code=status_code, pool=pool, **context)
        return await pool_page(request, pool, status_code=status_code, **context)

    @post("/{pool_id:int}/deposits", guards=[requires_role(Role.ADMIN)])
    async def record_deposit(self, request: Request[Any, Any, Any], pool_id: RowId) -> Any:
        """Without `confirmed=yes`: a check page says what the deposit will do (nothing is
        written). With it: the values are read and recorded afresh, never trusted."""
        pool = await services.get_pool(pool_id)
        data = await read_form(request)
        confirmed = data.get("confirmed") == "yes"
        values = {name: str(data.get(name) or "") for name in DEPOSIT_FIELDS}
        try:
            given = deposits.read_deposit_input(data)
            if not confirmed:
                return await _deposit_check(pool, given)
            recorded = await deposits.record_deposit(signed_in(request), pool_id, given)
        except ValidationFailed as exc:
            return await pool_page(
                request,
                pool,
                status_code=422,
                deposit_values=values,
                deposit_errors=exc.field_errors,
                deposit_error=exc.detail,
            )
        amount = format_money(given.amount, pool["currency"])
        if not recorded.created:  # the same bank reference again: nothing added twice
            return flash_redirect(
                request,
                f"/pools/{pool_id}",
                f"Deposit {given.reference} was already recorded",
                "It was not added again.",
            )
        return flash_redirect(
            request,
            f"/pools/{pool_id}",
            f"Deposit of {amount} recorded",
            f"Bank reference {given.reference}; it is in the available balance below.",
        )

    @get("/{pool_id:int}/edit", guards=[requires_role(Role.ADMIN, Role.FUNDER)])
    async def edit(self, request: Request[Any, Any, Any], pool_id: RowId) -> Template:
        pool = await services.get_pool(pool_id)
        principal = signed_in(request)
        if not principal.can_manage_funder(pool["funder"]):
            raise Forbidden("You can only change your own funders' pools.")
        funder = await services.get_funder(pool["funder"])
        # "Use these settings for the next round" from the simulator: the form comes filled in
        # with them, to be checked and saved like any change (nothing is written by a GET).
        simulated = {
            ("round_budget" if k == "budget" else k): str(request.query_params[k])
            for k in SIMULATION_FIELDS
            if k in request.query_params
        }
        return render(
            POOL_FORM,
            funder=funder,
            pool=pool,
            values=_pool_form_values(pool) | simulated,
            from_simulator=bool(simulated),
            errors={},
            action=f"/pools/{pool_id}/edit",
            **await _pool_form_context(),
        )

    @post("/{pool_id:int}/edit", guards=[requires_role(Role.ADMIN, Role.FUNDER)])
    async def update(self, request: Request[Any, Any, Any], pool_id: RowId) -> Any:
        principal = signed_in(request)
        pool = await services.pool_to_manage(principal, pool_id)
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
        return flash_redirect(
            request,
            f"/pools/{pool_id}",
            "Pool settings saved",
            "The next round uses them; rounds already counted keep the settings they had.",
        )


class TopUpController(Controller):
    """A funder tops up its pool by card (Stripe Checkout)."""

    include_in_schema = False
    path = "/pools/{pool_id:int}/top-up"
    guards = (requires_role(Role.ADMIN, Role.FUNDER),)

    @post("/", name="pool_top_up")
    async def top_up(self, request: Request[Any, Any, Any], pool_id: RowId) -> Any:
        settings = settings_of(request)
        pool = await cofunders.pool_to_fund(signed_in(request), pool_id)
        data = await read_form(request)
        try:
            amount = checkout.read_top_up(data)
            url = await checkout.start_top_up(
                settings, gateway_for(settings), signed_in(request), pool_id, amount
            )
        except ValidationFailed as exc:
            return await pool_page(
                request,
                pool,
                status_code=422,
                top_up_values=data,
                top_up_errors=exc.field_errors,
                top_up_error=exc.detail,
            )
        except GatewayError as exc:
            return render(
                "payments/problem.html", status_code=502, pool_id=pool_id, detail=str(exc)
            )
        return Redirect(url, status_code=303)
