"""Test set-up: one database per run (SQLite file or PostgreSQL database made by scripts/test),
migrated once, emptied between tests."""

from __future__ import annotations

import os
import tempfile
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

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
from hypothesis import settings as hypothesis_settings
from litestar import Litestar

from groundswell import db
from groundswell.migrate import apply_migrations
from groundswell.piccolo_app import TABLES
from groundswell.settings import Settings, load_settings
from groundswell.web.app import create_app
from tests import phone_check
from tests.helpers import WebClient, asgi_client, ledger_unlocked
from tests.twilio_server import twilio_server  # noqa: F401 - one local Twilio server per session

# No property test asserts a wall-clock time: Hypothesis's 200 ms deadline per example would
# fail a correct test on a busy machine. CI explores the same examples on every run, so a red
# CI always means a change, never a new random draw; locally each run explores new ones.
hypothesis_settings.register_profile("dev", deadline=None)
hypothesis_settings.register_profile("ci", deadline=None, derandomize=True, print_blob=True)
hypothesis_settings.load_profile("ci" if os.environ.get("CI") else "dev")

ENGINE = "sqlite" if os.environ["GROUNDSWELL_DATABASE_URL"].startswith("sqlite") else "postgresql"


def pytest_report_header() -> str:
    return f"groundswell database engine: {ENGINE}"


# The whole-suite phone check (tests/phone_check.py): every log record of this process is
# searched as it is emitted, every test's rows before they are deleted, and the logs of the
# servers tests start at the end; any phone number found fails the run.
phone_check.install_record_factory()


def pytest_runtest_setup(item: pytest.Item) -> None:
    phone_check.CHECK.current_test = item.nodeid
    phone_check.CHECK.exempt = item.get_closest_marker("stores_phone_number") is not None


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    phone_check.CHECK.scan_log_files()
    if phone_check.CHECK.findings and session.exitstatus == 0:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def pytest_terminal_summary(terminalreporter: Any) -> None:
    check = phone_check.CHECK
    terminalreporter.write_line(
        f"phone check: {check.tables_scanned} non-empty tables scanned after tests in "
        f"{check.seconds_scanning:.2f} s, {check.records_scanned} log records, "
        f"{len(check.log_files)} server log(s), {check.database_values} values in test "
        "servers' databases"
    )
    if check.findings:
        terminalreporter.write_line(
            f"PHONE CHECK FAILED: {len(check.findings)} phone number(s) found", red=True, bold=True
        )
        for finding in check.findings[:50]:
            terminalreporter.write_line(f"  {finding}", red=True)


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
async def empty_tables(
    migrated_database: None, request: pytest.FixtureRequest
) -> AsyncIterator[None]:
    yield
    if request.node.get_closest_marker("stores_phone_number") is None:
        # Before the rows go: no phone number in any text or JSON column (tests/phone_check.py).
        await phone_check.CHECK.scan_tables(TABLES)
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
