"""API tokens made before tokens had an expiry: they expire 90 days after this upgrade
(the column comes in the migration before this one: Piccolo runs raw steps before column
changes inside one migration). A token without an expiry would authenticate nobody."""

from datetime import UTC, datetime, timedelta

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns import Timestamptz
from piccolo.table import Table

ID = "2026-12-05T10:13:44:000000"
VERSION = "1.38.0"
DESCRIPTION = "api token expiry backfill"


class ApiTokenExpiry(Table, tablename="api_token"):
    expires_at = Timestamptz(null=True, default=None)


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="groundswell", description=DESCRIPTION)

    async def backfill() -> None:
        expires_at = datetime.now(UTC) + timedelta(days=90)
        await ApiTokenExpiry.update({ApiTokenExpiry.expires_at: expires_at}).where(
            ApiTokenExpiry.expires_at.is_null()
        )

    manager.add_raw(backfill)
    return manager
