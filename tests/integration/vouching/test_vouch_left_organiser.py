"""Vouching for an organiser who has left the role (issue #16) is refused kindly, on the web
and by SMS, with a reply that says so; nothing is recorded."""

from __future__ import annotations

from groundswell.community.tables import Organiser
from groundswell.settings import Settings
from groundswell.vouching.messages import render
from groundswell.vouching.sms import handle_sms
from groundswell.vouching.tables import Endorsement, PendingPrompt
from tests.helpers import WebClient
from tests.integration.vouching.test_web_vouching import FORM, code_sent, confirm, start

NUMBER = "+447911123456"


async def _leave(code: str) -> None:
    await Organiser.update({Organiser.status: "left"}).where(Organiser.code == code)


async def _sms(settings: Settings, body: str, sid: str) -> str:
    reply = await handle_sms(settings, message_sid=sid, from_number=NUMBER, body=body, num_media=0)
    return reply.text


async def test_web_vouch_for_a_left_organiser_is_a_kind_page(client: WebClient, amina: str) -> None:
    await _leave(amina)
    page = await client.get("/vouch/amina-7k")
    assert page.status_code == 410
    assert "Amina Hussein has left the organiser role" in page.text
    assert "Find another organiser" in page.text
    posted = await client.submit("/vouch/AMINA-7K", FORM)
    assert posted.status_code == 410 and "has left the organiser role" in posted.text
    assert await Endorsement.count() == 0


async def test_leaving_between_the_form_and_the_code_takes_no_vouch(
    client: WebClient, amina: str
) -> None:
    token = await start(client)
    code = await code_sent()
    await _leave(amina)
    response = await confirm(client, token, code)
    assert response.status_code == 410 and "has left the organiser role" in response.text
    assert await Endorsement.count() == 0


async def test_sms_vouch_for_a_left_organiser_gets_a_clear_reply(
    settings: Settings, amina: str
) -> None:
    await _leave(amina)
    reply = await _sms(
        settings, "AMINA-7K she fixed the lights", "SMleft000000000000000000000000001"
    )
    assert reply == render("organiser_left", organiser="Amina Hussein")
    assert "has left the organiser role" in reply
    assert await _sms(settings, "AMINA-7K", "SMleft000000000000000000000000002") == reply
    assert await Endorsement.count() == 0 and await PendingPrompt.count() == 0


async def test_words_after_a_code_for_someone_who_left_since_are_not_taken(
    settings: Settings, amina: str
) -> None:
    prompt = await _sms(settings, "AMINA-7K", "SMleft000000000000000000000000003")
    assert "Amina Hussein" in prompt
    await _leave(amina)
    reply = await _sms(settings, "she fixed the lights", "SMleft000000000000000000000000004")
    assert "has left the organiser role" in reply
    assert await Endorsement.count() == 0


async def test_a_paused_organiser_still_takes_voices(settings: Settings, amina: str) -> None:
    await Organiser.update({Organiser.status: "paused"}).where(Organiser.code == amina)
    reply = await _sms(
        settings, "AMINA-7K she fixed the lights", "SMleft000000000000000000000000005"
    )
    assert "WITHDRAW AMINA-7K" in reply
    assert await Endorsement.count() == 1


async def test_a_vouch_for_someone_who_left_can_still_be_withdrawn(
    settings: Settings, amina: str
) -> None:
    await _sms(settings, "AMINA-7K she fixed the lights", "SMleft000000000000000000000000006")
    await _leave(amina)
    reply = await _sms(settings, "WITHDRAW AMINA-7K", "SMleft000000000000000000000000007")
    assert reply == render("withdrawn_one", organiser="Amina Hussein")
    [row] = await Endorsement.select(Endorsement.state)
    assert row["state"] == "withdrawn"
