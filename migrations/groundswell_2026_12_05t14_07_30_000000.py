"""Consent and reports: where each testimony may appear (public page, signed-in funders), a
random public reference for each testimony, and the source of each report.

Columns only: the backfill (migration "consent and reports backfill") runs after, because
Piccolo runs raw steps before column changes inside one migration."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import Boolean, Varchar
from piccolo.columns.indexes import IndexMethod

ID = "2026-12-05T14:07:30:000000"
VERSION = "1.38.0"
DESCRIPTION = "consent and reports"


def _params(**changes: object) -> dict[str, object]:
    params: dict[str, object] = {
        "null": False,
        "primary_key": False,
        "unique": False,
        "index": False,
        "index_method": IndexMethod.btree,
        "choices": None,
        "db_column_name": None,
        "secret": False,
    }
    params.update(changes)
    return params


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="groundswell", description=DESCRIPTION)
    for class_name, table in (
        ("Endorsement", "endorsement"),
        ("WebVerification", "web_verification"),
    ):
        for column in ("show_public", "show_funders"):
            manager.add_column(
                table_class_name=class_name,
                tablename=table,
                column_name=column,
                db_column_name=column,
                column_class_name="Boolean",
                column_class=Boolean,
                params=_params(default=False),
                schema=None,
            )
    manager.add_column(
        table_class_name="Endorsement",
        tablename="endorsement",
        column_name="public_ref",
        db_column_name="public_ref",
        column_class_name="Varchar",
        column_class=Varchar,
        params=_params(length=32, default=None, null=True),
        schema=None,
    )
    manager.add_column(
        table_class_name="ModerationReport",
        tablename="moderation_report",
        column_name="source_hash",
        db_column_name="source_hash",
        column_class_name="Varchar",
        column_class=Varchar,
        params=_params(length=64, default=None, null=True),
        schema=None,
    )
    return manager
