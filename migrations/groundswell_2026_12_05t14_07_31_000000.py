"""Consent and reports, the data.

- Consent: the only question residents were asked was "Funders may read my words (with my
  first name and neighbourhood if I gave them)", and SMS `SHARE` replied "funders may now read
  your words". The most private reading of a yes is: signed-in funders, not the public page.
  So show_funders = consent_to_publish and show_public stays false for every existing row.
- Every testimony gets a random public reference (unique), used instead of its row id
  wherever a reader can act on it.
- Reports no longer hold voices: a voice held only because someone reported it (no
  automatic flag of its own) counts again; its reports stay in the moderators' queue.
- One report per source per voice: unique (endorsement, source_hash); earlier reports have
  no source (NULL), which a unique index treats as distinct.
- PostgreSQL's covering index for counting voices carries the new consent columns instead
  of consent_to_publish (dropped by the next migration)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine.finder import engine_finder
from piccolo.table import Table

ID = "2026-12-05T14:07:31:000000"
VERSION = "1.38.0"
DESCRIPTION = "consent and reports backfill"

AUTOMATIC_FLAGS = {"burst", "repeated_text", "shared_source", "shared_ip", "link", "after_hidden"}


class RawTable(Table):
    pass


def _is_postgres() -> bool:
    engine = engine_finder()
    return engine is not None and engine.engine_type == "postgres"


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="groundswell", description=DESCRIPTION)

    async def backfill() -> None:
        import json

        postgres = _is_postgres()
        await RawTable.raw("UPDATE endorsement SET show_funders = consent_to_publish")
        await RawTable.raw("UPDATE web_verification SET show_funders = consent_to_publish")
        # 122 random bits from the database's own generator on each engine.
        random_ref = (
            "replace(gen_random_uuid()::text, '-', '')"
            if postgres
            else "lower(hex(randomblob(16)))"
        )
        await RawTable.raw(
            f"UPDATE endorsement SET public_ref = {random_ref} WHERE public_ref IS NULL"
        )
        await RawTable.raw(
            "CREATE UNIQUE INDEX IF NOT EXISTS endorsement_public_ref ON endorsement (public_ref)"
        )
        await RawTable.raw(
            "CREATE UNIQUE INDEX IF NOT EXISTS moderation_report_one_per_source "
            "ON moderation_report (endorsement, source_hash)"
        )
        held = await RawTable.raw(
            "SELECT e.id, e.flags FROM endorsement e WHERE e.moderation = 'flagged' "
            "AND EXISTS (SELECT 1 FROM moderation_report m WHERE m.endorsement = e.id)"
        )
        for row in held:
            flags = row["flags"]
            if isinstance(flags, str):
                flags = json.loads(flags or "[]")
            if not AUTOMATIC_FLAGS.intersection(flags or []):
                await RawTable.raw(
                    "UPDATE endorsement SET moderation = 'clear' WHERE id = {}", row["id"]
                )
        if postgres:
            await RawTable.raw("DROP INDEX IF EXISTS endorsement_organiser_counting")
            await RawTable.raw(
                "CREATE INDEX IF NOT EXISTS endorsement_organiser_counting ON endorsement "
                "(organiser, updated_at, id) "
                "INCLUDE (theme, verification, state, moderation, show_public, show_funders)"
            )

    manager.add_raw(backfill)
    return manager
