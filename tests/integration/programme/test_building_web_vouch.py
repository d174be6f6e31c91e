"""Residents vouch for a building on the web (issue #18): /vouch/{building code}, the same
6-digit code to the phone, one voice per phone per building, consent as asked, the number
erased; recorded as a building's voice (as by SMS), never an endorsement."""

from __future__ import annotations

import itertools
import re
from html import unescape

from groundswell.core.principal import Role
from groundswell.outbox.tables import OutboxMessage
from groundswell.programme.building_voices import building_voices
from groundswell.settings import Settings
from groundswell.vouching.sms import handle_sms
from groundswell.vouching.tables import Endorsement, SubjectVoice, WebVerification
from tests.helpers import WebClient, field_error, make_user

FORM = {
    "testimony": "The library is where my kids learnt to read, and where I learnt English.",
    "neighbourhood": "Pallister Park",
    "show_public": "1",
    "show_funders": "1",
    "phone": "07911 123456",
}
_sids = itertools.count()


async def vouch(client: WebClient, code: str, form: dict[str, str]) -> str:
    """Start a web vouch and confirm it with the code texted; returns the thank-you page."""
    started = await client.submit(f"/vouch/{code.lower()}", form)
    assert started.status_code in (302, 303), started.text[-800:]
    location = started.headers["location"]
    assert location.startswith(f"/vouch/{code}/confirm?t=")
    message = await OutboxMessage.select().order_by(OutboxMessage.id, ascending=False).first()
    assert message["purpose"] == "verification_code"
    sent = re.search(r"\b(\d{6})\b", message["body"])
    assert sent
    page = await client.get(location)
    assert "The Old Library" in page.text and "••••56" in page.text
    token = location.split("t=", 1)[1]
    thanks = await client.submit(f"/vouch/{code}/confirm", {"t": token, "code": sent.group(1)})
    assert thanks.status_code == 200, thanks.text[-800:]
    return unescape(thanks.text)


async def test_a_resident_vouches_for_a_building_on_the_web(
    client: WebClient, library: tuple[int, str]
) -> None:
    bid_id, code = library
    form = await client.get(f"/vouch/{code}")
    assert form.status_code == 200
    assert "Vouch for The Old Library" in form.text and "funding round" not in form.text
    assert await SubjectVoice.count() == 0

    thanks = await vouch(client, code, FORM)
    assert (
        "Your vouch is in" in thanks and "Thank you for speaking up for The Old Library" in thanks
    )
    assert "never count toward any organiser" in thanks and f"WITHDRAW {code}" in thanks

    [voice] = await SubjectVoice.select()
    assert (voice["channel"], voice["verification"]) == ("web", "sms_code")
    assert voice["show_public"] and voice["show_funders"]
    assert voice["neighbourhood"] == "Pallister Park"
    assert await Endorsement.count() == 0  # never an organiser's endorsement
    [pending] = await WebVerification.select()
    assert pending["organiser"] is None and pending["phone_encrypted"] is None
    assert pending["confirmed_at"] is not None and pending["endorsement"] is None

    voices = await building_voices(bid_id)
    assert voices.count == 1 and voices.public_words[0].words.startswith("The library is where")

    await client.login(await make_user(Role.ADMIN))
    page = unescape((await client.get(f"/programme/asset-bids/{bid_id}")).text)
    assert "1 different resident spoke up" in page
    assert "where my kids learnt to read" in page and f"/vouch/{code}" in page


async def test_one_voice_per_phone_web_and_sms_alike(
    client: WebClient, settings: Settings, library: tuple[int, str]
) -> None:
    bid_id, code = library
    await handle_sms(
        settings,
        message_sid=f"SW{next(_sids):032d}",
        from_number="+447911123456",
        body=f"{code} we need it open",
    )
    thanks = await vouch(client, code, {**FORM, "show_public": "", "show_funders": ""})
    assert "Your new words about The Old Library replace your earlier ones" in thanks
    [voice] = await SubjectVoice.select()
    assert voice["testimony"].startswith("The library is where")
    assert not voice["show_public"] and not voice["show_funders"]
    voices = await building_voices(bid_id)
    assert voices.count == 1 and voices.public_words == () and voices.places == ()


async def test_the_form_refuses_what_it_must(client: WebClient, library: tuple[int, str]) -> None:
    _, code = library
    short = await client.submit(f"/vouch/{code}", {**FORM, "testimony": "good"})
    assert short.status_code == 422
    assert "at least 10 characters" in str(field_error(short.text, "testimony"))
    landline = await client.submit(f"/vouch/{code}", {**FORM, "phone": "01642 123456"})
    assert landline.status_code == 422
    assert "not a mobile number" in str(field_error(landline.text, "phone"))
    missing = await client.submit(f"/vouch/{code}", {"testimony": "", "phone": ""})
    assert "what this building means to you" in str(field_error(missing.text, "testimony"))
    assert await WebVerification.count() == 0 and await SubjectVoice.count() == 0
    unknown = await client.get("/vouch/NOWHERE-K7")
    assert unknown.status_code == 404


async def test_a_wrong_code_does_not_record_the_building_voice(
    client: WebClient, library: tuple[int, str]
) -> None:
    _, code = library
    started = await client.submit(f"/vouch/{code}", FORM)
    token = started.headers["location"].split("t=", 1)[1]
    wrong = await client.submit(f"/vouch/{code}/confirm", {"t": token, "code": "000000"})
    assert wrong.status_code == 422 and "4 tries left" in wrong.text
    assert await SubjectVoice.count() == 0


async def test_the_building_form_in_welsh(client: WebClient, library: tuple[int, str]) -> None:
    _, code = library
    page = await client.get(f"/vouch/{code}?lang=cy")
    assert '<html lang="cy">' in page.text
    assert "Cefnogi The Old Library" in page.text and "Anfonwch god ataf" in page.text
