"""Data: the realistic demo, and the 360Giving open data."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import sys
from typing import Any

from groundswell.cli.common import CommandError, checked_settings, with_database


def cmd_demo(args: argparse.Namespace) -> int:
    settings = checked_settings()
    from groundswell.demo.large import LargeScale
    from groundswell.demo.loader import load_demo
    from groundswell.migrate import apply_migrations

    if args.organisers < 1 or args.testimonies < 1:
        raise CommandError("--organisers and --testimonies must be at least 1.")
    large = LargeScale(organisers=args.organisers, testimonies=args.testimonies)
    if args.scale == "large" and settings.is_sqlite:
        print(
            f"Warning: building {large.testimonies:,} testimonies on SQLite is slow (several "
            "minutes) and makes a large file; PostgreSQL is the engine for this scale. "
            "Use --testimonies for a smaller set.",
            file=sys.stderr,
        )

    async def work() -> Any:
        await apply_migrations()
        return await load_demo(scale=args.scale, settings=settings, large=large)

    report = asyncio.run(with_database(work))
    print(report)
    return 0


def cmd_export_360giving(args: argparse.Namespace) -> int:
    settings = checked_settings()
    import tempfile
    from pathlib import Path

    from groundswell.core.errors import DomainError
    from groundswell.exports import services

    out = Path(args.out) if args.out else None
    if out is not None and not out.parent.is_dir():
        raise CommandError(f"There is no folder {str(out.parent)!r} to write {out.name!r} in.")
    if out is not None and out.is_dir():
        raise CommandError(f"{str(out)!r} is a folder; give a file name.")
    try:
        package = asyncio.run(with_database(lambda: services.build_package(settings)))
    except DomainError as exc:
        raise CommandError(exc.detail) from None
    if args.format == "csv":
        text = services.package_csv(package)
    else:
        text = json.dumps(package, ensure_ascii=False, indent=2) + "\n"
    if out is None:
        sys.stdout.write(text)
        return 0
    # Written beside the target and renamed over it, so no reader sees half a file.
    temporary: str | None = None
    try:
        with tempfile.NamedTemporaryFile(
            "w", encoding="utf-8", dir=out.parent, prefix=f".{out.name}.", delete=False
        ) as handle:
            temporary = handle.name
            handle.write(text)
        os.replace(temporary, out)
    except OSError as exc:
        if temporary is not None:
            with contextlib.suppress(OSError):
                os.unlink(temporary)
        raise CommandError(f"Could not write {str(out)!r}: {exc.strerror or exc}.") from None
    grants = package.get("grants")
    count = len(grants) if isinstance(grants, list) else 0
    print(f"Wrote {count} grant(s) to {out} (360Giving {args.format.upper()}).", file=sys.stderr)
    return 0
