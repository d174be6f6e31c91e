"""Browser tests: a real Groundswell server (demo data, its own database) driven by
Playwright through Debian's Chromium.

Without /usr/bin/chromium these tests are skipped with a loud reason, except under
CI=true, where that is a failure. The server gets its own SQLite file, or its own
PostgreSQL database next to the test database, so the suite's table cleaning never
touches it."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import httpx
import pytest

from tests.live_server import free_port
from tests.phone_check import register_log_file, scan_database

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]
ROOT = Path(__file__).resolve().parents[2]
AXE = Path(__file__).resolve().parent / "vendor" / "axe.min.js"
SCREENSHOTS = ROOT / "test-artifacts" / "screenshots"
IN_CI = os.environ.get("CI") == "true"
DEMO_PASSWORD = "groundswell-demo"
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}


def _missing(what: str) -> None:
    if IN_CI:
        pytest.fail(f"{what} (required under CI=true)")
    message = f"!!! BROWSER TESTS SKIPPED: {what} !!!"
    print(f"\n{message}", file=sys.stderr)
    pytest.skip(message)


@dataclass
class LiveServer:
    url: str
    database_url: str
    log: Path

    def log_tail(self) -> str:
        return self.log.read_text(errors="replace")[-4000:]


def _postgres_admin_and_name(database_url: str) -> tuple[str, str]:
    parts = urlsplit(database_url)
    name = f"{parts.path.strip('/')}_e2e"[:63]
    return urlunsplit(parts._replace(path="/postgres")), name


async def _postgres(action: str, admin_url: str, name: str) -> None:
    import asyncpg

    connection = await asyncpg.connect(admin_url)
    try:
        await connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        if action == "create":
            await connection.execute(f'CREATE DATABASE "{name}"')
    finally:
        await connection.close()


@pytest.fixture(scope="session")
def chromium() -> Path:
    if not CHROMIUM.exists():
        _missing(f"{CHROMIUM} is not installed (apt-get install -y chromium)")
    try:
        import playwright  # noqa: F401
    except ImportError:
        _missing("the playwright package is not installed (pip install -e '.[dev]')")
    return CHROMIUM


@pytest.fixture(scope="session")
def live_server(chromium: Path) -> Iterator[LiveServer]:
    test_url = os.environ["GROUNDSWELL_DATABASE_URL"]
    workdir = Path(tempfile.mkdtemp(prefix="groundswell-e2e-"))
    postgres: tuple[str, str] | None = None
    if test_url.startswith("sqlite"):
        database_url = f"sqlite:///{workdir / 'e2e.sqlite3'}"
    else:
        postgres = _postgres_admin_and_name(test_url)
        asyncio.run(_postgres("create", *postgres))
        database_url = urlunsplit(urlsplit(test_url)._replace(path=f"/{postgres[1]}"))
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TWILIO_", "STRIPE_"))}
    env.update(
        GROUNDSWELL_DATABASE_URL=database_url,
        GROUNDSWELL_PUBLIC_URL=f"http://127.0.0.1:{port}",
        GROUNDSWELL_SCHEDULER="false",
        GROUNDSWELL_LOG_LEVEL="INFO",
    )
    demo = subprocess.run(
        [sys.executable, "-m", "groundswell", "demo"],
        env=env,
        cwd=workdir,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert demo.returncode == 0, demo.stderr
    log = workdir / "server.log"
    register_log_file(log)  # searched for phone numbers at the end of the session
    with log.open("w") as out:
        server = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "groundswell",
                "serve",
                "--port",
                str(port),
                "--no-scheduler",
            ],
            env=env,
            cwd=workdir,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    live = LiveServer(url=f"http://127.0.0.1:{port}", database_url=database_url, log=log)
    try:
        deadline = time.monotonic() + 60
        while True:
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"{live.url}/health", timeout=2).status_code == 200:
                    break
            if server.poll() is not None or time.monotonic() > deadline:
                raise AssertionError(f"the server did not start:\n{live.log_tail()}")
            time.sleep(0.2)
        yield live
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
        # Everything the browser tests left behind: no phone number in it.
        scan_database(database_url, "the browser tests' server database")
        if postgres is not None:
            asyncio.run(_postgres("drop", *postgres))


@pytest.fixture(scope="session")
async def browser(chromium: Path) -> AsyncIterator[Any]:
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(
            executable_path=str(chromium), args=CHROMIUM_ARGS, headless=True
        )
        try:
            yield launched
        finally:
            await launched.close()


@dataclass
class Watched:
    """What a page did that it should not: dialogs opened, script errors, failed requests."""

    dialogs: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    csp: list[str] = field(default_factory=list)


async def new_page(
    browser: Any,
    live_server: LiveServer,
    *,
    viewport: dict[str, int] | None = None,
    javascript: bool = True,
) -> tuple[Any, Any, Watched]:
    context = await browser.new_context(
        base_url=live_server.url,
        viewport=viewport or DESKTOP,
        java_script_enabled=javascript,
        locale="en-GB",
    )
    page = await context.new_page()
    watched = Watched()

    async def on_dialog(dialog: Any) -> None:
        watched.dialogs.append(f"{dialog.type}: {dialog.message}")
        await dialog.dismiss()

    page.on("dialog", on_dialog)
    page.on("pageerror", lambda error: watched.errors.append(str(error)))

    def on_console(message: Any) -> None:
        if "Content Security Policy" in message.text:
            watched.csp.append(message.text)

    page.on("console", on_console)
    return context, page, watched


@pytest.fixture
async def session(browser: Any, live_server: LiveServer) -> AsyncIterator[tuple[Any, Watched]]:
    context, page, watched = await new_page(browser, live_server)
    try:
        yield page, watched
    finally:
        await context.close()


async def login(page: Any, email: str) -> None:
    await page.goto("/login")
    await page.get_by_label("E-mail").fill(email)
    await page.get_by_label("Password").fill(DEMO_PASSWORD)
    await page.get_by_role("button", name=re.compile("Sign in", re.I)).click()
    await page.wait_for_url(re.compile(r"/(dashboard|hosts/\d+)$"))


async def run_axe(page: Any) -> dict[str, Any]:
    """axe-core in the page. Evaluated over the DevTools protocol, which the page's CSP
    (script-src 'self') does not govern; an injected <script> would be refused."""
    if not AXE.exists():
        _missing(f"{AXE} is missing (scripts/test fetches axe-core from the npm registry)")
    await page.evaluate(AXE.read_text())
    assert await page.evaluate("typeof axe === 'object' && typeof axe.run === 'function'")
    results = await page.evaluate(
        """async () => {
            const r = await axe.run(document, {resultTypes: ['violations']});
            return {engine: r.testEngine, violations: r.violations.map(v => ({
                id: v.id, impact: v.impact, help: v.help,
                nodes: v.nodes.slice(0, 5).map(n => n.target.join(' '))}))};
        }"""
    )
    assert results["engine"]["name"] == "axe-core", results
    return results


def serious(results: dict[str, Any]) -> list[dict[str, Any]]:
    return [v for v in results["violations"] if v["impact"] in ("serious", "critical")]


def describe(violations: list[dict[str, Any]]) -> str:
    return json.dumps(violations, indent=2)


async def server_value(live_server: LiveServer, query: str) -> Any:
    """One value from the browser tests' server database (SQLite file or PostgreSQL)."""
    url = live_server.database_url
    if url.startswith("sqlite"):
        import sqlite3

        with sqlite3.connect(url.removeprefix("sqlite:///")) as connection:
            return connection.execute(query).fetchone()[0]
    import asyncpg

    connection = await asyncpg.connect(url)
    try:
        return await connection.fetchval(query)
    finally:
        await connection.close()


async def screenshot(page: Any, name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    await page.screenshot(path=str(path), full_page=True)
    return path
