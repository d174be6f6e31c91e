"""/my-voice: a code to the phone, then what is held, sharing changes and erasure."""

from __future__ import annotations

from datetime import timedelta

from groundswell.core.clock import frozen_at, now
from groundswell.settings import Settings
from groundswell.vouching.residents import export
from groundswell.vouching.tables import Endorsement, Resident
from tests.helpers import WebClient, field_error
from tests.integration.vouching.test_sms_vouching import NEIGHBOUR, RESIDENT, sms
from tests.integration.vouching.test_web_vouching import code_sent


async def sign_in(client: WebClient, phone: str = "07911 123456") -> None:
    sent = await client.submit("/my-voice", {"phone": phone})
    assert sent.status_code in (302, 303), sent.text[-500:]
    token = sent.headers["location"].split("t=", 1)[1]
    page = await client.get(f"/my-voice/code?t={token}")
    assert "••••56" in page.text
    done = await client.submit("/my-voice/code", {"t": token, "code": await code_sent()})
    assert done.status_code in (302, 303) and done.headers["location"] == "/my-voice"


async def test_my_voice_shows_what_is_held_only_after_a_code(
    client: WebClient, settings: Settings, amina: str
) -> None:
    await sms(settings, "AMINA-7K she got the lights fixed")
    await sms(settings, "AMINA-7K not mine", sender=NEIGHBOUR)
    before = await client.get("/my-voice")
    assert "Enter the mobile number you vouched from" in before.text
    assert "Amina Hussein" not in before.text
    await sign_in(client)
    page = await client.get("/my-voice")
    assert "Amina Hussein" in page.text and "counted, not shown" in page.text
    assert "no-store" in page.headers.get("cache-control", "")


async def test_a_wrong_code_says_what_to_do_and_locks_after_five(
    client: WebClient, amina: str
) -> None:
    sent = await client.submit("/my-voice", {"phone": "07911 123456"})
    token = sent.headers["location"].split("t=", 1)[1]
    right = await code_sent()
    wrong = "000000" if right != "000000" else "111111"
    for _ in range(5):
        response = await client.submit("/my-voice/code", {"t": token, "code": wrong})
        assert response.status_code == 422
    refused = await client.submit("/my-voice/code", {"t": token, "code": right})
    assert refused.status_code == 422 and "Locked" in (field_error(refused.text, "code") or "")
    assert "Amina" not in (await client.get("/my-voice")).text


async def test_an_expired_code_or_a_forged_token_signs_nobody_in(
    client: WebClient, amina: str
) -> None:
    sent = await client.submit("/my-voice", {"phone": "07911 123456"})
    token = sent.headers["location"].split("t=", 1)[1]
    code = await code_sent()
    with frozen_at(now() + timedelta(minutes=11)):
        late = await client.submit("/my-voice/code", {"t": token, "code": code})
    assert late.status_code == 422 and "expired" in (field_error(late.text, "code") or "")
    body, _, mac = token.partition(".")
    forged = await client.submit("/my-voice/code", {"t": f"{body}.{'0' * len(mac)}", "code": code})
    assert forged.status_code == 422


async def test_change_sharing_of_one_vouch(
    client: WebClient, settings: Settings, amina: str
) -> None:
    await sms(settings, "AMINA-7K she got the lights fixed")
    await sign_in(client)
    [row] = await Endorsement.select()
    shared = await client.submit(f"/my-voice/sharing/{row['id']}", {"shared": "1"})
    assert shared.status_code in (302, 303)
    assert (await Endorsement.select().first())["show_funders"] is True  # type: ignore[index]
    page = await client.get(shared.headers["location"])
    assert "Funders can now read those words" in page.text and "funders may read" in page.text
    await client.submit(f"/my-voice/sharing/{row['id']}", {"shared": "0"})
    assert (await Endorsement.select().first())["show_funders"] is False  # type: ignore[index]


async def test_someone_elses_vouch_cannot_be_changed(
    client: WebClient, settings: Settings, amina: str
) -> None:
    await sms(settings, "AMINA-7K not mine", sender=NEIGHBOUR)
    await sign_in(client)
    [row] = await Endorsement.select()
    response = await client.submit(f"/my-voice/sharing/{row['id']}", {"shared": "1"})
    assert response.status_code == 404
    assert (await Endorsement.select().first())["show_funders"] is False  # type: ignore[index]


async def test_erase_checks_first_then_erases_as_resident_erase_does(
    client: WebClient, settings: Settings, amina: str
) -> None:
    await sms(settings, "AMINA-7K she got the lights fixed")
    await sms(settings, "AMINA-7K not mine", sender=NEIGHBOUR)
    await sign_in(client)
    check = await client.get("/my-voice/erase")
    assert "Check before you erase everything" in check.text and "Amina Hussein" in check.text
    assert await Endorsement.count() == 2
    done = await client.submit("/my-voice/erase", {})
    assert done.status_code == 200 and "Everything is erased" in done.text
    after = await export(settings, RESIDENT)
    assert after["resident"] is None and after["endorsements"] == []
    assert after["messages_received"] == 0
    assert await Resident.count() == 1 and await Endorsement.count() == 1
    # Signed out: the page asks for a number again.
    assert "Enter the mobile number" in (await client.get("/my-voice")).text


async def test_signed_out_requests_change_nothing(
    client: WebClient, settings: Settings, amina: str
) -> None:
    await sms(settings, "AMINA-7K she got the lights fixed")
    [row] = await Endorsement.select()
    await client.submit(f"/my-voice/sharing/{row['id']}", {"shared": "1"})
    await client.submit("/my-voice/erase", {})
    assert await Endorsement.count() == 1
    assert (await Endorsement.select().first())["show_funders"] is False  # type: ignore[index]


async def test_a_bad_number_is_a_field_error(client: WebClient) -> None:
    response = await client.submit("/my-voice", {"phone": "hello"})
    assert response.status_code == 422
    assert "does not look like a phone number" in (field_error(response.text, "phone") or "")
    assert 'class="error-summary"' in response.text
