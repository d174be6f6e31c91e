"""/admin/deposits/unreconciled: bank-transfer deposits waiting for the platform top-up that
moved them to the Stripe balance, each with a form to record its reference
(payments/deposit_reconciliation.py)."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get, post
from litestar.response import Template

from groundswell.core.errors import Conflict, ValidationFailed
from groundswell.core.flash import flash_redirect
from groundswell.core.pages import read_form, render
from groundswell.core.principal import Role
from groundswell.core.web import RowId, requires_role, settings_of, signed_in
from groundswell.payments import deposit_reconciliation

PAGE = "payments/unreconciled_deposits.html"


async def _page(request: Request[Any, Any, Any], status_code: int = 200, **extra: Any) -> Template:
    context = {"values": {}, "errors": {}} | extra
    return render(
        PAGE,
        status_code=status_code,
        deposits=await deposit_reconciliation.unreconciled(),
        days=settings_of(request).bank_deposit_reconcile_days,
        **context,
    )


class DepositReconciliationController(Controller):
    path = "/admin/deposits"
    guards = [requires_role(Role.ADMIN)]  # noqa: RUF012 - Litestar's API
    include_in_schema = False

    @get("/unreconciled", name="admin_unreconciled_deposits")
    async def index(self, request: Request[Any, Any, Any]) -> Template:
        return await _page(request)

    @post("/{deposit_id:int}/reconcile")
    async def reconcile(self, request: Request[Any, Any, Any], deposit_id: RowId) -> Any:
        data = await read_form(request)
        try:
            reference = deposit_reconciliation.read_reference(data)
            done = await deposit_reconciliation.reconcile_deposit(
                signed_in(request), deposit_id, reference
            )
        except (ValidationFailed, Conflict) as exc:
            return await _page(
                request,
                status_code=exc.status_code if exc.status_code != 400 else 422,
                form_error=exc.detail,
                failed=deposit_id,
                errors={
                    f"platform_reference-{deposit_id}": exc.field_errors.get(
                        "platform_reference", exc.detail
                    )
                },
                values={f"platform_reference-{deposit_id}": data.get("platform_reference", "")},
            )
        return flash_redirect(
            request,
            "/admin/deposits/unreconciled",
            "Deposit reconciled" if done else "Already reconciled",
            f"Deposit {deposit_id} reached the platform balance by {reference}.",
        )
