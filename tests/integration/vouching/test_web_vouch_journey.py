"""The web vouch form as a GOV.UK form: errors that say what to do with the number kept,
a code page with the masked number, resend and change number, and a confirmation panel."""

from __future__ import annotations

from groundswell.outbox.tables import OutboxMessage
from groundswell.vouching.tables import Endorsement, WebVerification
from groundswell.vouching.web_vouch import WEB_CODES_PER_PHONE_PER_HOUR
from tests.helpers import WebClient, field_error
from tests.integration.vouching.test_web_vouching import FORM, code_sent, confirm, start


async def test_an_error_keeps_the_number_and_focuses_a_summary_that_says_what_to_do(
    client: WebClient, amina: str
) -> None:
    response = await client.submit("/vouch/AMINA-7K", {**FORM, "testimony": ""})
    assert response.status_code == 422
    assert 'class="error-summary"' in response.text and "data-focus-on-load" in response.text
    assert response.text.index("error-summary") < response.text.index("<form")
    assert "Tell us in your own words what they did" in (
        field_error(response.text, "testimony") or ""
    )
    assert 'value="07911 123456"' in response.text
    missing_phone = await client.submit("/vouch/AMINA-7K", {**FORM, "phone": ""})
    assert "Enter your mobile number, for example" in (
        field_error(missing_phone.text, "phone") or ""
    )


async def test_a_number_that_may_not_vouch_is_a_field_error_not_a_code(
    client: WebClient, amina: str
) -> None:
    for number, because in (
        ("020 7946 0000", "not a mobile number"),
        ("070 1234 5678", "not a mobile number"),
        ("+234 803 123 4567", "not a mobile number from the UK"),
    ):
        response = await client.submit("/vouch/AMINA-7K", {**FORM, "phone": number})
        assert response.status_code == 422
        message = field_error(response.text, "phone") or ""
        assert "can't be used to vouch because" in message and because in message
    assert await OutboxMessage.count() == 0 and await WebVerification.count() == 0


async def test_not_received_resends_a_new_code_to_the_same_number_rate_limited(
    client: WebClient, amina: str
) -> None:
    token = await start(client)
    first = await code_sent()
    page = await client.get(f"/vouch/AMINA-7K/confirm?t={token}")
    assert "Not received a text message?" in page.text and "change your number" in page.text
    resent = await client.submit("/vouch/AMINA-7K/resend", {"t": token})
    assert resent.status_code == 200 and "We have sent a new code to ••••56" in resent.text
    second = await code_sent()
    assert await OutboxMessage.count() == 2
    if second != first:
        assert (await confirm(client, token, first)).status_code == 422
    assert (await confirm(client, token, second)).status_code == 200
    assert await Endorsement.count() == 1
    # Once confirmed, the number is gone from the pending vouch.
    assert (await WebVerification.select().first())["phone_encrypted"] is None  # type: ignore[index]


async def test_resend_shares_the_per_phone_limit(client: WebClient, amina: str) -> None:
    token = await start(client)
    statuses = [
        (await client.submit("/vouch/AMINA-7K/resend", {"t": token})).status_code
        for _ in range(WEB_CODES_PER_PHONE_PER_HOUR)
    ]
    assert statuses[-1] == 429 and all(s == 200 for s in statuses[:-1])
    assert await OutboxMessage.count() == WEB_CODES_PER_PHONE_PER_HOUR


async def test_the_thank_you_page_is_a_panel_saying_what_next_and_how_to_share(
    client: WebClient, amina: str
) -> None:
    token = await start(client)
    done = await confirm(client, token, await code_sent())
    text = done.text
    assert 'class="panel"' in text and "Your vouch is in" in text
    assert "What happens next" in text and "Funding rounds" in text
    assert "WITHDRAW AMINA-7K" in text and "/my-voice" in text
    assert "Tell a neighbour" in text and "/vouch/AMINA-7K" in text
