"""Texts that carry a one-time code: readable only for as long as they must be sent.

A verification code in a stored body lets anyone who can read the outbox (an administrator,
a database backup) confirm a vouch for someone else's number. The body holds the code while
the text waits to be sent; once it is sent, fails, is suppressed or expires, the code is
replaced by a marker. Pages never show a code, even while it waits."""

from __future__ import annotations

import re

from groundswell.outbox.tables import OutboxMessage

# Purposes whose body carries a one-time code (vouching/web_vouch.py queues these).
CODE_PURPOSES = frozenset({"verification_code"})
CODE_MARKER = "[code removed]"
_DIGIT_RUN = re.compile(r"\d{4,8}")


def without_codes(body: str) -> str:
    return _DIGIT_RUN.sub(CODE_MARKER, body)


def shown_body(purpose: str, body: str) -> str:
    """The body as a page may show it."""
    return without_codes(body) if purpose in CODE_PURPOSES else body


async def scrub_codes(message_ids: list[int]) -> None:
    """Take the code out of these messages' bodies, where they carry one (no longer needed)."""
    if not message_ids:
        return
    rows = await OutboxMessage.select(OutboxMessage.id, OutboxMessage.body).where(
        OutboxMessage.id.is_in(message_ids) & OutboxMessage.purpose.is_in(sorted(CODE_PURPOSES))
    )
    for row in rows:
        await OutboxMessage.update({OutboxMessage.body: without_codes(row["body"])}).where(
            OutboxMessage.id == row["id"]
        )
