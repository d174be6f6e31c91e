"""Organiser search without accents or case: fills `organiser.search_name` for existing rows
(the column comes in the migration before this one: Piccolo runs raw steps before column
changes inside one migration)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.table import Table

from groundswell.core.text import search_folded

ID = "2026-12-04T23:08:54:000000"
VERSION = "1.38.0"
DESCRIPTION = "organiser search name backfill"


class RawTable(Table):
    pass


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="groundswell", description=DESCRIPTION)

    async def backfill() -> None:
        rows = await RawTable.raw("SELECT id, name, code FROM organiser WHERE search_name = ''")
        for row in rows:
            await RawTable.raw(
                "UPDATE organiser SET search_name = {} WHERE id = {}",
                search_folded(f"{row['name']} {row['code']}"),
                row["id"],
            )

    manager.add_raw(backfill)
    return manager
