"""What every command shares: the settings checked, a database for the command's work, and
problems the user can fix printed without a traceback."""

from __future__ import annotations

import sys
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from groundswell.settings import Settings, SettingsError, load_settings

if TYPE_CHECKING:
    from groundswell.core.errors import DomainError


class CommandError(Exception):
    """A problem the user can fix; printed without a traceback, exit status 2."""


def checked_settings() -> Settings:
    try:
        settings = load_settings()
    except SettingsError as exc:
        raise CommandError(str(exc)) from None
    if settings.simulation_notice:
        # On standard error, so it is seen by whoever runs the command without spoiling
        # output meant for a program (--json, exports).
        print(f"groundswell: {settings.simulation_notice}", file=sys.stderr)
    return settings


async def with_database(work: Callable[[], Awaitable[Any]]) -> Any:
    from groundswell import db

    await db.start()
    try:
        return await work()
    finally:
        await db.stop()


def problem(exc: DomainError) -> CommandError:
    """A domain error as one line: its detail, then each field's complaint."""
    details = "; ".join(f"{k}: {v}" for k, v in exc.field_errors.items())
    return CommandError(f"{exc.detail} {details}".strip())
