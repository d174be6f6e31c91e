"""SMS ingest under a backlog: the processor's claim reads waiting messages in id order
from their own partial index, so a claim costs the batch, not the table or the backlog
(at 500 texts a second the old plan scanned every processed row, or hashed the whole
backlog, on every claim, and PostgreSQL fell behind for good)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.table import Table

ID = "2026-12-06T21:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "inbound messages: waiting messages in arrival order"


class RawTable(Table):
    pass


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="groundswell", description=DESCRIPTION)

    async def create_index() -> None:
        await RawTable.raw(
            "CREATE INDEX IF NOT EXISTS inbound_message_waiting_order "
            "ON inbound_message (id) WHERE processed_at IS NULL"
        )

    async def drop_index() -> None:
        await RawTable.raw("DROP INDEX IF EXISTS inbound_message_waiting_order")

    manager.add_raw(create_index)
    manager.add_raw_backwards(drop_index)
    return manager
