"""Where outgoing messages go: Twilio for SMS when configured, SMTP for e-mail when
configured, and otherwise the development adapter, which delivers nowhere and leaves the
message readable on /admin/outbox so the whole flow can be shown without a phone.

Every adapter either returns `Sent` (the provider accepted the message, with the provider's
id for it) or raises `DeliveryError`: `permanent` when trying again cannot help (an invalid
number, a 5xx refusal), `channel_down` when no message on this channel can go right now (the
server is unreachable, our credentials are refused), so the outbox stops trying the rest of
its batch on that channel. Reasons are written for the outbox page and never hold a phone
number (Twilio's own error messages quote the number, so only its code is kept).
"""

from __future__ import annotations

import asyncio
import hashlib
import html
import logging
import re
import smtplib
import ssl
from dataclasses import dataclass
from datetime import datetime
from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import SMTP as SMTP_POLICY
from email.utils import format_datetime, parseaddr
from typing import Any, Protocol

from groundswell.core.clock import now
from groundswell.outbox.states import twilio_error
from groundswell.settings import Settings

log = logging.getLogger("groundswell.outbox")

STATUS_CALLBACK_PATH = "/webhooks/twilio/status"
SMTP_TIMEOUT_SECONDS = 30.0
TWILIO_TIMEOUT_SECONDS = 15.0
PROVIDER_ID_LENGTH = 80  # outbox_message.provider_id


class DeliveryError(Exception):
    """The provider refused or failed; `permanent` errors are not retried, and
    `channel_down` ones mean the rest of the batch on that channel should wait too."""

    def __init__(
        self, message: str, *, permanent: bool = False, code: str = "", channel_down: bool = False
    ) -> None:
        super().__init__(message)
        self.permanent = permanent
        self.code = code
        self.channel_down = channel_down


@dataclass(frozen=True)
class Sent:
    provider_id: str
    provider_status: str = ""  # the provider's word for it on acceptance (Twilio: queued, accepted)


class SmsSender(Protocol):
    name: str

    async def send_sms(self, to_e164: str, body: str, *, dedupe_key: str) -> Sent: ...


class EmailSender(Protocol):
    name: str

    async def send_email(
        self, to: str, subject: str, body: str, *, dedupe_key: str, message_id: str
    ) -> Sent: ...


class DevelopmentSender:
    """Delivers nothing: the message stays visible to admins on /admin/outbox."""

    name = "development"

    async def send_sms(self, to_e164: str, body: str, *, dedupe_key: str) -> Sent:
        return Sent(provider_id=f"dev-sms-{dedupe_key}"[:PROVIDER_ID_LENGTH])

    async def send_email(
        self, to: str, subject: str, body: str, *, dedupe_key: str, message_id: str
    ) -> Sent:
        return Sent(provider_id=message_id or f"dev-email-{dedupe_key}"[:PROVIDER_ID_LENGTH])


# ---------------------------------------------------------------------------------------------
# E-mail
# ---------------------------------------------------------------------------------------------


def message_id_for(row_id: int, created_at: datetime, dedupe_key: str, sender: str) -> str:
    """An RFC 5322 Message-ID for one outbox row: unique (the row's id and a digest of its
    dedupe key and creation time) and the same on every retry of that row, so a receiving
    server that saw a first attempt through can tell a second is the same message.

    `<gs.{id}.{16 hex}@{domain}>`, the domain taken from the From address; at most 80
    characters (a very long domain gives way to groundswell.invalid)."""
    digest = hashlib.sha256(f"{dedupe_key}\x00{created_at.isoformat()}".encode()).hexdigest()[:16]
    local = f"gs.{row_id}.{digest}"
    domain = parseaddr(sender)[1].rpartition("@")[2].strip().lower()
    if not re.fullmatch(r"[a-z0-9.-]+", domain) or len(local) + len(domain) + 3 > 80:
        domain = "groundswell.invalid"
    return f"<{local}@{domain}>"


_URL = re.compile(r"https?://[^\s<>\"']+[^\s<>\"'.,;:!?)]")


def text_to_html(text: str) -> str:
    """A plain rendering of the text as HTML: escaped, paragraphs kept, links clickable."""
    paragraphs = [p for p in re.split(r"\n\s*\n", text.strip()) if p.strip()]
    rendered = []
    for paragraph in paragraphs:
        escaped = html.escape(paragraph, quote=True)
        linked = _URL.sub(lambda m: f'<a href="{m.group(0)}">{m.group(0)}</a>', escaped)
        rendered.append("<p>" + linked.replace("\n", "<br>\n") + "</p>")
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head><meta charset="utf-8"></head>\n'
        '<body style="font-family: sans-serif; line-height: 1.5">\n'
        + "\n".join(rendered)
        + "\n</body>\n</html>\n"
    )


def build_email(*, sender: str, to: str, subject: str, body: str, message_id: str) -> EmailMessage:
    """The message as it goes on the wire: UTF-8 headers (encoded words where needed),
    Date, Message-ID, a plain-text part and an HTML alternative."""
    message = EmailMessage(policy=SMTP_POLICY)
    name, address = parseaddr(sender)
    message["From"] = Address(display_name=name, addr_spec=address) if name else address
    message["To"] = to
    message["Subject"] = subject
    message["Date"] = format_datetime(now())
    message["Message-ID"] = message_id
    message["Auto-Submitted"] = "auto-generated"  # RFC 3834: no out-of-office replies, please
    message.set_content(body, charset="utf-8")
    message.add_alternative(text_to_html(body), subtype="html", charset="utf-8")
    return message


def _smtp_reply(exc: smtplib.SMTPResponseException) -> str:
    text = exc.smtp_error
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    return f"{exc.smtp_code} {' '.join(str(text).split())}"[:300]


class SmtpEmailSender:
    """smtplib in a worker thread: STARTTLS or implicit TLS (certificates checked), an
    optional login, a timeout on every socket operation."""

    name = "smtp"

    def __init__(
        self,
        *,
        host: str,
        port: int,
        sender: str,
        tls: str = "starttls",
        user: str = "",
        password: str = "",
        ca_file: str = "",
        timeout: float = SMTP_TIMEOUT_SECONDS,
    ) -> None:
        self.host, self.port, self.sender, self.tls = host, port, sender, tls
        self.user, self._password, self.ca_file, self.timeout = user, password, ca_file, timeout
        self.envelope_from = parseaddr(sender)[1]

    @classmethod
    def from_settings(cls, settings: Settings) -> SmtpEmailSender:
        return cls(
            host=settings.smtp_host,
            port=settings.smtp_port_or_default,
            sender=settings.email_from,
            tls=settings.smtp_tls,
            user=settings.smtp_user,
            password=settings.smtp_password,
            ca_file=settings.smtp_ca_file,
        )

    def _tls_context(self) -> ssl.SSLContext:
        return ssl.create_default_context(cafile=self.ca_file or None)

    def _deliver(self, message: EmailMessage, to: str) -> None:
        smtp: smtplib.SMTP
        if self.tls == "tls":
            smtp = smtplib.SMTP_SSL(
                self.host, self.port, timeout=self.timeout, context=self._tls_context()
            )
        else:
            smtp = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
        with smtp:
            smtp.ehlo()
            if self.tls == "starttls":
                if not smtp.has_extn("starttls"):
                    raise DeliveryError(
                        f"the mail server {self.host}:{self.port} does not offer STARTTLS; "
                        "set GROUNDSWELL_SMTP_TLS=tls for implicit TLS, or none to send in clear",
                        channel_down=True,
                    )
                smtp.starttls(context=self._tls_context())
                smtp.ehlo()
            if self.user:
                self._login(smtp)
            smtp.send_message(message, from_addr=self.envelope_from, to_addrs=[to])

    def _login(self, smtp: smtplib.SMTP) -> None:
        """One mechanism, PLAIN where offered (the connection is encrypted by now): after a
        refusal, smtplib's login() would try each other mechanism with the same password."""
        if not smtp.has_extn("auth"):
            raise DeliveryError(
                f"the mail server {self.host}:{self.port} does not offer a login (AUTH); "
                "unset GROUNDSWELL_SMTP_USER if it needs none",
                channel_down=True,
            )
        offered = smtp.esmtp_features["auth"].upper().split()
        smtp.user, smtp.password = self.user, self._password
        if "PLAIN" in offered:
            smtp.auth("PLAIN", smtp.auth_plain)
        elif "LOGIN" in offered:
            smtp.auth("LOGIN", smtp.auth_login)
        else:
            smtp.login(self.user, self._password)

    async def send_email(
        self, to: str, subject: str, body: str, *, dedupe_key: str, message_id: str
    ) -> Sent:
        message = build_email(
            sender=self.sender, to=to, subject=subject, body=body, message_id=message_id
        )
        try:
            await asyncio.to_thread(self._deliver, message, to)
        except DeliveryError:
            raise
        except smtplib.SMTPRecipientsRefused as exc:
            code, text = next(iter(exc.recipients.values()), (0, b""))
            reply = _smtp_reply(smtplib.SMTPResponseException(code, text))
            raise DeliveryError(
                f"the mail server refused the recipient: {reply}",
                permanent=500 <= code < 600,
                code=str(code),
            ) from None
        except smtplib.SMTPAuthenticationError as exc:
            # Our configuration, not this message: every e-mail waits until it is fixed.
            raise DeliveryError(
                f"the mail server refused our login ({_smtp_reply(exc)}); check "
                "GROUNDSWELL_SMTP_USER and GROUNDSWELL_SMTP_PASSWORD",
                code=str(exc.smtp_code),
                channel_down=True,
            ) from None
        except smtplib.SMTPSenderRefused as exc:
            raise DeliveryError(
                f"the mail server refused our sender address ({_smtp_reply(exc)}); "
                "check GROUNDSWELL_EMAIL_FROM",
                permanent=500 <= exc.smtp_code < 600,
                code=str(exc.smtp_code),
            ) from None
        except smtplib.SMTPResponseException as exc:
            # Refused at DATA (spam, size, policy) or another reply: 5xx is final, 4xx is not.
            raise DeliveryError(
                f"the mail server said {_smtp_reply(exc)}",
                permanent=500 <= exc.smtp_code < 600,
                code=str(exc.smtp_code),
                channel_down=exc.smtp_code == 421,
            ) from None
        except ssl.SSLCertVerificationError as exc:
            raise DeliveryError(
                f"the mail server's certificate is not trusted ({exc.verify_message}); "
                "GROUNDSWELL_SMTP_CA_FILE can name the authority that signed it",
                channel_down=True,
            ) from None
        except (OSError, smtplib.SMTPException) as exc:
            # Refused or reset connections, timeouts, TLS failures, a server that hung up.
            raise DeliveryError(
                f"could not reach the mail server {self.host}:{self.port} "
                f"({type(exc).__name__}: {str(exc)[:200] or 'no detail'})",
                channel_down=True,
            ) from None
        return Sent(provider_id=message_id, provider_status="accepted")


# ---------------------------------------------------------------------------------------------
# SMS
# ---------------------------------------------------------------------------------------------


class TwilioSmsSender:
    """The official SDK (sync, in a worker thread) with a timeout. Each message asks Twilio to
    report its delivery to /webhooks/twilio/status on our public URL."""

    name = "twilio"

    def __init__(self, settings: Settings, *, timeout: float = TWILIO_TIMEOUT_SECONDS) -> None:
        from twilio.http.http_client import TwilioHttpClient
        from twilio.rest import Client

        self._client = Client(
            settings.twilio_account_sid,
            settings.twilio_auth_token,
            http_client=TwilioHttpClient(timeout=timeout),
        )
        if settings.twilio_api_base:
            # Every Messages call goes through the `api` domain; tests point it at a local server.
            self._client.api.base_url = settings.twilio_api_base.rstrip("/")
        self._sender: dict[str, Any] = (
            {"messaging_service_sid": settings.twilio_messaging_service_sid}
            if settings.twilio_messaging_service_sid
            else {"from_": settings.twilio_from_number}
        )
        self.status_callback = settings.public_url.rstrip("/") + STATUS_CALLBACK_PATH

    async def send_sms(self, to_e164: str, body: str, *, dedupe_key: str) -> Sent:
        from requests import RequestException
        from twilio.base.exceptions import TwilioException, TwilioRestException

        try:
            message = await asyncio.to_thread(
                self._client.messages.create,
                to=to_e164,
                body=body,
                status_callback=self.status_callback,
                **self._sender,
            )
        except TwilioRestException as exc:
            raise _twilio_refusal(exc.status, exc.code) from None
        except (RequestException, TwilioException, OSError) as exc:
            raise DeliveryError(
                f"could not reach Twilio ({type(exc).__name__})", channel_down=True
            ) from None
        return Sent(provider_id=str(message.sid), provider_status=str(message.status or ""))


def _twilio_refusal(status: int, code: int | None) -> DeliveryError:
    """Twilio said no: why, and whether trying again could help."""
    words = twilio_error(code) if code else f"Twilio answered HTTP {status}"
    code_text = str(code or "")
    if status == 429 or code == 20429:
        return DeliveryError(words, code=code_text, channel_down=True)
    if status >= 500:
        return DeliveryError(
            f"{words} (Twilio's side; will try again)", code=code_text, channel_down=True
        )
    if status in (401, 403, 404) or code in (20003, 20404):
        # Our credentials or account settings: no message can go until they are fixed.
        return DeliveryError(words, code=code_text, channel_down=True)
    return DeliveryError(words, permanent=True, code=code_text)


def sms_sender(settings: Settings) -> SmsSender:
    if (
        settings.twilio_account_sid
        and settings.twilio_auth_token
        and (settings.twilio_from_number or settings.twilio_messaging_service_sid)
    ):
        return TwilioSmsSender(settings)
    return DevelopmentSender()


def email_sender(settings: Settings) -> EmailSender:
    if settings.smtp_host:
        return SmtpEmailSender.from_settings(settings)
    return DevelopmentSender()
