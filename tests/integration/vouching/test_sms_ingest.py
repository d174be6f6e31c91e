"""Answer fast, process behind (issue #17): the webhook records a text and answers empty
TwiML; the processor vouches and queues the reply through the outbox, exactly once per
MessageSid and each phone's texts in order."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import AsyncIterator

import pytest

from groundswell.outbox.tables import OutboxMessage
from groundswell.scheduler import default_registry
from groundswell.settings import Settings, load_settings
from groundswell.vouching import inbound
from groundswell.vouching.inbound import cipher
from groundswell.vouching.processor import drain, process_waiting
from groundswell.vouching.sms import handle_sms
from groundswell.vouching.tables import Endorsement, InboundMessage, PendingPrompt
from groundswell.web.app import create_app
from tests.helpers import WebClient, asgi_client
from tests.integration.vouching.test_twilio_webhook import TOKEN, URL, sign
from tests.integration.vouching.test_twilio_webhook import inbound as inbound_params
from tests.phone_check import find_numbers

RESIDENT = "+447911123456"
NEIGHBOUR = "+447911123457"
EMPTY = '<?xml version="1.0" encoding="UTF-8"?><Response />'


@pytest.fixture
def queued(settings: Settings) -> Settings:
    return dataclasses.replace(settings, twilio_auth_token=TOKEN, sms_inline=False)


@pytest.fixture
async def twilio(queued: Settings) -> AsyncIterator[WebClient]:
    async with asgi_client(create_app(queued, run_scheduler=False)) as client:
        yield client


async def post(client: WebClient, body: str, sid: str, sender: str = RESIDENT) -> str:
    params = inbound_params(body, sid=sid, sender=sender)
    response = await client.post(
        "/webhooks/twilio/sms", data=params, headers={"X-Twilio-Signature": sign(URL, params)}
    )
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/xml")
    return response.text


def test_tests_process_inline_and_production_queues() -> None:
    assert load_settings({"GROUNDSWELL_ENV": "test"}).sms_processed_inline
    assert not load_settings({"GROUNDSWELL_ENV": "development"}).sms_processed_inline
    assert load_settings({"GROUNDSWELL_SMS_INLINE": "true"}).sms_processed_inline
    assert "sms_process" in {job.job_id for job in default_registry().jobs}


async def test_the_webhook_records_and_answers_empty_the_processor_vouches_and_queues_the_reply(
    twilio: WebClient, queued: Settings, amina: str
) -> None:
    assert await post(twilio, "AMINA-7K she listens to us", "SMq1") == EMPTY
    [row] = await InboundMessage.select()
    assert row["processed_at"] is None and row["body"] == "AMINA-7K she listens to us"
    assert cipher(queued).decrypt(row["phone_encrypted"]) == RESIDENT
    assert await Endorsement.count() == 0 and await OutboxMessage.count() == 0

    assert await process_waiting(queued) == 1
    [row] = await InboundMessage.select()
    assert row["processed_at"] is not None and row["reply"].startswith("Thank you.")
    # Processed: the number and the words are no longer kept with the message.
    assert row["body"] is None and row["phone_encrypted"] is None
    assert await Endorsement.count() == 1
    [reply] = await OutboxMessage.select()
    assert reply["body"] == row["reply"] and reply["purpose"] == "sms_reply"
    assert reply["dedupe_key"] == f"sms-reply:{row['id']}"
    assert cipher(queued).decrypt(reply["recipient_encrypted"]) == RESIDENT
    assert await process_waiting(queued) == 0


async def test_the_number_is_never_stored_in_clear(twilio: WebClient, amina: str) -> None:
    await post(twilio, "AMINA-7K she listens", "SMclear")
    [row] = await InboundMessage.select()
    stored = " ".join(str(value) for value in row.values())
    assert not find_numbers(stored) and RESIDENT[3:] not in stored
    # Kept as a keyed hash, and encrypted until processed (a fresh token each time).
    assert len(row["voice_hash"]) == 64 and row["phone_encrypted"] != RESIDENT


async def test_a_retried_message_sid_is_recorded_once_and_answered_once(
    twilio: WebClient, queued: Settings, amina: str
) -> None:
    await post(twilio, "AMINA-7K she listens", "SMretry")
    assert await post(twilio, "AMINA-7K she listens", "SMretry") == EMPTY
    assert await InboundMessage.count() == 1
    await drain(queued)
    # Twilio retries after the reply was queued: nothing more happens.
    assert await post(twilio, "AMINA-7K she listens", "SMretry") == EMPTY
    await drain(queued)
    assert await InboundMessage.count() == 1
    assert await Endorsement.count() == 1 and await OutboxMessage.count() == 1


@pytest.mark.parametrize(
    "headers",
    [{}, {"X-Twilio-Signature": "bm90LWEtc2lnbmF0dXJl"}],
    ids=["unsigned", "badly signed"],
)
async def test_unsigned_or_badly_signed_posts_are_refused_and_store_nothing(
    twilio: WebClient, amina: str, headers: dict[str, str]
) -> None:
    params = inbound_params("AMINA-7K she listens", sid="SMforged")
    response = await twilio.post("/webhooks/twilio/sms", data=params, headers=headers)
    assert response.status_code == 403
    assert await InboundMessage.count() == 0


async def test_a_sender_that_is_not_a_phone_is_answered_and_nothing_is_stored(
    twilio: WebClient, amina: str
) -> None:
    text = await post(twilio, "AMINA-7K she listens", "SMshort", sender="60300")
    assert "<Message>" in text
    assert await InboundMessage.count() == 0


@pytest.mark.parametrize("sid", ["SM\x00nul", "SM<script>", "SM" + "9" * 70])
async def test_a_message_sid_twilio_never_sends_is_answered_and_nothing_is_stored(
    twilio: WebClient, amina: str, sid: str
) -> None:
    # Signed, yet not a Twilio SID: PostgreSQL text refuses NUL (a 500 Twilio would retry
    # for ever), and a long one cut short could be taken for another message's retry.
    text = await post(twilio, "AMINA-7K she listens", sid)
    assert "<Message>" in text
    assert await InboundMessage.count() == 0


async def test_a_num_media_past_any_column_is_recorded_as_pictures(
    twilio: WebClient, amina: str
) -> None:
    # Past PostgreSQL's integer (a 500 Twilio would retry for ever): still "a picture came".
    params = inbound_params("AMINA-7K she listens", sid="SMmedia") | {"NumMedia": "9" * 12}
    response = await twilio.post(
        "/webhooks/twilio/sms", data=params, headers={"X-Twilio-Signature": sign(URL, params)}
    )
    assert response.status_code == 200, response.text
    row = await InboundMessage.select(InboundMessage.num_media).first()
    assert row is not None and row["num_media"] == inbound.MEDIA_MAX


@pytest.mark.parametrize("sid", ["SM\x00nul", "SM" + "9" * 70])
async def test_inline_processing_refuses_a_sid_twilio_never_sends(
    queued: Settings, amina: str, sid: str
) -> None:
    reply = await handle_sms(
        queued, message_sid=sid, from_number=RESIDENT, body="AMINA-7K she listens"
    )
    assert reply.text and await InboundMessage.count() == 0


async def test_each_phones_texts_are_processed_in_order(
    twilio: WebClient, queued: Settings, amina: str
) -> None:
    # Code alone, then the words: the words answer the prompt only if processed after it.
    await post(twilio, "AMINA-7K", "SMo1")
    await post(twilio, "she found us a room", "SMo2")
    await post(twilio, "AMINA-7K she listens", "SMo3", sender=NEIGHBOUR)
    # One batch takes each phone's earliest text only.
    assert await process_waiting(queued) == 2
    assert await PendingPrompt.count() == 1 and await inbound.waiting_count() == 1
    assert await process_waiting(queued) == 1
    testimonies = {row["testimony"] for row in await Endorsement.select(Endorsement.testimony)}
    assert testimonies == {"she found us a room", "she listens"}
    replies = await OutboxMessage.select().order_by(OutboxMessage.id)
    assert len(replies) == 3


async def test_two_processors_at_once_keep_each_phones_order_and_process_each_text_once(
    queued: Settings, amina: str
) -> None:
    phones = [f"+4479111{n:05d}" for n in range(12)]
    for n, phone in enumerate(phones):
        for k, body in enumerate(("AMINA-7K", "she found us a room", "SHARE")):
            await inbound.record(
                queued, message_sid=f"SMp{n}-{k}", from_number=phone, body=body, num_media=0
            )
    await asyncio.gather(drain(queued, limit=5), drain(queued, limit=5))
    assert await inbound.waiting_count() == 0
    rows = await InboundMessage.select().order_by(InboundMessage.id)
    for n in range(len(phones)):
        mine = [row for row in rows if row["message_sid"].startswith(f"SMp{n}-")]
        assert [row["processed_at"] for row in mine] == sorted(row["processed_at"] for row in mine)
    endorsements = await Endorsement.select()
    assert len(endorsements) == len(phones)
    assert {row["testimony"] for row in endorsements} == {"she found us a room"}
    # SHARE after the words: every one may be read by funders.
    assert all(row["show_funders"] for row in endorsements)
    assert await OutboxMessage.count() == 3 * len(phones)


async def test_inline_processing_takes_a_phones_earlier_waiting_texts_first(
    queued: Settings, amina: str
) -> None:
    await inbound.record(
        queued, message_sid="SMw1", from_number=RESIDENT, body="AMINA-7K", num_media=0
    )
    reply = await handle_sms(
        queued, message_sid="SMw2", from_number=RESIDENT, body="she found us a room"
    )
    assert reply.text.startswith("Thank you.") and not reply.replayed
    [endorsement] = await Endorsement.select()
    assert endorsement["testimony"] == "she found us a room"
    # The earlier text's reply goes through the outbox; this one's is the answer.
    [queued_reply] = await OutboxMessage.select()
    assert queued_reply["purpose"] == "sms_reply" and "Amina" in queued_reply["body"]
    assert await inbound.waiting_count() == 0


async def test_stop_is_confirmed_through_the_outbox_and_a_failed_text_is_set_aside(
    queued: Settings, amina: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    await inbound.record(queued, message_sid="SMs1", from_number=RESIDENT, body="STOP", num_media=0)
    await inbound.record(
        queued, message_sid="SMs2", from_number=NEIGHBOUR, body="AMINA-7K boom", num_media=0
    )
    await inbound.record(
        queued, message_sid="SMs3", from_number=NEIGHBOUR, body="HELP", num_media=0
    )
    from groundswell.vouching import sms
    from groundswell.vouching.grammar import CommandKind

    real = sms.HANDLERS[CommandKind.VOUCH]

    async def explode_on_boom(msg: sms.Incoming) -> str:
        if "boom" in msg.body:
            raise RuntimeError("handler bug")
        return await real(msg)

    monkeypatch.setitem(sms.HANDLERS, CommandKind.VOUCH, explode_on_boom)
    await drain(queued)
    rows = {row["message_sid"]: row for row in await InboundMessage.select()}
    assert all(row["processed_at"] is not None for row in rows.values())
    assert rows["SMs2"]["error"].startswith("RuntimeError") and rows["SMs2"]["reply"] == ""
    purposes = sorted(row["purpose"] for row in await OutboxMessage.select())
    # The bad text holds back neither its phone's next text nor anyone else's.
    assert purposes == ["sms_reply", "stop_confirmation"]
    assert await Endorsement.count() == 0
