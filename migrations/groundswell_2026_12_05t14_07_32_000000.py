"""Consent and reports, the old column goes: show_public and show_funders (filled from it
by the migration before) replace consent_to_publish, so no code can read the old meaning."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

ID = "2026-12-05T14:07:32:000000"
VERSION = "1.38.0"
DESCRIPTION = "consent and reports: drop consent_to_publish"


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="groundswell", description=DESCRIPTION)
    for class_name, table in (
        ("Endorsement", "endorsement"),
        ("WebVerification", "web_verification"),
    ):
        manager.drop_column(
            table_class_name=class_name,
            tablename=table,
            column_name="consent_to_publish",
            db_column_name="consent_to_publish",
            schema=None,
        )
    return manager
