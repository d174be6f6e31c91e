"""Co-funded pools (issue #16), second step: one row per pool and co-funder (a unique pair
Piccolo cannot declare), one part per line and funder, and every deposit already recorded
belongs to its pool's funder. Apart from the tables' migration because raw steps run before
new tables exist."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.table import Table

ID = "2026-12-06T11:00:01:000000"
VERSION = "1.38.0"
DESCRIPTION = "co-funded pools: unique pairs, deposits' funders"


class RawTable(Table):
    pass


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="groundswell", description=DESCRIPTION)

    async def indexes_and_backfill() -> None:
        await RawTable.raw(
            "CREATE UNIQUE INDEX IF NOT EXISTS pool_cofunder_pool_funder "
            "ON pool_cofunder (pool, funder)"
        )
        await RawTable.raw(
            "CREATE UNIQUE INDEX IF NOT EXISTS allocation_share_allocation_funder "
            "ON allocation_share (allocation, funder)"
        )
        await RawTable.raw(
            "UPDATE deposit SET funder = (SELECT pool.funder FROM pool WHERE pool.id = deposit.pool) "
            "WHERE funder IS NULL"
        )

    manager.add_raw(indexes_and_backfill)
    return manager
