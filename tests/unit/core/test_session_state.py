"""db.start() skips asyncpg's reset query on release (db.py says why): that is safe only
while no code leaves session state on a PostgreSQL connection. This scan fails the day a
statement that would do so appears in the source, so the choice is made again, knowingly."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[3] / "src" / "groundswell"

SESSION_STATE = {
    "a session-level advisory lock": re.compile(r"pg_(try_)?advisory_lock", re.I),
    # SQL keywords are upper case in this source; "pools that listen in" is English.
    "LISTEN": re.compile(r"""["'(\s]LISTEN\s+\w"""),
    "a SET that outlives its transaction": re.compile(
        r"""["']\s*SET\s+(SESSION\s+)?(?!LOCAL\b)[A-Za-z_.]+\s*(=|TO\b)"""
    ),
    "set_config() for the session": re.compile(r"set_config\([^)]*,\s*false\s*\)", re.I),
    "a cursor kept past its transaction": re.compile(r"WITH\s+HOLD", re.I),
    "a temporary table": re.compile(r"CREATE\s+(GLOBAL\s+|LOCAL\s+)?TEMP(ORARY)?\s+TABLE", re.I),
    "an asyncpg listener": re.compile(r"add_listener\("),
}


# Code that holds session state on a connection of its own, never one from the pool.
OWN_CONNECTION = {
    # The scheduler's leader lock: asyncpg.connect(), held while it leads, then closed.
    "scheduler.py": "pg_try_advisory_lock",
}


def sources() -> list[Path]:
    return sorted(SRC.rglob("*.py"))


def code_lines(path: Path) -> list[tuple[int, str]]:
    allowed = OWN_CONNECTION.get(str(path.relative_to(SRC)))
    return [
        (number, line)
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if not line.lstrip().startswith("#") and not (allowed and allowed in line)
    ]


def test_the_scan_reads_the_source() -> None:
    assert len(sources()) > 100
    assert "_nothing_to_reset" in (SRC / "db.py").read_text()
    for name, allowed in OWN_CONNECTION.items():
        assert allowed in (SRC / name).read_text(), f"{name} no longer needs its exception"


@pytest.mark.parametrize("what", sorted(SESSION_STATE))
def test_no_code_leaves_session_state_on_a_pooled_connection(what: str) -> None:
    pattern = SESSION_STATE[what]
    found = [
        f"{path.relative_to(SRC)}:{number}: {line.strip()}"
        for path in sources()
        for number, line in code_lines(path)
        if pattern.search(line)
    ]
    assert not found, (
        f"{what} would outlive the request on a pooled connection, and db.start() skips "
        f"asyncpg's reset: {found}"
    )


@pytest.mark.parametrize(
    "line",
    [
        'await connection.execute("SET statement_timeout = 0")',
        "await connection.execute('SET SESSION search_path TO x')",
        'run("SELECT pg_advisory_lock(42)")',
        'execute("LISTEN outbox")',
        'execute("DECLARE c CURSOR WITH HOLD FOR SELECT 1")',
        'execute("CREATE TEMP TABLE t (x int)")',
        "await connection.add_listener('outbox', callback)",
        "SELECT set_config('search_path', 'x', false)",
    ],
)
def test_the_scan_would_catch(line: str) -> None:
    assert any(pattern.search(line) for pattern in SESSION_STATE.values())


@pytest.mark.parametrize(
    "line",
    [
        '"UPDATE outbox_message SET status = {} WHERE id = {}"',
        '"SET LOCAL lock_timeout = 1000"',
        "SELECT pg_advisory_xact_lock(42)",
        "# /listen and the listening page",
    ],
)
def test_the_scan_lets_transaction_scoped_state_through(line: str) -> None:
    assert not any(pattern.search(line) for pattern in SESSION_STATE.values())
