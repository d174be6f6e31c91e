"""The choices behind /listen's filter form, without listing every place and host.

Places and host organisations are typed, not picked from a list of a thousand: the
type-ahead asks for at most SUGGESTIONS_MAX matches, and a typed name sent without
JavaScript is resolved here (one match: that one; several: "did you mean"). Pools stay a
list (a handful) and each worker keeps it for POOL_CHOICES_SECONDS instead of reading it
on every page."""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field
from typing import Any

from groundswell.community.tables import HostOrganisation, Locality
from groundswell.core.principal import Principal
from groundswell.funders.tables import Pool

SUGGESTIONS_MAX = 10
TYPED_MAX = 200  # longer than any place or host name: nothing longer can match
POOL_CHOICES_SECONDS = 60.0

# A host named like another carries its id in its label, so choosing it again from the
# form's box (which shows the label) finds that one and not "did you mean".
_HOST_LABEL = re.compile(r"^(?P<name>.*\S)\s+\(#(?P<id>\d{1,9})\)$")


def _like(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _prefix(text: str) -> str:
    return _like(text)[1:]


# Exact names first, then names that start with the words, then the rest, each by name.
# LOWER() folds ASCII on SQLite and all letters on PostgreSQL; the words are compared in
# the same case (lowered here) on both.
# (Only constant SQL is formatted into these; every value is a bound parameter.)
_RANK = (
    "CASE WHEN LOWER({table}.name) = {{}} THEN 0 "
    "WHEN LOWER({table}.name) LIKE {{}} ESCAPE '\\' THEN 1 ELSE 2 END"
)
_PLACES_SQL = (
    "SELECT locality.id, locality.name, locality.local_authority, "  # noqa: S608
    f"{_RANK.format(table='locality')} AS rank "
    "FROM locality WHERE LOWER(locality.name) LIKE {} ESCAPE '\\' "
    "ORDER BY rank, locality.name, locality.id LIMIT {}"
)
_HOSTS_SQL = (
    "SELECT host_organisation.id, host_organisation.name, "  # noqa: S608
    f"{_RANK.format(table='host_organisation')} AS rank, "
    "(SELECT COUNT(*) FROM host_organisation namesake "
    "WHERE LOWER(namesake.name) = LOWER(host_organisation.name)) AS namesakes "
    "FROM host_organisation WHERE LOWER(host_organisation.name) LIKE {} ESCAPE '\\' "
    "ORDER BY rank, host_organisation.name, host_organisation.id LIMIT {}"
)


@dataclass(frozen=True)
class Choice:
    id: int
    label: str  # what the box shows and sends back
    detail: str = ""  # beside it in the list (the local authority)


@dataclass
class Resolved:
    """A typed name as the filter it means: `choice` when one matches, else `suggestions`
    (none matched when empty)."""

    choice: Choice | None = None
    suggestions: list[Choice] = field(default_factory=list)


def host_label(host_id: int, name: str, namesakes: int) -> str:
    return f"{name} (#{host_id})" if namesakes > 1 else name


def _words(typed: str) -> str:
    return " ".join(typed.split()).lower()[:TYPED_MAX]


async def _place_rows(words: str, limit: int) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = await Locality.raw(
        _PLACES_SQL, words, _prefix(words), _like(words), limit
    )
    return rows


async def _host_rows(words: str, limit: int) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = await HostOrganisation.raw(
        _HOSTS_SQL, words, _prefix(words), _like(words), limit
    )
    return rows


def _place_choice(row: dict[str, Any]) -> Choice:
    return Choice(id=row["id"], label=row["name"], detail=row["local_authority"] or "")


def _host_choice(row: dict[str, Any]) -> Choice:
    return Choice(id=row["id"], label=host_label(row["id"], row["name"], int(row["namesakes"])))


async def place_suggestions(typed: str) -> list[Choice]:
    """At most SUGGESTIONS_MAX places whose names contain what was typed, best first."""
    words = _words(typed)
    if not words:
        return []
    return [_place_choice(row) for row in await _place_rows(words, SUGGESTIONS_MAX)]


async def host_suggestions(typed: str) -> list[Choice]:
    """At most SUGGESTIONS_MAX host organisations whose names contain what was typed."""
    words = _words(typed)
    if not words:
        return []
    return [_host_choice(row) for row in await _host_rows(words, SUGGESTIONS_MAX)]


def _resolve(rows: list[dict[str, Any]], make: Any) -> Resolved:
    exact = [row for row in rows if row["rank"] == 0]
    if len(exact) == 1:
        return Resolved(choice=make(exact[0]))
    if len(rows) == 1:
        return Resolved(choice=make(rows[0]))
    # Several names alike: the same name twice (hosts), or only parts of names.
    return Resolved(suggestions=[make(row) for row in (exact or rows)[:SUGGESTIONS_MAX]])


async def resolve_place(typed: str) -> Resolved:
    """The place a typed name means (names of places are unique)."""
    words = _words(typed)
    rows = await _place_rows(words, SUGGESTIONS_MAX + 1) if words else []
    return _resolve(rows, _place_choice)


async def resolve_host(typed: str) -> Resolved:
    """The host organisation a typed name (or a label with its id) means."""
    labelled = _HOST_LABEL.match(typed.strip())
    if labelled:
        row = (
            await HostOrganisation.select(HostOrganisation.id, HostOrganisation.name)
            .where(HostOrganisation.id == int(labelled["id"]))
            .first()
        )
        if row is not None and _words(row["name"]) == _words(labelled["name"]):
            return Resolved(choice=Choice(id=row["id"], label=typed.strip()))
    words = _words(typed)
    rows = await _host_rows(words, SUGGESTIONS_MAX + 1) if words else []
    return _resolve(rows, _host_choice)


async def host_label_for(host_id: int) -> tuple[str, str] | None:
    """A host's name and the label its box shows, or None when there is no such host."""
    rows = await HostOrganisation.raw(
        "SELECT host_organisation.name, (SELECT COUNT(*) FROM host_organisation namesake "
        "WHERE LOWER(namesake.name) = LOWER(host_organisation.name)) AS namesakes "
        "FROM host_organisation WHERE host_organisation.id = {}",
        host_id,
    )
    if not rows:
        return None
    name = rows[0]["name"]
    return name, host_label(host_id, name, int(rows[0]["namesakes"]))


# ------------------------------------------------------------------------------- pools

# (read at, rows) for this worker; empty until first read.
_pools: dict[str, tuple[float, list[dict[str, Any]]]] = {}


async def _active_pools() -> list[dict[str, Any]]:
    """Active pools with their funders' names, as of at most POOL_CHOICES_SECONDS ago.

    Kept per worker: a choice list, not a permission (any signed-in reader sees the same
    list, and /listen checks a chosen pool when it filters by it), so a pool added a
    minute ago may be missing here for that minute and no more."""
    moment = time.monotonic()
    kept = _pools.get("active")
    if kept is None or moment - kept[0] > POOL_CHOICES_SECONDS:
        rows = (
            await Pool.select(
                Pool.id, Pool.name, Pool.funder, Pool.funder.name.as_alias("funder_name")
            )
            .where(Pool.is_active == True)  # noqa: E712
            .order_by(Pool.funder.name)
            .order_by(Pool.name)
        )
        kept = _pools["active"] = (moment, rows)
    return kept[1]


def forget_pools() -> None:
    """Read the pools again on next use (tests, and a worker that just changed them)."""
    _pools.clear()


async def pool_groups(principal: Principal | None) -> list[tuple[str, list[dict[str, Any]]]]:
    """Pools for the filter form, the reader's own first."""
    pools = await _active_pools()
    own = principal.funder_ids if principal is not None else frozenset()
    groups = [
        ("Your pools", [p for p in pools if p["funder"] in own]),
        ("Other pools" if own else "Pools", [p for p in pools if p["funder"] not in own]),
    ]
    return [(label, group) for label, group in groups if group]
