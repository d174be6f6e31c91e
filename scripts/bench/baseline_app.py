"""The bare baseline for scripts/bench/listen: the first page of /listen served by a tiny
ASGI app — raw asyncpg and the same Jinja templates, no framework, no ORM.

- `GET /listen`: the same HTML from the same SQL. The SQL is compiled once, at start-up,
  from Groundswell's own query builders (the session query of accounts.sessions, the feed
  query of listening.feed for the first keyset page, and the pools query of
  listening.choices), so it is the very text and parameters Groundswell sends; each request
  then looks up the browser's session (a signed-in page must know who asks: the same
  checks of expiry, idleness and the user, the same touch at most once a minute), runs the
  feed through asyncpg and, like Groundswell, reads the pools only when its copy is older
  than POOL_CHOICES_SECONDS.
  (Places and hosts are typed on the page, with suggestions from their own endpoints, so
  neither page lists them.) The words are redacted the same way and the same templates render with the same
  Jinja filters and globals (templating.configure) and the same context, as the demo funder
  sees it. The difference in throughput is what Groundswell's stack costs per page.
- `GET /listen/essential`: the essential work alone, for reference — one keyset page of 25
  published testimonies (the same feed SQL) as a small escaped HTML list, no filter form.

`x-baseline-sql` on each answer says where the SQL came from ("groundswell": compiled from
Groundswell's builders; "copy": its builders moved, so a hand-kept copy below was used).

    uvicorn --app-dir scripts/bench baseline_app:app   (GROUNDSWELL_DATABASE_URL=postgresql://...)
"""

from __future__ import annotations

import os
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import asyncpg
from jinja2 import Environment, FileSystemLoader
from piccolo.querystring import QueryString

from groundswell.accounts.sessions import _SESSION_SQL
from groundswell.core.cursor import encode_keyset
from groundswell.core.security import token_digest
from groundswell.core.web import SESSION_COOKIE
from groundswell.listening.choices import POOL_CHOICES_SECONDS
from groundswell.listening.controllers import FIELD_LABELS, _groups, _status, _summary
from groundswell.listening.feed import FeedSort, feed_key
from groundswell.listening.services import (
    PAGE_SIZE,
    SORT_LABELS,
    THEME_LABELS,
    ListenPage,
    ListenQuery,
)
from groundswell.settings import load_settings
from groundswell.vouching.queries import Audience, public_testimony
from groundswell.web.templating import configure

ROOT = Path(__file__).resolve().parents[2]
ESSENTIAL_PAGE = 25

# Used only when Groundswell's builders cannot be imported (see the module docstring).
COPY_FEED_SQL = """
SELECT endorsement.id, endorsement.testimony, endorsement.theme, endorsement.display_name,
       endorsement.neighbourhood, endorsement.updated_at,
       o.id AS organiser_id, o.code AS organiser_code, o.name AS organiser_name,
       loc.id AS locality_id, loc.name AS locality_name, host.id AS host_id, host.name AS host_name
FROM endorsement
JOIN organiser o ON o.id = endorsement.organiser
JOIN locality loc ON loc.id = o.locality
JOIN host_organisation host ON host.id = o.host
WHERE endorsement.verification IN ('sms_inbound', 'sms_code') AND endorsement.state = 'active'
  AND endorsement.moderation != 'flagged' AND (endorsement.show_public OR endorsement.show_funders)
ORDER BY endorsement.updated_at DESC, endorsement.id DESC
LIMIT $1
"""
COPY_POOLS_SQL = """
SELECT pool.id, pool.name, pool.funder, funder.name AS funder_name
FROM pool LEFT JOIN funder ON funder.id = pool.funder
WHERE pool.is_active ORDER BY funder.name, pool.name
"""

PLACE_KEYS = (
    "organiser_id",
    "organiser_code",
    "organiser_name",
    "locality_id",
    "locality_name",
    "host_id",
    "host_name",
)
Statement = tuple[str, list[Any]]


def groundswell_sql(limit: int) -> dict[str, Statement]:
    """The statements Groundswell sends for the first page, compiled by its own builders."""
    from piccolo.querystring import QueryString

    from groundswell.funders.tables import Pool
    from groundswell.listening import feed as listen_feed
    from groundswell.vouching import queries

    def compiled(query: Any) -> Statement:
        text, args = query.querystrings[0].compile_string(engine_type="postgres")
        return text, list(args)

    feed = QueryString(
        listen_feed._FEED_SQL % listen_feed._FEED_ORDER[listen_feed.FeedSort.NEWEST],
        listen_feed._all_of([queries.published_condition(Audience.FUNDERS).querystring]),
        listen_feed._all_of([]),
        limit + 1,
    ).compile_string(engine_type="postgres")
    essential = QueryString(
        listen_feed._FEED_SQL % listen_feed._FEED_ORDER[listen_feed.FeedSort.NEWEST],
        listen_feed._all_of([queries.published_condition(Audience.FUNDERS).querystring]),
        listen_feed._all_of([]),
        ESSENTIAL_PAGE + 1,
    ).compile_string(engine_type="postgres")
    # As listening.choices builds it.
    pools = (
        Pool.select(Pool.id, Pool.name, Pool.funder, Pool.funder.name.as_alias("funder_name"))
        .where(Pool.is_active == True)  # noqa: E712
        .order_by(Pool.funder.name)
        .order_by(Pool.name)
    )
    return {
        "feed": (feed[0], list(feed[1])),
        "essential": (essential[0], list(essential[1])),
        "pools": compiled(pools),
    }


def copied_sql(limit: int) -> dict[str, Statement]:
    return {
        "feed": (COPY_FEED_SQL, [limit + 1]),
        "essential": (COPY_FEED_SQL, [ESSENTIAL_PAGE + 1]),
        "pools": (COPY_POOLS_SQL, []),
    }


try:
    SQL, SQL_SOURCE = groundswell_sql(PAGE_SIZE), b"groundswell"
except (ImportError, AttributeError, KeyError, TypeError) as exc:  # builders moved
    print(f"baseline_app: Groundswell's query builders moved ({exc!r}); using the copy")
    SQL, SQL_SOURCE = copied_sql(PAGE_SIZE), b"copy"

environment = Environment(loader=FileSystemLoader(ROOT / "templates"), autoescape=True)
configure(load_settings())(SimpleNamespace(engine=environment))  # type: ignore[arg-type]
template = environment.get_template("listening/page.html")
essential_template = environment.from_string(
    "<!doctype html><title>What residents said</title><h1>What residents said</h1><ol>"
    "{% for row in rows %}<li><blockquote>{{ row['testimony'] }}</blockquote>"
    "<p><a href=\"/organisers/{{ row['organiser_code'] }}\">{{ row['organiser_name'] }}</a>, "
    "{{ row['locality_name'] }} · {{ row['at'] | date }}</p></li>{% endfor %}</ol>"
    '{% if more %}<a href="/listen?cursor=next">Older</a>{% endif %}'
)
# Who signed in for the Groundswell run: the essential page's user (it looks nothing up).
USER = SimpleNamespace(role="funder", email="funder@groundswell.example")
SESSION_SQL = QueryString(_SESSION_SQL, "").compile_string(engine_type="postgres")[0]
SETTINGS = load_settings()
# A token as long as Groundswell's (64 hex digits), so both pages are the same bytes.
CSRF = '<input type="hidden" name="_csrf_token" value="%s" />' % ("0" * 64)
LISTEN_URL = SimpleNamespace(path="/listen", query="")
state: dict[str, Any] = {}


async def fetch(connection: asyncpg.Connection, name: str) -> list[asyncpg.Record]:
    text, args = SQL[name]
    return list(await connection.fetch(text, *args))


async def pool_rows(connection: asyncpg.Connection) -> list[asyncpg.Record]:
    """The pools, read again when older than Groundswell keeps them (the same work)."""
    moment = time.monotonic()
    kept = state.get("pools")
    if kept is None or moment - kept[0] > POOL_CHOICES_SECONDS:
        kept = state["pools"] = (moment, await fetch(connection, "pools"))
    return kept[1]


def session_token(scope: dict[str, Any]) -> str | None:
    for name, value in scope["headers"]:
        if name == b"cookie":
            for part in value.decode("latin-1").split(";"):
                key, _, token = part.strip().partition("=")
                if key == SESSION_COOKIE:
                    return token
    return None


async def signed_in(connection: asyncpg.Connection, token: str | None) -> Any:
    """The session's user as Groundswell's principal lookup finds it, or None."""
    if not token:
        return None
    rows = await connection.fetch(SESSION_SQL, token_digest(token))
    if not rows:
        return None
    session, moment = rows[0], datetime.now(UTC)
    idle_limit = session["last_seen_at"] + timedelta(minutes=SETTINGS.session_idle_minutes)
    if moment >= session["expires_at"] or moment >= idle_limit or not session["is_active"]:
        return None
    if moment - session["last_seen_at"] > timedelta(minutes=1):
        await connection.execute(
            "UPDATE user_session SET last_seen_at = $1 WHERE id = $2", moment, session["session_id"]
        )
    return SimpleNamespace(
        role=session["role"],
        email=session["email"],
        funder_ids=frozenset(row["funder"] for row in rows if row["funder"] is not None),
    )


async def render_listen(scope: dict[str, Any]) -> bytes | None:
    async with state["pool"].acquire() as connection:
        user = await signed_in(connection, session_token(scope))
        if user is None:
            return None
        rows = await fetch(connection, "feed")
        pools = await pool_rows(connection)
    page = ListenPage(query=ListenQuery())
    page.items = [
        {**public_testimony(dict(row), Audience.FUNDERS), **{key: row[key] for key in PLACE_KEYS}}
        for row in rows[:PAGE_SIZE]
    ]
    if len(rows) > PAGE_SIZE:
        # The keyset cursor of the last row shown, encoded as Groundswell encodes it.
        key = feed_key(FeedSort.NEWEST, page.items[-1])
        page.next_url = page.query.url(cursor=encode_keyset(FeedSort.NEWEST.value, key) or "")
    own = user.funder_ids
    options = {
        "pool_groups": [
            (label, group)
            for label, group in (
                ("Your pools", [dict(p) for p in pools if p["funder"] in own]),
                (
                    "Other pools" if own else "Pools",
                    [dict(p) for p in pools if p["funder"] not in own],
                ),
            )
            if group
        ],
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
        # No flash message waits in the bench's browser: base.html's take_flash finds none.
        request=SimpleNamespace(scope={"user": user}, url=LISTEN_URL, cookies={}),
        csrf_input=CSRF,
    )
    return html.encode()


async def render_essential() -> bytes:
    async with state["pool"].acquire() as connection:
        rows = await fetch(connection, "essential")
    page = [
        {**public_testimony(dict(row), Audience.FUNDERS), **{key: row[key] for key in PLACE_KEYS}}
        for row in rows[:ESSENTIAL_PAGE]
    ]
    return essential_template.render(rows=page, more=len(rows) > ESSENTIAL_PAGE).encode()


async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    if scope["type"] == "lifespan":
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                state["pool"] = await asyncpg.create_pool(
                    os.environ["GROUNDSWELL_DATABASE_URL"], min_size=1, max_size=10
                )
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await state["pool"].close()
                await send({"type": "lifespan.shutdown.complete"})
                return
    if scope["type"] != "http":
        return
    if scope["path"] == "/listen":
        body = await render_listen(scope)
        if body is None:
            await send({"type": "http.response.start", "status": 401, "headers": []})
            await send({"type": "http.response.body", "body": b"sign in"})
            return
    elif scope["path"] == "/listen/essential":
        body = await render_essential()
    else:
        await send({"type": "http.response.start", "status": 404, "headers": []})
        await send({"type": "http.response.body", "body": b"not found"})
        return
    await send(
        {
            "type": "http.response.start",
            "status": 200,
            "headers": [
                (b"content-type", b"text/html; charset=utf-8"),
                (b"content-length", str(len(body)).encode()),
                (b"x-baseline-sql", SQL_SOURCE),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
