"""Residents: an SMS handled as if Twilio had delivered it, and residents' rights (export,
erase)."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json

from groundswell.cli.common import CommandError, checked_settings, with_database


def cmd_sms_simulate(args: argparse.Namespace) -> int:
    """Run the real inbound-SMS handler, as if Twilio had delivered the message."""
    settings = checked_settings()
    import uuid

    from groundswell.vouching.sms import handle_sms

    sid = args.sid or f"SIMULATED{uuid.uuid4().hex}"
    reply = asyncio.run(
        with_database(
            lambda: handle_sms(settings, message_sid=sid, from_number=args.sender, body=args.body)
        )
    )
    print(reply.text)
    return 0


def cmd_sms_process(args: argparse.Namespace) -> int:
    """The processor behind the SMS webhook: run it (or the scheduler) wherever the
    webhook records texts instead of processing them inline."""
    settings = checked_settings()
    if args.batch < 1 or (args.workers is not None and args.workers < 1):
        raise CommandError("--batch and --workers must be at least 1.")
    from groundswell.core.logs import configure_logging
    from groundswell.vouching import processor

    configure_logging(settings.log_level, settings.log_format)
    workers = args.workers or processor.default_workers(settings)
    if args.once:
        count = asyncio.run(
            with_database(lambda: processor.drain(settings, limit=args.batch, workers=workers))
        )
        print(f"Processed {count} text(s); none is waiting.")
        return 0
    print("Processing texts as the webhook records them (Ctrl+C to stop).", flush=True)
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(
            with_database(lambda: processor.run(settings, limit=args.batch, workers=workers))
        )
    return 0


def cmd_resident(action: str, args: argparse.Namespace) -> int:
    settings = checked_settings()
    from groundswell.core.phones import InvalidPhoneNumber
    from groundswell.vouching import residents

    work = residents.export if action == "export" else residents.erase
    try:
        result = asyncio.run(with_database(lambda: work(settings, args.phone)))
    except InvalidPhoneNumber as exc:
        raise CommandError(str(exc)) from None
    print(json.dumps(result, indent=2, default=str))
    return 0
