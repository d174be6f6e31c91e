"""Fixed-window rate limits kept in the database, shared by every worker process.

Every limit is taken *before* the work it limits, in one statement, so requests arriving at
the same moment (in one process or many) can never all slip through between a check and a
count:

- `hit(bucket)` counts a request and says whether it is within the limit (floods: SMS per
  phone, vouches per address, reports). Every request counts, refused ones too.
- `reserve(bucket)` takes one of the window's `limit` places, or none when they are all
  taken; `give_back(reservation)` returns a place whose attempt turned out not to count
  (a sign-in that succeeded). The count is the places taken, never more than `limit`.
- `reset(bucket)` forgets the window (the account's failures once its password is proved).
"""

from __future__ import annotations

import hashlib
import ipaddress
from dataclasses import dataclass
from datetime import timedelta

from groundswell.core.clock import now
from groundswell.core.tables import RateLimitCounter

# One statement, so two processes counting at the same moment never lose a hit.
_UPSERT = """
INSERT INTO rate_limit_counter (bucket, window_epoch, hits) VALUES ({}, {}, 1)
ON CONFLICT (bucket) DO UPDATE SET
    hits = CASE WHEN rate_limit_counter.window_epoch < excluded.window_epoch
                THEN 1 ELSE rate_limit_counter.hits + 1 END,
    window_epoch = excluded.window_epoch
RETURNING hits
"""

_UPSERT_MANY = """
INSERT INTO rate_limit_counter (bucket, window_epoch, hits) VALUES {}
ON CONFLICT (bucket) DO UPDATE SET
    hits = CASE WHEN rate_limit_counter.window_epoch < excluded.window_epoch
                THEN 1 ELSE rate_limit_counter.hits + 1 END,
    window_epoch = excluded.window_epoch
RETURNING bucket, hits
"""

# The same, but a full window is left as it is and returns no row: the conflicting row is
# locked and the condition read from its newest version (PostgreSQL) or under the database's
# write lock (SQLite), so `limit` places are handed out however many ask at once.
_RESERVE = """
INSERT INTO rate_limit_counter (bucket, window_epoch, hits) VALUES ({}, {}, 1)
ON CONFLICT (bucket) DO UPDATE SET
    hits = CASE WHEN rate_limit_counter.window_epoch < excluded.window_epoch
                THEN 1 ELSE rate_limit_counter.hits + 1 END,
    window_epoch = excluded.window_epoch
WHERE rate_limit_counter.window_epoch < excluded.window_epoch
   OR rate_limit_counter.hits < {}
RETURNING hits
"""

_GIVE_BACK = """
UPDATE rate_limit_counter SET hits = hits - 1
WHERE bucket = {} AND window_epoch = {} AND hits > 0
"""


BUCKET_LENGTH = 200  # rate_limit_counter.bucket


def _bounded(bucket: str) -> str:
    """The bucket as stored: a key built from what someone typed (an e-mail address at login)
    may be any length; a long one keeps its start and is told apart by its digest."""
    if len(bucket) <= BUCKET_LENGTH:
        return bucket
    digest = hashlib.sha256(bucket.encode("utf-8", "surrogatepass")).hexdigest()
    return f"{bucket[: BUCKET_LENGTH - len(digest) - 1]}#{digest}"


def _window_epoch(window: timedelta) -> int:
    seconds = int(window.total_seconds())
    epoch = int(now().timestamp())
    return epoch - epoch % seconds


def source_key(address: str) -> str:
    """The part of a client's address that one party controls: an IPv4 address, or the /64
    network of an IPv6 one (a single machine is routinely given a whole /64, so counting
    each address would let it start afresh with every request)."""
    try:
        ip = ipaddress.ip_address(address.strip())
    except ValueError:
        return address.strip()[:64] or "unknown"
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.ip_network(f"{ip}/64", strict=False))
    return str(ip)


async def hit(bucket: str, *, limit: int, window: timedelta) -> bool:
    """Count one hit in `bucket`; True while the bucket is within its limit."""
    rows = await RateLimitCounter.raw(_UPSERT, _bounded(bucket), _window_epoch(window))
    return bool(rows[0]["hits"] <= limit)


async def hit_many(buckets: list[str], *, limit: int, window: timedelta) -> dict[str, bool]:
    """`hit` for several different buckets in one statement (a batch of texts, one per phone);
    each bucket -> whether it is within its limit."""
    if not buckets:
        return {}
    stored = {_bounded(bucket): bucket for bucket in buckets}
    if len(stored) != len(buckets):
        raise ValueError("hit_many counts each bucket once")
    epoch = _window_epoch(window)
    rows = await RateLimitCounter.raw(
        _UPSERT_MANY.format(", ".join("({}, {}, 1)" for _ in stored)),
        *[value for bucket in stored for value in (bucket, epoch)],
    )
    return {stored[row["bucket"]]: row["hits"] <= limit for row in rows}


@dataclass(frozen=True)
class Reservation:
    """One place taken in a bucket's window (give it back in the same window only)."""

    bucket: str
    window_epoch: int


async def reserve(bucket: str, *, limit: int, window: timedelta) -> Reservation | None:
    """Take one of the `limit` places of `bucket`'s current window; None when none is left."""
    stored, epoch = _bounded(bucket), _window_epoch(window)
    rows = await RateLimitCounter.raw(_RESERVE, stored, epoch, limit)
    return Reservation(stored, epoch) if rows else None


async def give_back(reservation: Reservation) -> None:
    """Return a place (an attempt that did not count). A window that has moved on is left."""
    await RateLimitCounter.raw(_GIVE_BACK, reservation.bucket, reservation.window_epoch)


async def reset(bucket: str) -> None:
    await RateLimitCounter.delete().where(RateLimitCounter.bucket == _bounded(bucket))
