"""Future-dated moves (issue #16): an organiser's move to another host recorded ahead of its
date, applied on the day (community/lifecycle.py), cancellable until then."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.base import OnDelete, OnUpdate
from piccolo.columns.column_types import Date, ForeignKey, Serial, Text, Timestamptz, Varchar
from piccolo.columns.defaults.date import DateNow
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.columns.indexes import IndexMethod
from piccolo.table import Table

ID = "2026-12-06T14:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "scheduled organiser moves"


class Organiser(Table, tablename="organiser", schema=None):
    id = Serial(null=False, primary_key=True, db_column_name="id")


class HostOrganisation(Table, tablename="host_organisation", schema=None):
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


def _foreign_key(references: type[Table], *, index: bool = False) -> dict[str, object]:
    return _params(
        references=references,
        on_delete=OnDelete.restrict,
        on_update=OnUpdate.cascade,
        target_column=None,
        index=index,
    )


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="groundswell", description=DESCRIPTION)
    manager.add_table(
        class_name="ScheduledMove", tablename="scheduled_move", schema=None, columns=None
    )
    for name, column_class, params in [
        ("organiser", ForeignKey, _foreign_key(Organiser, index=True)),
        ("to_host", ForeignKey, _foreign_key(HostOrganisation)),
        ("moved_on", Date, _params(default=DateNow())),
        ("reason", Text, _params(default="")),
        ("status", Varchar, _params(length=16, default="scheduled", index=True)),
        ("created_at", Timestamptz, _params(default=TimestamptzNow())),
        ("decided_at", Timestamptz, _params(default=None, null=True)),
    ]:
        manager.add_column(
            table_class_name="ScheduledMove",
            tablename="scheduled_move",
            column_name=name,
            db_column_name=name,
            column_class_name=column_class.__name__,
            column_class=column_class,
            params=params,
        )
    return manager
