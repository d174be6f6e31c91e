"""/admin/ledger/corrections: administrators propose corrections, and a different
administrator approves or rejects each (ledger/corrections.py)."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get, post
from litestar.response import Redirect, Template

from groundswell.core.errors import Conflict, Forbidden, ValidationFailed
from groundswell.core.pages import read_form, render, render_form_error
from groundswell.core.principal import Role
from groundswell.core.web import RowId, requires_role, signed_in
from groundswell.ledger import corrections
from groundswell.ledger.states import account_kind_label

FORM = "ledger/correction_form.html"
DETAIL = "ledger/correction.html"


async def _form_context() -> dict[str, Any]:
    accounts = await corrections.correctable_accounts()
    return {
        "accounts": [
            (a["id"], f"{a['key']} ({account_kind_label(a['kind'])}, {a['currency']})")
            for a in accounts
        ],
        "lines": range(1, corrections.MAX_LINES + 1),
    }


async def _detail(correction_id: int, status_code: int = 200, **extra: Any) -> Template:
    return render(
        DETAIL,
        status_code=status_code,
        correction=await corrections.get_correction(correction_id),
        **extra,
    )


class CorrectionController(Controller):
    path = "/admin/ledger/corrections"
    guards = [requires_role(Role.ADMIN)]  # noqa: RUF012 - Litestar's API

    @get("/", name="ledger_corrections")
    async def index(self, request: Request[Any, Any, Any]) -> Template:
        return render(
            "ledger/corrections.html",
            corrections=await corrections.list_corrections(),
            me=signed_in(request).user_id,
        )

    @get("/new")
    async def new(self) -> Template:
        return render(FORM, values={}, errors={}, **await _form_context())

    @post("/")
    async def create(self, request: Request[Any, Any, Any]) -> Any:
        data = await read_form(request)
        try:
            parsed = await corrections.read_correction(data)
            correction_id = await corrections.propose(signed_in(request), parsed)
        except ValidationFailed as exc:
            return render_form_error(FORM, exc, data, **await _form_context())
        return Redirect(f"/admin/ledger/corrections/{correction_id}", status_code=303)

    @get("/{correction_id:int}")
    async def detail(self, request: Request[Any, Any, Any], correction_id: RowId) -> Template:
        return await _detail(correction_id, me=signed_in(request).user_id)

    @post("/{correction_id:int}/approve")
    async def approve(self, request: Request[Any, Any, Any], correction_id: RowId) -> Any:
        principal = signed_in(request)
        try:
            await corrections.approve(principal, correction_id)
        except (Forbidden, Conflict) as exc:
            return await _detail(
                correction_id, exc.status_code, problem=exc.detail, me=principal.user_id
            )
        return Redirect(f"/admin/ledger/corrections/{correction_id}", status_code=303)

    @post("/{correction_id:int}/reject")
    async def reject(self, request: Request[Any, Any, Any], correction_id: RowId) -> Any:
        principal = signed_in(request)
        data = await read_form(request)
        try:
            await corrections.reject(principal, correction_id, data.get("reason", ""))
        except ValidationFailed as exc:
            return await _detail(
                correction_id,
                422,
                form_error=exc.detail,
                errors={"reason": exc.field_errors.get("reason", exc.detail)},
                values=data,
                me=principal.user_id,
            )
        except (Forbidden, Conflict) as exc:
            return await _detail(
                correction_id, exc.status_code, problem=exc.detail, me=principal.user_id
            )
        return Redirect(f"/admin/ledger/corrections/{correction_id}", status_code=303)
