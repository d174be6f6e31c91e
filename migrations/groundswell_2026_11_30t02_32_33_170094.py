"""Listening search: full-text search over the redacted words, and the indexes /listen needs.

- Backfills `endorsement.search_text` (redacted words + neighbourhood) for existing rows.
- PostgreSQL: a stored generated `search_vector tsvector` column and a GIN index on it.
- SQLite: an external-content FTS5 table `endorsement_fts` kept in step by triggers.
- Both: btree indexes for keyset pagination (newest first, per organiser) and for the
  organiser sort and the locality/host filters.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine.finder import engine_finder
from piccolo.table import Table

from groundswell.vouching.redact import search_text

ID = "2026-11-30T02:32:33:170094"
VERSION = "1.38.0"
DESCRIPTION = "listening search"

BTREE_INDEXES = {
    "endorsement_updated_id": "endorsement (updated_at, id)",
    "endorsement_organiser_updated_id": "endorsement (organiser, updated_at, id)",
    "organiser_name_id": "organiser (name, id)",
    "organiser_locality_idx": "organiser (locality)",
    "organiser_host_idx": "organiser (host)",
}

SQLITE_FTS = [
    "CREATE VIRTUAL TABLE IF NOT EXISTS endorsement_fts USING fts5("
    "search_text, content='endorsement', content_rowid='id', "
    "tokenize='porter unicode61 remove_diacritics 2')",
    "INSERT INTO endorsement_fts(endorsement_fts) VALUES ('rebuild')",
    "CREATE TRIGGER IF NOT EXISTS endorsement_fts_insert AFTER INSERT ON endorsement BEGIN "
    "INSERT INTO endorsement_fts(rowid, search_text) VALUES (new.id, new.search_text); END",
    "CREATE TRIGGER IF NOT EXISTS endorsement_fts_delete AFTER DELETE ON endorsement BEGIN "
    "INSERT INTO endorsement_fts(endorsement_fts, rowid, search_text) "
    "VALUES ('delete', old.id, old.search_text); END",
    "CREATE TRIGGER IF NOT EXISTS endorsement_fts_update AFTER UPDATE OF search_text "
    "ON endorsement BEGIN "
    "INSERT INTO endorsement_fts(endorsement_fts, rowid, search_text) "
    "VALUES ('delete', old.id, old.search_text); "
    "INSERT INTO endorsement_fts(rowid, search_text) VALUES (new.id, new.search_text); END",
]

POSTGRES_FTS = [
    "ALTER TABLE endorsement ADD COLUMN IF NOT EXISTS search_vector tsvector "
    "GENERATED ALWAYS AS (to_tsvector('english'::regconfig, search_text)) STORED",
    "CREATE INDEX IF NOT EXISTS endorsement_search_vector ON endorsement USING GIN (search_vector)",
]


class RawTable(Table):
    pass


def _engine_type() -> str:
    engine = engine_finder()
    assert engine is not None
    return str(engine.engine_type)


async def _backfill() -> None:
    rows = await RawTable.raw(
        "SELECT id, testimony, neighbourhood FROM endorsement WHERE search_text = ''"
    )
    for row in rows:
        await RawTable.raw(
            "UPDATE endorsement SET search_text = {} WHERE id = {}",
            search_text(row["testimony"], row["neighbourhood"]),
            row["id"],
        )


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="groundswell", description=DESCRIPTION)

    async def create() -> None:
        await _backfill()
        statements = SQLITE_FTS if _engine_type() == "sqlite" else POSTGRES_FTS
        for statement in statements:
            await RawTable.raw(statement)
        for name, target in BTREE_INDEXES.items():
            await RawTable.raw(f"CREATE INDEX IF NOT EXISTS {name} ON {target}")
        if _engine_type() != "sqlite":
            await RawTable.raw("ANALYZE endorsement")

    async def drop() -> None:
        for name in BTREE_INDEXES:
            await RawTable.raw(f"DROP INDEX IF EXISTS {name}")
        if _engine_type() == "sqlite":
            for trigger in ("insert", "delete", "update"):
                await RawTable.raw(f"DROP TRIGGER IF EXISTS endorsement_fts_{trigger}")
            await RawTable.raw("DROP TABLE IF EXISTS endorsement_fts")
        else:
            await RawTable.raw("DROP INDEX IF EXISTS endorsement_search_vector")
            await RawTable.raw("ALTER TABLE endorsement DROP COLUMN IF EXISTS search_vector")

    manager.add_raw(create)
    manager.add_raw_backwards(drop)
    return manager
