"""Residents vouch for a building (issue #18): vouching subjects with their own codes, their
voices (one per phone per subject), and every asset bid's code, made for bids already there."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.base import OnDelete, OnUpdate
from piccolo.columns.column_types import (
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

ID = "2026-12-06T02:41:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "building voices"


class Resident(Table, tablename="resident", schema=None):
    id = Serial(null=False, primary_key=True, db_column_name="id")


class VouchSubject(Table, tablename="vouch_subject", schema=None):
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


def _foreign_key(
    references: type[Table], *, null: bool, on_delete: OnDelete, unique: bool = False
) -> dict[str, object]:
    return _params(
        references=references,
        on_delete=on_delete,
        on_update=OnUpdate.cascade,
        target_column=None,
        null=null,
        unique=unique,
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
        class_name="VouchSubject", tablename="vouch_subject", schema=None, columns=None
    )
    _add(
        manager,
        "VouchSubject",
        "vouch_subject",
        [
            ("kind", Varchar, _params(length=16, default="building")),
            ("code", Varchar, _params(length=16, default="", unique=True)),
            ("name", Varchar, _params(length=200, default="")),
            ("created_at", Timestamptz, _params(default=TimestamptzNow())),
        ],
    )
    manager.add_table(
        class_name="SubjectVoice", tablename="subject_voice", schema=None, columns=None
    )
    _add(
        manager,
        "SubjectVoice",
        "subject_voice",
        [
            (
                "subject",
                ForeignKey,
                _foreign_key(VouchSubject, null=False, on_delete=OnDelete.cascade),
            ),
            (
                "resident",
                ForeignKey,
                _foreign_key(Resident, null=False, on_delete=OnDelete.cascade),
            ),
            ("testimony", Text, _params(default="")),
            ("neighbourhood", Varchar, _params(length=60, default="")),
            ("show_public", Boolean, _params(default=False)),
            ("show_funders", Boolean, _params(default=False)),
            ("channel", Varchar, _params(length=8, default="")),
            ("verification", Varchar, _params(length=16, default="unverified")),
            ("state", Varchar, _params(length=16, default="active")),
            ("source_hash", Varchar, _params(length=64, default="")),
            ("created_at", Timestamptz, _params(default=TimestamptzNow())),
            ("updated_at", Timestamptz, _params(default=TimestamptzNow())),
            ("withdrawn_at", Timestamptz, _params(default=None, null=True)),
        ],
    )
    _add(
        manager,
        "AssetBid",
        "asset_bid",
        [
            (
                "vouch_subject",
                ForeignKey,
                _foreign_key(VouchSubject, null=True, on_delete=OnDelete.restrict),
            )
        ],
    )

    return manager
