"""Who has asked for no more texts. The outbox sends to numbers it knows only by keyed hash;
the residents who said STOP are kept by vouching, a floor above, which hands the outbox its
lookup when it loads (`vouching/opt_out.py`). Sending fails closed: with no lookup
registered, no SMS is sent, rather than one to a resident who said STOP."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

OptOutLookup = Callable[[set[str]], Awaitable[set[str]]]
OptOutRecorder = Callable[[str], Awaitable[None]]

# Twilio's "the recipient replied STOP to our number": it blocks every message to them, so
# they have opted out whether or not their STOP reached us.
TWILIO_UNSUBSCRIBED = "21610"

_lookup: OptOutLookup | None = None
_recorder: OptOutRecorder | None = None


class NoOptOutLookup(RuntimeError):
    """SMS cannot be sent safely: nothing tells the outbox who said STOP."""


def register_opt_out_lookup(lookup: OptOutLookup) -> None:
    global _lookup
    _lookup = lookup


def register_opt_out_recorder(recorder: OptOutRecorder) -> None:
    global _recorder
    _recorder = recorder


async def record_opt_out_if_unsubscribed(recipient_hash: str, error_code: str) -> None:
    """Twilio refused a message because the recipient unsubscribed: record them as opted
    out, as if their STOP had reached us, so nothing more is queued for them."""
    if error_code == TWILIO_UNSUBSCRIBED and recipient_hash and _recorder is not None:
        await _recorder(recipient_hash)


async def opted_out(recipient_hashes: set[str]) -> set[str]:
    """The hashes among `recipient_hashes` whose residents asked for no more texts."""
    if not recipient_hashes:
        return set()
    if _lookup is None:
        raise NoOptOutLookup("no opt-out lookup is registered (import groundswell.vouching)")
    return await _lookup(recipient_hashes)
