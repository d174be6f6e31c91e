"""SMS through the official Twilio SDK against a local Twilio-compatible server, and the
signed delivery reports it sends back to POST /webhooks/twilio/status."""

from __future__ import annotations

import dataclasses
from datetime import timedelta

from twilio.request_validator import RequestValidator

from groundswell.core.clock import frozen_at, now
from groundswell.core.principal import Role
from groundswell.outbox.adapters import TwilioSmsSender, sms_sender
from groundswell.outbox.receipts import record_delivery_report
from groundswell.outbox.services import enqueue_sms, send_due, status_of
from groundswell.outbox.tables import OutboxMessage
from groundswell.settings import Settings
from tests.helpers import WebClient, make_user
from tests.integration.outbox.conftest import FROM_NUMBER, post_callbacks
from tests.twilio_server import (
    AUTH_TOKEN,
    MESSAGING_SERVICE_SID,
    config_request,
    fail_next,
    script_fates,
    take_callbacks,
)

NUMBER = "+447911123456"
STATUS_URL = "https://groundswell.test/webhooks/twilio/status"


async def queue(settings: Settings, n: int = 1, to: str = NUMBER) -> None:
    await enqueue_sms(
        settings,
        to_e164=to,
        body=f"Your Groundswell code is 12345{n}",
        purpose="verification_code",
        dedupe_key=f"verify:{n}",
    )


async def rows() -> list[dict[str, object]]:
    return await OutboxMessage.select().order_by(OutboxMessage.id)


def sign(params: dict[str, str], token: str = AUTH_TOKEN) -> dict[str, str]:
    return {"X-Twilio-Signature": RequestValidator(token).compute_signature(STATUS_URL, params)}


async def test_sent_through_the_sdk_with_a_status_callback_then_delivered(
    twilio_settings: Settings, twilio_server: str, twilio_app_client: WebClient
) -> None:
    assert isinstance(sms_sender(twilio_settings), TwilioSmsSender)
    await queue(twilio_settings)
    report = await send_due(twilio_settings)
    assert report.count("sent") == 1 and report.adapters["sms"] == "twilio"
    (row,) = await rows()
    sid = str(row["provider_id"])
    assert sid.startswith("SM") and len(sid) == 34
    assert row["status"] == "sent" and row["provider_status"] == "queued"
    assert row["recipient_encrypted"] is None
    (message,) = config_request(twilio_server, "GET", "/_config/messages")
    assert message["sid"] == sid and message["from"] == FROM_NUMBER
    assert message["status_callback"] == STATUS_URL
    assert message["to"] == "…56"  # the server shows only the last digits

    # Twilio's reports, signed as Twilio signs them: queued, sent, delivered.
    assert await post_callbacks(twilio_server, twilio_app_client) == [204, 204, 204]
    (row,) = await rows()
    assert row["status"] == "delivered" and row["provider_status"] == "delivered"
    assert row["reported_at"] is not None and row["error_code"] == ""
    assert (await status_of("verify:1")) == {
        "status": "delivered",
        "label": "Delivered",
        "reason": "",
    }


async def test_reports_only_move_forward_and_replays_change_nothing(
    twilio_settings: Settings, twilio_server: str, twilio_app_client: WebClient
) -> None:
    await queue(twilio_settings)
    await send_due(twilio_settings)
    callbacks = take_callbacks(twilio_server)
    assert [c["params"]["MessageStatus"] for c in callbacks] == ["queued", "sent", "delivered"]
    queued, sent, delivered = callbacks

    async def post(callback: dict[str, object]) -> int:
        response = await twilio_app_client.post(
            "/webhooks/twilio/status",
            data=callback["params"],
            headers={"X-Twilio-Signature": str(callback["signature"])},
        )
        return response.status_code

    # Out of order: delivered first, then the late sent and queued, then delivered again.
    assert await post(delivered) == 204
    before = (await rows())[0]
    for late in (sent, queued, delivered, sent):
        assert await post(late) == 204
    after = (await rows())[0]
    assert after == before and after["status"] == "delivered"

    # A final report never replaces another final one.
    sid = str(before["provider_id"])
    assert await record_delivery_report(sid, "undelivered", "30003") == "ignored"
    assert (await rows())[0]["status"] == "delivered"


async def test_undelivered_and_failed_keep_twilios_error_code_and_say_what_it_means(
    twilio_settings: Settings,
    twilio_server: str,
    twilio_app_client: WebClient,
    client: WebClient,
) -> None:
    script_fates(
        twilio_server,
        {"fate": "undelivered", "error_code": 30003},
        {"fate": "failed", "error_code": 30007},
        {"fate": "sent"},
        {"fate": "delivered"},
    )
    for n in range(1, 5):
        await queue(twilio_settings, n)
    assert (await send_due(twilio_settings)).count("sent") == 4
    assert all(code == 204 for code in await post_callbacks(twilio_server, twilio_app_client))
    undelivered, failed, waiting, delivered = await rows()
    assert undelivered["status"] == "undelivered" and undelivered["error_code"] == "30003"
    assert undelivered["last_error"] == (
        "Twilio error 30003: the handset is unreachable (switched off or out of coverage)"
    )
    assert failed["status"] == "failed" and failed["error_code"] == "30007"
    assert "filtered it as spam" in str(failed["last_error"])
    assert waiting["status"] == "sent" and waiting["provider_status"] == "sent"
    assert delivered["status"] == "delivered"

    await client.login(await make_user(Role.ADMIN))
    page = (await client.get("/admin/outbox")).text
    assert "Not delivered" in page and "the handset is unreachable" in page
    assert "Sent, waiting for the delivery report" in page and "Delivered" in page
    assert "<strong>1</strong> delivered" in page
    assert "<strong>2</strong> failed or not delivered" in page
    assert "7911" not in page


async def test_a_messaging_service_sends_instead_of_a_from_number(
    twilio_settings: Settings, twilio_server: str
) -> None:
    with_service = dataclasses.replace(
        twilio_settings, twilio_from_number="", twilio_messaging_service_sid=MESSAGING_SERVICE_SID
    )
    assert isinstance(sms_sender(with_service), TwilioSmsSender)
    await queue(with_service)
    assert (await send_due(with_service)).count("sent") == 1
    (message,) = config_request(twilio_server, "GET", "/_config/messages")
    assert message["messaging_service_sid"] == MESSAGING_SERVICE_SID and message["from"] is None
    (row,) = await rows()
    assert row["provider_status"] == "accepted"


async def test_an_invalid_number_fails_for_good_without_the_number_in_the_reason(
    twilio_settings: Settings, twilio_server: str
) -> None:
    await queue(twilio_settings, 1, to="+15005550001")  # Twilio: 21211, not a valid number
    await queue(twilio_settings, 2, to="+15005550004")  # Twilio: 21610, replied STOP
    await queue(twilio_settings, 3)
    report = await send_due(twilio_settings)
    assert [o.result for o in report.outcomes] == ["failed", "failed", "sent"]
    invalid, unsubscribed, fine = await rows()
    assert invalid["status"] == "failed" and invalid["error_code"] == "21211"
    assert invalid["last_error"] == "Twilio error 21211: not a valid phone number"
    assert invalid["recipient_encrypted"] is None and invalid["attempts"] == 1
    assert unsubscribed["error_code"] == "21610" and "replied STOP" in str(
        unsubscribed["last_error"]
    )
    assert "5550001" not in str(invalid) and "5550004" not in str(unsubscribed)
    assert fine["status"] == "sent"


async def test_too_many_requests_and_twilio_outages_are_tried_again(
    twilio_settings: Settings, twilio_server: str
) -> None:
    fail_next(twilio_server, 429, 20429)
    for n in range(1, 4):
        await queue(twilio_settings, n)
    report = await send_due(twilio_settings)
    # Slowed down: the first waits its backoff, the rest of the batch waits a minute.
    assert [o.result for o in report.outcomes] == ["retry", "deferred", "deferred"]
    first, second, _ = await rows()
    assert first["error_code"] == "20429" and "slow down" in str(first["last_error"])
    assert str(second["last_error"]).startswith("not tried: Twilio error 20429")

    fail_next(twilio_server, 503, 20500, message="Service Unavailable")
    with frozen_at(now() + timedelta(minutes=2)):
        report = await send_due(twilio_settings)
    assert [o.result for o in report.outcomes] == ["retry", "deferred", "deferred"]
    assert "Twilio's side" in report.outcomes[0].reason

    with frozen_at(now() + timedelta(hours=1)):
        report = await send_due(twilio_settings)
    assert report.count("sent") == 3
    assert [r["status"] for r in await rows()] == ["sent", "sent", "sent"]
    assert len(config_request(twilio_server, "GET", "/_config/messages")) == 3


async def test_refused_credentials_hold_every_sms_and_name_the_settings(
    twilio_settings: Settings, twilio_server: str
) -> None:
    wrong = dataclasses.replace(twilio_settings, twilio_auth_token="not-the-token")
    await queue(wrong, 1)
    await queue(wrong, 2)
    report = await send_due(wrong)
    assert [o.result for o in report.outcomes] == ["retry", "deferred"]
    assert "TWILIO_AUTH_TOKEN" in report.outcomes[0].reason
    assert all(r["status"] == "pending" for r in await rows())


async def test_an_unreachable_twilio_is_a_temporary_failure(twilio_settings: Settings) -> None:
    unreachable = dataclasses.replace(twilio_settings, twilio_api_base="http://127.0.0.1:9")
    await queue(unreachable)
    report = await send_due(unreachable)
    assert report.outcomes[0].result == "retry"
    assert report.outcomes[0].reason.startswith("could not reach Twilio (ConnectionError)")


async def test_the_status_webhook_checks_the_signature_and_ignores_strangers(
    twilio_settings: Settings, twilio_server: str, twilio_app_client: WebClient
) -> None:
    await queue(twilio_settings)
    await send_due(twilio_settings)
    (row,) = await rows()
    params = {"MessageSid": str(row["provider_id"]), "MessageStatus": "delivered"}

    unsigned = await twilio_app_client.post("/webhooks/twilio/status", data=params)
    assert unsigned.status_code == 403
    forged = await twilio_app_client.post(
        "/webhooks/twilio/status", data=params, headers=sign(params, token="someone-else")
    )
    assert forged.status_code == 403
    tampered = await twilio_app_client.post(
        "/webhooks/twilio/status",
        data={**params, "MessageStatus": "failed"},
        headers=sign(params),
    )
    assert tampered.status_code == 403
    assert (await rows())[0]["status"] == "sent"

    stranger = {"MessageSid": "SM" + "0" * 32, "MessageStatus": "delivered"}
    unknown = await twilio_app_client.post(
        "/webhooks/twilio/status", data=stranger, headers=sign(stranger)
    )
    assert unknown.status_code == 200

    signed = await twilio_app_client.post(
        "/webhooks/twilio/status", data=params, headers=sign(params)
    )
    assert signed.status_code == 204 and (await rows())[0]["status"] == "delivered"


async def test_without_an_auth_token_reports_are_refused(client: WebClient) -> None:
    response = await client.post(
        "/webhooks/twilio/status", data={"MessageSid": "SM1", "MessageStatus": "delivered"}
    )
    assert response.status_code == 503 and "TWILIO_AUTH_TOKEN" in response.text


async def test_an_email_is_never_moved_by_an_sms_report(settings: Settings) -> None:
    from groundswell.outbox.services import enqueue_email

    await enqueue_email(to="a@example.org", subject="s", body="b", purpose="p", dedupe_key="e:1")
    await send_due(settings)
    (row,) = await rows()
    assert await record_delivery_report(str(row["provider_id"]), "failed", "30008") == "unknown"
    assert (await rows())[0]["status"] == "sent"


async def _resident_hearing_back(settings: Settings, number: str) -> None:
    from groundswell.core.phones import PhoneCipher, phone_hash
    from groundswell.vouching.tables import Resident

    await Resident.insert(
        Resident(
            voice_hash=phone_hash(number, settings.phone_key),
            hear_back=True,
            phone_encrypted=PhoneCipher(settings.phone_key).encrypt(number),
        )
    )


async def _stopped(settings: Settings, number: str) -> dict[str, object]:
    from groundswell.core.phones import phone_hash
    from groundswell.vouching.tables import Resident

    row = (
        await Resident.select()
        .where(Resident.voice_hash == phone_hash(number, settings.phone_key))
        .first()
    )
    assert row is not None
    return row


async def test_twilio_21610_on_send_records_the_resident_as_opted_out(
    twilio_settings: Settings, twilio_server: str
) -> None:
    unsubscribed = "+15005550004"  # Twilio: 21610, the recipient replied STOP
    await _resident_hearing_back(twilio_settings, unsubscribed)
    await queue(twilio_settings, 1, to=unsubscribed)
    await send_due(twilio_settings)
    resident = await _stopped(twilio_settings, unsubscribed)
    assert resident["messages_stopped"] is True
    assert resident["hear_back"] is False and resident["phone_encrypted"] is None
    # Nothing more is sent to them: the next message is suppressed before reaching Twilio.
    await queue(twilio_settings, 2, to=unsubscribed)
    report = await send_due(twilio_settings)
    assert [o.result for o in report.outcomes] == ["suppressed"]


async def test_twilio_21610_in_a_delivery_report_records_the_resident_as_opted_out(
    twilio_settings: Settings, twilio_server: str
) -> None:
    await _resident_hearing_back(twilio_settings, NUMBER)
    await queue(twilio_settings, 1)
    await send_due(twilio_settings)
    (row,) = await rows()
    assert await record_delivery_report(str(row["provider_id"]), "undelivered", "30003")
    assert (await _stopped(twilio_settings, NUMBER))["messages_stopped"] is False
    await queue(twilio_settings, 2)
    await send_due(twilio_settings)
    second = (await rows())[1]
    assert await record_delivery_report(str(second["provider_id"]), "failed", "21610") == "failed"
    assert (await _stopped(twilio_settings, NUMBER))["messages_stopped"] is True
