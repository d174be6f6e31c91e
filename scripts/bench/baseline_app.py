"""The bare baseline for scripts/bench/listen: the first page of /listen served by a tiny
ASGI app — raw asyncpg and the same Jinja templates, no framework, no sessions, no ORM.

It runs the same SQL Groundswell runs for that page (the feed and the three lists of
filter choices), redacts the words the same way, and renders the same templates with the
same context, so the difference in throughput is what Groundswell's stack costs.

    uvicorn --app-dir scripts/bench baseline_app:app   (GROUNDSWELL_DATABASE_URL=postgresql://...)
"""

from __future__ import annotations

import os
from itertools import groupby
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import asyncpg
from jinja2 import Environment, FileSystemLoader

from groundswell import __version__
from groundswell.listening.controllers import FIELD_LABELS, _groups, _status, _summary
from groundswell.listening.services import (
    SORT_LABELS,
    THEME_LABELS,
    ListenPage,
    ListenQuery,
)
from groundswell.vouching.queries import public_testimony
from groundswell.web.templating import _date

ROOT = Path(__file__).resolve().parents[2]
PAGE_SIZE = 20

FEED_SQL = """
SELECT endorsement.id, endorsement.testimony, endorsement.theme, endorsement.display_name,
       endorsement.neighbourhood, endorsement.updated_at,
       o.id AS organiser_id, o.code AS organiser_code, o.name AS organiser_name,
       loc.id AS locality_id, loc.name AS locality_name, host.id AS host_id, host.name AS host_name
FROM endorsement
JOIN organiser o ON o.id = endorsement.organiser
JOIN locality loc ON loc.id = o.locality
JOIN host_organisation host ON host.id = o.host
WHERE endorsement.verification IN ('sms_inbound', 'sms_code') AND endorsement.state = 'active'
  AND endorsement.moderation != 'flagged' AND endorsement.consent_to_publish
ORDER BY endorsement.updated_at DESC, endorsement.id DESC
LIMIT $1
"""
POOLS_SQL = """
SELECT pool.id, pool.name, pool.funder, funder.name AS funder_name
FROM pool JOIN funder ON funder.id = pool.funder
WHERE pool.is_active ORDER BY funder.name, pool.name
"""
PLACES_SQL = "SELECT id, name, local_authority FROM locality ORDER BY local_authority, name"
HOSTS_SQL = "SELECT id, name FROM host_organisation ORDER BY name"
PLACE_KEYS = (
    "organiser_id",
    "organiser_code",
    "organiser_name",
    "locality_id",
    "locality_name",
    "host_id",
    "host_name",
)

environment = Environment(loader=FileSystemLoader(ROOT / "templates"), autoescape=True)
environment.filters["date"] = _date
environment.globals.update(
    version=__version__,
    environment="development",
    htmx_available=(ROOT / "src/groundswell/static/vendor/htmx.min.js").exists(),
)
template = environment.get_template("listening/page.html")
# The same signed-in funder the Groundswell run uses, as the templates see a user.
USER = SimpleNamespace(role="funder", email="funder@groundswell.example")
REQUEST = SimpleNamespace(scope={"user": USER}, url=SimpleNamespace(path="/listen"))
CSRF = '<input type="hidden" name="_csrf_token" value="baseline">'
state: dict[str, Any] = {}


async def render_listen() -> bytes:
    pool = state["pool"]
    async with pool.acquire() as connection:
        rows = await connection.fetch(FEED_SQL, PAGE_SIZE + 1)
        pools = await connection.fetch(POOLS_SQL)
        places = await connection.fetch(PLACES_SQL)
        hosts = await connection.fetch(HOSTS_SQL)
    page = ListenPage(query=ListenQuery())
    page.items = [
        {**public_testimony(dict(row)), **{key: row[key] for key in PLACE_KEYS}}
        for row in rows[:PAGE_SIZE]
    ]
    if len(rows) > PAGE_SIZE:
        page.next_url = "/listen?cursor=next"
    own = state["own_funders"]
    options = {
        "pool_groups": [
            (label, group)
            for label, group in (
                ("Your pools", [dict(p) for p in pools if p["funder"] in own]),
                ("Other pools", [dict(p) for p in pools if p["funder"] not in own]),
            )
            if group
        ],
        "place_groups": [
            (authority or "Other places", [dict(p) for p in group])
            for authority, group in groupby(places, key=lambda row: row["local_authority"])
        ],
        "hosts": [dict(h) for h in hosts],
        "themes": list(THEME_LABELS.items()),
        "sorts": list(SORT_LABELS.items()),
    }
    html = template.render(
        page=page,
        groups=_groups(page),
        heading="What residents said",
        summary=_summary(page),
        status_text=_status(page),
        theme_labels=THEME_LABELS,
        field_labels=FIELD_LABELS,
        partial=False,
        options=options,
        request=REQUEST,
        csrf_input=CSRF,
    )
    return html.encode()


async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    if scope["type"] == "lifespan":
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                state["pool"] = await asyncpg.create_pool(
                    os.environ["GROUNDSWELL_DATABASE_URL"], min_size=1, max_size=10
                )
                rows = await state["pool"].fetch(
                    'SELECT m.funder FROM membership m JOIN app_user u ON u.id = m."user" '
                    "WHERE u.email = $1 AND m.funder IS NOT NULL",
                    USER.email,
                )
                state["own_funders"] = {row["funder"] for row in rows}
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await state["pool"].close()
                await send({"type": "lifespan.shutdown.complete"})
                return
    if scope["type"] != "http":
        return
    if scope["path"] != "/listen":
        await send({"type": "http.response.start", "status": 404, "headers": []})
        await send({"type": "http.response.body", "body": b"not found"})
        return
    body = await render_listen()
    await send(
        {
            "type": "http.response.start",
            "status": 200,
            "headers": [
                (b"content-type", b"text/html; charset=utf-8"),
                (b"content-length", str(len(body)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
