"""Where outgoing messages go: Twilio for SMS when configured, SMTP for e-mail when
configured, and otherwise the development adapter, which delivers nowhere and leaves the
message readable on /admin/outbox so the whole flow can be shown without a phone."""

from __future__ import annotations

import asyncio
import smtplib
from dataclasses import dataclass
from email.message import EmailMessage
from typing import Protocol

from groundswell.settings import Settings


class DeliveryError(Exception):
    """The provider refused or failed; `permanent` errors are not retried."""

    def __init__(self, message: str, *, permanent: bool = False) -> None:
        super().__init__(message)
        self.permanent = permanent


@dataclass(frozen=True)
class Sent:
    provider_id: str


class SmsSender(Protocol):
    name: str

    async def send_sms(self, to_e164: str, body: str, *, dedupe_key: str) -> Sent: ...


class EmailSender(Protocol):
    name: str

    async def send_email(self, to: str, subject: str, body: str, *, dedupe_key: str) -> Sent: ...


class DevelopmentSender:
    """Delivers nothing: the message stays visible to admins on /admin/outbox."""

    name = "development"

    async def send_sms(self, to_e164: str, body: str, *, dedupe_key: str) -> Sent:
        return Sent(provider_id=f"dev-sms-{dedupe_key}"[:80])

    async def send_email(self, to: str, subject: str, body: str, *, dedupe_key: str) -> Sent:
        return Sent(provider_id=f"dev-email-{dedupe_key}"[:80])


class TwilioSmsSender:
    name = "twilio"

    def __init__(self, settings: Settings) -> None:
        from twilio.rest import Client

        self._client = Client(settings.twilio_account_sid, settings.twilio_auth_token)
        self._from = settings.twilio_from_number

    async def send_sms(self, to_e164: str, body: str, *, dedupe_key: str) -> Sent:
        from twilio.base.exceptions import TwilioRestException

        try:
            message = await asyncio.to_thread(
                self._client.messages.create, to=to_e164, from_=self._from, body=body
            )
        except TwilioRestException as exc:
            # 4xx from Twilio (invalid or unsubscribed number) will not succeed on retry.
            raise DeliveryError(
                f"Twilio error {exc.code}", permanent=400 <= exc.status < 500
            ) from None
        return Sent(provider_id=str(message.sid))


class SmtpEmailSender:
    name = "smtp"

    def __init__(self, host: str, port: int, sender: str) -> None:
        self.host, self.port, self.sender = host, port, sender

    async def send_email(self, to: str, subject: str, body: str, *, dedupe_key: str) -> Sent:
        message = EmailMessage()
        message["From"], message["To"], message["Subject"] = self.sender, to, subject
        message["Message-ID"] = f"<{dedupe_key}@groundswell>"
        message.set_content(body)

        def send() -> None:
            with smtplib.SMTP(self.host, self.port, timeout=30) as smtp:
                smtp.send_message(message)

        try:
            await asyncio.to_thread(send)
        except (OSError, smtplib.SMTPException) as exc:
            raise DeliveryError(f"SMTP error: {type(exc).__name__}") from None
        return Sent(provider_id=message["Message-ID"])


def sms_sender(settings: Settings) -> SmsSender:
    if settings.twilio_account_sid and settings.twilio_auth_token and settings.twilio_from_number:
        return TwilioSmsSender(settings)
    return DevelopmentSender()


def email_sender(settings: Settings) -> EmailSender:
    if settings.smtp_host:
        return SmtpEmailSender(settings.smtp_host, settings.smtp_port, settings.email_from)
    return DevelopmentSender()
