"""Building voices wait for a moderator when they look wrong (issue #18): the same signals as
an endorsement (vouching/moderation.py), kept on subject_voice. Existing voices are clear."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import JSONB, Varchar
from piccolo.columns.indexes import IndexMethod

ID = "2026-12-06T15:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "building voices: moderation signals"


def _params(**overrides: object) -> dict[str, object]:
    return {
        "null": False,
        "primary_key": False,
        "unique": False,
        "index": False,
        "index_method": IndexMethod.btree,
        "choices": None,
        "db_column_name": None,
        "secret": False,
        **overrides,
    }


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="groundswell", description=DESCRIPTION)
    for name, column_class, params in [
        ("text_digest", Varchar, _params(length=64, default="", index=True)),
        ("moderation", Varchar, _params(length=16, default="clear")),
        ("flags", JSONB, _params(default="[]")),
    ]:
        manager.add_column(
            table_class_name="SubjectVoice",
            tablename="subject_voice",
            column_name=name,
            db_column_name=name,
            column_class_name=column_class.__name__,
            column_class=column_class,
            params=params,
        )
    return manager
