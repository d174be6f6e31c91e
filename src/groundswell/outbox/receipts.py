"""Delivery reports: Twilio's status callbacks move a sent SMS forward to delivered,
undelivered or failed, and never back."""

from __future__ import annotations

from typing import Any

from groundswell.core.clock import now
from groundswell.outbox.opt_outs import record_opt_out_if_unsubscribed
from groundswell.outbox.states import (
    TWILIO_FINAL,
    TWILIO_PROGRESS,
    Medium,
    OutboxStatus,
    twilio_error,
)
from groundswell.outbox.tables import OutboxMessage


async def record_delivery_report(message_sid: str, status: str, error_code: str = "") -> str:
    """Apply one of Twilio's status callbacks to the SMS it sent as `message_sid`.

    Reports only move a message forward: queued → sending → sent on the way, then one final
    word (delivered, undelivered, failed) that nothing changes afterwards. So a late `sent`
    never undoes `delivered`, a replay changes nothing, and two reports racing each other
    are settled by the database (each is one conditional UPDATE). Returns what it did:
    "unknown", "ignored" (not a forward move, or a status we do not know) or the new status.
    """
    status = status.strip().lower()
    error_code = "".join(ch for ch in error_code if ch.isalnum())[:20]
    sid_match = (OutboxMessage.provider_id == message_sid) & (
        OutboxMessage.medium == Medium.SMS.value
    )
    final = TWILIO_FINAL.get(status)
    if final is not None:
        values: dict[Any, Any] = {
            OutboxMessage.status: final.value,
            OutboxMessage.provider_status: status,
            OutboxMessage.reported_at: now(),
        }
        if final is not OutboxStatus.DELIVERED:
            values[OutboxMessage.error_code] = error_code
            values[OutboxMessage.last_error] = twilio_error(error_code)
        # Only a message we sent and have heard no final word about yet.
        rows = (
            await OutboxMessage.update(values)
            .where(sid_match & (OutboxMessage.status == OutboxStatus.SENT.value))
            .returning(OutboxMessage.id, OutboxMessage.recipient_hash)
        )
        if rows:
            if final is not OutboxStatus.DELIVERED:
                await record_opt_out_if_unsubscribed(rows[0]["recipient_hash"], error_code)
            return final.value
    elif status in TWILIO_PROGRESS:
        earlier = [
            "",
            *(name for name, rank in TWILIO_PROGRESS.items() if rank < TWILIO_PROGRESS[status]),
        ]
        rows = (
            await OutboxMessage.update(
                {OutboxMessage.provider_status: status, OutboxMessage.reported_at: now()}
            )
            .where(
                sid_match
                & (OutboxMessage.status == OutboxStatus.SENT.value)
                & OutboxMessage.provider_status.is_in(earlier)
            )
            .returning(OutboxMessage.id)
        )
        if rows:
            return OutboxStatus.SENT.value
    if not await OutboxMessage.exists().where(sid_match):
        return "unknown"
    return "ignored"
