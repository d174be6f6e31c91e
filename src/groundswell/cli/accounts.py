"""People who sign in: createuser, and API tokens."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import os
import sys

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
    from groundswell.accounts import services
    from groundswell.core.errors import DomainError

    try:
        token = asyncio.run(with_database(lambda: services.create_api_token(args.email, args.name)))
    except DomainError as exc:
        raise CommandError(exc.detail) from None
    print(token)
    return 0
