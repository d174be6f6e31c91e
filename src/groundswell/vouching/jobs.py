"""Process the texts the webhook recorded; forget what is no longer needed: expired prompts
and codes, old delivery receipts."""

from __future__ import annotations

from datetime import timedelta

from apscheduler.triggers.interval import IntervalTrigger

from groundswell.core.clock import now
from groundswell.core.jobs import JobRegistry
from groundswell.settings import Settings
from groundswell.vouching.processor import process_job
from groundswell.vouching.tables import InboundMessage, PendingPrompt, WebVerification

# Twilio retries within minutes; a month of MessageSids is plenty to answer any replay.
INBOUND_KEPT_FOR = timedelta(days=30)
VERIFICATIONS_KEPT_FOR = timedelta(days=1)


async def forget_expired(settings: Settings) -> str:
    moment = now()
    prompts = (
        await PendingPrompt.delete()
        .where(PendingPrompt.expires_at <= moment)
        .returning(PendingPrompt.id)
    )
    # An unconfirmed code's encrypted number goes as soon as the code expires.
    await WebVerification.update({WebVerification.phone_encrypted: None}).where(
        (WebVerification.expires_at <= moment) & WebVerification.phone_encrypted.is_not_null()
    )
    codes = (
        await WebVerification.delete()
        .where(WebVerification.created_at <= moment - VERIFICATIONS_KEPT_FOR)
        .returning(WebVerification.id)
    )
    # A message still waiting is never forgotten: the processor has yet to answer it.
    inbound = (
        await InboundMessage.delete()
        .where(
            (InboundMessage.received_at <= moment - INBOUND_KEPT_FOR)
            & InboundMessage.processed_at.is_not_null()
        )
        .returning(InboundMessage.id)
    )
    return f"forgot {len(prompts)} prompts, {len(codes)} codes, {len(inbound)} message ids"


def register(registry: JobRegistry) -> None:
    registry.add(
        "sms_process",
        process_job,
        IntervalTrigger(seconds=1),
        "Process texts the SMS webhook recorded and queue their replies",
    )
    registry.add(
        "vouching_forget",
        forget_expired,
        IntervalTrigger(minutes=5),
        "Forget expired prompts and codes",
    )
