"""Residents vouch for a building on the web (issue #18): a web vouch waiting for its code
names either an organiser or a vouching subject (a building), so `web_verification.organiser`
may be null and a nullable `subject` points at the building.

PostgreSQL drops the NOT NULL; SQLite cannot, so the table is rebuilt: the same DDL without
that NOT NULL (read from sqlite_master, so every other column stays exactly as it was), the
rows copied, the old table dropped, the new one renamed and its indexes made again. Nothing
references web_verification, so no other table changes. Piccolo's recorded schema does not
model the dropped NOT NULL (it cannot alter a column on SQLite): the table class says
`null=True`, and a later `migrations new --auto` should not be asked to change it again.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.base import OnDelete, OnUpdate
from piccolo.columns.column_types import ForeignKey, Serial
from piccolo.columns.indexes import IndexMethod
from piccolo.engine.finder import engine_finder
from piccolo.table import Table

ID = "2026-12-06T12:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "web vouches for buildings"

NOT_NULL = '"organiser" INTEGER NOT NULL REFERENCES'
NULLABLE = '"organiser" INTEGER REFERENCES'


class RawTable(Table):
    pass


class VouchSubject(Table, tablename="vouch_subject", schema=None):
    id = Serial(null=False, primary_key=True, db_column_name="id")


def _is_sqlite() -> bool:
    engine = engine_finder()
    assert engine is not None
    return str(engine.engine_type) == "sqlite"


async def _rebuild_sqlite(old: str, new: str) -> None:
    """web_verification again with `old` in its DDL replaced by `new`, rows and indexes kept."""
    [table] = await RawTable.raw(
        "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'web_verification'"
    )
    ddl = str(table["sql"])
    if old not in ddl:
        return  # already as wanted
    indexes = await RawTable.raw(
        "SELECT sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'web_verification' "
        "AND sql IS NOT NULL"
    )
    rebuilt = ddl.replace(old, new).replace(
        'CREATE TABLE "web_verification"', 'CREATE TABLE "web_verification_rebuilt"', 1
    )
    await RawTable.raw(rebuilt)
    await RawTable.raw('INSERT INTO "web_verification_rebuilt" SELECT * FROM "web_verification"')
    await RawTable.raw('DROP TABLE "web_verification"')
    await RawTable.raw('ALTER TABLE "web_verification_rebuilt" RENAME TO "web_verification"')
    for index in indexes:
        await RawTable.raw(str(index["sql"]))


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="groundswell", description=DESCRIPTION)

    async def organiser_may_be_null() -> None:
        if _is_sqlite():
            await _rebuild_sqlite(NOT_NULL, NULLABLE)
        else:
            await RawTable.raw("ALTER TABLE web_verification ALTER COLUMN organiser DROP NOT NULL")

    async def organiser_required_again() -> None:
        # Back to organisers only: a building's vouch still waiting for its code is dropped.
        await RawTable.raw("DELETE FROM web_verification WHERE organiser IS NULL")
        if _is_sqlite():
            await _rebuild_sqlite(NULLABLE, NOT_NULL)
        else:
            await RawTable.raw("ALTER TABLE web_verification ALTER COLUMN organiser SET NOT NULL")

    manager.add_raw(organiser_may_be_null)
    manager.add_raw_backwards(organiser_required_again)
    manager.add_column(
        table_class_name="WebVerification",
        tablename="web_verification",
        column_name="subject",
        db_column_name="subject",
        column_class_name="ForeignKey",
        column_class=ForeignKey,
        params={
            "references": VouchSubject,
            "on_delete": OnDelete.cascade,
            "on_update": OnUpdate.cascade,
            "target_column": None,
            "null": True,
            "default": None,
            "primary_key": False,
            "unique": False,
            "index": False,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": None,
            "secret": False,
        },
    )
    return manager
