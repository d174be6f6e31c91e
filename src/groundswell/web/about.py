"""The pages every footer links to: privacy notice, accessibility statement, contact.

Public, and the same for everyone: what they say about residents' data must stay true to
what vouching keeps (vouching/tables.py, vouching/jobs.py, vouching/residents.py)."""

from __future__ import annotations

from typing import Any

from litestar import Request, get
from litestar.response import Template

from groundswell.core.pages import render
from groundswell.core.web import settings_of
from groundswell.vouching.jobs import INBOUND_KEPT_FOR


def _context(request: Request[Any, Any, Any]) -> dict[str, Any]:
    return {"contact_email": settings_of(request).contact_email}


@get("/privacy", name="privacy", include_in_schema=False)
async def privacy(request: Request[Any, Any, Any]) -> Template:
    return render("core/privacy.html", message_ids_days=INBOUND_KEPT_FOR.days, **_context(request))


@get("/accessibility", name="accessibility", include_in_schema=False)
async def accessibility(request: Request[Any, Any, Any]) -> Template:
    return render("core/accessibility.html", **_context(request))


@get("/contact", name="contact", include_in_schema=False)
async def contact(request: Request[Any, Any, Any]) -> Template:
    return render("core/contact.html", **_context(request))


ROUTES = [privacy, accessibility, contact]
