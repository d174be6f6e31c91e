from enum import Enum

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.base import OnDelete, OnUpdate
from piccolo.columns.column_types import Date, ForeignKey, Serial, Varchar
from piccolo.columns.indexes import IndexMethod
from piccolo.table import Table


class User(Table, tablename="app_user", schema=None):
    id = Serial(
        null=False,
        primary_key=True,
        unique=False,
        index=False,
        index_method=IndexMethod.btree,
        choices=None,
        db_column_name="id",
        secret=False,
    )


ID = "2026-11-30T04:47:35:740511"
VERSION = "1.38.0"
DESCRIPTION = "programme grant payment"


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="groundswell", description=DESCRIPTION)

    manager.add_column(
        table_class_name="ProgrammeGrant",
        tablename="programme_grant",
        column_name="paid_by",
        db_column_name="paid_by",
        column_class_name="ForeignKey",
        column_class=ForeignKey,
        params={
            "references": User,
            "on_delete": OnDelete.set_null,
            "on_update": OnUpdate.cascade,
            "target_column": None,
            "null": True,
            "primary_key": False,
            "unique": False,
            "index": False,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": None,
            "secret": False,
        },
        schema=None,
    )

    manager.add_column(
        table_class_name="ProgrammeGrant",
        tablename="programme_grant",
        column_name="paid_on",
        db_column_name="paid_on",
        column_class_name="Date",
        column_class=Date,
        params={
            "default": None,
            "null": True,
            "primary_key": False,
            "unique": False,
            "index": False,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": None,
            "secret": False,
        },
        schema=None,
    )

    manager.add_column(
        table_class_name="ProgrammeGrant",
        tablename="programme_grant",
        column_name="payment_reference",
        db_column_name="payment_reference",
        column_class_name="Varchar",
        column_class=Varchar,
        params={
            "length": 100,
            "default": "",
            "null": False,
            "primary_key": False,
            "unique": False,
            "index": False,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": None,
            "secret": False,
        },
        schema=None,
    )

    manager.alter_column(
        table_class_name="ProgrammeGrant",
        tablename="programme_grant",
        column_name="status",
        db_column_name="status",
        params={
            "choices": Enum(
                "GrantStatus",
                {
                    "PROPOSED": "proposed",
                    "AWARDED": "awarded",
                    "PAID": "paid",
                    "CANCELLED": "cancelled",
                },
            )
        },
        old_params={
            "choices": Enum(
                "GrantStatus",
                {
                    "PROPOSED": "proposed",
                    "AWARDED": "awarded",
                    "CANCELLED": "cancelled",
                },
            )
        },
        column_class=Varchar,
        old_column_class=Varchar,
        schema=None,
    )

    manager.alter_column(
        table_class_name="LedgerAccount",
        tablename="ledger_account",
        column_name="kind",
        db_column_name="kind",
        params={
            "choices": Enum(
                "AccountKind",
                {
                    "AVAILABLE": "available",
                    "COMMITTED": "committed",
                    "IN_TRANSIT": "in_transit",
                    "PAID": "paid",
                    "GRANT_AWARDED": "grant_awarded",
                    "GRANT_PAID": "grant_paid",
                    "FUNDER_DEPOSITS": "funder_deposits",
                    "STRIPE_BALANCE": "stripe_balance",
                },
            )
        },
        old_params={
            "choices": Enum(
                "AccountKind",
                {
                    "AVAILABLE": "available",
                    "COMMITTED": "committed",
                    "IN_TRANSIT": "in_transit",
                    "PAID": "paid",
                    "FUNDER_DEPOSITS": "funder_deposits",
                    "STRIPE_BALANCE": "stripe_balance",
                },
            )
        },
        column_class=Varchar,
        old_column_class=Varchar,
        schema=None,
    )

    manager.alter_column(
        table_class_name="LedgerTransaction",
        tablename="ledger_transaction",
        column_name="kind",
        db_column_name="kind",
        params={
            "choices": Enum(
                "TransactionKind",
                {
                    "DEPOSIT": "deposit",
                    "ROUND_COMMIT": "round_commit",
                    "TRANSFER": "transfer",
                    "PAYOUT": "payout",
                    "SIMULATED_PAYMENT": "simulated_payment",
                    "REVERSAL": "reversal",
                    "GRANT_AWARD": "grant_award",
                    "GRANT_PAYMENT": "grant_payment",
                    "GRANT_CANCELLATION": "grant_cancellation",
                    "CORRECTION": "correction",
                },
            )
        },
        old_params={
            "choices": Enum(
                "TransactionKind",
                {
                    "DEPOSIT": "deposit",
                    "ROUND_COMMIT": "round_commit",
                    "TRANSFER": "transfer",
                    "PAYOUT": "payout",
                    "SIMULATED_PAYMENT": "simulated_payment",
                    "REVERSAL": "reversal",
                    "CORRECTION": "correction",
                },
            )
        },
        column_class=Varchar,
        old_column_class=Varchar,
        schema=None,
    )

    return manager
