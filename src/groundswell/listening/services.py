"""The listening page: what the URL asks for, checked; the page of testimony; the filter choices.

Every filter lives in the query string, so a view of what communities say can be shared,
bookmarked and reached again with the back button, with or without JavaScript."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from urllib.parse import urlencode

from groundswell.community.codes import normalise_code
from groundswell.community.tables import Locality, Organiser
from groundswell.core.clock import UK_TIME, now
from groundswell.core.cursor import decode_keyset, encode_keyset
from groundswell.core.dates import filter_day
from groundswell.core.errors import ValidationFailed
from groundswell.core.principal import Principal
from groundswell.core.search import query_row_id, query_text, query_words, search_words
from groundswell.funders.tables import Pool, PoolLocality
from groundswell.listening.chart import BarChart, monthly_bar_chart
from groundswell.listening.choices import (
    TYPED_MAX,
    Resolved,
    host_label_for,
    pool_groups,
    resolve_host,
    resolve_place,
)
from groundswell.listening.feed import FEED_KEY_SHAPES, FeedFilters, FeedSort, published_feed
from groundswell.listening.tally import VoiceTrend, voice_tally
from groundswell.listening.trends import WINDOW, quiet
from groundswell.vouching.queries import Audience
from groundswell.vouching.states import Theme

PAGE_SIZE = 20
SEARCH_MAX = 200

THEME_LABELS = {
    Theme.VALUE.value: "What they value",
    Theme.CONCERN.value: "A concern",
    Theme.HOPE.value: "A hope",
    Theme.IDEA.value: "An idea",
}
SORT_LABELS = {FeedSort.NEWEST.value: "Newest first", FeedSort.ORGANISER.value: "By organiser"}
THEME_CHOICES = list(THEME_LABELS.items())
SORT_CHOICES = list(SORT_LABELS.items())


@dataclass(frozen=True)
class ListenQuery:
    """The query string of /listen, as typed values. Parameters are named for people:
    q, pool, locality, organiser (a vouching code), host, theme, from, to, sort, cursor."""

    q: str = ""
    pool: int | None = None
    locality: int | None = None
    organiser: str = ""  # canonical vouching code
    host: int | None = None
    theme: str = ""
    date_from: date | None = None
    date_to: date | None = None
    sort: FeedSort = FeedSort.NEWEST
    cursor: str = ""
    # Words typed in the place or host box, until listen() finds which one they mean
    # (then the id above is set and these are cleared: the canonical URL names the id).
    place_typed: str = ""
    host_typed: str = ""

    def params(self, *, cursor: str | None = None) -> list[tuple[str, str]]:
        """The canonical query string: only what differs from the defaults, in one order."""
        pairs: list[tuple[str, str]] = []
        for name, value in (
            ("q", self.q),
            ("pool", self.pool),
            ("locality", self.place_typed if self.locality is None else self.locality),
            ("organiser", self.organiser),
            ("host", self.host_typed if self.host is None else self.host),
            ("theme", self.theme),
            ("from", self.date_from.isoformat() if self.date_from else ""),
            ("to", self.date_to.isoformat() if self.date_to else ""),
            ("sort", "" if self.sort is FeedSort.NEWEST else self.sort.value),
            ("cursor", self.cursor if cursor is None else cursor),
        ):
            if value not in (None, ""):
                pairs.append((name, str(value)))
        return pairs

    def url(self, *, cursor: str | None = None, path: str = "/listen") -> str:
        pairs = self.params(cursor=cursor)
        return path + ("?" + urlencode(pairs) if pairs else "")

    def csv_url(self) -> str:
        """This page of testimony as CSV (/listen.csv, same query string)."""
        return self.url(path="/listen.csv")

    @property
    def filters_in_use(self) -> int:
        """How many filters (not the search words, not the page) narrow the list."""
        return len(replace(self, q="", cursor="").params())

    @property
    def is_filtered(self) -> bool:
        return bool(replace(self, sort=FeedSort.NEWEST, cursor="").params())


def parse_query(raw: Mapping[str, str | None]) -> tuple[ListenQuery, dict[str, str]]:
    """Typed values from the query string and a message per bad field (not raised, so the
    page can show the form with what was typed)."""
    errors: dict[str, str] = {}

    def text(name: str) -> str:
        return query_text(raw.get(name))

    q = search_words(raw, errors, max_length=SEARCH_MAX)
    organiser_raw = text("organiser")
    organiser = ""
    if organiser_raw:
        organiser = normalise_code(organiser_raw) or ""
        if not organiser:
            errors["organiser"] = "Enter an organiser's vouching code, like AMINA-7K."
    theme = text("theme").lower()
    if theme and theme not in THEME_LABELS:
        errors["theme"] = "Choose a theme from the list."
        theme = ""
    sort_raw = text("sort").lower() or FeedSort.NEWEST.value
    try:
        sort = FeedSort(sort_raw)
    except ValueError:
        errors["sort"] = "Choose newest first or by organiser."
        sort = FeedSort.NEWEST
    date_from, date_to = (
        filter_day(text("from"), "from", errors),
        filter_day(text("to"), "to", errors),
    )
    if date_from and date_to and date_to < date_from:
        errors["to"] = "The end date is on or after the start date."
    locality, place_typed = _id_or_words(raw, "locality", errors)
    host, host_typed = _id_or_words(raw, "host", errors)
    query = ListenQuery(
        q=q,
        pool=query_row_id(raw, "pool", errors),
        locality=locality,
        organiser=organiser,
        host=host,
        theme=theme,
        date_from=date_from,
        date_to=date_to,
        sort=sort,
        cursor=text("cursor")[:1000],
        place_typed=place_typed,
        host_typed=host_typed,
    )
    return query, errors


def _id_or_words(
    raw: Mapping[str, str | None], name: str, errors: dict[str, str]
) -> tuple[int | None, str]:
    """A place or host as a row id (links, shared URLs) or as the words typed in its box
    (the form, with or without JavaScript)."""
    typed = query_words(raw.get(name))
    if not typed or typed.isdecimal():
        return query_row_id(raw, name, errors), ""
    return None, typed[:TYPED_MAX]


@dataclass
class ListenPage:
    query: ListenQuery
    errors: dict[str, str] = field(default_factory=dict)
    items: list[dict[str, Any]] = field(default_factory=list)
    next_url: str | None = None
    first_url: str | None = None  # set when this is not the first page
    organiser_name: str = ""
    pool_name: str = ""
    pool_places: list[str] = field(default_factory=list)
    locality_name: str = ""
    host_name: str = ""
    # What was typed in the organiser box when it is not a code, so the form shows it again.
    organiser_typed: str = ""
    # What the place and host boxes show: the chosen one's label, or what was typed.
    place_box: str = ""
    host_box: str = ""
    # "Did you mean": for a place or host box whose words match several, (label, URL).
    suggestions: dict[str, list[tuple[str, str]]] = field(default_factory=dict)


async def _resolve_typed(page: ListenPage) -> None:
    """Turn words typed in the place and host boxes into the ids they mean, or say why not
    (no match; several: which, each as a link to this view with that one chosen)."""
    if page.query.place_typed:
        found = await resolve_place(page.query.place_typed)
        _use(page, "locality", page.query.place_typed, found)
    if page.query.host_typed:
        found = await resolve_host(page.query.host_typed)
        _use(page, "host", page.query.host_typed, found)


def _chosen(query: ListenQuery, name: str, row_id: int) -> ListenQuery:
    if name == "locality":
        return replace(query, locality=row_id, place_typed="")
    return replace(query, host=row_id, host_typed="")


def _use(page: ListenPage, name: str, typed: str, found: Resolved) -> None:
    what = "place" if name == "locality" else "host organisation"
    if found.choice is not None:
        page.query = _chosen(page.query, name, found.choice.id)
    elif not found.suggestions:
        page.errors[name] = f"No {what} has “{typed}” in its name; check the spelling."
    else:
        page.errors[name] = f"Several match “{typed}”: choose the {what} you mean below."
        page.suggestions[name] = [
            (
                choice.label + (f" ({choice.detail})" if choice.detail else ""),
                _chosen(page.query, name, choice.id).url(cursor=""),
            )
            for choice in found.suggestions
        ]


async def listen(raw: Mapping[str, str | None], audience: Audience = Audience.PUBLIC) -> ListenPage:
    """One page of published testimony for what the query string asks, as `audience` may
    read it (words each resident shared with them; names only where shared with funders)."""
    page = ListenPage(*parse_query(raw))
    if "organiser" in page.errors:
        page.organiser_typed = query_text(raw.get("organiser"))[:40]
    page.place_box, page.host_box = page.query.place_typed, page.query.host_typed
    await _resolve_typed(page)
    query, errors = page.query, page.errors
    filters = FeedFilters(
        locality_id=query.locality,
        host_id=query.host,
        theme=query.theme or None,
        # Days as the page shows them: on UK clocks (00:30 BST on 1 June is 1 June).
        since=(
            datetime.combine(query.date_from, time.min, UK_TIME).astimezone(UTC)
            if query.date_from
            else None
        ),
        until=(
            datetime.combine(query.date_to + timedelta(days=1), time.min, UK_TIME).astimezone(UTC)
            if query.date_to
            else None
        ),
        search=query.q or None,
        audience=audience,
    )
    if query.pool is not None:
        pool = await Pool.select(Pool.id, Pool.name).where(Pool.id == query.pool).first()
        if pool is None:
            errors["pool"] = "There is no such pool; choose one from the list."
        else:
            places = await PoolLocality.select(
                PoolLocality.locality, PoolLocality.locality.name.as_alias("name")
            ).where(PoolLocality.pool == query.pool)
            page.pool_name = pool["name"]
            page.pool_places = sorted(p["name"] for p in places)
            # A pool that names no places listens everywhere.
            if places:
                filters = replace(filters, locality_in=tuple(p["locality"] for p in places))
    if query.organiser:
        organiser = (
            await Organiser.select(Organiser.id, Organiser.name)
            .where(Organiser.code == query.organiser)
            .first()
        )
        if organiser is None:
            errors["organiser"] = f"No organiser has the code {query.organiser}."
        else:
            filters = replace(filters, organiser_id=organiser["id"])
            page.organiser_name = organiser["name"]
    if query.locality is not None:
        place = await Locality.select(Locality.name).where(Locality.id == query.locality).first()
        if place is None:
            errors["locality"] = "There is no such place; type part of its name."
        else:
            page.locality_name = page.place_box = place["name"]
    if query.host is not None:
        host = await host_label_for(query.host)
        if host is None:
            errors["host"] = "There is no such host organisation; type part of its name."
        else:
            page.host_name, page.host_box = host
    if errors:
        return page
    try:
        after = decode_keyset(query.cursor, query.sort.value, FEED_KEY_SHAPES[query.sort])
    except ValidationFailed as exc:
        errors.update(exc.field_errors)
        return page
    page.items, next_key = await published_feed(
        filters, sort=query.sort, after=after, limit=PAGE_SIZE
    )
    if next_key is not None:
        page.next_url = query.url(cursor=encode_keyset(query.sort.value, next_key) or "")
    if query.cursor:
        page.first_url = query.url(cursor="")
    return page


async def filter_options(principal: Principal | None) -> dict[str, Any]:
    """Choices for the filter form: pools (the funder's own first; kept per worker for a
    minute), themes and sorts. Places and hosts are typed (see choices.py): listing every
    one was most of the page on the large demo."""
    return {
        "pool_groups": await pool_groups(principal),
        "themes": THEME_CHOICES,
        "sorts": SORT_CHOICES,
    }


# ---------------------------------------------------------------- organiser and place pages

CHART_MONTHS = 12


def theme_rows(counts: dict[str, int]) -> list[dict[str, Any]]:
    """Every theme in a fixed order with its count and share of the voices (whole percent)."""
    total = sum(counts.values())
    return [
        {
            "theme": theme,
            "label": label,
            "count": counts.get(theme, 0),
            "share": round(100 * counts.get(theme, 0) / total) if total else 0,
        }
        for theme, label in THEME_LABELS.items()
    ]


@dataclass
class Voices:
    chart: BarChart
    themes: list[dict[str, Any]]
    months: int = CHART_MONTHS


async def organiser_voices(organiser_id: int, *, as_of: datetime | None = None) -> Voices:
    """Voices over the last twelve months and what they are mostly about."""
    tally = await voice_tally(
        [organiser_id], as_of=as_of or now(), window=WINDOW, months=CHART_MONTHS
    )
    return Voices(chart=monthly_bar_chart(tally.months), themes=theme_rows(tally.themes))


@dataclass
class PlaceVoices(Voices):
    organisers: list[dict[str, Any]] = field(default_factory=list)
    quiet: list[dict[str, Any]] = field(default_factory=list)
    recent: int = 0
    previous: int = 0


async def place_voices(
    organisers: list[dict[str, Any]], *, as_of: datetime | None = None
) -> PlaceVoices:
    """A place's organisers with their voices in the last 90 days and the 90 before, the
    quiet ones among the active, and the place's voices over time."""
    moment = as_of or now()
    ids = [row["id"] for row in organisers]
    tally = await voice_tally(ids, as_of=moment, window=WINDOW, months=CHART_MONTHS)
    trends = tally.trends
    rows = []
    for row in organisers:
        trend = trends.get(row["id"], VoiceTrend(0, 0, 0))
        rows.append(
            {
                **row,
                "trend": trend,
                "quiet": quiet(trend) if row["status"] == "active" else None,
            }
        )
    return PlaceVoices(
        chart=monthly_bar_chart(tally.months),
        themes=theme_rows(tally.themes),
        organisers=rows,
        quiet=sorted(
            (row for row in rows if row["quiet"]),
            key=lambda row: (row["trend"].recent, row["name"]),
        ),
        recent=sum(row["trend"].recent for row in rows),
        previous=sum(row["trend"].previous for row in rows),
    )
