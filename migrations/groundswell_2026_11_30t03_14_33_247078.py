"""Listening counts: the per-organiser index carries what counting a voice needs.

PostgreSQL: (organiser, updated_at, id) INCLUDE (theme, verification, state, moderation,
consent_to_publish) replaces the plain (organiser, updated_at, id) index, so the organiser
and place pages tally voices with an index-only scan instead of visiting each row. SQLite
keeps the plain index (it has no INCLUDE, and its pages are small)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine.finder import engine_finder
from piccolo.table import Table

ID = "2026-11-30T03:14:33:247078"
VERSION = "1.38.0"
DESCRIPTION = "listening counts"


class RawTable(Table):
    pass


def _is_postgres() -> bool:
    engine = engine_finder()
    return engine is not None and engine.engine_type == "postgres"


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="groundswell", description=DESCRIPTION)

    async def create() -> None:
        if not _is_postgres():
            return
        await RawTable.raw(
            "CREATE INDEX IF NOT EXISTS endorsement_organiser_counting ON endorsement "
            "(organiser, updated_at, id) "
            "INCLUDE (theme, verification, state, moderation, consent_to_publish)"
        )
        await RawTable.raw("DROP INDEX IF EXISTS endorsement_organiser_updated_id")

    async def drop() -> None:
        if not _is_postgres():
            return
        await RawTable.raw(
            "CREATE INDEX IF NOT EXISTS endorsement_organiser_updated_id "
            "ON endorsement (organiser, updated_at, id)"
        )
        await RawTable.raw("DROP INDEX IF EXISTS endorsement_organiser_counting")

    manager.add_raw(create)
    manager.add_raw_backwards(drop)
    return manager
