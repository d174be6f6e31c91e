"""Co-funded pools (issue #16): a pool's co-funders, its review rule, each deposit's and card
top-up's funder (the pool's funder for deposits already recorded) and each funder's part of
a round's line."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.base import OnDelete, OnUpdate
from piccolo.columns.column_types import BigInt, ForeignKey, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.columns.indexes import IndexMethod
from piccolo.table import Table

ID = "2026-12-06T11:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "co-funded pools"


class Funder(Table, tablename="funder", schema=None):
    pass


class Pool(Table, tablename="pool", schema=None):
    pass


class User(Table, tablename="app_user", schema=None):
    pass


class Round(Table, tablename="funding_round", schema=None):
    pass


class Allocation(Table, tablename="allocation", schema=None):
    pass


class RawTable(Table):
    pass


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


def _foreign_key(
    references: type[Table], *, null: bool, on_delete: OnDelete, index: bool = False
) -> dict[str, object]:
    return _params(
        references=references,
        on_delete=on_delete,
        on_update=OnUpdate.cascade,
        target_column=None,
        null=null,
        index=index,
        **({"default": None} if null else {}),
    )


def _add(manager: MigrationManager, cls: str, table: str, columns: list) -> None:
    for name, column_class, params in columns:
        manager.add_column(
            table_class_name=cls,
            tablename=table,
            column_name=name,
            db_column_name=name,
            column_class_name=column_class.__name__,
            column_class=column_class,
            params=params,
        )


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="groundswell", description=DESCRIPTION)
    manager.add_table(
        class_name="PoolCofunder", tablename="pool_cofunder", schema=None, columns=None
    )
    _add(
        manager,
        "PoolCofunder",
        "pool_cofunder",
        [
            (
                "pool",
                ForeignKey,
                _foreign_key(Pool, null=False, on_delete=OnDelete.restrict, index=True),
            ),
            (
                "funder",
                ForeignKey,
                _foreign_key(Funder, null=False, on_delete=OnDelete.restrict, index=True),
            ),
            ("added_by", ForeignKey, _foreign_key(User, null=True, on_delete=OnDelete.set_null)),
            ("added_at", Timestamptz, _params(default=TimestamptzNow())),
        ],
    )
    manager.add_table(
        class_name="AllocationShare", tablename="allocation_share", schema=None, columns=None
    )
    _add(
        manager,
        "AllocationShare",
        "allocation_share",
        [
            (
                "round",
                ForeignKey,
                _foreign_key(Round, null=False, on_delete=OnDelete.restrict, index=True),
            ),
            (
                "allocation",
                ForeignKey,
                _foreign_key(Allocation, null=False, on_delete=OnDelete.restrict, index=True),
            ),
            (
                "funder",
                ForeignKey,
                _foreign_key(Funder, null=False, on_delete=OnDelete.restrict, index=True),
            ),
            ("amount", BigInt, _params(default=0)),
        ],
    )
    _add(manager, "Pool", "pool", [("review_rule", Varchar, _params(length=16, default="lead"))])
    _add(
        manager,
        "Deposit",
        "deposit",
        [
            (
                "funder",
                ForeignKey,
                _foreign_key(Funder, null=True, on_delete=OnDelete.restrict, index=True),
            )
        ],
    )
    _add(
        manager,
        "CheckoutIntent",
        "checkout_intent",
        [("funder", ForeignKey, _foreign_key(Funder, null=True, on_delete=OnDelete.restrict))],
    )
    return manager
