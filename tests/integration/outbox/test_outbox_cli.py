"""`groundswell outbox send`, run as an operator would: real SMTP and Twilio-compatible servers,
and Twilio's delivery reports reaching a real `groundswell serve` over HTTP."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time

import pytest

from groundswell.outbox.services import enqueue_email, enqueue_sms
from groundswell.outbox.tables import OutboxMessage
from groundswell.settings import Settings
from tests.live_server import live_server
from tests.phone_check import find_numbers
from tests.smtp_server import smtp_server
from tests.twilio_server import ACCOUNT_SID, AUTH_TOKEN, config_request, reset_twilio_server

NUMBER = "+447911123456"


def groundswell(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "groundswell", *args],
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_with_nothing_due_it_says_so() -> None:
    result = groundswell("outbox", "send")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "Nothing was due: no message sent."


async def test_development_adapters_count_per_channel(settings: Settings) -> None:
    await enqueue_sms(
        settings, to_e164=NUMBER, body="code 1", purpose="verification_code", dedupe_key="v:1"
    )
    await enqueue_email(
        to="host@example.org", subject="Held", body="…", purpose="payments.held", dedupe_key="h:1"
    )
    result = groundswell(
        "outbox", "send", env={"GROUNDSWELL_SMTP_HOST": "", "TWILIO_ACCOUNT_SID": ""}
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        "SMS (development): 1 sent",
        "E-mail (development): 1 sent",
    ]


@pytest.mark.slow
async def test_sends_everything_due_prints_each_failure_and_hears_back_from_twilio(
    settings: Settings, twilio_server: str
) -> None:
    reset_twilio_server(twilio_server)
    config_request(twilio_server, "POST", "/_config/callbacks", {"mode": "deliver"})
    config_request(twilio_server, "POST", "/_config/fates", {"fates": [{"fate": "delivered"}]})
    for n, number in enumerate((NUMBER, "+15005550001"), 1):
        await enqueue_sms(
            settings,
            to_e164=number,
            body=f"Your code is 00000{n}",
            purpose="verification_code",
            dedupe_key=f"v:{n}",
        )
    await enqueue_email(
        to="host@example.org",
        subject="Payment sent",
        body="We sent £10.00.",
        purpose="payments.sent",
        dedupe_key="p:1",
    )
    await enqueue_email(
        to="nobody@example.org",
        subject="Payment sent",
        body="We sent £20.00.",
        purpose="payments.sent",
        dedupe_key="p:2",
    )
    twilio_env = {
        "TWILIO_ACCOUNT_SID": ACCOUNT_SID,
        "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
        "TWILIO_FROM_NUMBER": "+15005550006",
        "TWILIO_API_BASE": twilio_server,
    }
    with (
        smtp_server(tls="starttls", users={"gs": "pw"}) as mail,
        live_server(env=twilio_env, timeout=60) as base,
    ):
        mail.handler.script.append(("rcpt", "450 4.2.0 Greylisted, try again later"))
        result = groundswell(
            "outbox",
            "send",
            env={
                **twilio_env,
                "GROUNDSWELL_PUBLIC_URL": base,  # Twilio reports to the live server
                "GROUNDSWELL_SMTP_HOST": mail.host,
                "GROUNDSWELL_SMTP_PORT": str(mail.port),
                "GROUNDSWELL_SMTP_TLS": "starttls",
                "GROUNDSWELL_SMTP_USER": "gs",
                "GROUNDSWELL_SMTP_PASSWORD": "pw",
                "GROUNDSWELL_SMTP_CA_FILE": mail.ca_file,
            },
        )
        assert result.returncode == 0, result.stderr
        lines = result.stdout.splitlines()
        assert lines[0] == "SMS (twilio): 1 sent, 1 failed"
        assert lines[1] == "E-mail (smtp): 1 sent, 1 to try again"
        sms_failure, mail_retry = lines[2:]
        assert sms_failure.startswith("FAILED: SMS #")
        assert sms_failure.endswith(
            "to resident #" + sms_failure.split("#")[2][:8] + " (Vouching code (web)): "
            "Twilio error 21211: not a valid phone number"
        )
        assert mail_retry.startswith("RETRY: e-mail #") and "to host@example.org" in mail_retry
        assert "450 4.2.0 Greylisted" in mail_retry and "next try" in mail_retry
        assert not find_numbers(result.stdout + result.stderr)
        assert [m.rcpt_tos for m in mail.handler.messages] == [["nobody@example.org"]]

        # Twilio reports queued, sent, delivered to the live server, which checks the signature.
        deadline = time.monotonic() + 30  # a busy machine may take a while
        while True:
            rows = await OutboxMessage.select(
                OutboxMessage.status, OutboxMessage.provider_status
            ).where(OutboxMessage.dedupe_key == "v:1")
            if rows[0]["status"] == "delivered" or time.monotonic() > deadline:
                break
            await asyncio.sleep(0.1)
        assert rows == [{"status": "delivered", "provider_status": "delivered"}]
        callbacks = config_request(twilio_server, "GET", "/_config/callbacks")
        assert [c["delivered"] for c in callbacks] == [204, 204, 204]
    reset_twilio_server(twilio_server)
