"""Unique pairs Piccolo cannot declare: one voice per resident per organiser, one row per pool place."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.table import Table

ID = "2026-11-30T02:15:17:196014"
VERSION = "1.38.0"
DESCRIPTION = "composite unique indexes"


class RawTable(Table):
    pass


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="groundswell", description=DESCRIPTION)

    async def create_indexes() -> None:
        await RawTable.raw(
            "CREATE UNIQUE INDEX IF NOT EXISTS endorsement_resident_organiser "
            "ON endorsement (resident, organiser)"
        )
        await RawTable.raw(
            "CREATE UNIQUE INDEX IF NOT EXISTS pool_locality_pool_locality "
            "ON pool_locality (pool, locality)"
        )

    async def drop_indexes() -> None:
        await RawTable.raw("DROP INDEX IF EXISTS endorsement_resident_organiser")
        await RawTable.raw("DROP INDEX IF EXISTS pool_locality_pool_locality")

    manager.add_raw(create_indexes)
    manager.add_raw_backwards(drop_indexes)
    return manager
