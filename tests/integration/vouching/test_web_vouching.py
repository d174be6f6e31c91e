from __future__ import annotations

import re
from datetime import timedelta

import pytest

from groundswell.community.tables import Organiser
from groundswell.core.clock import frozen_at, now
from groundswell.core.errors import TooManyRequests
from groundswell.core.phones import phone_hash
from groundswell.outbox.tables import OutboxMessage
from groundswell.settings import Settings
from groundswell.vouching.sms import handle_sms
from groundswell.vouching.tables import Endorsement, Resident, WebVerification
from groundswell.vouching.web_vouch import WEB_STARTS_PER_IP_PER_HOUR, start_web_vouch
from tests.helpers import WebClient, field_error

NUMBER = "+447911123456"
FORM = {
    "testimony": "She got the lights fixed on the underpass after three years of us asking.",
    "theme": "value",
    "display_name": "Maureen",
    "neighbourhood": "Pallister Park",
    "show_funders": "1",
    "phone": "07911 123456",
}


async def start(client: WebClient, form: dict[str, str] | None = None) -> str:
    response = await client.submit("/vouch/amina-7k", form or FORM)
    assert response.status_code in (302, 303), response.text[-800:]
    location = response.headers["location"]
    assert location.startswith("/vouch/AMINA-7K/confirm?t=")
    return location.split("t=", 1)[1]


async def code_sent() -> str:
    message = await OutboxMessage.select().order_by(OutboxMessage.id, ascending=False).first()
    assert message is not None and message["purpose"] == "verification_code"
    match = re.search(r"\b(\d{6})\b", message["body"])
    assert match
    return match.group(1)


async def confirm(client: WebClient, token: str, code: str):  # type: ignore[no-untyped-def]
    return await client.submit("/vouch/AMINA-7K/confirm", {"t": token, "code": code})


async def test_web_vouch_end_to_end(client: WebClient, settings: Settings, amina: str) -> None:
    page = await client.get("/vouch/amina-7k")
    assert page.status_code == 200
    assert (
        "Amina Hussein" in page.text
        and "Pallister" in page.text
        and "Tell us about a time Amina Hussein helped" in page.text
    )
    token = await start(client)
    assert await Endorsement.count() == 0
    confirm_page = await client.get(f"/vouch/AMINA-7K/confirm?t={token}")
    assert "Check your phone" in confirm_page.text and "••••56" in confirm_page.text
    done = await confirm(client, token, await code_sent())
    assert done.status_code == 200 and "Thank you for speaking up for Amina Hussein" in done.text
    [row] = await Endorsement.select()
    assert (
        row["verification"] == "sms_code"
        and row["channel"] == "web"
        and row["show_funders"] is True
        and row["show_public"] is False  # asked separately, not ticked
    )
    assert row["display_name"] == "Maureen" and row["testimony"] == FORM["testimony"]
    # Confirming again changes nothing.
    again = await confirm(client, token, await code_sent())
    assert again.status_code == 200 and await Endorsement.count() == 1


async def test_web_and_sms_are_the_same_voice(
    client: WebClient, settings: Settings, amina: str
) -> None:
    await handle_sms(settings, message_sid="SM1", from_number=NUMBER, body="AMINA-7K she listens")
    token = await start(client)
    done = await confirm(client, token, await code_sent())
    assert "replace your earlier ones" in done.text
    [row] = await Endorsement.select()
    assert row["testimony"] == FORM["testimony"] and await Resident.count() == 1


async def test_wrong_codes_count_down_then_lock(client: WebClient, amina: str) -> None:
    token = await start(client)
    right = await code_sent()
    wrong = "000000" if right != "000000" else "111111"
    for left in (4, 3, 2, 1):
        response = await confirm(client, token, wrong)
        assert response.status_code == 422
        assert f"{left} {'try' if left == 1 else 'tries'} left" in (
            field_error(response.text, "code") or ""
        )
        # Said once in the summary (naming the field) and once at the field, not three times.
        assert response.text.count("That code is not right") == 2
        assert f'<a href="#f-code">6-digit code: That code is not right. {left}' in response.text
    locked = await confirm(client, token, wrong)
    assert "now locked" in (field_error(locked.text, "code") or "")
    refused = await confirm(client, token, right)
    assert refused.status_code == 422 and "Locked" in (field_error(refused.text, "code") or "")
    assert await Endorsement.count() == 0


async def test_codes_expire_after_ten_minutes(client: WebClient, amina: str) -> None:
    token = await start(client)
    code = await code_sent()
    with frozen_at(now() + timedelta(minutes=10, seconds=1)):
        response = await confirm(client, token, code)
    assert response.status_code == 422 and "expired" in (field_error(response.text, "code") or "")
    assert await Endorsement.count() == 0


async def test_invalid_form_keeps_words_and_the_number_only_in_its_own_uncached_field(
    client: WebClient, amina: str
) -> None:
    response = await client.submit(
        "/vouch/AMINA-7K", {**FORM, "testimony": "too short", "phone": "07700 900123"}
    )
    assert response.status_code == 422
    assert "at least 10 characters" in (field_error(response.text, "testimony") or "")
    assert "not one in use" in (field_error(response.text, "phone") or "")
    assert "too short" in response.text and "Maureen" in response.text
    # GOV.UK keeps what was typed so it can be corrected; the number goes back only into
    # its own field (never into a message), on a page no cache keeps.
    assert response.text.count("07700 900123") == 1
    assert 'value="07700 900123"' in response.text
    assert "no-store" in response.headers.get("cache-control", "")
    assert await WebVerification.count() == 0 and await OutboxMessage.count() == 0


async def test_unknown_code_is_a_404_page(client: WebClient) -> None:
    response = await client.get("/vouch/NOBODY-2X")
    assert response.status_code == 404 and "Check the code" in response.text


async def test_organiser_cannot_vouch_for_themselves_on_the_web(
    client: WebClient, settings: Settings, amina: str
) -> None:
    await Organiser.update({Organiser.phone_hash: phone_hash(NUMBER, settings.phone_key)}).where(
        Organiser.code == amina
    )
    response = await client.submit("/vouch/AMINA-7K", FORM)
    assert response.status_code == 422 and "organiser's own number" in (
        field_error(response.text, "phone") or ""
    )


async def test_guessing_the_organisers_own_number_is_rate_limited_like_any_vouch(
    client: WebClient, settings: Settings, amina: str
) -> None:
    # "This is the organiser's own number" tells whoever typed it whose phone it is: each
    # guess spends the connection's starts, so it is no free oracle for an organiser's number.
    await Organiser.update({Organiser.phone_hash: phone_hash(NUMBER, settings.phone_key)}).where(
        Organiser.code == amina
    )
    guesses = [f"+4479{n:08d}" for n in range(11234567, 11234567 + WEB_STARTS_PER_IP_PER_HOUR)]
    for guess in guesses:
        await client.submit("/vouch/AMINA-7K", {**FORM, "phone": guess})
    response = await client.submit("/vouch/AMINA-7K", FORM)
    assert response.status_code == 429
    assert "organiser's own number" not in response.text


async def test_rate_limited_per_ip(client: WebClient, amina: str) -> None:
    numbers = [f"+4479{n:08d}" for n in range(11234567, 11234567 + WEB_STARTS_PER_IP_PER_HOUR + 1)]
    statuses = [
        (await client.submit("/vouch/AMINA-7K", {**FORM, "phone": n})).status_code for n in numbers
    ]
    assert statuses[-1] == 429 and all(s in (302, 303) for s in statuses[:-1])


async def test_hear_back_opt_in_moves_the_encrypted_number_to_the_resident(
    client: WebClient, amina: str
) -> None:
    token = await start(client, {**FORM, "hear_back": "1"})
    pending = await WebVerification.select().first()
    assert pending is not None and pending["phone_encrypted"]
    await confirm(client, token, await code_sent())
    resident = await Resident.select().first()
    assert resident is not None and resident["hear_back"] and resident["phone_encrypted"]
    assert (await WebVerification.select().first())["phone_encrypted"] is None  # type: ignore[index]


async def test_a_number_typed_into_the_words_is_never_stored(client: WebClient, amina: str) -> None:
    typed = {
        **FORM,
        "testimony": "Ring her on 07700 900123 or +44 7700 900456: she sorted the bins.",
        "neighbourhood": "Flat by 07700900789",
    }
    token = await start(client, typed)
    [pending] = await WebVerification.select(
        WebVerification.testimony, WebVerification.neighbourhood
    )
    assert await confirm(client, token, await code_sent())
    [stored] = await Endorsement.select(Endorsement.testimony, Endorsement.neighbourhood)
    for row in (pending, stored):
        assert row["testimony"] == (
            "Ring her on [number removed] or [number removed]: she sorted the bins."
        )
        assert row["neighbourhood"] == "Flat by [number removed]"


async def test_the_form_says_truthfully_when_a_number_is_kept(
    client: WebClient, amina: str
) -> None:
    page = " ".join((await client.get("/vouch/AMINA-7K")).text.split())
    assert "never show or keep" not in page
    assert "we erase it once the code is sent, unless you ask below to hear back" in page
    assert "we keep your number, encrypted and only to text you, until you reply STOP" in page
    # The 0-10 scale in two even rows, 0-5 and 6-10.
    rows = re.findall(r'<div class="scale">(.*?)</div>', page)
    assert [re.findall(r'value="(\d+)"', row) for row in rows] == [
        ["0", "1", "2", "3", "4", "5"],
        ["6", "7", "8", "9", "10"],
    ]


async def test_a_resident_whose_code_text_failed_is_told_on_the_code_page(
    client: WebClient, amina: str
) -> None:
    token = await start(client)
    page = await client.get(f"/vouch/AMINA-7K/confirm?t={token}")
    assert "could not be delivered" not in page.text  # still on its way
    # Twilio reports the text undelivered (e.g. the number cannot receive SMS).
    await OutboxMessage.update(
        {OutboxMessage.status: "undelivered", OutboxMessage.provider_status: "undelivered"}
    ).where(OutboxMessage.purpose == "verification_code")
    page = await client.get(f"/vouch/AMINA-7K/confirm?t={token}")
    assert "Your code could not be delivered" in page.text
    assert 'href="/vouch/AMINA-7K"' in page.text


async def test_an_ipv6_connection_is_one_limit_however_many_addresses_it_uses(
    settings: Settings, amina: str
) -> None:
    # An IPv6 client is handed a whole /64: moving through its addresses must not buy
    # another hour's worth of vouches (the same bucket login and the source signal use).
    numbers = iter(f"+4479{n:08d}" for n in range(21234567, 21234567 + 100))
    for host in range(1, WEB_STARTS_PER_IP_PER_HOUR + 1):
        await start_web_vouch(
            settings, amina, {**FORM, "phone": next(numbers)}, client_ip=f"2001:db8:5:7::{host:x}"
        )
    with pytest.raises(TooManyRequests):
        await start_web_vouch(
            settings, amina, {**FORM, "phone": next(numbers)}, client_ip="2001:db8:5:7:ffff::1"
        )
    # A neighbour on another /64 has its own limit.
    await start_web_vouch(
        settings, amina, {**FORM, "phone": next(numbers)}, client_ip="2001:db8:5:8::1"
    )
