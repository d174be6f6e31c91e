"""Residents can ask to erase everything by SMS (DELETE), confirmed by YES within minutes:
the resident row remembers when they asked."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import Timestamptz
from piccolo.columns.indexes import IndexMethod

ID = "2026-12-05T14:08:34:000000"
VERSION = "1.38.0"
DESCRIPTION = "resident erase requested at"


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="groundswell", description=DESCRIPTION)
    manager.add_column(
        table_class_name="Resident",
        tablename="resident",
        column_name="erase_requested_at",
        db_column_name="erase_requested_at",
        column_class_name="Timestamptz",
        column_class=Timestamptz,
        params={
            "default": None,
            "null": True,
            "primary_key": False,
            "unique": False,
            "index": False,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": None,
            "secret": False,
        },
        schema=None,
    )
    return manager
