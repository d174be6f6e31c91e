"""Fixed-window rate limits kept in the database, shared by every worker process."""

from __future__ import annotations

import hashlib
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


async def hit(bucket: str, *, limit: int, window: timedelta) -> bool:
    """Count one hit in `bucket`; True while the bucket is within its limit."""
    rows = await RateLimitCounter.raw(_UPSERT, _bounded(bucket), _window_epoch(window))
    return bool(rows[0]["hits"] <= limit)


async def is_limited(bucket: str, *, limit: int, window: timedelta) -> bool:
    """Whether `bucket` has used up its limit in the current window, without counting a hit."""
    row = (
        await RateLimitCounter.select(RateLimitCounter.window_epoch, RateLimitCounter.hits)
        .where(RateLimitCounter.bucket == _bounded(bucket))
        .first()
    )
    return row is not None and row["window_epoch"] >= _window_epoch(window) and row["hits"] >= limit


async def reset(bucket: str) -> None:
    await RateLimitCounter.delete().where(RateLimitCounter.bucket == _bounded(bucket))
