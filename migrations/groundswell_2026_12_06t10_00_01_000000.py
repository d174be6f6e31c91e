"""SMS ingest, second step: messages handled before the processor existed count as
processed (they were answered inline), and the processor finds each phone's earliest
waiting message by a partial index. Apart from the columns' migration because raw steps
run before new columns exist."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.table import Table

ID = "2026-12-06T10:00:01:000000"
VERSION = "1.38.0"
DESCRIPTION = "inbound messages processed behind: backfill, waiting index"


class RawTable(Table):
    pass


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="groundswell", description=DESCRIPTION)

    async def backfill_and_index() -> None:
        await RawTable.raw(
            "UPDATE inbound_message SET processed_at = received_at WHERE processed_at IS NULL"
        )
        await RawTable.raw(
            "CREATE INDEX IF NOT EXISTS inbound_message_waiting "
            "ON inbound_message (voice_hash, id) WHERE processed_at IS NULL"
        )

    async def drop_index() -> None:
        await RawTable.raw("DROP INDEX IF EXISTS inbound_message_waiting")

    manager.add_raw(backfill_and_index)
    manager.add_raw_backwards(drop_index)
    return manager
