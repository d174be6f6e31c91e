"""Apply and inspect Piccolo migrations programmatically (CLI `migrate`, `serve`, /health)."""

from __future__ import annotations

import contextlib
import io

from piccolo.apps.migrations.commands.check import CheckMigrationManager
from piccolo.apps.migrations.commands.forwards import run_forwards

APP_NAME = "groundswell"


class MigrationFailed(RuntimeError):
    pass


async def apply_migrations(*, quiet: bool = True) -> None:
    output = io.StringIO()
    with contextlib.redirect_stdout(output) if quiet else contextlib.nullcontext():
        result = await run_forwards(app_name=APP_NAME, migration_id="all")
    if not result.success:
        raise MigrationFailed(f"Migrations failed: {result.message}\n{output.getvalue()}")


async def pending_migrations() -> list[str]:
    statuses = await CheckMigrationManager(app_name=APP_NAME).get_migration_statuses()
    return [status.migration_id for status in statuses if not status.has_ran]
