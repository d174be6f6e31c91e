"""People who sign in: createuser, and API tokens."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import os
import sys
from typing import Any

from groundswell.accounts import tokens
from groundswell.cli.common import CommandError, checked_settings, problem, with_database


def cmd_createuser(args: argparse.Namespace) -> int:
    checked_settings()
    from groundswell.accounts import services
    from groundswell.core.errors import DomainError
    from groundswell.core.principal import Role

    password = args.password or os.environ.get("GROUNDSWELL_NEW_PASSWORD")
    if not password:
        if not sys.stdin.isatty():
            raise CommandError(
                "Give --password or GROUNDSWELL_NEW_PASSWORD when not at a terminal."
            )
        password = getpass.getpass("Password (10 characters or more): ")
    role = Role(args.role)
    orgs = tuple(args.org or ())

    async def work() -> int:
        return await services.create_user(
            email=args.email,
            name=args.name or args.email.split("@")[0],
            password=password,
            role=role,
            funder_ids=orgs if role is Role.FUNDER else (),
            host_ids=orgs if role is Role.HOST else (),
        )

    try:
        user_id = asyncio.run(with_database(work))
    except DomainError as exc:
        raise problem(exc) from None
    print(f"Created {role.value} user {services.normalise_email(args.email)} (id {user_id}).")
    return 0


def cmd_token(args: argparse.Namespace) -> int:
    checked_settings()
    from groundswell.core.errors import DomainError

    try:
        token = asyncio.run(
            with_database(
                lambda: tokens.create_api_token(
                    args.email, args.name, expires_days=args.expires_days, read_only=args.read_only
                )
            )
        )
    except DomainError as exc:
        details = "; ".join(f"{k}: {v}" for k, v in exc.field_errors.items())
        raise CommandError(f"{exc.detail} {details}".strip()) from None
    print(token)
    print(
        "Shown once: keep it somewhere safe. It is not stored and cannot be shown again.",
        file=sys.stderr,
    )
    return 0


def cmd_token_list(args: argparse.Namespace) -> int:
    """Every token (or one user's): never the secret, which is not stored."""
    checked_settings()
    from groundswell.core.clock import on_uk_clocks
    from groundswell.core.errors import DomainError

    def when(moment: Any) -> str:
        return on_uk_clocks(moment).strftime("%Y-%m-%d %H:%M") if moment else "-"

    try:
        rows = asyncio.run(with_database(lambda: tokens.list_tokens(email=args.email)))
    except DomainError as exc:
        raise CommandError(exc.detail) from None
    table = [
        ("ID", "PREFIX", "NAME", "OWNER", "SCOPE", "CREATED", "LAST USED", "EXPIRES", "REVOKED")
    ]
    for row in rows:
        table.append(
            (
                str(row["id"]),
                row["prefix"],
                row["name"],
                row["owner_email"],
                "read-only" if row["read_only"] else "read-write",
                when(row["created_at"]),
                when(row["last_used_at"]),
                when(row["expires_at"]) + (" (expired)" if row["status"] == "expired" else ""),
                when(row["revoked_at"]) if row["revoked_at"] else "-",
            )
        )
    widths = [max(len(line[i]) for line in table) for i in range(len(table[0]))]
    for line in table:
        print(
            "  ".join(cell.ljust(width) for cell, width in zip(line, widths, strict=True)).rstrip()
        )
    if not rows:
        print("No tokens.")
    return 0


def cmd_token_revoke(args: argparse.Namespace) -> int:
    checked_settings()
    from groundswell.core.errors import DomainError

    async def work() -> dict[str, Any]:
        return await tokens.revoke_token(None, await tokens.find_token(args.token))

    try:
        row = asyncio.run(with_database(work))
    except DomainError as exc:
        raise CommandError(exc.detail) from None
    print(f"Revoked token {row['prefix']} ({row['name']}, id {row['id']}).")
    return 0
