"""Open data anyone may fetch: the 360Giving package as JSON and as a spreadsheet (CSV)."""

from __future__ import annotations

import json
from typing import Any

from litestar import Controller, Request, Response, get

from groundswell.core.web import settings_of
from groundswell.exports import services


class OpenDataController(Controller):
    path = "/open-data"
    tags = ("open data",)

    @get("/360giving.json")
    async def package(self, request: Request[Any, Any, Any]) -> Response[bytes]:
        """Every grant Groundswell has made, as a 360Giving 1.4 data package."""
        package = await services.build_package(settings_of(request))
        return Response(
            json.dumps(package, ensure_ascii=False, indent=2).encode("utf-8"),
            media_type="application/json",
            headers={"access-control-allow-origin": "*"},
        )

    @get("/360giving.csv")
    async def spreadsheet(self, request: Request[Any, Any, Any]) -> Response[bytes]:
        """The same grants in 360Giving's spreadsheet shape, with the standard's column titles."""
        package = await services.build_package(settings_of(request))
        return Response(
            services.package_csv(package).encode("utf-8"),
            media_type="text/csv; charset=utf-8",
            headers={
                "access-control-allow-origin": "*",
                "content-disposition": 'attachment; filename="360giving.csv"',
            },
        )
