from __future__ import annotations

from typing import Any

import msgspec
from litestar import Controller, Request, get, patch, post
from litestar.connection import ASGIConnection
from litestar.handlers import BaseRouteHandler
from litestar.params import FromPath, FromQuery, JSONBody

from groundswell.community import lifecycle, moves, services
from groundswell.community.schemas import (
    ChangeOut,
    DatesIn,
    HistoryOut,
    HostingOut,
    LocalityOut,
    MoveIn,
    OrganiserChange,
    OrganiserDetail,
    OrganiserIn,
    OrganiserOut,
    OrganiserPatch,
    ReasonIn,
    TestimonyOut,
    TestimonyPage,
)
from groundswell.core.cursor import decode_cursor, encode_cursor
from groundswell.core.errors import Forbidden, ValidationFailed
from groundswell.core.principal import Principal, Role
from groundswell.core.web import principal_of, requires_role, signed_in
from groundswell.vouching import queries


def organiser_out(row: dict[str, Any]) -> OrganiserOut:
    return OrganiserOut(
        code=row["code"],
        name=row["name"],
        host=row["host_name"],
        locality=row["locality_name"],
        status=row["status"],
    )


async def organiser_detail(code: str, viewer: Principal | None) -> OrganiserDetail:
    """The organiser as `viewer` may see them: a move still ahead (it may yet be cancelled)
    only for staff and the organiser's own host, as on the manage page."""
    row = await services.get_organiser(code)
    manages = viewer is not None and viewer.can_manage_host(row["host_id"])
    return OrganiserDetail(
        code=row["code"],
        name=row["name"],
        host=row["host_name"],
        locality=row["locality_name"],
        status=row["status"],
        endorsers=await queries.endorser_count(row["id"]),
        status_since=row["status_since"],
        bursary_start=row["bursary_start"],
        bursary_end=row["bursary_end"],
        bio=row["bio"],
        hosts=[
            HostingOut(host=h.host, since=h.since, until=h.until, scheduled=h.scheduled)
            for h in await moves.hostings(row, scheduled=manages)
        ],
    )


async def _change(code: str, viewer: Principal, *plans: lifecycle.Plan) -> OrganiserChange:
    return OrganiserChange(
        applied=any(plan.applied for plan in plans),
        changes=[
            ChangeOut(what=what, before=before, after=after)
            for plan in plans
            for what, before, after in plan.rows
        ],
        organiser=await organiser_detail(code, viewer),
    )


async def _manages_the_organiser(
    connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler
) -> None:
    """Before the body is decoded: another host hears "not yours" (403), never which of the
    body's fields would have been wrong."""
    await lifecycle.organiser_for_manager(signed_in(connection), connection.path_params["code"])


STAFF = [requires_role(Role.ADMIN)]
MANAGERS = [requires_role(Role.ADMIN, Role.HOST), _manages_the_organiser]


async def _patch(
    principal: Principal, code: str, data: OrganiserPatch, *, apply: bool
) -> list[lifecycle.Plan]:
    current = await services.get_organiser(code)
    plans = []
    if data.bursary_start is not None or data.bursary_end is not None:
        if not principal.is_admin:
            raise Forbidden(services.HOST_DATES_REFUSED)
        dates = {
            "bursary_start": data.bursary_start or current["bursary_start"],
            "bursary_end": data.bursary_end or current["bursary_end"],
            "reason": data.reason or "",
        }
        plans.append(await lifecycle.correct_dates(principal, code, dates, apply=apply))
    if data.name is not None or data.bio is not None or data.locality_id is not None:
        details = {
            "name": current["name"] if data.name is None else data.name,
            "bio": current["bio"] if data.bio is None else data.bio,
            "locality_id": data.locality_id or "",
        }
        plans.append(await lifecycle.edit_details(principal, code, details, apply=apply))
    return plans


class OrganiserApi(Controller):
    path = "/api/v1/organisers"
    tags = ("organisers",)

    @get("/")
    async def list_organisers(self) -> list[OrganiserOut]:
        return [organiser_out(row) for row in await services.list_organisers()]

    @get("/{code:str}")
    async def get_organiser(
        self, request: Request[Any, Any, Any], code: FromPath[str]
    ) -> OrganiserDetail:
        """An organiser with their lifecycle: status (active, paused, left) and since when,
        bursary year, and the hosts they have had."""
        return await organiser_detail(code, principal_of(request))

    @patch("/{code:str}", guards=MANAGERS)
    async def update_organiser(
        self, request: Request[Any, Any, Any], code: FromPath[str], data: JSONBody[OrganiserPatch]
    ) -> OrganiserChange:
        """Name and words about their work (staff and the organiser's own host); place and
        bursary dates, with a reason (staff only). Everything is checked before anything is
        written."""
        principal = signed_in(request)
        await _patch(principal, code, data, apply=False)
        return await _change(code, principal, *await _patch(principal, code, data, apply=True))

    @get("/{code:str}/history", guards=MANAGERS)
    async def organiser_history(self, code: FromPath[str]) -> list[HistoryOut]:
        """Every change to the organiser, oldest first (as on the manage page)."""
        row = await services.get_organiser(code)
        return [
            HistoryOut(at=e.at, who=e.who, what=e.what, reason=e.reason)
            for e in await lifecycle.history(row["id"])
        ]

    @post("/{code:str}/dates", guards=STAFF, status_code=200)
    async def correct_dates(
        self, request: Request[Any, Any, Any], code: FromPath[str], data: JSONBody[DatesIn]
    ) -> OrganiserChange:
        raw, principal = msgspec.structs.asdict(data), signed_in(request)
        return await _change(code, principal, await lifecycle.correct_dates(principal, code, raw))

    @post("/{code:str}/move", guards=STAFF, status_code=200)
    async def move_host(
        self, request: Request[Any, Any, Any], code: FromPath[str], data: JSONBody[MoveIn]
    ) -> OrganiserChange:
        raw, principal = msgspec.structs.asdict(data), signed_in(request)
        return await _change(code, principal, await moves.move_host(principal, code, raw))

    @post("/{code:str}/move/cancel", guards=STAFF, status_code=200)
    async def cancel_move(
        self, request: Request[Any, Any, Any], code: FromPath[str], data: JSONBody[ReasonIn]
    ) -> OrganiserChange:
        """Cancel a move scheduled for a later date (nothing to cancel: `applied` false)."""
        raw, principal = msgspec.structs.asdict(data), signed_in(request)
        return await _change(code, principal, await moves.cancel_move(principal, code, raw))

    async def _status(
        self, request: Request[Any, Any, Any], code: str, action: str, data: ReasonIn
    ) -> OrganiserChange:
        raw, principal = msgspec.structs.asdict(data), signed_in(request)
        plan = await lifecycle.change_status(principal, code, action, raw)
        return await _change(code, principal, plan)

    @post("/{code:str}/pause", guards=STAFF, status_code=200)
    async def pause(
        self, request: Request[Any, Any, Any], code: FromPath[str], data: JSONBody[ReasonIn]
    ) -> OrganiserChange:
        """Rounds leave them out while paused; residents can still vouch."""
        return await self._status(request, code, "pause", data)

    @post("/{code:str}/unpause", guards=STAFF, status_code=200)
    async def unpause(
        self, request: Request[Any, Any, Any], code: FromPath[str], data: JSONBody[ReasonIn]
    ) -> OrganiserChange:
        return await self._status(request, code, "unpause", data)

    @post("/{code:str}/end", guards=STAFF, status_code=200)
    async def end(
        self, request: Request[Any, Any, Any], code: FromPath[str], data: JSONBody[ReasonIn]
    ) -> OrganiserChange:
        """They have left the role: final; their history stays."""
        return await self._status(request, code, "end", data)

    @get("/{code:str}/endorsements")
    async def list_endorsements(
        self,
        request: Request[Any, Any, Any],
        code: FromPath[str],
        cursor: FromQuery[str | None] = None,
        limit: FromQuery[int] = 20,
    ) -> TestimonyPage:
        """Published testimony (verified, visible, redacted), newest first, as the caller may
        read it: without a token, only words residents made public and never a name; with a
        funder's or staff token, also words shared with funders, with the first name and
        neighbourhood they gave.

        Pass `next_cursor` back as `cursor` for the next page."""
        row = await services.get_organiser(code)
        if not 1 <= limit <= 100:
            raise ValidationFailed(
                "limit must be between 1 and 100.", field_errors={"limit": "1 to 100"}
            )
        items, next_key = await queries.published_for_organiser(
            row["id"],
            audience=queries.audience_of(principal_of(request)),
            before=decode_cursor(cursor),
            limit=limit,
        )
        return TestimonyPage(
            items=[
                TestimonyOut(
                    ref=item["ref"],
                    testimony=item["testimony"],
                    theme=item["theme"],
                    display_name=item["display_name"],
                    neighbourhood=item["neighbourhood"],
                    at=item["at"],
                )
                for item in items
            ],
            next_cursor=encode_cursor(next_key),
        )

    @post("/", guards=[requires_role(Role.ADMIN, Role.HOST)])
    async def create_organiser(
        self, request: Request[Any, Any, Any], data: JSONBody[OrganiserIn]
    ) -> OrganiserOut:
        code = await services.create_organiser(signed_in(request), msgspec.structs.asdict(data))
        return organiser_out(await services.get_organiser(code))


class LocalityApi(Controller):
    path = "/api/v1/localities"
    tags = ("localities",)

    @get("/")
    async def list_localities(self) -> list[LocalityOut]:
        return [
            LocalityOut(
                id=r["id"],
                name=r["name"],
                ons_ward_code=r["ons_ward_code"],
                ons_la_code=r["ons_la_code"],
                local_authority=r["local_authority"],
            )
            for r in await services.list_localities()
        ]
