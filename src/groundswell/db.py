"""The database engine, built from settings, and the transaction helpers every service uses."""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator, Mapping, Sequence
from functools import lru_cache
from pathlib import Path
from string import Formatter
from typing import Any, TypeVar
from urllib.parse import urlsplit

from piccolo.engine.base import Engine
from piccolo.engine.finder import engine_finder
from piccolo.engine.postgres import PostgresEngine
from piccolo.engine.sqlite import SQLiteEngine, TransactionType
from piccolo.query.methods.select import Select
from piccolo.querystring import QueryString

Q = TypeVar("Q", bound=Select[Any])

SQLITE_BUSY_TIMEOUT_SECONDS = 30


def sqlite_path(database_url: str) -> str:
    """`sqlite:///relative.db` is relative to the working directory, `sqlite:////abs.db` absolute."""
    path = database_url.removeprefix("sqlite:///")
    return path or "groundswell.sqlite3"


def build_engine(database_url: str) -> Engine[Any]:
    if database_url.startswith("sqlite"):
        path = sqlite_path(database_url)
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        _enable_wal(path)
        return SQLiteEngine(path=path, timeout=SQLITE_BUSY_TIMEOUT_SECONDS)
    parts = urlsplit(database_url)
    if not parts.path.strip("/"):
        raise ValueError(
            "GROUNDSWELL_DATABASE_URL must name a database, e.g. postgresql://host/groundswell"
        )
    return PostgresEngine(config={"dsn": database_url.replace("postgres://", "postgresql://", 1)})


def _enable_wal(path: str) -> None:
    # WAL lets readers carry on while one writer commits; the mode is stored in the file.
    with sqlite3.connect(path, timeout=SQLITE_BUSY_TIMEOUT_SECONDS) as connection:
        connection.execute("PRAGMA journal_mode=WAL")
    connection.close()


_found: list[Engine[Any]] = []


def engine() -> Engine[Any]:
    """Piccolo's engine for this process. Found once: Piccolo's finder imports the
    configuration module by name on every call, and every query asks (is_sqlite)."""
    if not _found:
        found = engine_finder()
        if found is None:
            raise RuntimeError(
                "Piccolo found no engine: is PICCOLO_CONF set to groundswell.piccolo_conf?"
            )
        _found.append(found)
    return _found[0]


def is_sqlite() -> bool:
    return engine().engine_type == "sqlite"


def placeholders(count: int) -> str:
    """`count` of Piccolo's `{}` placeholders, comma-separated, as in `x IN ({})`."""
    return ", ".join(["{}"] * count)


def locked(query: Q) -> Q:
    """`query` taking row locks until the transaction ends (SELECT ... FOR UPDATE) on
    PostgreSQL. SQLite has no row locks: there, `write_transaction()` (BEGIN IMMEDIATE)
    already holds the only write lock there is, so the query is returned as it is. Call it
    inside `write_transaction()`."""
    if is_sqlite():
        return query
    locking: Q = query.lock_rows()
    return locking


def write_transaction() -> Any:
    """A transaction for writes that must not interleave.

    PostgreSQL serialises writers with row locks (`lock_rows()`); SQLite has none, so its
    writers take the database's write lock up front (BEGIN IMMEDIATE) and wait their turn.
    Nested calls join the transaction already open.
    """
    current = engine()
    if isinstance(current, SQLiteEngine):
        return current.transaction(transaction_type=TransactionType.immediate)
    return current.transaction()


# asyncpg resets a connection on its way back to the pool: it rolls back an open
# transaction and drops its listeners (client-side, no round trip), then runs this hook,
# whose default is `SELECT pg_advisory_unlock_all(); CLOSE ALL; UNLISTEN *; RESET ALL` —
# one round trip on every release, which was a third of /listen's round trips. Groundswell
# leaves no session state on a connection: no SET outside a transaction (SET LOCAL ends
# with it), no LISTEN, no session-level advisory locks, no WITH HOLD
# cursors, no temporary tables. tests/unit/core/test_session_state.py keeps the source that way.
async def _nothing_to_reset(connection: Any) -> None:
    return None


async def start(engine_: Engine[Any] | None = None) -> None:
    current = engine_ or engine()
    if isinstance(current, PostgresEngine):
        await current.start_connection_pool(min_size=1, max_size=10, reset=_nothing_to_reset)


async def fetch_one_statement(sql: str, *args: Any) -> list[Any]:
    """Rows of one PostgreSQL statement ($1 placeholders) in autocommit, on a pooled
    connection, in one round trip: the hot path of an SMS webhook. Outside the pool (a
    command before `start`), a connection of its own."""
    current = engine()
    assert isinstance(current, PostgresEngine)
    if current.pool is None:
        connection = await current.get_new_connection()
        try:
            return list(await connection.fetch(sql, *args))
        finally:
            await connection.close()
    async with current.pool.acquire() as connection:
        return list(await connection.fetch(sql, *args))


# Piccolo compiles a QueryString by splitting every template in it with string.Formatter
# on every call: a tenth of /listen's own work. The SQL text depends only on how the
# templates nest, so it is compiled once per shape; each query only gathers its values.
def compile_query(query: QueryString, engine_type: str) -> tuple[str, list[Any]]:
    """`query.compile_string(engine_type)`, the text compiled once per shape."""
    values: list[Any] = []
    _gather(query, values)
    return _compiled_text(_shape(query), engine_type), values


def _shape(query: QueryString) -> tuple[Any, ...]:
    return (
        query.template,
        *(_shape(arg) if isinstance(arg, QueryString) else None for arg in query.args),
    )


def _gather(query: QueryString, values: list[Any]) -> None:
    # As Piccolo's bundle(): one argument per fragment of the template, extras ignored.
    for arg in query.args[: _fragment_count(query.template)]:
        if isinstance(arg, QueryString):
            _gather(arg, values)
        else:
            values.append(arg)


@lru_cache(maxsize=4096)
def _fragment_count(template: str) -> int:
    return sum(1 for _ in Formatter().parse(template))


def _rebuilt(shape: tuple[Any, ...]) -> QueryString:
    template, *args = shape
    return QueryString(template, *(_rebuilt(arg) if arg is not None else 0 for arg in args))


@lru_cache(maxsize=1024)
def _compiled_text(shape: tuple[Any, ...], engine_type: str) -> str:
    return _rebuilt(shape).compile_string(engine_type=engine_type)[0]


async def raw(template: str, *args: Any) -> Sequence[Mapping[str, Any]]:
    """Rows of a raw query (Piccolo's `{}` placeholders), as `Table.raw` reads them but
    cheaper on pages read all day: on PostgreSQL outside a transaction the query is
    compiled here and run on a pooled connection, and asyncpg's records are returned as
    they come instead of being copied into dicts. Read-only rows; inside a transaction,
    on that transaction's connection."""
    current = engine()
    query = QueryString(template, *args)
    if (
        isinstance(current, PostgresEngine)
        and current.pool is not None
        and current.current_transaction.get() is None
    ):
        sql, values = compile_query(query, current.engine_type)
        async with current.pool.acquire() as connection:
            records: Sequence[Mapping[str, Any]] = await connection.fetch(sql, *values)
            return records
    rows: list[dict[str, Any]] = await current.run_querystring(query)
    return rows


async def stop(engine_: Engine[Any] | None = None) -> None:
    current = engine_ or engine()
    if isinstance(current, PostgresEngine):
        await current.close_connection_pool()


async def is_reachable() -> bool:
    try:
        await engine().run_ddl("SELECT 1")
    except Exception:
        return False
    return True


async def stream(template: str, *args: Any, batch_size: int = 5000) -> AsyncIterator[Sequence[Any]]:
    """Rows of a raw query as tuples, `batch_size` at a time, without holding them all.

    `template` takes Piccolo's `{}` placeholders. Runs in the current transaction, or in a
    read transaction of its own (PostgreSQL cursors live inside one).
    """
    current = engine()
    transaction = current.current_transaction.get()
    if transaction is None:
        async with current.transaction():
            async for batch in stream(template, *args, batch_size=batch_size):
                yield batch
        return
    sql, values = QueryString(template, *args).compile_string(engine_type=current.engine_type)
    if isinstance(current, PostgresEngine):
        cursor = await transaction.connection.cursor(sql, *values)
        while rows := await cursor.fetch(batch_size):
            yield rows
        return
    sqlite_cursor = await transaction.connection.execute(sql, values)
    sqlite_cursor.row_factory = None  # plain tuples, not Piccolo's dicts
    try:
        while rows := await sqlite_cursor.fetchmany(batch_size):
            yield rows
    finally:
        await sqlite_cursor.close()
