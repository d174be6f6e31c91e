"""Money back and pools closed: a pool's closing time, and the returns funders ask for and
administrators record (ledger/returns.py)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.base import OnDelete, OnUpdate
from piccolo.columns.column_types import (
    BigInt,
    Boolean,
    ForeignKey,
    Serial,
    Text,
    Timestamptz,
    Varchar,
)
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.columns.indexes import IndexMethod
from piccolo.table import Table

ID = "2026-12-06T02:40:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "pool returns, pool closing"


class User(Table, tablename="app_user", schema=None):
    id = Serial(null=False, primary_key=True, db_column_name="id")


class Pool(Table, tablename="pool", schema=None):
    id = Serial(null=False, primary_key=True, db_column_name="id")


class Funder(Table, tablename="funder", schema=None):
    id = Serial(null=False, primary_key=True, db_column_name="id")


class Deposit(Table, tablename="deposit", schema=None):
    id = Serial(null=False, primary_key=True, db_column_name="id")


class LedgerTransaction(Table, tablename="ledger_transaction", schema=None):
    id = Serial(null=False, primary_key=True, db_column_name="id")


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


def _foreign_key(references: type[Table], *, null: bool, index: bool = False) -> dict[str, object]:
    return _params(
        references=references,
        on_delete=OnDelete.restrict,
        on_update=OnUpdate.cascade,
        target_column=None,
        null=null,
        index=index,
        **({"default": None} if null else {}),
    )


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="groundswell", description=DESCRIPTION)
    manager.add_column(
        table_class_name="Pool",
        tablename="pool",
        column_name="closed_at",
        db_column_name="closed_at",
        column_class_name="Timestamptz",
        column_class=Timestamptz,
        params=_params(default=None, null=True),
    )
    manager.add_table(class_name="PoolReturn", tablename="pool_return", schema=None, columns=None)
    columns: list[tuple[str, type, dict[str, object]]] = [
        ("pool", ForeignKey, _foreign_key(Pool, null=False, index=True)),
        ("funder", ForeignKey, _foreign_key(Funder, null=False)),
        ("status", Varchar, _params(length=16, default="requested", index=True)),
        ("amount", BigInt, _params(default=0)),
        ("currency", Varchar, _params(length=3, default="")),
        ("close_pool", Boolean, _params(default=False)),
        ("reason", Text, _params(default="")),
        ("requested_by", ForeignKey, _foreign_key(User, null=False)),
        ("requested_at", Timestamptz, _params(default=TimestamptzNow())),
        ("method", Varchar, _params(length=16, default=None, null=True)),
        ("deposit", ForeignKey, _foreign_key(Deposit, null=True)),
        ("reference", Varchar, _params(length=120, default="")),
        ("recorded_by", ForeignKey, _foreign_key(User, null=True)),
        ("recorded_at", Timestamptz, _params(default=None, null=True)),
        ("txn", ForeignKey, _foreign_key(LedgerTransaction, null=True)),
    ]
    for name, column_class, params in columns:
        manager.add_column(
            table_class_name="PoolReturn",
            tablename="pool_return",
            column_name=name,
            db_column_name=name,
            column_class_name=column_class.__name__,
            column_class=column_class,
            params=params,
        )
    return manager
