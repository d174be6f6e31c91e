"""Residents: an SMS handled as if Twilio had delivered it, and residents' rights (export,
erase)."""

from __future__ import annotations

import argparse
import asyncio
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
