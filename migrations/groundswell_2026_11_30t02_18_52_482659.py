from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import Text, Varchar
from piccolo.columns.indexes import IndexMethod

ID = "2026-11-30T02:18:52:482659"
VERSION = "1.38.0"
DESCRIPTION = "vouching: text digest, encrypted number for hear-back"


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="groundswell", description=DESCRIPTION)

    manager.add_column(
        table_class_name="Endorsement",
        tablename="endorsement",
        column_name="text_digest",
        db_column_name="text_digest",
        column_class_name="Varchar",
        column_class=Varchar,
        params={
            "length": 64,
            "default": "",
            "null": False,
            "primary_key": False,
            "unique": False,
            "index": True,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": None,
            "secret": False,
        },
        schema=None,
    )

    manager.add_column(
        table_class_name="WebVerification",
        tablename="web_verification",
        column_name="phone_encrypted",
        db_column_name="phone_encrypted",
        column_class_name="Text",
        column_class=Text,
        params={
            "default": None,
            "null": True,
            "primary_key": False,
            "unique": False,
            "index": False,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": None,
            "secret": True,
        },
        schema=None,
    )

    return manager
