"""What Piccolo cannot declare for the ledger and rounds: composite unique indexes, and
triggers that keep the ledger append-only and a round's lines unedited."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.table import Table

ID = "2026-11-30T02:26:54:000000"
VERSION = "1.38.0"
DESCRIPTION = "ledger and rounds constraints"

LEDGER_TABLES = ("ledger_transaction", "ledger_posting")

# A row in ledger_maintenance lets UPDATE and DELETE through: only for an operator's
# repair (or a test that empties or deliberately corrupts the ledger), never the app.
SQLITE = [
    "CREATE TABLE IF NOT EXISTS ledger_maintenance (id INTEGER PRIMARY KEY)",
    *[
        f"CREATE TRIGGER IF NOT EXISTS {table}_no_{op.lower()} BEFORE {op} ON {table} "
        "WHEN NOT EXISTS (SELECT 1 FROM ledger_maintenance) "
        f"BEGIN SELECT RAISE(ABORT, 'the ledger is append-only: {op} on {table} refused; "
        "record a correcting transaction instead'); END"
        for table in LEDGER_TABLES
        for op in ("UPDATE", "DELETE")
    ],
    "CREATE TRIGGER IF NOT EXISTS allocation_line_fixed BEFORE UPDATE ON allocation "
    "WHEN NEW.amount IS NOT OLD.amount OR NEW.organiser IS NOT OLD.organiser "
    "OR NEW.host IS NOT OLD.host OR NEW.round IS NOT OLD.round "
    "BEGIN SELECT RAISE(ABORT, 'an allocation line cannot be edited; pause the round instead'); END",
]

POSTGRES = [
    "CREATE TABLE IF NOT EXISTS ledger_maintenance (id INTEGER PRIMARY KEY)",
    """CREATE OR REPLACE FUNCTION ledger_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF EXISTS (SELECT 1 FROM ledger_maintenance) THEN
            IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
            RETURN NEW;
        END IF;
        RAISE EXCEPTION 'the ledger is append-only: % on % refused; record a correcting transaction instead',
            TG_OP, TG_TABLE_NAME USING ERRCODE = 'restrict_violation';
    END $$""",
    *[
        f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
        "FOR EACH ROW EXECUTE FUNCTION ledger_append_only()"
        for table in LEDGER_TABLES
    ],
    """CREATE OR REPLACE FUNCTION allocation_line_fixed() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF NEW.amount IS DISTINCT FROM OLD.amount OR NEW.organiser IS DISTINCT FROM OLD.organiser
           OR NEW.host IS DISTINCT FROM OLD.host OR NEW.round IS DISTINCT FROM OLD.round THEN
            RAISE EXCEPTION 'an allocation line cannot be edited; pause the round instead'
                USING ERRCODE = 'restrict_violation';
        END IF;
        RETURN NEW;
    END $$""",
    "CREATE TRIGGER allocation_line_fixed BEFORE UPDATE ON allocation "
    "FOR EACH ROW EXECUTE FUNCTION allocation_line_fixed()",
]

INDEXES = [
    "CREATE UNIQUE INDEX IF NOT EXISTS funding_round_pool_period "
    "ON funding_round (pool, period_start)",
    "CREATE UNIQUE INDEX IF NOT EXISTS allocation_round_organiser ON allocation (round, organiser)",
]


class RawTable(Table):
    pass


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="groundswell", description=DESCRIPTION)

    async def create() -> None:
        sqlite = RawTable._meta.db.engine_type == "sqlite"
        for statement in [*INDEXES, *(SQLITE if sqlite else POSTGRES)]:
            await RawTable.raw(statement)

    async def drop() -> None:
        sqlite = RawTable._meta.db.engine_type == "sqlite"
        if sqlite:
            for table in LEDGER_TABLES:
                for op in ("update", "delete"):
                    await RawTable.raw(f"DROP TRIGGER IF EXISTS {table}_no_{op}")
            await RawTable.raw("DROP TRIGGER IF EXISTS allocation_line_fixed")
        else:
            for table in LEDGER_TABLES:
                await RawTable.raw(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}")
            await RawTable.raw("DROP TRIGGER IF EXISTS allocation_line_fixed ON allocation")
            await RawTable.raw("DROP FUNCTION IF EXISTS ledger_append_only()")
            await RawTable.raw("DROP FUNCTION IF EXISTS allocation_line_fixed()")
        await RawTable.raw("DROP TABLE IF EXISTS ledger_maintenance")
        await RawTable.raw("DROP INDEX IF EXISTS funding_round_pool_period")
        await RawTable.raw("DROP INDEX IF EXISTS allocation_round_organiser")

    manager.add_raw(create)
    manager.add_raw_backwards(drop)
    return manager
