"""Who has asked for no more texts. The outbox sends to numbers it knows only by keyed hash;
the residents who said STOP are kept by vouching, a floor above, which hands the outbox its
lookup when it loads (`vouching/opt_out.py`). Sending fails closed: with no lookup
registered, no SMS is sent, rather than one to a resident who said STOP."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

OptOutLookup = Callable[[set[str]], Awaitable[set[str]]]

_lookup: OptOutLookup | None = None


class NoOptOutLookup(RuntimeError):
    """SMS cannot be sent safely: nothing tells the outbox who said STOP."""


def register_opt_out_lookup(lookup: OptOutLookup) -> None:
    global _lookup
    _lookup = lookup


async def opted_out(recipient_hashes: set[str]) -> set[str]:
    """The hashes among `recipient_hashes` whose residents asked for no more texts."""
    if not recipient_hashes:
        return set()
    if _lookup is None:
        raise NoOptOutLookup("no opt-out lookup is registered (import groundswell.vouching)")
    return await _lookup(recipient_hashes)
