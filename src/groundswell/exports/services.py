"""The 360Giving open-data package, gathered from every source of grants.

A source is an async function from settings to `GrantRecord`s, one module here per kind of
grant: programme grants (`programme_grants`) and paid allocations (`allocations`).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence

from groundswell.core.clock import now, today
from groundswell.core.csv import write_csv
from groundswell.core.errors import NotFound
from groundswell.exports.allocations import open_data_allocations
from groundswell.exports.programme_grants import open_data_grants
from groundswell.exports.threesixty import GrantRecord, package_json, spreadsheet
from groundswell.settings import Settings

GrantSource = Callable[[Settings], Awaitable[list[GrantRecord]]]
PUBLISHER_NAME = "Groundswell"


class NothingToPublish(NotFound):
    """A 360Giving package needs at least one grant; until one is awarded there is none."""


def grant_sources() -> list[GrantSource]:
    return [open_data_grants, open_data_allocations]


async def gather(
    settings: Settings, sources: Sequence[GrantSource] | None = None
) -> list[GrantRecord]:
    records: list[GrantRecord] = []
    for source in grant_sources() if sources is None else sources:
        records.extend(await source(settings))
    seen: set[str] = set()
    for record in records:
        # Identifiers must be unique in the package; two sources sharing one is a bug.
        if record.local_id in seen:
            raise RuntimeError(f"two grants share the identifier {record.local_id!r}")
        seen.add(record.local_id)
    return sorted(records, key=lambda r: (r.award_date, r.local_id))


async def build_package(
    settings: Settings, sources: Sequence[GrantSource] | None = None
) -> dict[str, object]:
    records = await gather(settings, sources)
    if not records:
        raise NothingToPublish(
            "No grant has been awarded yet, so there is nothing to publish: a 360Giving "
            "package holds at least one grant."
        )
    return package_json(
        records,
        prefix=settings.grant_id_prefix,
        publisher_name=PUBLISHER_NAME,
        publisher_website=settings.public_url,
        issued=today(),
        modified=now(),
    )


def package_csv(package: dict[str, object]) -> str:
    grants = package.get("grants")
    columns, rows = spreadsheet(grants if isinstance(grants, list) else [])
    return write_csv(columns, rows)
