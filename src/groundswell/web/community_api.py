from __future__ import annotations

from typing import Any

import msgspec
from litestar import Controller, Request, get, post
from litestar.params import FromPath, FromQuery, JSONBody

from groundswell.community import services
from groundswell.community.schemas import (
    LocalityOut,
    OrganiserDetail,
    OrganiserIn,
    OrganiserOut,
    TestimonyOut,
    TestimonyPage,
)
from groundswell.core.cursor import decode_cursor, encode_cursor
from groundswell.core.errors import ValidationFailed
from groundswell.core.principal import Role
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


class OrganiserApi(Controller):
    path = "/api/v1/organisers"
    tags = ("organisers",)

    @get("/")
    async def list_organisers(self) -> list[OrganiserOut]:
        return [organiser_out(row) for row in await services.list_organisers()]

    @get("/{code:str}")
    async def get_organiser(self, code: FromPath[str]) -> OrganiserDetail:
        row = await services.get_organiser(code)
        return OrganiserDetail(
            code=row["code"],
            name=row["name"],
            host=row["host_name"],
            locality=row["locality_name"],
            status=row["status"],
            endorsers=await queries.endorser_count(row["id"]),
        )

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
