"""/admin/outbox's list: newest first, filtered by channel, status and purpose, a page at a
time (keyset on the id, so a new message never shifts a page). Recipients are masked (never
a number) and code texts never show their code (codes.shown_body)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from groundswell.core.errors import ValidationFailed
from groundswell.core.forms import MAX_INTEGER
from groundswell.outbox.codes import shown_body
from groundswell.outbox.services import PURPOSE_LABELS
from groundswell.outbox.states import (
    STATUS_LABELS,
    WAITING,
    Medium,
    OutboxStatus,
    status_label,
)
from groundswell.outbox.tables import OutboxMessage

PAGE_SIZE = 50
CHANNEL_LABELS = {Medium.SMS.value: "SMS", Medium.EMAIL.value: "E-mail"}
STATUS_CHOICES = {status.value: STATUS_LABELS[status] for status in OutboxStatus}

_OUTCOMES = {
    **{status.value: "waiting" for status in WAITING},
    OutboxStatus.SENT.value: "ok",
    OutboxStatus.DELIVERED.value: "ok",
    OutboxStatus.UNDELIVERED.value: "problem",
    OutboxStatus.FAILED.value: "problem",
    OutboxStatus.SUPPRESSED.value: "stopped",
    OutboxStatus.EXPIRED.value: "stopped",
}


@dataclass(frozen=True)
class OutboxFilters:
    channel: str = ""
    status: str = ""
    purpose: str = ""
    before: int | None = None  # show messages older than this id (the next page)

    def query(self, **changes: Any) -> dict[str, str]:
        """The filters as URL parameters (empty ones left out), with `changes` applied."""
        values = {
            "channel": self.channel,
            "status": self.status,
            "purpose": self.purpose,
            "before": "" if self.before is None else str(self.before),
        } | {k: "" if v is None else str(v) for k, v in changes.items()}
        return {k: v for k, v in values.items() if v}


@dataclass
class OutboxPage:
    filters: OutboxFilters
    messages: list[dict[str, Any]] = field(default_factory=list)
    next_before: int | None = None  # the id to continue from; None on the last page


def purpose_choices() -> dict[str, str]:
    return dict(PURPOSE_LABELS)


def read_filters(raw: Mapping[str, str | None]) -> OutboxFilters:
    """Only choices the page offers; anything else is a clear error per field, never a 500."""
    errors: dict[str, str] = {}
    values = {name: (raw.get(name) or "").strip() for name in ("channel", "status", "purpose")}
    if values["channel"] and values["channel"] not in CHANNEL_LABELS:
        errors["channel"] = "Choose SMS or e-mail, or all channels."
    if values["status"] and values["status"] not in STATUS_CHOICES:
        errors["status"] = "Choose a status from the list, or all statuses."
    if values["purpose"] and values["purpose"] not in PURPOSE_LABELS:
        errors["purpose"] = "Choose a purpose from the list, or all purposes."
    before: int | None = None
    given = (raw.get("before") or "").strip()
    if given:
        if not given.isdigit() or not 1 <= int(given) <= MAX_INTEGER:
            errors["before"] = "That page does not exist: start again from the newest messages."
        else:
            before = int(given)
    if errors:
        raise ValidationFailed("Check the filters.", field_errors=errors)
    return OutboxFilters(before=before, **values)


async def page_of(filters: OutboxFilters, size: int | None = None) -> OutboxPage:
    """Newest first; one more row than shown tells whether there is a next page."""
    size = size or PAGE_SIZE
    query = OutboxMessage.select(
        OutboxMessage.id,
        OutboxMessage.medium,
        OutboxMessage.recipient_hash,
        OutboxMessage.recipient_email,
        OutboxMessage.subject,
        OutboxMessage.body,
        OutboxMessage.purpose,
        OutboxMessage.status,
        OutboxMessage.attempts,
        OutboxMessage.created_at,
        OutboxMessage.sent_at,
        OutboxMessage.last_error,
        OutboxMessage.error_code,
        OutboxMessage.provider_status,
        OutboxMessage.next_attempt_at,
        OutboxMessage.reported_at,
    )
    if filters.channel:
        query = query.where(OutboxMessage.medium == filters.channel)
    if filters.status:
        query = query.where(OutboxMessage.status == filters.status)
    if filters.purpose:
        query = query.where(OutboxMessage.purpose == filters.purpose)
    if filters.before is not None:
        query = query.where(OutboxMessage.id < filters.before)
    rows = await query.order_by(OutboxMessage.id, ascending=False).limit(size + 1)
    more = len(rows) > size
    rows = rows[:size]
    for row in rows:
        retrying = row["status"] == OutboxStatus.PENDING.value and row["attempts"] > 0
        row["status_label"] = status_label(row["status"], row["medium"], retrying=retrying)
        row["retrying"] = retrying
        row["outcome"] = _OUTCOMES.get(row["status"], "waiting")
        row["body"] = shown_body(row["purpose"], row["body"])
    return OutboxPage(filters, rows, rows[-1]["id"] if more and rows else None)
