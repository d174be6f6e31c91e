"""Organiser lifecycle (issue #16): when an organiser's status last changed (so a round can
say "paused by programme staff on …"), the organisers a round left out and why, and the
code sent to an organiser's own phone while it is being recorded (hashed, like the phone)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import JSONB, Integer, Timestamptz, Varchar
from piccolo.columns.indexes import IndexMethod

ID = "2026-12-06T01:20:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "organiser status_since and own-phone code, round skipped"


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
    for name, column_class, params in (
        ("phone_pending_hash", Varchar, _params(length=64, default=None, null=True)),
        ("phone_code_hash", Varchar, _params(length=64, default=None, null=True)),
        ("phone_code_expires_at", Timestamptz, _params(default=None, null=True)),
        ("phone_code_attempts", Integer, _params(default=0)),
    ):
        manager.add_column(
            table_class_name="Organiser",
            tablename="organiser",
            column_name=name,
            db_column_name=name,
            column_class_name=column_class.__name__,
            column_class=column_class,
            params=params,
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
