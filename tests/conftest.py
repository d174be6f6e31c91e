"""Test set-up: one database per run (SQLite file or PostgreSQL database made by scripts/test),
migrated once, emptied between tests."""

from __future__ import annotations

import os
import tempfile
from collections.abc import AsyncIterator
from pathlib import Path

# Settings come from the environment, and Piccolo binds tables to an engine on import:
# both must be fixed before anything from groundswell is imported.
if not os.environ.get("GROUNDSWELL_DATABASE_URL"):
    _tmp = Path(tempfile.mkdtemp(prefix="groundswell-test-"))
    os.environ["GROUNDSWELL_DATABASE_URL"] = f"sqlite:///{_tmp / 'test.sqlite3'}"
os.environ["GROUNDSWELL_ENV"] = "test"
os.environ["GROUNDSWELL_SECRET_KEY"] = "test-secret-key-0123456789abcdef"
os.environ["GROUNDSWELL_PHONE_KEY"] = "test-phone-key-0123456789abcdef"
os.environ["GROUNDSWELL_SCHEDULER"] = "false"
os.environ["GROUNDSWELL_PUBLIC_URL"] = "https://groundswell.test"

import pytest
from litestar import Litestar

from groundswell import db
from groundswell.app import create_app
from groundswell.migrate import apply_migrations
from groundswell.piccolo_app import TABLES
from groundswell.settings import Settings, load_settings
from tests.helpers import WebClient, asgi_client, ledger_unlocked

ENGINE = "sqlite" if os.environ["GROUNDSWELL_DATABASE_URL"].startswith("sqlite") else "postgresql"


def pytest_report_header() -> str:
    return f"groundswell database engine: {ENGINE}"


@pytest.fixture(scope="session")
def settings() -> Settings:
    return load_settings()


@pytest.fixture(scope="session", autouse=True)
async def migrated_database() -> AsyncIterator[None]:
    await db.start()
    await apply_migrations()
    yield
    await db.stop()


@pytest.fixture(autouse=True)
async def empty_tables(migrated_database: None) -> AsyncIterator[None]:
    yield
    async with ledger_unlocked():
        for table in reversed(TABLES):
            await table.delete(force=True)


@pytest.fixture
def app(settings: Settings) -> Litestar:
    return create_app(settings, run_scheduler=False)


@pytest.fixture
async def client(app: Litestar) -> AsyncIterator[WebClient]:
    async with asgi_client(app) as web:
        yield web
