"""The demo's outbox tells the whole story: delivered, not delivered, failed and waiting.

The demo's messages are queued by its rounds, payments and reminders. Here they go through
the real `send_due` and `record_delivery_report`, with stand-in providers that answer as
Twilio and a mail server would: the past rounds' e-mails were accepted when they were due
(one host's address bounced), the residents' round results were delivered (one handset was
switched off), and today's reminders met a busy mail server and wait to be tried again.
Nothing leaves the machine. Run once: a database whose outbox has moved is left alone.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from itertools import count

from groundswell.core.clock import frozen_at, now
from groundswell.outbox.adapters import DeliveryError, Sent
from groundswell.outbox.receipts import record_delivery_report
from groundswell.outbox.services import send_due
from groundswell.outbox.states import Medium, OutboxStatus
from groundswell.outbox.tables import OutboxMessage
from groundswell.settings import Settings


class _DemoSms:
    name = "demo"

    def __init__(self) -> None:
        self._ids = count(1)

    async def send_sms(self, to_e164: str, body: str, *, dedupe_key: str) -> Sent:
        return Sent(provider_id=f"SMdemo{next(self._ids):026d}", provider_status="queued")


class _DemoEmail:
    name = "demo"

    def __init__(self) -> None:
        self.bounced = False

    async def send_email(
        self, to: str, subject: str, body: str, *, dedupe_key: str, message_id: str
    ) -> Sent:
        if dedupe_key.endswith(":held") and not self.bounced:
            self.bounced = True
            raise DeliveryError(
                f"the mail server refused the recipient: 550 5.1.1 <{to}>: mailbox unavailable",
                permanent=True,
                code="550",
            )
        if dedupe_key.startswith("programme-reminder:"):
            raise DeliveryError(
                "the mail server said 451 4.7.1 Greylisted, please try again later", code="451"
            )
        return Sent(provider_id=message_id, provider_status="accepted")


async def show_deliveries(settings: Settings) -> bool:
    """Send the demo's queued messages as if the providers had answered; False if done before."""
    if await OutboxMessage.exists().where(OutboxMessage.status != OutboxStatus.PENDING.value):
        return False
    sms, email = _DemoSms(), _DemoEmail()
    # The stand-in refusals are the story, not warnings for whoever loads the demo.
    outbox_log = logging.getLogger("groundswell.outbox")
    level, outbox_log.level = outbox_log.level, logging.ERROR
    try:
        await _replay(settings, sms, email)
    finally:
        outbox_log.setLevel(level)
    return True


async def _replay(settings: Settings, sms: _DemoSms, email: _DemoEmail) -> None:
    # Messages queued in the past (the demo's earlier rounds), sent when they were due.
    moment = now()
    past = await (
        OutboxMessage.select(OutboxMessage.next_attempt_at)
        .where(
            (OutboxMessage.status == OutboxStatus.PENDING.value)
            & (OutboxMessage.next_attempt_at < moment - timedelta(hours=1))
        )
        .order_by(OutboxMessage.next_attempt_at)
    )
    for when in sorted({row["next_attempt_at"] for row in past}):
        with frozen_at(when + timedelta(minutes=1)):
            await send_due(settings, sms=sms, email=email)
    await send_due(settings, sms=sms, email=email)
    # Twilio's reports for today's SMS: the first delivered, one handset switched off.
    texts = await (
        OutboxMessage.select(OutboxMessage.provider_id)
        .where(
            (OutboxMessage.medium == Medium.SMS.value)
            & (OutboxMessage.status == OutboxStatus.SENT.value)
        )
        .order_by(OutboxMessage.id)
    )
    for n, row in enumerate(texts):
        await record_delivery_report(row["provider_id"], "sent")
        if n == 1:
            await record_delivery_report(row["provider_id"], "undelivered", "30003")
        elif n != 2:  # a third, if any, is still waiting for its report
            await record_delivery_report(row["provider_id"], "delivered")
