"""Programme pages: the dashboard, bid pages with their timelines, forms, and the CSV export.

Programme staff (admins) change things; funders may read. Thin: parse, call a service,
render; a form with a problem is shown again with what was typed and a message per field.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.params import FromQuery
from litestar.response import Redirect, Template

from groundswell.community import services as community
from groundswell.core.clock import today
from groundswell.core.csv import csv_download, write_csv
from groundswell.core.dates import iso_or_blank
from groundswell.core.errors import Conflict, DomainError, Forbidden, ValidationFailed
from groundswell.core.flash import flash_redirect
from groundswell.core.money import major_amount
from groundswell.core.pages import read_form, render, render_form_error
from groundswell.core.principal import Role
from groundswell.core.web import RowId, requires_role, settings_of, signed_in
from groundswell.programme import (
    bids,
    grant_checks,
    grant_corrections,
    grants,
    groups,
    reminders,
    reports,
)
from groundswell.programme.bids import BidKind, durations_from
from groundswell.programme.building_voices import building_page
from groundswell.programme.clocks import ClockDurations
from groundswell.programme.kinds import ASSET_BID, BID_KINDS, SERVICE_BID
from groundswell.programme.states import GrantKind
from groundswell.programme.timeline import Timeline, asset_timeline, service_timeline

READERS = [requires_role(Role.ADMIN, Role.FUNDER)]
WRITERS = [requires_role(Role.ADMIN)]
GRANT_FORM = "programme/grant_form.html"
GRANT_CHECK = "programme/grant_check.html"


def _durations(request: Request[Any, Any, Any]) -> ClockDurations:
    return durations_from(settings_of(request))


async def _bid_form_context(request: Request[Any, Any, Any]) -> dict[str, Any]:
    return {
        "localities": await community.list_localities(),
        "hosts": await community.list_hosts(),
        "durations": _durations(request),
    }


def _shared_values(kind: BidKind, bid: dict[str, Any]) -> dict[str, Any]:
    """The form's values that either kind of bid has, from what is recorded."""
    return {
        kind.name_field: bid[kind.name_field],
        **{name: iso_or_blank(bid[name]) for name in kind.date_fields},
        "nominating_group": bid["group_name"],
        "group_host_id": "" if bid["group_host"] is None else str(bid["group_host"]),
        "group_org_id": bid["group_org_id"] or "",
        "contact_emails": "\n".join(bid["emails"]),
        "locality_id": "" if bid["locality"] is None else str(bid["locality"]),
        "local_authority": bid["local_authority"],
        "notes": bid["notes"],
    }


def _asset_values(bid: dict[str, Any]) -> dict[str, Any]:
    """What only an asset bid's form has."""
    return {
        "address": bid["address"],
        "postcode": bid["postcode"],
        "owner": bid["owner"],
        "fundraising_target": major_amount(bid["fundraising_target"]),
        "amount_raised": major_amount(bid["amount_raised"]) if bid["amount_raised"] else "",
    }


def _service_values(bid: dict[str, Any]) -> dict[str, Any]:
    """What only a service bid's form has."""
    return {
        "decision_period_amount": bid["decision_period_amount"] or "",
        "decision_period_unit": bid["decision_period_unit"],
        "decision": bid["decision"] or "",
        "rejection_grounds": bid["rejection_grounds"],
    }


@dataclass(frozen=True)
class BidPages:
    """A kind of bid's pages: its templates, its clocks and its form's values."""

    kind: BidKind
    page: str
    form: str
    timeline: Callable[[dict[str, Any], date], Timeline | None]
    values: Callable[[dict[str, Any]], dict[str, Any]]  # its own fields' values in its form

    def url(self, bid_id: int | None = None, action: str = "") -> str:
        url = f"/programme/{self.kind.key}-bids"
        return url if bid_id is None else f"{url}/{bid_id}{action}"


ASSET_PAGES = BidPages(
    ASSET_BID,
    "programme/asset_bid.html",
    "programme/asset_bid_form.html",
    asset_timeline,
    _asset_values,
)
SERVICE_PAGES = BidPages(
    SERVICE_BID,
    "programme/service_bid.html",
    "programme/service_bid_form.html",
    service_timeline,
    _service_values,
)


async def _new_bid_form(request: Request[Any, Any, Any], pages: BidPages) -> Template:
    return render(
        pages.form, values={}, errors={}, action=pages.url(), **await _bid_form_context(request)
    )


async def _create_bid(request: Request[Any, Any, Any], pages: BidPages) -> Any:
    data = await read_form(request)
    try:
        bid_id = await bids.create_bid(
            pages.kind, signed_in(request), data, durations=_durations(request), minor_units=False
        )
    except DomainError as exc:
        if isinstance(exc, Forbidden):
            raise
        return render_form_error(
            pages.form, exc, data, action=pages.url(), **await _bid_form_context(request)
        )
    return flash_redirect(
        request,
        pages.url(bid_id),
        "Bid added",
        "Its deadlines are worked out from the dates given and listed below.",
    )


async def _bid_page(
    request: Request[Any, Any, Any], pages: BidPages, bid_id: int, **extra: Any
) -> Template:
    """The bid's page; `extra` carries why a change made from it was refused."""
    on = today()
    bid = await bids.get_bid(pages.kind, bid_id, durations=_durations(request))
    bid_grants = await grants.list_grants(**{f"{pages.kind.key}_bid_id": bid_id})
    return render(
        pages.page,
        status_code=extra.pop("status_code", 200),
        bid=bid,
        timeline=pages.timeline(bid, on),
        grants=bid_grants,
        grant_corrections=await grant_corrections.corrections_for([g["id"] for g in bid_grants]),
        reminders=await reminders.reminders_for(pages.kind.key, bid_id),
        group_activity=await groups.group_activity(pages.kind, bid_id),
        describe_group_action=groups.describe,
        today=on,
        can_edit=signed_in(request).is_admin,
        stage_errors=extra.pop("stage_errors", {}),
        stage_error=extra.pop("stage_error", ""),
        repeated_grant=request.query_params.get("repeated") == "grant",
        building=await building_page(bid_id) if pages.kind is ASSET_BID else None,
        **(_changing_payment(request) | extra),
    )


def _changing_payment(request: Request[Any, Any, Any]) -> dict[str, Any]:
    """The check page's "Change" link: the payment form open again with what was typed."""
    query = request.query_params
    grant_id = str(query.get("change_paid") or "")
    if not grant_id.isdigit():
        return {}
    return {
        "grant_error_for": int(grant_id),
        "grant_error_action": "paid",
        "grant_values": {k: str(query.get(k) or "") for k in ("payment_reference", "paid_on")},
    }


async def _edit_bid_form(request: Request[Any, Any, Any], pages: BidPages, bid_id: int) -> Template:
    bid = await bids.get_bid(pages.kind, bid_id, durations=_durations(request))
    return render(
        pages.form,
        bid=bid,
        values={**_shared_values(pages.kind, bid), **pages.values(bid)},
        errors={},
        action=pages.url(bid_id, "/edit"),
        **await _bid_form_context(request),
    )


async def _update_bid(request: Request[Any, Any, Any], pages: BidPages, bid_id: int) -> Any:
    durations = _durations(request)
    bid = await bids.get_bid(pages.kind, bid_id, durations=durations)
    data = await read_form(request)
    try:
        await bids.update_bid(
            pages.kind,
            signed_in(request),
            bid_id,
            data,
            durations=durations,
            minor_units=False,
            partial=False,
        )
    except DomainError as exc:
        if isinstance(exc, Forbidden):
            raise
        return render_form_error(
            pages.form,
            exc,
            data,
            bid=bid,
            action=pages.url(bid_id, "/edit"),
            **await _bid_form_context(request),
        )
    return flash_redirect(
        request, pages.url(bid_id), "Bid saved", "Its deadlines follow the new dates."
    )


async def _move_bid(request: Request[Any, Any, Any], pages: BidPages, bid_id: int) -> Any:
    data = await read_form(request)
    try:
        moved = await bids.transition_bid(
            pages.kind,
            signed_in(request),
            bid_id,
            str(data.get("to") or ""),
            note=str(data.get("note") or ""),
        )
    except DomainError as exc:
        if isinstance(exc, Forbidden):
            raise
        return await _bid_page(
            request,
            pages,
            bid_id,
            status_code=exc.status_code if exc.status_code != 400 else 422,
            stage_error=exc.detail,
            stage_errors=exc.field_errors,
            stage_values=data,
        )
    stage = pages.kind.stages(str(data.get("to")))
    return flash_redirect(
        request,
        pages.url(bid_id),
        f"Bid moved to “{stage.label}”" if moved else f"The bid was already “{stage.label}”",
    )


class ProgrammeController(Controller):
    path = "/programme"

    @get("/", name="programme", guards=READERS)
    async def dashboard(self, request: Request[Any, Any, Any]) -> Template:
        data = await reports.dashboard(_durations(request))
        return render("programme/dashboard.html", can_edit=signed_in(request).is_admin, **data)

    @get("/bids.csv", guards=READERS)
    async def bids_csv(self, request: Request[Any, Any, Any]) -> Response[bytes]:
        rows = await reports.bid_csv_rows(_durations(request))
        return csv_download(
            write_csv(reports.BID_CSV_COLUMNS, rows), f"programme-bids-{today().isoformat()}.csv"
        )

    # Asset and service bids: the routes of each kind; what they do is written once below.

    @get("/asset-bids/new", guards=WRITERS)
    async def new_asset_bid(self, request: Request[Any, Any, Any]) -> Template:
        return await _new_bid_form(request, ASSET_PAGES)

    @post("/asset-bids", guards=WRITERS)
    async def create_asset_bid(self, request: Request[Any, Any, Any]) -> Any:
        return await _create_bid(request, ASSET_PAGES)

    @get("/asset-bids/{asset_bid_id:int}", guards=READERS)
    async def asset_bid(self, request: Request[Any, Any, Any], asset_bid_id: RowId) -> Template:
        return await _bid_page(request, ASSET_PAGES, asset_bid_id)

    @get("/asset-bids/{asset_bid_id:int}/edit", guards=WRITERS)
    async def edit_asset_bid(
        self, request: Request[Any, Any, Any], asset_bid_id: RowId
    ) -> Template:
        return await _edit_bid_form(request, ASSET_PAGES, asset_bid_id)

    @post("/asset-bids/{asset_bid_id:int}/edit", guards=WRITERS)
    async def update_asset_bid(self, request: Request[Any, Any, Any], asset_bid_id: RowId) -> Any:
        return await _update_bid(request, ASSET_PAGES, asset_bid_id)

    @post("/asset-bids/{asset_bid_id:int}/stage", guards=WRITERS)
    async def move_asset_bid(self, request: Request[Any, Any, Any], asset_bid_id: RowId) -> Any:
        return await _move_bid(request, ASSET_PAGES, asset_bid_id)

    @get("/service-bids/new", guards=WRITERS)
    async def new_service_bid(self, request: Request[Any, Any, Any]) -> Template:
        return await _new_bid_form(request, SERVICE_PAGES)

    @post("/service-bids", guards=WRITERS)
    async def create_service_bid(self, request: Request[Any, Any, Any]) -> Any:
        return await _create_bid(request, SERVICE_PAGES)

    @get("/service-bids/{service_bid_id:int}", guards=READERS)
    async def service_bid(self, request: Request[Any, Any, Any], service_bid_id: RowId) -> Template:
        return await _bid_page(request, SERVICE_PAGES, service_bid_id)

    @get("/service-bids/{service_bid_id:int}/edit", guards=WRITERS)
    async def edit_service_bid(
        self, request: Request[Any, Any, Any], service_bid_id: RowId
    ) -> Template:
        return await _edit_bid_form(request, SERVICE_PAGES, service_bid_id)

    @post("/service-bids/{service_bid_id:int}/edit", guards=WRITERS)
    async def update_service_bid(
        self, request: Request[Any, Any, Any], service_bid_id: RowId
    ) -> Any:
        return await _update_bid(request, SERVICE_PAGES, service_bid_id)

    @post("/service-bids/{service_bid_id:int}/stage", guards=WRITERS)
    async def move_service_bid(self, request: Request[Any, Any, Any], service_bid_id: RowId) -> Any:
        return await _move_bid(request, SERVICE_PAGES, service_bid_id)

    # Grants -----------------------------------------------------------------------------

    async def _grant_form_context(self, request: Request[Any, Any, Any]) -> dict[str, Any]:
        durations = _durations(request)
        choices = [("", "Choose a bid")]
        for kind in BID_KINDS:
            choices += [
                (f"{kind.key}-{b['id']}", f"{b[kind.name_field]} ({kind.right}, {b['group_name']})")
                for b in await bids.list_bids(kind, durations=durations)
            ]
        return {
            "bids": choices,
            "pools": await grants.list_pools_for_grants(),
            "kinds": list(GrantKind),
            "regrant_types": grants.REGRANT_TYPES,
        }

    @get("/grants/new", guards=WRITERS)
    async def new_grant(
        self, request: Request[Any, Any, Any], bid: FromQuery[str] = ""
    ) -> Template:
        return render(
            GRANT_FORM,
            values={"bid": bid},
            errors={},
            **await self._grant_form_context(request),
        )

    @post("/grants", guards=WRITERS)
    async def propose_grant(self, request: Request[Any, Any, Any]) -> Any:
        data = await read_form(request)
        raw = dict(data)
        bid_type, _, bid_id = str(data.get("bid") or "").partition("-")
        # "asset-12": an unknown kind or a bad id is "Choose a bid from the list." at `bid`.
        if bid_type not in ("asset", "service"):
            bid_type, bid_id = "asset", ("x" if data.get("bid") else "")
        raw["asset_bid_id"] = bid_id if bid_type == "asset" else None
        raw["service_bid_id"] = bid_id if bid_type == "service" else None
        try:
            offered = {str(pool["id"]) for pool in await grants.list_pools_for_grants()}
            sent = str(data.get("pool_id") or "").strip()
            if sent.isdigit() and sent not in offered:
                # A round's pool sent by hand: the list offers programme pools only.
                raise ValidationFailed(
                    "The grant could not be saved.",
                    field_errors={"pool_id": "Choose a pool from the list."},
                )
            proposal = await grants.propose_grant_once(signed_in(request), raw, minor_units=False)
        except DomainError as exc:
            if isinstance(exc, Forbidden):
                raise
            errors = dict(exc.field_errors)
            for name in ("asset_bid_id", "service_bid_id"):
                if name in errors:
                    errors["bid"] = errors.pop(name)
            exc.field_errors = errors
            return render_form_error(
                GRANT_FORM, exc, data, **await self._grant_form_context(request)
            )
        if not proposal.created:  # the same grant proposed twice: the page says so
            return Redirect(f"/programme/{bid_type}-bids/{bid_id}?repeated=grant#grants")
        return flash_redirect(
            request,
            f"/programme/{bid_type}-bids/{bid_id}#grants",
            "Grant proposed",
            "Nothing is set aside until it is awarded.",
        )

    async def _grant_refused(
        self,
        request: Request[Any, Any, Any],
        grant_id: int,
        exc: DomainError,
        action: str,
        values: dict[str, Any] | None = None,
    ) -> Template:
        """The bid's page again, with why the grant's action was refused next to the grant."""
        if isinstance(exc, Forbidden):
            raise exc
        bid_type, bid_id = await _grant_bid(grant_id)
        return await _bid_page(
            request,
            ASSET_PAGES if bid_type == "asset" else SERVICE_PAGES,
            bid_id,
            status_code=exc.status_code if exc.status_code != 400 else 422,
            grant_error=exc.detail,
            grant_errors=exc.field_errors,
            grant_error_for=grant_id,
            grant_error_action=action,
            grant_values=values or {},
        )

    async def _check_page(
        self, request: Request[Any, Any, Any], check: dict[str, Any], exc: DomainError | None = None
    ) -> Template:
        """The check-your-answers page; after a refused confirm, its error summary on top."""
        if isinstance(exc, Forbidden):
            raise exc
        return render(
            GRANT_CHECK,
            status_code=200
            if exc is None
            else (exc.status_code if exc.status_code != 400 else 422),
            check_error=exc.detail if exc else "",
            check_errors=exc.field_errors if exc else {},
            change_url=grant_checks.change_url(check),
            **check,
        )

    @post("/grants/{grant_id:int}/award", guards=WRITERS)
    async def award_grant(self, request: Request[Any, Any, Any], grant_id: RowId) -> Any:
        """Without `confirmed=yes`: the check page says what the award will do; nothing is
        written. With it: the award, judged afresh by the service (the page is not trusted)."""
        data = await read_form(request)
        try:
            check = await grant_checks.award_check(grant_id)
        except (Conflict, ValidationFailed) as exc:
            return await self._grant_refused(request, grant_id, exc, "award")
        already = check["grant"]["status"] == "awarded"
        if data.get("confirmed") != "yes" and not already:
            return await self._check_page(request, check)
        try:
            awarded = await grants.award_grant(signed_in(request), grant_id)
        except (Conflict, ValidationFailed) as exc:
            return await self._check_page(request, await grant_checks.award_check(grant_id), exc)
        if not awarded.awarded_now:
            return flash_redirect(
                request, await _grant_page(grant_id), "This grant was already awarded"
            )
        return flash_redirect(
            request,
            await _grant_page(grant_id),
            "Grant awarded",
            f"{check['sentence']} Its amount is set aside from the pool. "
            "Mark it paid when the money has reached the group.",
        )

    @post("/grants/{grant_id:int}/paid", guards=WRITERS)
    async def mark_grant_paid(self, request: Request[Any, Any, Any], grant_id: RowId) -> Any:
        """Record that the group was paid (by bank transfer, say): reference and date, first
        on a check page (nothing written), then with `confirmed=yes`, validated again."""
        data = await read_form(request)
        values = {k: data.get(k) or "" for k in ("payment_reference", "paid_on")}
        try:
            check = await grant_checks.payment_check(grant_id, data)
        except (Conflict, ValidationFailed) as exc:
            return await self._grant_refused(request, grant_id, exc, "paid", values)
        if data.get("confirmed") != "yes" and check["grant"]["status"] == "awarded":
            return await self._check_page(request, check)
        try:
            paid = await grants.mark_grant_paid(signed_in(request), grant_id, data)
        except (Conflict, ValidationFailed) as exc:
            return await self._check_page(request, check, exc)
        return flash_redirect(
            request,
            await _grant_page(grant_id),
            "Grant marked as paid" if paid else "This grant was already marked as paid",
            check["sentence"] if paid else "",
        )

    async def _grant_step(
        self,
        request: Request[Any, Any, Any],
        grant_id: int,
        action: str,
        step: Callable[[dict[str, Any]], Awaitable[bool]],
        said: tuple[str, str, str],
    ) -> Any:
        """One grant form's POST: the step, then a banner (`said`: done, already so, and
        what happens next), or the bid page again with why it was refused."""
        data = await read_form(request)
        try:
            changed = await step(data)
        except (Conflict, ValidationFailed) as exc:
            return await self._grant_refused(request, grant_id, exc, action, data)
        done, already, after = said
        return flash_redirect(
            request,
            await _grant_page(grant_id),
            done if changed else already,
            after if changed else "",
        )

    @post("/grants/{grant_id:int}/payment-correction", guards=WRITERS)
    async def correct_payment(self, request: Request[Any, Any, Any], grant_id: RowId) -> Any:
        """Correct a paid grant's reference or date, with a reason (audited; no money moves)."""
        principal = signed_in(request)
        return await self._grant_step(
            request,
            grant_id,
            "correct",
            lambda data: grant_corrections.correct_payment(principal, grant_id, data),
            (
                "Payment record corrected",
                "The payment record already said that",
                "The old values and your reason are kept, and shown with the grant.",
            ),
        )

    @post("/grants/{grant_id:int}/cancel", guards=WRITERS)
    async def cancel_grant(self, request: Request[Any, Any, Any], grant_id: RowId) -> Any:
        principal = signed_in(request)
        return await self._grant_step(
            request,
            grant_id,
            "cancel",
            lambda data: grants.cancel_grant(principal, grant_id, str(data.get("reason") or "")),
            (
                "Grant cancelled",
                "This grant was already cancelled",
                "Any money set aside for it is back in the pool.",
            ),
        )


async def _grant_bid(grant_id: int) -> tuple[str, int]:
    grant = await grants.get_grant(grant_id)
    if grant["asset_bid"] is not None:
        return "asset", int(grant["asset_bid"])
    return "service", int(grant["service_bid"])


async def _grant_page(grant_id: int) -> str:
    bid_type, bid_id = await _grant_bid(grant_id)
    return f"/programme/{bid_type}-bids/{bid_id}#grants"
