"""An asset bid's evidence pack as PDF: a thin route over programme/evidence.py.

Programme staff (administrators) only for now; the group's contacts may get it later.
"""

from __future__ import annotations

import asyncio
from typing import Any

from litestar import Controller, Request, Response, get

from groundswell.core.clock import now, on_uk_clocks
from groundswell.core.principal import Role
from groundswell.core.web import RowId, requires_role, settings_of
from groundswell.programme import bids
from groundswell.programme.building_voices import building_voices
from groundswell.programme.evidence import (
    evidence_filename,
    evidence_pack,
)
from groundswell.programme.evidence_pdf import build_evidence_pack
from groundswell.programme.kinds import ASSET_BID


class EvidencePackController(Controller):
    include_in_schema = False
    path = "/programme/asset-bids"

    @get("/{asset_bid_id:int}/evidence.pdf", guards=[requires_role(Role.ADMIN)])
    async def evidence(
        self, request: Request[Any, Any, Any], asset_bid_id: RowId
    ) -> Response[bytes]:
        durations = bids.durations_from(settings_of(request))
        bid = await bids.get_bid(ASSET_BID, asset_bid_id, durations=durations)
        voices = await building_voices(asset_bid_id)
        pack = evidence_pack(
            bid, durations=durations, voices=voices, generated_at=on_uk_clocks(now())
        )
        pdf = await asyncio.to_thread(build_evidence_pack, pack)
        return Response(
            pdf,
            media_type="application/pdf",
            headers={
                "content-disposition": f'attachment; filename="{evidence_filename(pack)}"',
                "cache-control": "no-store",
            },
        )
