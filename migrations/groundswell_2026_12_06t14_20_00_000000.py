"""Bank-transfer deposits reconciled (issue #16): the reference of the platform top-up or
bank statement line that brought each one to the platform balance, and when it was recorded
(payments/deposit_reconciliation.py)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import Timestamptz, Varchar
from piccolo.columns.indexes import IndexMethod

ID = "2026-12-06T14:20:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "bank deposits reconciled"


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
        ("platform_reference", Varchar, _params(length=120, default="")),
        ("reconciled_at", Timestamptz, _params(default=None, null=True)),
    ]:
        manager.add_column(
            table_class_name="Deposit",
            tablename="deposit",
            column_name=name,
            db_column_name=name,
            column_class_name=column_class.__name__,
            column_class=column_class,
            params=params,
        )
    return manager
