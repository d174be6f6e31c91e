"""SMS ingest answers fast and processes behind (issue #17): an inbound message keeps what
its processing needs (the words as sent, the sender's number encrypted) until it is
processed, and when that was."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import Integer, Text, Timestamptz
from piccolo.columns.indexes import IndexMethod

ID = "2026-12-06T10:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "inbound messages processed behind"


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
    for name, column_class, params in (
        ("body", Text, _params(default=None, null=True)),
        ("phone_encrypted", Text, _params(default=None, null=True, secret=True)),
        ("num_media", Integer, _params(default=0)),
        ("processed_at", Timestamptz, _params(default=None, null=True)),
        ("error", Text, _params(default="")),
    ):
        manager.add_column(
            table_class_name="InboundMessage",
            tablename="inbound_message",
            column_name=name,
            db_column_name=name,
            column_class_name=column_class.__name__,
            column_class=column_class,
            params=params,
        )
    return manager
