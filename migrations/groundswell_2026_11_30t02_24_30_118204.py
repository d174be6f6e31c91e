"""One row per reminder: the index that makes each deadline reminder go out exactly once."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.table import Table

ID = "2026-11-30T02:24:30:118204"
VERSION = "1.38.0"
DESCRIPTION = "programme reminder unique index"


class RawTable(Table):
    pass


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="groundswell", description=DESCRIPTION)

    async def create_indexes() -> None:
        await RawTable.raw(
            "CREATE UNIQUE INDEX IF NOT EXISTS programme_reminder_once "
            "ON programme_reminder (bid_type, bid_id, deadline_kind, deadline_on, days_before)"
        )

    async def drop_indexes() -> None:
        await RawTable.raw("DROP INDEX IF EXISTS programme_reminder_once")

    manager.add_raw(create_indexes)
    manager.add_raw_backwards(drop_indexes)
    return manager
