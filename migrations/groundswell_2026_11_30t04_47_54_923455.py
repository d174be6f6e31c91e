from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import Integer
from piccolo.columns.indexes import IndexMethod

ID = "2026-11-30T04:47:54:923455"
VERSION = "1.38.0"
DESCRIPTION = "web vouch score"


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="groundswell", description=DESCRIPTION)

    manager.add_column(
        table_class_name="WebVerification",
        tablename="web_verification",
        column_name="score",
        db_column_name="score",
        column_class_name="Integer",
        column_class=Integer,
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
