"""Queue messages in the same transaction as the change that causes them; send after commit.

`drain` is the scheduled job: it claims due messages, sends each through the configured
adapter, and records the outcome. A resident's number is held encrypted only until the
message is sent, expires or fails for good, then erased.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from groundswell.core.clock import now
from groundswell.core.phones import PhoneCipher, phone_hash
from groundswell.outbox.adapters import (
    DeliveryError,
    EmailSender,
    SmsSender,
    email_sender,
    sms_sender,
)
from groundswell.outbox.opt_outs import opted_out
from groundswell.outbox.states import Medium, OutboxStatus
from groundswell.outbox.tables import OutboxMessage
from groundswell.settings import Settings

log = logging.getLogger("groundswell.outbox")

MAX_ATTEMPTS = 6
DRAIN_BATCH = 100
STUCK_AFTER = timedelta(minutes=10)


# What each message is for, as the outbox page says it.
PURPOSE_LABELS = {
    "verification_code": "Vouching code (web)",
    "round_result": "What happened after a round (resident asked to hear back)",
    "round_review": "Round ready for the funder's review",
    "payments.held": "Money held: host to set up payments",
    "payments.sent": "Payment sent to host",
    "payments.reversed": "Payment to host reversed",
    "programme_reminder": "Statutory deadline reminder",
}


def _backoff(attempts: int) -> timedelta:
    return timedelta(seconds=min(30 * 2**attempts, 3600))


async def _enqueue(*, dedupe_key: str, ttl: timedelta, **values: Any) -> bool:
    """Insert once per dedupe_key, in the caller's transaction; False when queued before."""
    moment = now()
    rows = (
        await OutboxMessage.insert(
            OutboxMessage(
                dedupe_key=dedupe_key, next_attempt_at=moment, expires_at=moment + ttl, **values
            )
        )
        .on_conflict(action="DO NOTHING")
        .returning(OutboxMessage.id)
    )
    return bool(rows)


async def enqueue_sms(
    settings: Settings,
    *,
    to_e164: str,
    body: str,
    purpose: str,
    dedupe_key: str,
    ttl: timedelta = timedelta(hours=24),
) -> bool:
    """Queue an SMS once per dedupe_key; False when it was queued before."""
    return await _enqueue(
        dedupe_key=dedupe_key,
        ttl=ttl,
        medium=Medium.SMS.value,
        recipient_encrypted=PhoneCipher(settings.phone_key).encrypt(to_e164),
        recipient_hash=phone_hash(to_e164, settings.phone_key),
        body=body,
        purpose=purpose,
    )


async def enqueue_email(
    *,
    to: str,
    subject: str,
    body: str,
    purpose: str,
    dedupe_key: str,
    ttl: timedelta = timedelta(days=3),
) -> bool:
    """Queue an e-mail once per dedupe_key; False when it was queued before."""
    return await _enqueue(
        dedupe_key=dedupe_key,
        ttl=ttl,
        medium=Medium.EMAIL.value,
        recipient_email=to,
        subject=subject,
        body=body,
        purpose=purpose,
    )


async def _claim(ids: list[int]) -> list[dict[str, Any]]:
    """Move due messages to `sending`; a message another drainer claimed first is skipped."""
    claimed = []
    for message_id in ids:
        rows = (
            await OutboxMessage.update(
                {
                    OutboxMessage.status: OutboxStatus.SENDING.value,
                    OutboxMessage.next_attempt_at: now(),
                }
            )
            .where(
                (OutboxMessage.id == message_id)
                & (OutboxMessage.status == OutboxStatus.PENDING.value)
            )
            .returning(*OutboxMessage.all_columns())
        )
        claimed.extend(rows)
    return claimed


async def drain(
    settings: Settings, *, sms: SmsSender | None = None, email: EmailSender | None = None
) -> str:
    sms = sms or sms_sender(settings)
    email = email or email_sender(settings)
    moment = now()
    # Messages left in `sending` by a process that died are tried again.
    await OutboxMessage.update({OutboxMessage.status: OutboxStatus.PENDING.value}).where(
        (OutboxMessage.status == OutboxStatus.SENDING.value)
        & (OutboxMessage.next_attempt_at < moment - STUCK_AFTER)
    )
    expired = (
        await OutboxMessage.update(
            {
                OutboxMessage.status: OutboxStatus.EXPIRED.value,
                OutboxMessage.recipient_encrypted: None,
            }
        )
        .where(
            (OutboxMessage.status == OutboxStatus.PENDING.value)
            & (OutboxMessage.expires_at <= moment)
        )
        .returning(OutboxMessage.id)
    )
    due = (
        await OutboxMessage.select(OutboxMessage.id)
        .where(
            (OutboxMessage.status == OutboxStatus.PENDING.value)
            & (OutboxMessage.next_attempt_at <= moment)
        )
        .order_by(OutboxMessage.id)
        .limit(DRAIN_BATCH)
    )
    messages = await _claim([row["id"] for row in due])
    stopped = await opted_out(
        {m["recipient_hash"] for m in messages if m["medium"] == Medium.SMS.value}
    )
    counts = {"sent": 0, "retry": 0, "failed": 0, "suppressed": 0, "expired": len(expired)}
    cipher = PhoneCipher(settings.phone_key)
    for message in messages:
        if (
            message["medium"] == Medium.SMS.value
            and message["recipient_hash"] in stopped
            and message["purpose"] != "stop_confirmation"
        ):
            await _finish(message["id"], OutboxStatus.SUPPRESSED, error="the resident opted out")
            counts["suppressed"] += 1
            continue
        try:
            if message["medium"] == Medium.SMS.value:
                sent = await sms.send_sms(
                    cipher.decrypt(message["recipient_encrypted"]),
                    message["body"],
                    dedupe_key=message["dedupe_key"],
                )
            else:
                sent = await email.send_email(
                    message["recipient_email"],
                    message["subject"],
                    message["body"],
                    dedupe_key=message["dedupe_key"],
                )
        except DeliveryError as exc:
            attempts = message["attempts"] + 1
            if exc.permanent or attempts >= MAX_ATTEMPTS:
                await _finish(message["id"], OutboxStatus.FAILED, error=str(exc), attempts=attempts)
                counts["failed"] += 1
            else:
                await OutboxMessage.update(
                    {
                        OutboxMessage.status: OutboxStatus.PENDING.value,
                        OutboxMessage.attempts: attempts,
                        OutboxMessage.last_error: str(exc)[:500],
                        OutboxMessage.next_attempt_at: now() + _backoff(attempts),
                    }
                ).where(OutboxMessage.id == message["id"])
                counts["retry"] += 1
            continue
        await _finish(
            message["id"],
            OutboxStatus.SENT,
            provider_id=sent.provider_id,
            attempts=message["attempts"] + 1,
        )
        counts["sent"] += 1
    return ", ".join(f"{count} {name}" for name, count in counts.items())


async def _finish(
    message_id: int,
    status: OutboxStatus,
    *,
    error: str = "",
    provider_id: str = "",
    attempts: int | None = None,
) -> None:
    values: dict[Any, Any] = {
        OutboxMessage.status: status.value,
        OutboxMessage.recipient_encrypted: None,
        OutboxMessage.last_error: error[:500],
        OutboxMessage.provider_id: provider_id,
    }
    if status is OutboxStatus.SENT:
        values[OutboxMessage.sent_at] = now()
    if attempts is not None:
        values[OutboxMessage.attempts] = attempts
    await OutboxMessage.update(values).where(OutboxMessage.id == message_id)


async def recent(limit: int = 200) -> list[dict[str, Any]]:
    """For /admin/outbox: the newest messages, recipients masked (never the number)."""
    return (
        await OutboxMessage.select(
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
        )
        .order_by(OutboxMessage.id, ascending=False)
        .limit(limit)
    )
