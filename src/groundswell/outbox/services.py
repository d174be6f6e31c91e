"""Queue messages in the same transaction as the change that causes them; send after commit.

`drain` is the scheduled job (one batch every few seconds) and `send_due` what
`groundswell outbox send` runs (every batch due now): each claims due messages, sends each
through the configured adapter, and records the outcome. A temporary failure is tried again
after a growing pause, up to MAX_ATTEMPTS; a permanent one is marked failed with its reason.
Twilio's delivery reports then move a sent SMS to delivered, undelivered or failed
(`receipts.record_delivery_report`). A resident's number is held encrypted only until the message is
sent, expires or fails for good, then erased.
"""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from groundswell.core.clock import now
from groundswell.core.phones import PhoneCipher, phone_hash
from groundswell.outbox.adapters import (
    DeliveryError,
    EmailSender,
    SmsSender,
    email_sender,
    message_id_for,
    sms_sender,
)
from groundswell.outbox.codes import scrub_codes
from groundswell.outbox.opt_outs import opted_out, record_opt_out_if_unsubscribed
from groundswell.outbox.states import (
    Medium,
    OutboxStatus,
    status_label,
)
from groundswell.outbox.tables import OutboxMessage
from groundswell.settings import Settings

log = logging.getLogger("groundswell.outbox")

MAX_ATTEMPTS = 6
DRAIN_BATCH = 100
STUCK_AFTER = timedelta(minutes=10)
# When a channel is down (server unreachable, credentials refused), the rest of the batch on
# it waits this long instead of each message timing out in turn.
CHANNEL_DOWN_PAUSE = timedelta(minutes=1)
MAX_BATCHES = 1000  # `outbox send` stops after this many batches whatever happens


# What each message is for, as the outbox page says it.
PURPOSE_LABELS = {
    "verification_code": "Vouching code (web)",
    "sms_reply": "Reply to a resident's text",
    "stop_confirmation": "Reply to a resident's STOP",
    "round_result": "What happened after a round (resident asked to hear back)",
    "round_review": "Round ready for the funder's review",
    "round_cancelled": "A paused round was cancelled (resident asked to hear back)",
    "round_paused_reminder": "A round is still paused (funder and administrators)",
    "payments.held": "Money held: host to set up payments",
    "payments.sent": "Payment sent to host",
    "payments.reversed": "Payment to host reversed",
    "programme_reminder": "Statutory deadline reminder",
    "grant_awarded": "Programme grant awarded (the group's contacts)",
    "grant_paid": "Programme grant paid (the group's contacts)",
    "payments.reconciliation": "Payments differ from the ledger (administrators)",
    "pool_return.declined": "A request for money back was declined (the funder)",
}


def _backoff(attempts: int) -> timedelta:
    return timedelta(seconds=min(30 * 2**attempts, 3600))


async def _enqueue(*, dedupe_key: str, ttl: timedelta, **values: Any) -> bool:
    """Insert once per dedupe_key, in the caller's transaction; False when queued before."""
    moment = now()
    rows = (
        await OutboxMessage.insert(
            OutboxMessage(
                dedupe_key=dedupe_key,
                created_at=moment,  # the injectable clock, like the other times (the demo's past)
                next_attempt_at=moment,
                expires_at=moment + ttl,
                **values,
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


@dataclass(frozen=True)
class QueuedSms:
    """One SMS for `enqueue_sms_many`, its number already encrypted and hashed under
    GROUNDSWELL_PHONE_KEY (as an inbound text's are)."""

    recipient_encrypted: str
    recipient_hash: str
    body: str
    purpose: str
    dedupe_key: str


async def enqueue_sms_many(messages: list[QueuedSms], ttl: timedelta = timedelta(hours=24)) -> None:
    """Queue several SMS in one statement, each once per dedupe_key, in the caller's
    transaction (the replies to a batch of inbound texts)."""
    if not messages:
        return
    moment = now()
    await OutboxMessage.insert(
        *(
            OutboxMessage(
                dedupe_key=message.dedupe_key,
                created_at=moment,
                next_attempt_at=moment,
                expires_at=moment + ttl,
                medium=Medium.SMS.value,
                recipient_encrypted=message.recipient_encrypted,
                recipient_hash=message.recipient_hash,
                body=message.body,
                purpose=message.purpose,
            )
            for message in messages
        )
    ).on_conflict(action="DO NOTHING")


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


RESULTS = ("sent", "retry", "failed", "suppressed", "deferred")


@dataclass(frozen=True)
class Outcome:
    """What one send attempt did, for `groundswell outbox send` and the logs (never a number)."""

    message_id: int
    medium: str
    purpose: str
    recipient: str  # an e-mail address, or "resident #<hash prefix>" for an SMS
    result: str  # one of RESULTS
    reason: str = ""
    next_attempt_at: datetime | None = None


@dataclass
class DrainReport:
    outcomes: list[Outcome] = field(default_factory=list)
    expired: int = 0
    adapters: dict[str, str] = field(default_factory=dict)  # medium -> adapter name
    # medium -> why nothing more goes on it in this run (server unreachable, login refused)
    down: dict[str, DeliveryError] = field(default_factory=dict, repr=False)

    def count(self, result: str, medium: str | None = None) -> int:
        return sum(
            1
            for o in self.outcomes
            if o.result == result and (medium is None or o.medium == medium)
        )

    def summary(self) -> str:
        """One line for the scheduler's job log: "2 sent, 1 retry, 0 failed, ..."."""
        counts = {name: self.count(name) for name in RESULTS if name != "deferred"}
        counts["expired"] = self.expired
        if deferred := self.count("deferred"):
            counts["deferred"] = deferred
        return ", ".join(f"{count} {name}" for name, count in counts.items())

    def lines(self) -> list[str]:
        """What `groundswell outbox send` prints: per channel and result, then each problem."""
        if not self.outcomes and not self.expired:
            return ["Nothing was due: no message sent."]
        lines = []
        words = {
            "sent": "sent",
            "retry": "to try again",
            "failed": "failed",
            "suppressed": "not sent (opted out)",
            "deferred": "waiting (channel unavailable)",
        }
        for medium, title in ((Medium.SMS.value, "SMS"), (Medium.EMAIL.value, "E-mail")):
            counts = Counter(o.result for o in self.outcomes if o.medium == medium)
            adapter = self.adapters.get(medium, "")
            parts = [f"{counts.get(r, 0)} {words[r]}" for r in RESULTS if counts.get(r, 0)]
            lines.append(f"{title} ({adapter}): {', '.join(parts) if parts else 'nothing due'}")
        if self.expired:
            lines.append(f"Expired before they could be sent: {self.expired}")
        for outcome in self.outcomes:
            if outcome.result not in {"failed", "retry", "deferred"}:
                continue
            what = "SMS" if outcome.medium == Medium.SMS.value else "e-mail"
            when = (
                f"; next try {outcome.next_attempt_at:%Y-%m-%d %H:%M} UTC"
                if outcome.next_attempt_at and outcome.result != "failed"
                else ""
            )
            lines.append(
                f"{outcome.result.upper()}: {what} #{outcome.message_id} to {outcome.recipient} "
                f"({PURPOSE_LABELS.get(outcome.purpose, outcome.purpose)}): {outcome.reason}{when}"
            )
        return lines


def _with_simulation_notice(settings: Settings, body: str) -> str:
    """A staging site's e-mail says what it simulates, so no one takes a pretend payment or
    an unsent text for real."""
    if not settings.simulation_notice:
        return body
    return f"{body.rstrip()}\n\n-- \n{settings.simulation_notice}\n"


def _recipient(message: dict[str, Any]) -> str:
    if message["medium"] == Medium.SMS.value:
        return f"resident #{message['recipient_hash'][:8]}"
    return str(message["recipient_email"])


async def drain(
    settings: Settings, *, sms: SmsSender | None = None, email: EmailSender | None = None
) -> str:
    """The scheduled job: one batch of what is due."""
    report = await send_due(settings, sms=sms, email=email, max_batches=1)
    return report.summary()


async def send_due(
    settings: Settings,
    *,
    sms: SmsSender | None = None,
    email: EmailSender | None = None,
    max_batches: int = MAX_BATCHES,
) -> DrainReport:
    """Send everything due now, batch after batch, and say what happened to each message."""
    sms = sms or sms_sender(settings)
    email = email or email_sender(settings)
    report = DrainReport(adapters={Medium.SMS.value: sms.name, Medium.EMAIL.value: email.name})
    for _ in range(max_batches):
        claimed = await _send_batch(settings, sms, email, report)
        if claimed < DRAIN_BATCH:
            break
    return report


async def _send_batch(
    settings: Settings, sms: SmsSender, email: EmailSender, report: DrainReport
) -> int:
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
    report.expired += len(expired)
    await scrub_codes([row["id"] for row in expired])
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
    cipher = PhoneCipher(settings.phone_key)
    for message in messages:
        outcome = await _send_one(settings, message, sms, email, cipher, stopped, report.down)
        report.outcomes.append(outcome)
        if outcome.result in {"failed", "retry"}:
            log.warning(
                "outbox: %s #%s %s: %s",
                outcome.medium,
                outcome.message_id,
                outcome.result,
                outcome.reason,
            )
    return len(messages)


async def _send_one(
    settings: Settings,
    message: dict[str, Any],
    sms: SmsSender,
    email: EmailSender,
    cipher: PhoneCipher,
    stopped: set[str],
    down: dict[str, DeliveryError],
) -> Outcome:
    medium = message["medium"]

    def outcome(result: str, reason: str = "", at: datetime | None = None) -> Outcome:
        return Outcome(
            message["id"], medium, message["purpose"], _recipient(message), result, reason, at
        )

    if (
        medium == Medium.SMS.value
        and message["recipient_hash"] in stopped
        and message["purpose"] != "stop_confirmation"
    ):
        await _finish(message["id"], OutboxStatus.SUPPRESSED, error="the resident opted out")
        return outcome("suppressed", "the resident opted out")
    if medium in down:
        # Not tried: the channel failed a moment ago. Back to the queue, no attempt counted.
        reason = f"not tried: {down[medium]}"
        at = now() + CHANNEL_DOWN_PAUSE
        await OutboxMessage.update(
            {
                OutboxMessage.status: OutboxStatus.PENDING.value,
                OutboxMessage.last_error: reason[:500],
                OutboxMessage.next_attempt_at: at,
            }
        ).where(OutboxMessage.id == message["id"])
        return outcome("deferred", reason, at)
    try:
        if medium == Medium.SMS.value:
            sent = await sms.send_sms(
                cipher.decrypt(message["recipient_encrypted"]),
                message["body"],
                dedupe_key=message["dedupe_key"],
            )
        else:
            sent = await email.send_email(
                message["recipient_email"],
                message["subject"],
                _with_simulation_notice(settings, message["body"]),
                dedupe_key=message["dedupe_key"],
                message_id=message_id_for(
                    message["id"], message["created_at"], message["dedupe_key"], settings.email_from
                ),
            )
    except DeliveryError as exc:
        if exc.channel_down:
            down[medium] = exc
        attempts = message["attempts"] + 1
        if exc.permanent or attempts >= MAX_ATTEMPTS:
            reason = str(exc) if exc.permanent else f"gave up after {attempts} tries: {exc}"
            await _finish(
                message["id"], OutboxStatus.FAILED, error=reason, code=exc.code, attempts=attempts
            )
            if medium == Medium.SMS.value:
                await record_opt_out_if_unsubscribed(message["recipient_hash"], exc.code)
            return outcome("failed", reason)
        at = now() + _backoff(attempts)
        await OutboxMessage.update(
            {
                OutboxMessage.status: OutboxStatus.PENDING.value,
                OutboxMessage.attempts: attempts,
                OutboxMessage.last_error: str(exc)[:500],
                OutboxMessage.error_code: exc.code[:20],
                OutboxMessage.next_attempt_at: at,
            }
        ).where(OutboxMessage.id == message["id"])
        return outcome("retry", str(exc), at)
    await _finish(
        message["id"],
        OutboxStatus.SENT,
        provider_id=sent.provider_id,
        provider_status=sent.provider_status,
        attempts=message["attempts"] + 1,
    )
    return outcome("sent")


async def _finish(
    message_id: int,
    status: OutboxStatus,
    *,
    error: str = "",
    code: str = "",
    provider_id: str = "",
    provider_status: str = "",
    attempts: int | None = None,
) -> None:
    values: dict[Any, Any] = {
        OutboxMessage.status: status.value,
        OutboxMessage.recipient_encrypted: None,
        OutboxMessage.last_error: error[:500],
        OutboxMessage.error_code: code[:20],
        OutboxMessage.provider_id: provider_id[:80],
        OutboxMessage.provider_status: provider_status[:20],
    }
    if status is OutboxStatus.SENT:
        values[OutboxMessage.sent_at] = now()
    if attempts is not None:
        values[OutboxMessage.attempts] = attempts
    await OutboxMessage.update(values).where(OutboxMessage.id == message_id)
    await scrub_codes([message_id])  # done with, whatever the outcome: no code kept


async def status_of(dedupe_key: str) -> dict[str, str] | None:
    """Where one queued message stands, for the feature that queued it (e.g. the web vouch
    page telling a resident their code could not be sent): status, its words, and why."""
    row = (
        await OutboxMessage.select(
            OutboxMessage.status,
            OutboxMessage.medium,
            OutboxMessage.attempts,
            OutboxMessage.last_error,
        )
        .where(OutboxMessage.dedupe_key == dedupe_key)
        .first()
    )
    if row is None:
        return None
    return {
        "status": row["status"],
        "label": status_label(row["status"], row["medium"], retrying=row["attempts"] > 0),
        "reason": row["last_error"],
    }


async def status_counts(
    *, purpose: str | None = None, dedupe_key_prefix: str | None = None
) -> dict[str, int]:
    """How many messages are in each status (e.g. a round's close-the-loop SMS:
    purpose="round_result", dedupe_key_prefix="round:7:resident:")."""
    query = OutboxMessage.select(OutboxMessage.status)
    if purpose is not None:
        query = query.where(OutboxMessage.purpose == purpose)
    if dedupe_key_prefix is not None:
        query = query.where(OutboxMessage.dedupe_key.like(f"{dedupe_key_prefix}%"))
    return dict(Counter(row["status"] for row in await query))
