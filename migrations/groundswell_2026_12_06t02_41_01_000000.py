"""Residents vouch for a building (issue #18), second step: one voice per phone per
building (a unique pair Piccolo cannot declare), and a code for every asset bid already
recorded. Apart from the tables' migration because raw steps run before new tables exist."""

import secrets

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.table import Table

ID = "2026-12-06T02:41:01:000000"
VERSION = "1.38.0"
DESCRIPTION = "building voices: unique pair, codes for existing bids"


class RawTable(Table):
    pass


# The same rule as programme/building_voices.py at the time of writing (a migration keeps
# its own copy): the first word that names the building, then a letter and a digit.
_FILLER = {"THE", "OLD", "NEW", "AN", "OF", "AND", "ST", "FORMER", "YE"}


def _code(asset_name: str) -> str:
    name = "ORG"
    for word in asset_name.split():
        letters = "".join(ch for ch in word.upper() if "A" <= ch <= "Z")
        if len(letters) >= 2 and letters not in _FILLER:
            name = letters[:12]
            break
    return f"{name}-{secrets.choice('ABCDEFGHJKMNPQRSTUVWXYZ')}{secrets.choice('23456789')}"


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="groundswell", description=DESCRIPTION)

    async def index_and_backfill() -> None:
        await RawTable.raw(
            "CREATE UNIQUE INDEX IF NOT EXISTS subject_voice_subject_resident "
            "ON subject_voice (subject, resident)"
        )
        # SQLite cannot add a UNIQUE column: one code per bid is this index instead.
        await RawTable.raw(
            "CREATE UNIQUE INDEX IF NOT EXISTS asset_bid_vouch_subject ON asset_bid (vouch_subject)"
        )
        taken = {row["code"] for row in await RawTable.raw("SELECT code FROM organiser")}
        bids = await RawTable.raw(
            "SELECT id, asset_name FROM asset_bid WHERE vouch_subject IS NULL ORDER BY id"
        )
        for bid in bids:
            while (code := _code(bid["asset_name"])) in taken:
                pass
            taken.add(code)
            await RawTable.raw(
                "INSERT INTO vouch_subject (kind, code, name, created_at) "
                "VALUES ('building', {}, {}, CURRENT_TIMESTAMP)",
                code,
                bid["asset_name"][:200],
            )
            [subject] = await RawTable.raw("SELECT id FROM vouch_subject WHERE code = {}", code)
            await RawTable.raw(
                "UPDATE asset_bid SET vouch_subject = {} WHERE id = {}", subject["id"], bid["id"]
            )

    async def drop_index() -> None:
        await RawTable.raw("DROP INDEX IF EXISTS subject_voice_subject_resident")
        await RawTable.raw("DROP INDEX IF EXISTS asset_bid_vouch_subject")

    manager.add_raw(index_and_backfill)
    manager.add_raw_backwards(drop_index)
    return manager
