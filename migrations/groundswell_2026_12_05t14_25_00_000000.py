"""Production truth: failures in a row per scheduled job (for /health) and the differences
reconciliation finds between the payment provider and the ledger, kept while they last."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import Integer, Text, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.columns.indexes import IndexMethod

ID = "2026-12-05T14:25:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "job failures in a row, reconciliation differences"


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
        table_class_name="SchedulerStatus",
        tablename="scheduler_status",
        column_name="failures_in_a_row",
        db_column_name="failures_in_a_row",
        column_class_name="Integer",
        column_class=Integer,
        params=_params(default=0),
    )
    manager.add_table(
        class_name="ReconciliationDifference",
        tablename="reconciliation_difference",
        schema=None,
        columns=None,
    )
    columns: list[tuple[str, type, dict[str, object]]] = [
        ("key", Varchar, _params(length=200, default="", unique=True)),
        ("kind", Varchar, _params(length=40, default="")),
        ("description", Text, _params(default="")),
        ("first_seen_at", Timestamptz, _params(default=TimestamptzNow())),
        ("last_seen_at", Timestamptz, _params(default=TimestamptzNow())),
        ("resolved_at", Timestamptz, _params(default=None, null=True, index=True)),
    ]
    for name, column_class, params in columns:
        manager.add_column(
            table_class_name="ReconciliationDifference",
            tablename="reconciliation_difference",
            column_name=name,
            db_column_name=name,
            column_class_name=column_class.__name__,
            column_class=column_class,
            params=params,
        )
    return manager
