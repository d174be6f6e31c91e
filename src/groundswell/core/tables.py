"""Cross-cutting tables: the audit log and the shared rate-limit counters."""

from typing import Any

from piccolo.columns import (
    JSONB,
    BigInt,
    Boolean,
    ForeignKey,
    Integer,
    Serial,
    Text,
    Timestamptz,
    Varchar,
)
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.columns.reference import LazyTableReference
from piccolo.table import Table


class AuditEntry(Table, tablename="audit_entry"):
    """Append-only record of who changed what (moderation, awards, settings)."""

    id: Serial
    at = Timestamptz(default=TimestamptzNow(), index=True)
    actor: ForeignKey[Any] = ForeignKey(
        LazyTableReference("User", module_path="groundswell.accounts.tables"), null=True
    )
    action = Varchar(length=80)
    subject_type = Varchar(length=40)
    subject_id = Varchar(length=80, index=True)
    detail = JSONB(default={})


class RateLimitCounter(Table, tablename="rate_limit_counter"):
    """Fixed-window counters kept in the database, so every worker process shares them."""

    id: Serial
    bucket = Varchar(length=200, unique=True)
    window_epoch = BigInt()  # start of the current window, in seconds since the epoch
    hits = Integer(default=0)


class SchedulerStatus(Table, tablename="scheduler_status"):
    """What the leading scheduler last did, readable by every process (for /health)."""

    id: Serial
    job_id = Varchar(length=80, unique=True)  # "leader" holds the leader's heartbeat
    holder = Varchar(length=120, default="")
    next_run_at = Timestamptz(null=True, default=None)
    last_started_at = Timestamptz(null=True, default=None)
    last_finished_at = Timestamptz(null=True, default=None)
    last_ok = Boolean(null=True, default=None)
    last_message = Text(default="")
    # Runs that failed since the last success: one failure may be a blip, several in a row
    # mean the job is broken (/health says so).
    failures_in_a_row = Integer(default=0)


def varchar_length(column: Varchar) -> int:
    """How many characters `column` holds: PostgreSQL refuses more (SQLite would store them)."""
    assert column.length is not None, f"{column} has no length"
    return column.length
