"""Codes never stay readable (issue #14.7).

The text carrying a 6-digit verification code stayed in clear in the outbox after sending
and showed on /admin/outbox: an administrator could confirm a web vouch for any number.
Once the text is sent, fails or expires its stored body no longer holds the code, and the
outbox page never shows a code, even while the text is still queued."""

from __future__ import annotations

from datetime import timedelta

from groundswell.core.clock import frozen_at, now
from groundswell.core.principal import Role
from groundswell.outbox.services import enqueue_sms, send_due
from groundswell.outbox.tables import OutboxMessage
from groundswell.settings import Settings
from tests.helpers import WebClient, make_user

CODE = "482913"
BODY = f"Your Groundswell code is {CODE}. It expires in 10 minutes."
NUMBER = "+447911123456"


async def _queue_code(settings: Settings, key: str = "verify:1") -> None:
    await enqueue_sms(
        settings,
        to_e164=NUMBER,
        body=BODY,
        purpose="verification_code",
        dedupe_key=key,
        ttl=timedelta(minutes=10),
    )


async def _body(key: str) -> str:
    row = (
        await OutboxMessage.select(OutboxMessage.body, OutboxMessage.status)
        .where(OutboxMessage.dedupe_key == key)
        .first()
    )
    assert row is not None
    return str(row["body"])


async def test_a_sent_code_text_no_longer_holds_the_code(settings: Settings) -> None:
    await _queue_code(settings)
    await enqueue_sms(
        settings,
        to_e164=NUMBER,
        body="Round 202604: 14 residents vouched, £1234.00 was paid.",
        purpose="round_result",
        dedupe_key="round:1",
    )
    report = await send_due(settings)
    assert report.count("sent") == 2
    body = await _body("verify:1")
    assert CODE not in body and "code" in body.lower()
    # Other messages keep their words: only code texts are scrubbed.
    assert "1234.00" in await _body("round:1")


async def test_an_expired_code_text_no_longer_holds_the_code(settings: Settings) -> None:
    await _queue_code(settings)
    with frozen_at(now() + timedelta(hours=1)):
        report = await send_due(settings)
    assert report.expired == 1
    assert CODE not in await _body("verify:1")


async def test_the_outbox_page_never_shows_a_code(settings: Settings, client: WebClient) -> None:
    await _queue_code(settings)  # still queued: the body must hold it to be sent
    assert CODE in await _body("verify:1")
    await client.login(await make_user(Role.ADMIN))
    page = (await client.get("/admin/outbox")).text
    assert "Your Groundswell code is" in page
    assert CODE not in page
