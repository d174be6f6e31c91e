from __future__ import annotations

from typing import Any

from litestar import Controller, Request, Response, get
from litestar.enums import MediaType
from litestar.response import Template

from groundswell.core.csv import csv_download, write_csv
from groundswell.core.errors import ValidationFailed
from groundswell.core.pages import is_htmx_partial
from groundswell.core.search import query_words
from groundswell.core.web import principal_of, requires_login
from groundswell.listening import choices, services
from groundswell.listening.feed import FeedSort
from groundswell.listening.services import THEME_LABELS, ListenPage
from groundswell.vouching.queries import audience_of

FIELD_LABELS = {
    "q": "Search",
    "pool": "Pool",
    "locality": "Place",
    "organiser": "Organiser's code",
    "host": "Host organisation",
    "theme": "Mostly about",
    "from": "Said on or after",
    "to": "Said on or before",
    "sort": "Order",
}


def _groups(page: ListenPage) -> list[dict[str, Any]]:
    """Newest first is one list; by organiser, one list under each organiser's name."""
    if page.query.sort is FeedSort.NEWEST:
        return [{"organiser": None, "items": page.items}] if page.items else []
    groups: list[dict[str, Any]] = []
    for item in page.items:
        if not groups or groups[-1]["organiser"]["id"] != item["organiser_id"]:
            organiser = {
                "id": item["organiser_id"],
                "code": item["organiser_code"],
                "name": item["organiser_name"],
                "locality_name": item["locality_name"],
            }
            groups.append({"organiser": organiser, "items": []})
        groups[-1]["items"].append(item)
    return groups


def _summary(page: ListenPage) -> str:
    query = page.query
    parts = ["Newest first" if query.sort is FeedSort.NEWEST else "By organiser, newest first"]
    if page.pool_name:
        where = ", ".join(page.pool_places) if page.pool_places else "any place"
        parts.append(f"pool {page.pool_name} (listens in {where})")
    if page.locality_name:
        parts.append(f"place {page.locality_name}")
    if page.organiser_name:
        parts.append(f"organiser {page.organiser_name} ({query.organiser})")
    if page.host_name:
        parts.append(f"host organisation {page.host_name}")
    if query.theme:
        parts.append(f"mostly about: {THEME_LABELS[query.theme].lower()}")
    if query.date_from or query.date_to:
        start = query.date_from.strftime("%-d %b %Y") if query.date_from else "the start"
        end = query.date_to.strftime("%-d %b %Y") if query.date_to else "today"
        parts.append(f"said from {start} to {end}")
    if query.q:
        parts.append(f"words: “{query.q}”")
    text = "; ".join(parts) + "."
    if query.cursor:
        text += " Continued from the previous page."
    return text


def _status(page: ListenPage) -> str:
    if page.errors:
        return "Please check the search and filters."
    if not page.items:
        return "No published testimony matches."
    # No total: counting every match would read past the page the keyset reads (see the
    # README's Benchmarks); the page says how many it shows and whether more follow.
    count = len(page.items)
    more = " More follow on the next page." if page.next_url else ""
    return f"{count} {'testimony' if count == 1 else 'testimonies'} shown here.{more}"


class ListenController(Controller):
    path = "/listen"
    guards = (requires_login,)

    @get("/", name="listen")
    async def index(self, request: Request[Any, Any, Any]) -> Template:
        """Published testimony for funders, hosts and admins: filter, search, page through."""
        raw = {key: request.query_params.get(key) for key in request.query_params}
        page = await services.listen(raw, audience_of(principal_of(request)))
        partial = is_htmx_partial(request)
        context: dict[str, Any] = {
            "page": page,
            "groups": _groups(page),
            "heading": "What residents said",
            "summary": _summary(page),
            "status_text": _status(page),
            "theme_labels": THEME_LABELS,
            "field_labels": FIELD_LABELS,
            "partial": partial,
        }
        # The same URL answers a whole page or the results alone: caches must keep them
        # apart, and testimony is not kept in shared or disk caches at all.
        headers = {"vary": "HX-Request, HX-History-Restore-Request", "cache-control": "no-store"}
        status = 422 if page.errors else 200
        if partial:
            # Show the canonical URL (no empty fields); keep the address as it was on errors.
            headers["hx-push-url"] = "false" if page.errors else page.query.url()
            return Template(
                "listening/_results.html",
                context=context,
                status_code=status,
                headers=headers,
                media_type=MediaType.HTML,
            )
        context["options"] = await services.filter_options(principal_of(request))
        return Template(
            "listening/page.html",
            context=context,
            status_code=status,
            headers=headers,
            media_type=MediaType.HTML,
        )

    @get("/places", name="listen-place-choices")
    async def place_choices(self, request: Request[Any, Any, Any]) -> Template:
        """Type-ahead for the place box: up to ten places whose names have the words in
        them, as <option>s for its <datalist> (htmx swaps them in as the reader types)."""
        typed = _typed(request, "locality")
        return _choice_list(await choices.place_suggestions(typed))

    @get("/hosts", name="listen-host-choices")
    async def host_choices(self, request: Request[Any, Any, Any]) -> Template:
        """Type-ahead for the host organisation box, as the place box's."""
        typed = _typed(request, "host")
        return _choice_list(await choices.host_suggestions(typed))


def _typed(request: Request[Any, Any, Any], name: str) -> str:
    """The box's words: htmx sends the box's own field (locality=, host=); q= also works."""
    params = request.query_params
    return query_words(params.get(name) or params.get("q"))[: choices.TYPED_MAX]


LISTEN_CSV_HEADINGS = {
    "said_on": "Said on",
    "organiser": "Organiser",
    "organiser_code": "Organiser's code",
    "place": "Place",
    "who": "Who",
    "neighbourhood": "Neighbourhood",
    "theme": "Mostly about",
    "words": "Words",
}


@get("/listen.csv", guards=[requires_login], include_in_schema=False)
async def listen_csv(request: Request[Any, Any, Any]) -> Response[bytes]:
    """The testimony /listen shows for the same query string (the same page of it), read
    through the same consent rules for this reader: names and neighbourhoods only where the
    resident allowed them to be shown to this audience."""
    raw = {key: request.query_params.get(key) for key in request.query_params}
    page = await services.listen(raw, audience_of(principal_of(request)))
    if page.errors:
        raise ValidationFailed("The search or filters have a problem.", field_errors=page.errors)
    rows = [
        {
            "said_on": item["at"].date().isoformat(),
            "organiser": item["organiser_name"],
            "organiser_code": item["organiser_code"],
            "place": item["locality_name"],
            "who": item["display_name"] or "A resident",
            "neighbourhood": item["neighbourhood"] or "",
            "theme": THEME_LABELS.get(item["theme"], item["theme"]),
            "words": item["testimony"],
        }
        for item in page.items
    ]
    return csv_download(
        write_csv(list(LISTEN_CSV_HEADINGS), rows, headings=LISTEN_CSV_HEADINGS),
        "what-residents-said.csv",
    )


def _choice_list(found: list[choices.Choice]) -> Template:
    return Template(
        "listening/_choices.html",
        context={"choices": found},
        # Names of places and hosts, not testimony: the browser may reuse them a moment.
        headers={"cache-control": "private, max-age=60", "vary": "Cookie"},
        media_type=MediaType.HTML,
    )
