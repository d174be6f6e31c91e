"""Running the site: serve, migrate, and the scheduler on its own."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
from typing import Any
from urllib.parse import urlsplit

from groundswell.cli.common import checked_settings, with_database


def cmd_migrate(args: argparse.Namespace) -> int:
    checked_settings()
    from groundswell.migrate import apply_migrations, pending_migrations

    async def work() -> list[str]:
        before = await pending_migrations()
        await apply_migrations()
        return before

    applied = asyncio.run(with_database(work))
    print(f"Applied {len(applied)} migration(s)." if applied else "The database is up to date.")
    return 0


def link_address(host: str, port: int) -> str:
    """Where a browser on this machine reaches a server listening on host:port."""
    if host in ("0.0.0.0", "::", ""):  # noqa: S104 - naming the wildcard, not binding it
        host = "127.0.0.1"
    elif ":" in host:
        host = f"[{host}]"
    return f"http://{host}:{port}"


def point_links_at_server(host: str, port: int) -> str | None:
    """Make the links Groundswell generates (payments, checkout, e-mails, posters) lead to the
    port this server listens on, unless GROUNDSWELL_PUBLIC_URL says where they should go.
    Returns a warning when a configured local address names a different port."""
    configured = os.environ.get("GROUNDSWELL_PUBLIC_URL", "")
    if not configured:
        os.environ["GROUNDSWELL_PUBLIC_URL"] = link_address(host, port)
        return None
    parts = urlsplit(configured)
    local = parts.hostname in ("127.0.0.1", "localhost", "::1")
    with contextlib.suppress(ValueError):
        if local and (parts.port or 80) != port:
            return (
                f"Warning: GROUNDSWELL_PUBLIC_URL is {configured} but this server listens on "
                f"port {port}: links in texts, e-mails and payments will not reach it."
            )
    return None


def cmd_serve(args: argparse.Namespace) -> int:
    warning = point_links_at_server(args.host, args.port)
    settings = checked_settings()
    import uvicorn

    from groundswell.core.logs import configure_logging

    if warning:
        print(warning, flush=True)

    # uvicorn's own loggers then flow through the same handler (and format) as ours.
    configure_logging(settings.log_level, settings.log_format)
    cmd_migrate(args)
    if args.workers > 1 and not args.no_scheduler:
        # Every worker would compete for leadership; one leads and the rest wait, which is
        # correct but wasteful, so say how to run the scheduler once instead.
        print("Note: with several workers, prefer --no-scheduler plus one `groundswell scheduler`.")
    os.environ["GROUNDSWELL_SCHEDULER"] = "false" if args.no_scheduler else "true"
    print(
        f"Groundswell is running at http://{args.host}:{args.port}/  (Ctrl+C to stop)", flush=True
    )
    uvicorn.run(
        "groundswell.web.asgi:app",
        host=args.host,
        port=args.port,
        workers=args.workers,
        log_level=settings.log_level.lower(),
        # The same list core/client_address.py believes: uvicorn then reports the client's
        # own address (and scheme) from a trusted proxy's X-Forwarded-* headers, and never
        # from anyone else's.
        proxy_headers=True,
        forwarded_allow_ips=[
            part.strip() for part in settings.trusted_proxies.split(",") if part.strip()
        ],
        access_log=False,
        log_config=None,
    )
    return 0


def cmd_scheduler(args: argparse.Namespace) -> int:
    settings = checked_settings()
    from groundswell.core.logs import configure_logging
    from groundswell.scheduler import SchedulerRunner

    configure_logging(settings.log_level, settings.log_format)

    async def work() -> None:
        runner = SchedulerRunner(settings)
        print("Scheduler started; it runs jobs while it leads and waits otherwise.", flush=True)
        await runner.run_forever()

    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(with_database(work))
    return 0


def cmd_outbox_send(args: argparse.Namespace) -> int:
    """Send what is due now and print what happened (for operators and tests)."""
    settings = checked_settings()
    from groundswell.outbox.services import send_due

    async def work() -> Any:
        return await send_due(settings)

    for line in asyncio.run(with_database(work)).lines():
        print(line)
    return 0
