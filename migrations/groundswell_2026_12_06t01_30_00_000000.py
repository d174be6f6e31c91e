"""Rounds that can end, corrections with four eyes: a round's cancellation time, and
corrections an administrator proposes and a different one approves or rejects."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.base import OnDelete, OnUpdate
from piccolo.columns.column_types import (
    JSONB,
    ForeignKey,
    Serial,
    Text,
    Timestamptz,
    Varchar,
)
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.columns.indexes import IndexMethod
from piccolo.table import Table

ID = "2026-12-06T01:30:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "round cancellation, ledger corrections"


class User(Table, tablename="app_user", schema=None):
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


def _foreign_key(references: type[Table], *, null: bool) -> dict[str, object]:
    return _params(
        references=references,
        on_delete=OnDelete.restrict,
        on_update=OnUpdate.cascade,
        target_column=None,
        null=null,
        **({"default": None} if null else {}),
    )


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="groundswell", description=DESCRIPTION)
    manager.add_column(
        table_class_name="Round",
        tablename="funding_round",
        column_name="cancelled_at",
        db_column_name="cancelled_at",
        column_class_name="Timestamptz",
        column_class=Timestamptz,
        params=_params(default=None, null=True),
    )
    manager.add_table(
        class_name="LedgerCorrection", tablename="ledger_correction", schema=None, columns=None
    )
    columns: list[tuple[str, type, dict[str, object]]] = [
        ("status", Varchar, _params(length=16, default="proposed", index=True)),
        ("reason", Text, _params(default="")),
        ("postings", JSONB, _params(default="[]")),
        ("currency", Varchar, _params(length=3, default="")),
        ("proposed_by", ForeignKey, _foreign_key(User, null=False)),
        ("proposed_at", Timestamptz, _params(default=TimestamptzNow())),
        ("decided_by", ForeignKey, _foreign_key(User, null=True)),
        ("decided_at", Timestamptz, _params(default=None, null=True)),
        ("decision_reason", Text, _params(default="")),
        ("txn", ForeignKey, _foreign_key(LedgerTransaction, null=True)),
    ]
    for name, column_class, params in columns:
        manager.add_column(
            table_class_name="LedgerCorrection",
            tablename="ledger_correction",
            column_name=name,
            db_column_name=name,
            column_class_name=column_class.__name__,
            column_class=column_class,
            params=params,
        )
    return manager
