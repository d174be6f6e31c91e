"""Every way of reading a page (per engine, per filter shape, per how common the searched
words are) gives exactly the pages a plain, obviously correct query would."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from groundswell.listening import feed
from groundswell.listening.feed import FeedFilters, FeedSort, published_feed
from tests.helpers import make_host, make_locality, make_organiser, make_voice


@dataclass
class Voice:
    id: int
    organiser: str
    organiser_id: int
    locality: int
    host: int
    words: str
    at: datetime
    published: bool
    theme: str


@pytest.fixture
async def world() -> dict[str, Any]:
    rng = random.Random(5)
    places = [await make_locality("North"), await make_locality("South")]
    hosts = [await make_host("Host A"), await make_host("Host B")]
    organisers = []
    for n, name in enumerate(["Cara Byrne", "Abdi Ali", "Bea Kelly", "Abdi Adams"]):
        code = await make_organiser(
            hosts[n % 2], places[n // 2 % 2], name=name, code=f"{name.split()[0].upper()}-{n + 2}A"
        )
        organisers.append((code, name, places[n // 2 % 2], hosts[n % 2]))
    from groundswell.community.tables import Organiser

    ids = {r["code"]: r["id"] for r in await Organiser.select(Organiser.code, Organiser.id)}
    voices = []
    start = datetime(2026, 1, 1, tzinfo=UTC)
    for n in range(90):
        code, _name, place, host = organisers[rng.randrange(4)]
        words = " ".join(rng.sample(["alpha", "beta", "gamma", "delta", "common"], 2))
        if n % 30 == 0:
            words += " zircon"  # rare
        published = rng.random() < 0.8
        theme = rng.choice(["value", "hope"])
        at = start + timedelta(hours=rng.randrange(0, 400))  # many share a moment's hour
        voice_id = await make_voice(
            code, f"Voice {n}: {words}", at=at, consent=published, theme=theme
        )
        voices.append(Voice(voice_id, code, ids[code], place, host, words, at, published, theme))
    return {
        "voices": voices,
        "places": places,
        "hosts": hosts,
        "ids": ids,
        "names": {ids[code]: name for code, name, _p, _h in organisers},
    }


def expected(world: dict[str, Any], filters: FeedFilters, sort: FeedSort) -> list[int]:
    rows = [v for v in world["voices"] if v.published]
    if filters.locality_id:
        rows = [v for v in rows if v.locality == filters.locality_id]
    if filters.locality_in:
        rows = [v for v in rows if v.locality in filters.locality_in]
    if filters.host_id:
        rows = [v for v in rows if v.host == filters.host_id]
    if filters.organiser_id:
        rows = [v for v in rows if v.organiser_id == filters.organiser_id]
    if filters.theme:
        rows = [v for v in rows if v.theme == filters.theme]
    if filters.search:
        rows = [v for v in rows if all(w in v.words.split() for w in filters.search.split())]
    if sort is FeedSort.NEWEST:
        rows.sort(key=lambda v: (v.at, v.id), reverse=True)
    else:
        names = world["names"]
        rows.sort(key=lambda v: (v.at, v.id), reverse=True)
        rows.sort(key=lambda v: (names[v.organiser_id], v.organiser_id))
    return [v.id for v in rows]


async def all_pages(filters: FeedFilters, sort: FeedSort, limit: int = 7) -> list[int]:
    seen: list[int] = []
    after = None
    for _ in range(50):
        page, after = await published_feed(filters, sort=sort, after=after, limit=limit)
        seen += [item["id"] for item in page]
        if after is None:
            return seen
    raise AssertionError("too many pages")


@pytest.mark.parametrize(
    "thresholds",
    [
        {},  # as shipped
        {"SEARCH_WINDOW": 4, "SEARCH_CANDIDATES_MAX": 2, "PER_ORGANISER_MAX": 1},
        {"SEARCH_WINDOW": 1000, "SEARCH_CANDIDATES_MAX": 1000, "PER_ORGANISER_MAX": 1000},
        {"SEARCH_WINDOW": 10, "SEARCH_CANDIDATES_MAX": 40, "PER_ORGANISER_MAX": 2},
    ],
)
async def test_every_reading_strategy_pages_exactly(
    world: dict[str, Any], monkeypatch: pytest.MonkeyPatch, thresholds: dict[str, int]
) -> None:
    for name, value in thresholds.items():
        monkeypatch.setattr(feed, name, value)
    north, south = world["places"]
    cara = world["ids"]["CARA-2A"]
    cases = [
        FeedFilters(),
        FeedFilters(theme="hope"),
        FeedFilters(locality_id=north),
        FeedFilters(locality_in=(north, south)),
        FeedFilters(host_id=world["hosts"][1]),
        FeedFilters(organiser_id=cara),
        FeedFilters(search="common"),
        FeedFilters(search="zircon"),
        FeedFilters(search="alpha beta"),
        FeedFilters(search="nothingatall"),
        FeedFilters(search="gamma", locality_id=south),
        FeedFilters(search="zircon", host_id=world["hosts"][0]),
        FeedFilters(search="delta", organiser_id=cara, theme="value"),
        FeedFilters(search="common", locality_in=(south,), theme="hope"),
    ]
    for filters in cases:
        for sort in FeedSort:
            assert await all_pages(filters, sort) == expected(world, filters, sort), (
                filters,
                sort,
            )
