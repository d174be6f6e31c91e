"""Organiser lifecycle (issue #16): when an organiser's status last changed (so a round can
say "paused by programme staff on …"), and the organisers a round left out and why."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import JSONB, Timestamptz
from piccolo.columns.indexes import IndexMethod

ID = "2026-12-06T01:20:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "organiser status_since, round skipped"


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
    manager.add_column(
        table_class_name="Organiser",
        tablename="organiser",
        column_name="status_since",
        db_column_name="status_since",
        column_class_name="Timestamptz",
        column_class=Timestamptz,
        params=_params(default=None, null=True),
    )
    manager.add_column(
        table_class_name="Round",
        tablename="funding_round",
        column_name="skipped",
        db_column_name="skipped",
        column_class_name="JSONB",
        column_class=JSONB,
        params=_params(default="[]"),
    )
    return manager
