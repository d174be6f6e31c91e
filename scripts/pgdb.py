"""Create, drop and ping the throwaway PostgreSQL databases that scripts/test uses.

python scripts/pgdb.py ping|create|drop|url SERVER_URL [DATABASE]
"""

from __future__ import annotations

import asyncio
import re
import sys
from urllib.parse import urlsplit, urlunsplit

import asyncpg

SAFE_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


def database_url(server_url: str, database: str) -> str:
    parts = urlsplit(server_url)
    return urlunsplit(parts._replace(path="/" + database))


async def main(action: str, server_url: str, database: str | None) -> int:
    if action == "url":
        assert database
        print(database_url(server_url, database))
        return 0
    try:
        connection = await asyncio.wait_for(asyncpg.connect(server_url), timeout=5)
    except (OSError, asyncpg.PostgresError, TimeoutError) as exc:
        if action == "ping":
            return 1
        print(f"Cannot reach PostgreSQL: {exc}", file=sys.stderr)
        return 1
    try:
        if action == "ping":
            return 0
        if not database or not SAFE_NAME.match(database):
            print("A database name of lower-case letters, digits and _ is needed.", file=sys.stderr)
            return 2
        if action == "create":
            await connection.execute(f'CREATE DATABASE "{database}"')
        elif action == "drop":
            await connection.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
        else:
            print(__doc__, file=sys.stderr)
            return 2
    finally:
        await connection.close()
    return 0


if __name__ == "__main__":
    if len(sys.argv) < 3:
        print(__doc__, file=sys.stderr)
        raise SystemExit(2)
    raise SystemExit(
        asyncio.run(main(sys.argv[1], sys.argv[2], sys.argv[3] if len(sys.argv) > 3 else None))
    )
