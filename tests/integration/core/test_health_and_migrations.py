import os
import subprocess
import sys
from pathlib import Path

import asyncpg
import pytest

from groundswell.piccolo_app import TABLES
from groundswell.settings import load_settings
from tests.conftest import ENGINE
from tests.helpers import WebClient

ROOT = Path(__file__).resolve().parents[3]


async def test_health_reports_database_migrations_and_scheduler(client: WebClient) -> None:
    response = await client.get("/health")
    body = response.json()
    assert body["database"] == {"reachable": True, "engine": ENGINE}
    assert body["migrations"] == {"current": True, "pending": []}
    # No scheduler runs in tests and none has ever beaten: this worker still serves (200),
    # but health says plainly that nothing runs rounds, payouts or the outbox.
    assert body["scheduler"]["enabled_in_this_process"] is False
    assert response.status_code == 200
    assert body["status"] == "degraded"
    assert any("no scheduler has led" in reason for reason in body["reasons"])


def _groundswell(*args: str, url: str, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "GROUNDSWELL_DATABASE_URL": url, "GROUNDSWELL_ENV": "development"}
    env.pop("GROUNDSWELL_SECRET_KEY", None)
    return subprocess.run(
        [sys.executable, "-m", "groundswell", *args],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


async def _fresh_database_url(tmp_path: Path) -> tuple[str, str | None]:
    if ENGINE == "sqlite":
        return f"sqlite:///{tmp_path / 'fresh.sqlite3'}", None
    url = load_settings().database_url
    name = f"gs_fresh_{os.getpid()}"
    connection = await asyncpg.connect(url)
    try:
        await connection.execute(f'DROP DATABASE IF EXISTS "{name}"')
        await connection.execute(f'CREATE DATABASE "{name}"')
    finally:
        await connection.close()
    return url.rsplit("/", 1)[0] + "/" + name, name


async def _drop(name: str | None) -> None:
    if name is None:
        return
    connection = await asyncpg.connect(load_settings().database_url)
    try:
        await connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await connection.close()


@pytest.mark.slow
async def test_all_migrations_apply_to_an_empty_database_then_demo_loads_once(
    tmp_path: Path,
) -> None:
    url, name = await _fresh_database_url(tmp_path)
    try:
        first = _groundswell("migrate", url=url, tmp_path=tmp_path)
        assert first.returncode == 0, first.stderr
        assert "Applied" in first.stdout
        again = _groundswell("migrate", url=url, tmp_path=tmp_path)
        assert "up to date" in again.stdout
        demo = _groundswell("demo", url=url, tmp_path=tmp_path)
        assert demo.returncode == 0, demo.stderr
        assert "Demo data loaded" in demo.stdout and "admin@groundswell.example" in demo.stdout
        repeat = _groundswell("demo", url=url, tmp_path=tmp_path)
        assert "nothing duplicated" in repeat.stdout
        assert repeat.stdout.split("\n")[1:7] == demo.stdout.split("\n")[1:7]
        # Every table exists in the migrated database.
        if ENGINE == "sqlite":
            import sqlite3

            names = {
                r[0]
                for r in sqlite3.connect(tmp_path / "fresh.sqlite3").execute(
                    "SELECT name FROM sqlite_master WHERE type='table'"
                )
            }
        else:
            connection = await asyncpg.connect(url)
            names = {
                r["tablename"]
                for r in await connection.fetch(
                    "SELECT tablename FROM pg_tables WHERE schemaname='public'"
                )
            }
            await connection.close()
        assert {t._meta.tablename for t in TABLES} <= names
    finally:
        await _drop(name)


def test_cli_refuses_production_without_secrets(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GROUNDSWELL_")}
    env["GROUNDSWELL_ENV"] = "production"
    result = subprocess.run(
        [sys.executable, "-m", "groundswell", "migrate"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert "GROUNDSWELL_SECRET_KEY and GROUNDSWELL_PHONE_KEY" in result.stderr
    assert "Traceback" not in result.stderr
