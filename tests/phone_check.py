"""The whole suite leaves no phone number in the database or the logs.

Tables are emptied after every test, so a dump at the end of a run would prove nothing.
Instead, while the suite runs:

- after each test, before its rows are deleted, every text and JSON column of every table
  that has rows is searched for a UK mobile number in any of the forms tests use (E.164
  ``+447911123456``, ``447911123456``, national ``07911123456``, and spaced or punctuated
  variants such as ``+44 (0)7911 123 456`` or ``07911-123-456``);
- every log record of the test process is searched as it is made: Groundswell's own
  loggers at every level (DEBUG included), other libraries' at the level they run at;
- the logs of the servers that tests start in subprocesses (``tests/live_server.py``,
  ``tests/e2e``) are registered here and searched at the end of the session, and the
  browser tests' server's database (one for the whole session) is dumped and searched
  before it is dropped.

Any finding fails the run (``pytest_sessionfinish`` sets a non-zero exit status) and is
listed with the test, table and column or log it was found in. The numbers themselves are
shown masked. A test that handles a number on purpose (testimony in which a resident typed
one, kept as written and redacted wherever shown; a search for a number) says so with
``@pytest.mark.stores_phone_number``: its rows and its log records are not searched.

Encrypted numbers and HMAC digests are long runs of letters and digits: the pattern requires
the number to stand alone (no letter, digit or underscore directly before or after it), so
they never match.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import sqlite3
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from piccolo.columns import JSON, JSONB, Text, Varchar

SEP = r"[ \-.]?"
# A decimal's digits are not a number anyone dials: an allocation's explanation holds
# floats such as 0.447111240527, whose fraction would otherwise read as 447111240527.
PHONE_RE = re.compile(
    r"(?<![\w+])(?<!\d\.)"
    r"(?:\+?44" + SEP + r"(?:\(0\)" + SEP + r")?|\(?0)"
    r"7\d{3}\)?" + SEP + r"\d{3}" + SEP + r"\d{3}"
    r"(?!\w)(?!\.\d)"
)


def find_numbers(text: str) -> list[str]:
    return [match.group(0) for match in PHONE_RE.finditer(text)]


def mask(number: str) -> str:
    return number[:-4] + "****" if len(number) > 4 else "****"


@dataclass
class Finding:
    where: str
    test: str
    number: str

    def __str__(self) -> str:
        return f"{self.where} (during {self.test}): {mask(self.number)}"


@dataclass
class PhoneCheck:
    findings: list[Finding] = field(default_factory=list)
    log_files: list[Path] = field(default_factory=list)
    current_test: str = "(collection or session set-up)"
    seconds_scanning: float = 0.0
    tables_scanned: int = 0
    records_scanned: int = 0
    exempt: bool = False  # the running test handles a number on purpose
    database_values: int = 0  # values searched in test servers' databases

    def found(self, where: str, text: str) -> None:
        if self.exempt:
            return
        for number in find_numbers(text):
            self.findings.append(Finding(where, self.current_test, number))

    async def scan_tables(self, tables: list[Any]) -> None:
        started = time.perf_counter()
        # One query finds the tables that have rows; only those are read.
        sql = " UNION ALL ".join(
            f"SELECT '{t._meta.tablename}' AS name WHERE EXISTS (SELECT 1 FROM \"{t._meta.tablename}\")"
            for t in tables
        )
        filled = {row["name"] for row in await tables[0].raw(sql)}
        for table in tables:
            if table._meta.tablename not in filled:
                continue
            columns = [
                column
                for column in table._meta.columns
                if isinstance(column, (Varchar, Text, JSON, JSONB))
            ]
            if not columns:
                continue
            rows = await table.select(*columns)
            if not rows:
                continue
            self.tables_scanned += 1
            for row in rows:
                for name, value in row.items():
                    if isinstance(value, str) and len(value) >= 10:
                        self.found(f"table {table._meta.tablename}.{name}", value)
        self.seconds_scanning += time.perf_counter() - started

    def scan_log_files(self) -> None:
        self.exempt = False
        for path in self.log_files:
            if path.exists():
                for n, line in enumerate(path.read_text(errors="replace").splitlines(), 1):
                    self.found(f"log {path}:{n}", line)


CHECK = PhoneCheck()


def scan_database(url: str, label: str) -> None:
    """Every text and JSON value of a database a test server used, at the end of its life
    (the browser tests' server keeps one database for the whole session)."""
    before, CHECK.current_test, CHECK.exempt = CHECK.current_test, f"{label} at its end", False
    try:
        if url.startswith("sqlite"):
            with contextlib.closing(sqlite3.connect(url.removeprefix("sqlite:///"))) as con:
                names = [
                    row[0]
                    for row in con.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
                ]
                for name in names:
                    for row in con.execute(f'SELECT * FROM "{name}"'):
                        for value in row:
                            if isinstance(value, str) and len(value) >= 10:
                                CHECK.database_values += 1
                                CHECK.found(f"{label}: table {name}", value)
        else:
            asyncio.run(_scan_postgres(url, label))
    finally:
        CHECK.current_test = before


async def _scan_postgres(url: str, label: str) -> None:
    import asyncpg

    connection = await asyncpg.connect(url)
    try:
        columns = await connection.fetch(
            "SELECT table_name, column_name FROM information_schema.columns "
            "WHERE table_schema = 'public' "
            "AND data_type IN ('text', 'character varying', 'json', 'jsonb')"
        )
        for column in columns:
            table, name = column["table_name"], column["column_name"]
            for row in await connection.fetch(
                f'SELECT "{name}"::text AS value FROM "{table}" WHERE "{name}" IS NOT NULL'
            ):
                if len(row["value"]) >= 10:
                    CHECK.database_values += 1
                    CHECK.found(f"{label}: table {table}.{name}", row["value"])
    finally:
        await connection.close()


def register_log_file(path: Path) -> None:
    """A subprocess's log, searched at the end of the session."""
    CHECK.log_files.append(path)


def install_record_factory() -> None:
    """Search every log record the test process makes, as it is made.

    A record factory rather than a handler: the app's logging configuration replaces the
    root logger's handlers, and a factory sees each record that any logger lets through at
    its level, wherever it is handled afterwards.
    """
    previous = logging.getLogRecordFactory()
    if getattr(previous, "phone_check", False):
        return

    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = previous(*args, **kwargs)
        try:
            text = record.getMessage()
        except Exception:
            text = f"{record.msg!r} {record.args!r}"
        if record.exc_info and record.exc_info[1] is not None:
            text += f"\n{record.exc_info[1]!r}"
        CHECK.records_scanned += 1
        CHECK.found(f"log record {record.name}:{record.levelname}", text)
        return record

    factory.phone_check = True  # type: ignore[attr-defined]
    logging.setLogRecordFactory(factory)
    # Our own loggers make every record, DEBUG included, whatever the root logger's level:
    # a record that is never made cannot be searched.
    logging.getLogger("groundswell").setLevel(logging.DEBUG)
