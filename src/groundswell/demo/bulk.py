"""Writing the demo's rows fast, outside the ORM: COPY on PostgreSQL, multi-row inserts in one
transaction per chunk on SQLite; residents and their testimony written that way; and the
progress shown meanwhile."""

from __future__ import annotations

import random
import sqlite3
import sys
from collections.abc import Iterator, Sequence
from datetime import UTC, date, datetime
from typing import Any, TextIO

from groundswell.core.clock import now
from groundswell.db import sqlite_path
from groundswell.demo.testimony import ENDORSEMENT_COLUMNS, OrganiserSeed, resident_hash, voice_rows

# ---------------------------------------------------------------- progress


class Progress:
    """A progress bar on stderr when it is a terminal; one line per stage otherwise."""

    def __init__(self, stream: TextIO | None = None) -> None:
        self.stream = stream or sys.stderr
        self.tty = self.stream.isatty()
        self.label = ""
        self.total = 0
        self.done = 0

    def start(self, label: str, total: int) -> None:
        self.label, self.total, self.done = label, total, 0
        if self.tty:
            self._draw()
        else:
            print(f"{label}: {total:,}…", file=self.stream, flush=True)

    def advance(self, amount: int) -> None:
        self.done += amount
        if self.tty:
            self._draw()

    def finish(self) -> None:
        if self.tty:
            self.done = self.total
            self._draw()
            self.stream.write("\n")
            self.stream.flush()

    def _draw(self) -> None:
        share = self.done / self.total if self.total else 1.0
        filled = int(30 * share)
        self.stream.write(
            f"\r{self.label:<24} [{'#' * filled}{'.' * (30 - filled)}] {share:6.1%}"
            f"  {self.done:,}/{self.total:,}"
        )
        self.stream.flush()


# ---------------------------------------------------------------- bulk writers


class BulkWriter:
    """Writes rows fast, outside the ORM: one engine-specific connection."""

    async def open(self) -> None: ...
    async def close(self) -> None: ...
    async def fetch(self, sql: str) -> list[tuple[Any, ...]]:
        raise NotImplementedError

    async def execute(self, sql: str) -> None:
        raise NotImplementedError

    async def write(self, table: str, columns: Sequence[str], rows: list[tuple[Any, ...]]) -> None:
        raise NotImplementedError

    async def finish(self, tables: Sequence[str]) -> None:
        raise NotImplementedError


class PostgresWriter(BulkWriter):
    def __init__(self, url: str) -> None:
        self.url = url
        self.connection: Any = None

    async def open(self) -> None:
        import asyncpg

        self.connection = await asyncpg.connect(self.url)

    async def close(self) -> None:
        await self.connection.close()

    async def fetch(self, sql: str) -> list[tuple[Any, ...]]:
        return [tuple(row) for row in await self.connection.fetch(sql)]

    async def execute(self, sql: str) -> None:
        await self.connection.execute(sql)

    async def write(self, table: str, columns: Sequence[str], rows: list[tuple[Any, ...]]) -> None:
        await self.connection.copy_records_to_table(table, records=rows, columns=list(columns))

    async def finish(self, tables: Sequence[str]) -> None:
        for table in tables:
            # Ids were given explicitly: move each sequence past them.
            await self.connection.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "  # noqa: S608
                f"(SELECT COALESCE(MAX(id), 1) FROM {table}))"
            )
        for table in tables:
            await self.connection.execute(f"VACUUM ANALYZE {table}")


class SqliteWriter(BulkWriter):
    def __init__(self, url: str) -> None:
        self.path = sqlite_path(url)
        self.connection: sqlite3.Connection | None = None

    async def open(self) -> None:
        self.connection = sqlite3.connect(self.path, timeout=60, isolation_level=None)

    async def close(self) -> None:
        assert self.connection is not None
        self.connection.close()

    async def fetch(self, sql: str) -> list[tuple[Any, ...]]:
        assert self.connection is not None
        return [tuple(row) for row in self.connection.execute(sql).fetchall()]

    async def execute(self, sql: str) -> None:
        assert self.connection is not None
        self.connection.execute(sql)

    async def write(self, table: str, columns: Sequence[str], rows: list[tuple[Any, ...]]) -> None:
        assert self.connection is not None
        marks = ", ".join("?" * len(columns))
        self.connection.execute("BEGIN IMMEDIATE")
        try:
            self.connection.executemany(
                f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})",  # noqa: S608
                [tuple(_sqlite_value(value) for value in row) for row in rows],
            )
        except BaseException:
            self.connection.execute("ROLLBACK")
            raise
        self.connection.execute("COMMIT")

    async def finish(self, tables: Sequence[str]) -> None:
        assert self.connection is not None
        self.connection.execute("ANALYZE")
        self.connection.execute("PRAGMA optimize")


def _sqlite_value(value: Any) -> Any:
    """Values as Piccolo stores them in SQLite (UTC text timestamps, 0/1 booleans)."""
    if isinstance(value, datetime):
        return str(value.astimezone(UTC))
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, bool):
        return int(value)
    return value


def writer_for(url: str) -> BulkWriter:
    return SqliteWriter(url) if url.startswith("sqlite") else PostgresWriter(url)


CHUNK = 20_000


async def write_chunked(
    writer: BulkWriter,
    table: str,
    columns: Sequence[str],
    rows: Iterator[tuple[Any, ...]],
    progress: Progress,
) -> None:
    chunk: list[tuple[Any, ...]] = []
    for row in rows:
        chunk.append(row)
        if len(chunk) >= CHUNK:
            await writer.write(table, columns, chunk)
            progress.advance(len(chunk))
            chunk = []
    if chunk:
        await writer.write(table, columns, chunk)
        progress.advance(len(chunk))


async def add_voices(
    writer: BulkWriter,
    organisers: list[OrganiserSeed],
    *,
    residents: int,
    voices: int,
    seed: int,
    progress: Progress,
) -> None:
    """Residents and their voices for the given organisers, after any that exist."""
    rng = random.Random(seed)
    moment = now()
    [(last_resident,)] = await writer.fetch("SELECT COALESCE(MAX(id), 0) FROM resident")
    [(last_endorsement,)] = await writer.fetch("SELECT COALESCE(MAX(id), 0) FROM endorsement")
    first_resident = int(last_resident) + 1
    progress.start("Residents", residents)
    await write_chunked(
        writer,
        "resident",
        ("id", "voice_hash", "lang", "messages_stopped", "hear_back", "created_at"),
        (
            (
                first_resident + n,
                resident_hash(seed, first_resident + n),
                "en",
                False,
                False,
                moment,
            )
            for n in range(residents)
        ),
        progress,
    )
    progress.finish()
    progress.start("Testimonies", voices)
    await write_chunked(
        writer,
        "endorsement",
        ENDORSEMENT_COLUMNS,
        voice_rows(
            rng,
            organisers,
            first_resident_id=first_resident,
            residents=residents,
            voices=voices,
            first_endorsement_id=int(last_endorsement) + 1,
            moment=moment,
        ),
        progress,
    )
    progress.finish()
