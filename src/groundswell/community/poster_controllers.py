"""An organiser's poster and pocket cards as PDF: thin routes over community/posters.py.

Anyone may download them, signed in or not. Everything they print is already public (the
organiser's page shows the name, the code and the vouching link, and the code is meant to
be handed round), and the people who most need to print one have no account here: the
organiser, and residents putting one up at their own community centre. An organiser who
has left is not taking vouches, so there is nothing to print for them.

Building a poster takes a fifth of a second of CPU, so it runs off the event loop and the
last few are kept: a noticeboard's worth of downloads builds each one once.
"""

from __future__ import annotations

import asyncio
from functools import lru_cache
from typing import Any, Literal

from litestar import Controller, Request, Response, get
from litestar.params import FromPath, FromQuery

from groundswell.community import services
from groundswell.community.poster_layout import build_cards, build_poster
from groundswell.community.posters import (
    LANGS,
    PosterData,
    poster_data,
    poster_filename,
)
from groundswell.community.states import OrganiserStatus
from groundswell.core.errors import NotFound, ValidationFailed
from groundswell.core.web import settings_of

LAYOUTS = ("sheet", "single")


@lru_cache(maxsize=64)
def _render(kind: Literal["poster", "cards", "card"], data: PosterData) -> bytes:
    if kind == "poster":
        return build_poster(data)
    return build_cards(data, "single" if kind == "card" else "sheet")


async def _printable(
    request: Request[Any, Any, Any], code: str, lang: str, kind: Literal["poster", "cards", "card"]
) -> Response[bytes]:
    if lang not in LANGS:
        raise ValidationFailed(
            "Choose a language for the poster.",
            field_errors={"lang": f"Choose one of: {', '.join(LANGS)}."},
        )
    organiser = await services.get_organiser(code)
    if organiser["status"] == OrganiserStatus.LEFT.value:
        raise NotFound(
            f"{organiser['name']} is no longer taking vouches, so there is no poster or card "
            "to print."
        )
    data = poster_data(organiser, settings_of(request), lang)
    pdf = await asyncio.to_thread(_render, kind, data)
    return Response(
        pdf,
        media_type="application/pdf",
        headers={
            "content-disposition": f'inline; filename="{poster_filename(data, kind)}"',
            "cache-control": "public, max-age=300",
        },
    )


class OrganiserPrintController(Controller):
    include_in_schema = False
    path = "/organisers"

    @get("/{code:str}/poster.pdf", name="organiser_poster")
    async def poster(
        self, request: Request[Any, Any, Any], code: FromPath[str], lang: FromQuery[str] = "en"
    ) -> Response[bytes]:
        """An A4 poster for a noticeboard (``?lang=cy`` for Welsh)."""
        return await _printable(request, code, lang, "poster")

    @get("/{code:str}/card.pdf", name="organiser_card")
    async def card(
        self,
        request: Request[Any, Any, Any],
        code: FromPath[str],
        lang: FromQuery[str] = "en",
        layout: FromQuery[str] = "sheet",
    ) -> Response[bytes]:
        """Pocket cards: ten to an A4 sheet with cut marks, or ``?layout=single`` for one
        85 × 55 mm card (a print shop)."""
        if layout not in LAYOUTS:
            raise ValidationFailed(
                "Choose how to lay out the cards.",
                field_errors={"layout": "Choose sheet (ten on A4) or single (one card)."},
            )
        return await _printable(request, code, lang, "card" if layout == "single" else "cards")
