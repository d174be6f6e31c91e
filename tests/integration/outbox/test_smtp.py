"""E-mail through a real SMTP server (aiosmtpd on 127.0.0.1): TLS, login, refusals, headers."""

from __future__ import annotations

import dataclasses
import email
import email.policy
import socket
from datetime import timedelta
from email.message import EmailMessage
from email.utils import parseaddr, parsedate_to_datetime

import pytest

from groundswell.core.clock import frozen_at, now
from groundswell.core.principal import Role
from groundswell.outbox.adapters import SmtpEmailSender, email_sender, message_id_for
from groundswell.outbox.services import MAX_ATTEMPTS, send_due
from groundswell.outbox.services import enqueue_email as queue_email
from groundswell.outbox.tables import OutboxMessage
from groundswell.settings import Settings
from tests.helpers import WebClient, make_user
from tests.smtp_server import RunningServer, smtp_server

USER, PASSWORD = "groundswell", "correct horse battery staple"


def smtp_settings(settings: Settings, server: RunningServer, **changes: object) -> Settings:
    values: dict[str, object] = {
        "smtp_host": server.host,
        "smtp_port": server.port,
        "smtp_tls": server.tls,
        "smtp_ca_file": server.ca_file,
        "email_from": "Grŵp Groundswell <hello@groundswell.example>",
    }
    values.update(changes)
    return dataclasses.replace(settings, **values)  # type: ignore[arg-type]


async def enqueue_email(n: int = 1, **changes: str) -> None:
    values = {
        "to": f"host{n}@example.org",
        "subject": "Arian wedi'i anfon — £1,250.00 to Siân's host",
        "body": "Dear Siân,\n\nWe sent £1,250.00 <to> your host.\nSee https://groundswell.test/hosts/3 for details.",
        "purpose": "payments.sent",
        "dedupe_key": f"allocation:{n}:sent",
    }
    values.update(changes)
    await queue_email(**values)


def parse(raw: bytes) -> EmailMessage:
    message = email.message_from_bytes(raw, policy=email.policy.default)
    assert isinstance(message, EmailMessage)
    return message


async def rows() -> list[dict[str, object]]:
    return await OutboxMessage.select().order_by(OutboxMessage.id)


async def test_starttls_login_and_a_message_any_mail_program_can_read(settings: Settings) -> None:
    with smtp_server(tls="starttls", users={USER: PASSWORD}, auth_required=True) as server:
        configured = smtp_settings(settings, server, smtp_user=USER, smtp_password=PASSWORD)
        await enqueue_email(1)
        await enqueue_email(2, to="treasurer@example.org")
        report = await send_due(configured)
        assert report.count("sent") == 2 and report.adapters["email"] == "smtp"
        assert [m.login for m in server.handler.messages] == [USER, USER]
        assert all(m.tls for m in server.handler.messages)
        assert server.handler.messages[0].mail_from == "hello@groundswell.example"
        assert server.handler.messages[0].rcpt_tos == ["host1@example.org"]

        stored = await rows()
        first, second = (parse(m.content) for m in server.handler.messages)
        # A unique RFC 5322 Message-ID per message, kept as the provider's id.
        ids = [first["Message-ID"], second["Message-ID"]]
        assert len(set(ids)) == 2
        for message_id, row in zip(ids, stored, strict=True):
            assert message_id.startswith("<gs.") and message_id.endswith("@groundswell.example>")
            assert row["provider_id"] == message_id and row["status"] == "sent"
            assert message_id == message_id_for(
                row["id"],  # type: ignore[arg-type]
                row["created_at"],  # type: ignore[arg-type]
                row["dedupe_key"],  # type: ignore[arg-type]
                configured.email_from,
            )
        # Date, From, To and a non-ASCII subject and display name, decoded as written.
        assert abs(parsedate_to_datetime(first["Date"]) - now()) < timedelta(minutes=5)
        assert first["Subject"] == "Arian wedi'i anfon — £1,250.00 to Siân's host"
        assert parseaddr(str(first["From"])) == ("Grŵp Groundswell", "hello@groundswell.example")
        assert first["To"] == "host1@example.org"
        assert first["Auto-Submitted"] == "auto-generated"
        raw_headers = server.handler.messages[0].content.split(b"\r\n\r\n", 1)[0]
        assert raw_headers.isascii() and b"=?utf-8?" in raw_headers  # encoded words on the wire
        # Plain text and an HTML alternative: the same words, escaped, the link clickable.
        assert first.get_content_type() == "multipart/alternative"
        plain = first.get_body(("plain",))
        html = first.get_body(("html",))
        assert plain is not None and html is not None
        assert "We sent £1,250.00 <to> your host." in plain.get_content()
        html_text = html.get_content()
        assert "&lt;to&gt;" in html_text and "<to>" not in html_text
        assert '<a href="https://groundswell.test/hosts/3">' in html_text
        assert "Siân" in html_text


async def test_implicit_tls(settings: Settings) -> None:
    with smtp_server(tls="tls", users={USER: PASSWORD}) as server:
        configured = smtp_settings(settings, server, smtp_user=USER, smtp_password=PASSWORD)
        await enqueue_email()
        assert (await send_due(configured)).count("sent") == 1
        assert server.handler.messages[0].tls and server.handler.messages[0].login == USER


async def test_the_default_port_follows_the_tls_mode(settings: Settings) -> None:
    ports = {
        mode: SmtpEmailSender.from_settings(
            dataclasses.replace(settings, smtp_host="mail.example.org", smtp_tls=mode)
        ).port
        for mode in ("starttls", "tls", "none")
    }
    assert ports == {"starttls": 587, "tls": 465, "none": 25}
    assert isinstance(email_sender(dataclasses.replace(settings, smtp_host="m")), SmtpEmailSender)


async def test_a_refused_login_keeps_every_email_waiting_and_says_which_settings(
    settings: Settings,
) -> None:
    with smtp_server(tls="starttls", users={USER: PASSWORD}, auth_required=True) as server:
        configured = smtp_settings(settings, server, smtp_user=USER, smtp_password="wrong")
        await enqueue_email(1)
        await enqueue_email(2)
        report = await send_due(configured)
        assert server.handler.messages == [] and server.handler.logins == [(USER, False)]
        # The first is retried later; the second was not even tried (the channel is down).
        assert [o.result for o in report.outcomes] == ["retry", "deferred"]
        first, second = await rows()
        assert first["status"] == second["status"] == "pending"
        assert first["attempts"] == 1 and second["attempts"] == 0
        assert "refused our login (535" in str(first["last_error"])
        assert "GROUNDSWELL_SMTP_PASSWORD" in str(first["last_error"])
        assert str(second["last_error"]).startswith("not tried: the mail server refused our login")
        # With the right password, both go.
        with frozen_at(now() + timedelta(hours=1)):
            fixed = dataclasses.replace(configured, smtp_password=PASSWORD)
            assert (await send_due(fixed)).count("sent") == 2


async def test_starttls_is_required_not_hoped_for(settings: Settings) -> None:
    with smtp_server(tls="none") as server:
        configured = smtp_settings(settings, server, smtp_tls="starttls")
        await enqueue_email()
        report = await send_due(configured)
        assert report.outcomes[0].result == "retry"
        assert "does not offer STARTTLS" in report.outcomes[0].reason
        assert server.handler.messages == []
        # Said plainly, none sends in clear (no password then: settings refuse that).
        plain = smtp_settings(settings, server, smtp_tls="none")
        with frozen_at(now() + timedelta(hours=1)):
            assert (await send_due(plain)).count("sent") == 1
        assert not server.handler.messages[0].tls


async def test_an_untrusted_certificate_is_refused(settings: Settings) -> None:
    with smtp_server(tls="starttls") as server:
        configured = smtp_settings(settings, server, smtp_ca_file="")
        await enqueue_email()
        report = await send_due(configured)
        assert report.outcomes[0].result == "retry"
        assert "certificate is not trusted" in report.outcomes[0].reason
        assert server.handler.messages == []


async def test_a_temporary_refusal_is_tried_again_after_a_pause_then_sent(
    settings: Settings,
) -> None:
    with smtp_server(tls="starttls") as server:
        configured = smtp_settings(settings, server)
        server.handler.script.append(("rcpt", "450 4.2.1 Mailbox busy, try again later"))
        await enqueue_email()
        report = await send_due(configured)
        assert [o.result for o in report.outcomes] == ["retry"]
        (row,) = await rows()
        assert row["status"] == "pending" and row["attempts"] == 1 and row["error_code"] == "450"
        assert "450 4.2.1 Mailbox busy" in str(row["last_error"])
        # Not again straight away: it waits for its backoff.
        assert (await send_due(configured)).outcomes == []
        with frozen_at(now() + timedelta(minutes=5)):
            assert (await send_due(configured)).count("sent") == 1
        (row,) = await rows()
        assert row["status"] == "sent" and row["attempts"] == 2
        assert len(server.handler.messages) == 1


async def test_temporary_failures_give_up_after_the_last_attempt(settings: Settings) -> None:
    with smtp_server(tls="starttls") as server:
        configured = smtp_settings(settings, server)
        server.handler.script.extend([("data", "451 4.3.0 Local error")] * MAX_ATTEMPTS)
        await enqueue_email()
        moment = now()
        for attempt in range(MAX_ATTEMPTS):
            with frozen_at(moment + timedelta(hours=2 * attempt)):
                await send_due(configured)
        (row,) = await rows()
        assert row["status"] == "failed" and row["attempts"] == MAX_ATTEMPTS
        assert str(row["last_error"]).startswith(f"gave up after {MAX_ATTEMPTS} tries")


async def test_a_permanent_refusal_fails_with_its_reason_on_the_outbox_page(
    settings: Settings, client: WebClient
) -> None:
    with smtp_server(tls="starttls") as server:
        configured = smtp_settings(settings, server)
        server.handler.script.append(("rcpt", "550 5.1.1 <host1@example.org>: no such user"))
        server.handler.script.append(("data", "554 5.7.1 Message rejected as spam"))
        await enqueue_email(1)
        await enqueue_email(2)
        report = await send_due(configured)
        assert [o.result for o in report.outcomes] == ["failed", "failed"]
        first, second = await rows()
        assert first["status"] == "failed" and first["error_code"] == "550"
        assert first["last_error"] == (
            "the mail server refused the recipient: 550 5.1.1 <host1@example.org>: no such user"
        )
        assert second["status"] == "failed" and second["error_code"] == "554"
        assert "554 5.7.1 Message rejected as spam" in str(second["last_error"])
        assert first["attempts"] == 1 and server.handler.messages == []

    await client.login(await make_user(Role.ADMIN))
    page = (await client.get("/admin/outbox")).text
    assert "Failed" in page and "no such user" in page and "rejected as spam" in page


async def test_an_unreachable_server_is_a_temporary_failure(settings: Settings) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # nothing listens there once closed
    configured = dataclasses.replace(
        settings, smtp_host="127.0.0.1", smtp_port=port, smtp_tls="none"
    )
    await enqueue_email(1)
    await enqueue_email(2)
    report = await send_due(configured)
    assert [o.result for o in report.outcomes] == ["retry", "deferred"]
    assert "could not reach the mail server" in report.outcomes[0].reason
    assert "ConnectionRefusedError" in report.outcomes[0].reason


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        (
            {"GROUNDSWELL_SMTP_TLS": "ssl"},
            "GROUNDSWELL_SMTP_TLS must be one of starttls, tls, none",
        ),
        ({"GROUNDSWELL_SMTP_USER": "u"}, "set both or neither"),
        (
            {
                "GROUNDSWELL_SMTP_USER": "u",
                "GROUNDSWELL_SMTP_PASSWORD": "p",
                "GROUNDSWELL_SMTP_TLS": "none",
            },
            "never sends a password in clear",
        ),
    ],
)
def test_smtp_settings_that_cannot_work_are_refused_at_start(
    tmp_path: object, changes: dict[str, str], message: str
) -> None:
    from groundswell.settings import SettingsError, load_settings

    with pytest.raises(SettingsError, match=message):
        load_settings({"GROUNDSWELL_SMTP_HOST": "mail.example.org", **changes})
