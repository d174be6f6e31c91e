"""Co-funded pools: the lead funder (or an administrator) adds co-funders and says who may
pause the pool's rounds (README "Co-funded pools")."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, Response, get, post

from groundswell.allocation import attribution
from groundswell.core.csv import write_csv
from groundswell.core.errors import Forbidden, ValidationFailed
from groundswell.core.flash import flash_redirect
from groundswell.core.ids import parse_row_id
from groundswell.core.money import major_amount
from groundswell.core.pages import read_form
from groundswell.core.principal import Role
from groundswell.core.web import RowId, requires_role, signed_in
from groundswell.funders import cofunders, services
from groundswell.funders.states import REVIEW_RULE_LABELS
from groundswell.web.pools import pool_page

SHARE_COLUMNS = (
    "funder",
    "pool_id",
    "pool",
    "round_id",
    "period_start",
    "period_end",
    "status",
    "currency",
    "share",
    "round_allocated",
)


@get("/funders/{funder_id:int}/shares.csv", guards=[requires_role(Role.ADMIN, Role.FUNDER)])
async def funder_shares_csv(request: Request[Any, Any, Any], funder_id: RowId) -> Response[bytes]:
    """The funder's statement of its parts of co-funded rounds, one row per round (amounts
    in pounds and pence)."""
    if not signed_in(request).can_manage_funder(funder_id):
        raise Forbidden("You can only see your own funders' shares.")
    await services.get_funder(funder_id)
    rows = [
        {
            "funder": row["funder_name"],
            "pool_id": row["pool_id"],
            "pool": row["pool_name"],
            "round_id": row["round_id"],
            "period_start": row["period_start"].isoformat(),
            "period_end": row["period_end"].isoformat(),
            "status": row["status"],
            "currency": row["currency"],
            "share": major_amount(row["share"]),
            "round_allocated": major_amount(row["allocated"]),
        }
        for row in await attribution.funder_round_shares(frozenset({funder_id}))
    ]
    return Response(
        write_csv(SHARE_COLUMNS, rows).encode("utf-8"),
        media_type="text/csv; charset=utf-8",
        headers={"content-disposition": f'attachment; filename="funder-{funder_id}-shares.csv"'},
    )


async def _refused(
    request: Request[Any, Any, Any], pool: dict[str, Any], exc: ValidationFailed
) -> Any:
    """The pool page again, the problem above the co-funders' forms."""
    return await pool_page(
        request, pool, status_code=422, cofunder_error=exc.detail, cofunder_errors=exc.field_errors
    )


class CofunderController(Controller):
    include_in_schema = False
    path = "/pools/{pool_id:int}"
    guards = (requires_role(Role.ADMIN, Role.FUNDER),)

    @post("/cofunders")
    async def add(self, request: Request[Any, Any, Any], pool_id: RowId) -> Any:
        principal = signed_in(request)
        pool = await services.pool_to_manage(principal, pool_id)  # before the form is read
        data = await read_form(request)
        try:
            funder_id = parse_row_id(str(data.get("cofunder_id") or ""))
            if funder_id is None:
                raise ValidationFailed(
                    "The co-funder could not be added.",
                    field_errors={"cofunder_id": "Choose a funder from the list."},
                )
            added = await cofunders.add_cofunder(principal, pool_id, funder_id)
        except ValidationFailed as exc:
            return await _refused(request, pool, exc)
        name = (await services.get_funder(funder_id))["name"]
        if not added:
            return flash_redirect(
                request, f"/pools/{pool_id}", f"{name} co-funds this pool already"
            )
        return flash_redirect(
            request,
            f"/pools/{pool_id}",
            f"{name} added as a co-funder",
            "Its members can now see the pool and its rounds and top it up; deposits from it "
            "count as its money, and each round shares its lines by what each funder put in.",
        )

    @post("/review-rule")
    async def review_rule(self, request: Request[Any, Any, Any], pool_id: RowId) -> Any:
        principal = signed_in(request)
        pool = await services.pool_to_manage(principal, pool_id)
        data = await read_form(request)
        rule = str(data.get("review_rule") or "")
        try:
            changed = await cofunders.set_review_rule(principal, pool_id, rule)
        except ValidationFailed as exc:
            return await _refused(request, pool, exc)
        if not changed:
            return flash_redirect(request, f"/pools/{pool_id}", "Nothing changed")
        return flash_redirect(
            request, f"/pools/{pool_id}", "Saved", f"Pausing rounds: {REVIEW_RULE_LABELS[rule]}."
        )
