"""Residents serve themselves by SMS (MYDATA, DELETE then YES), and only numbers that may
vouch can vouch, each refusal saying the number is the problem."""

from __future__ import annotations

import dataclasses
from datetime import timedelta

import pytest

from groundswell.core.clock import frozen_at, now
from groundswell.outbox.tables import OutboxMessage
from groundswell.settings import Settings
from groundswell.vouching.messages import sms_segments
from groundswell.vouching.residents import export
from groundswell.vouching.tables import Endorsement, InboundMessage, Resident
from tests.helpers import make_host, make_locality, make_organiser
from tests.integration.vouching.test_sms_vouching import NEIGHBOUR, RESIDENT, sms

LANDLINE = "+442079460000"  # London
PERSONAL_070 = "+447012345678"  # UK personal number: forwards anywhere
NIGERIAN_MOBILE = "+2348031234567"
US_NUMBER = "+12025550123"  # the plan cannot tell mobile from landline here


@pytest.mark.parametrize(
    ("sender", "because"),
    [
        (LANDLINE, "it is not a mobile number"),
        (PERSONAL_070, "it is not a mobile number"),
        (NIGERIAN_MOBILE, "it is not a mobile number from the UK"),
        (US_NUMBER, "it is not a mobile number from the UK"),
    ],
)
@pytest.mark.parametrize("body", ["AMINA-7K she fixed the lights", "AMINA-7K"])
async def test_a_number_that_may_not_vouch_is_told_the_number_is_the_problem(
    settings: Settings, amina: str, sender: str, because: str, body: str
) -> None:
    reply = await sms(settings, body, sender=sender)
    assert "this number can't be used to vouch because" in reply and because in reply
    assert "did not understand" not in reply
    assert await Endorsement.count() == 0 and await Resident.count() == 0


async def test_vouch_regions_is_a_setting(settings: Settings, amina: str) -> None:
    nigeria_too = dataclasses.replace(settings, vouch_regions="GB,NG")
    assert "Thank you" in await sms(nigeria_too, "AMINA-7K she listens", sender=NIGERIAN_MOBILE)
    assert "can't be used to vouch" in await sms(nigeria_too, "AMINA-7K", sender=LANDLINE)
    assert await Endorsement.count() == 1


async def test_any_number_may_still_stop_texts_and_see_its_data(settings: Settings) -> None:
    assert "We will not text you again" in await sms(settings, "STOP", sender=LANDLINE)
    assert "texts stopped" in await sms(settings, "MYDATA", sender=LANDLINE)


async def test_mydata_says_what_is_held_within_two_segments(settings: Settings, amina: str) -> None:
    assert "We hold no words" in await sms(settings, "MYDATA")
    dele = await make_organiser(
        await make_host("Other"), await make_locality("Hulme"), name="Dele Okafor", code="DELE-3M"
    )
    with frozen_at(now().replace(year=2026, month=11, day=3)):
        await sms(settings, "AMINA-7K she listens")
        await sms(settings, "SHARE")
    await sms(settings, f"{dele} he runs the food club")
    await sms(settings, "YES")
    reply = await sms(settings, "my data")
    assert "AMINA-7K 3/11/26 funders may read" in reply
    assert "DELE-3M" in reply and "counted, not shown" in reply
    assert "hear back: yes" in reply and "DELETE" in reply
    assert sms_segments(reply) <= 2
    await sms(settings, "WITHDRAW DELE-3M")
    assert "DELE-3M" in (reply := await sms(settings, "MYDATA")) and "withdrawn" in reply


async def test_mydata_with_many_organisers_stays_within_two_segments(
    settings: Settings, amina: str
) -> None:
    host, place = await make_host("Many"), await make_locality("Moss Side")
    for n in range(12):
        code = await make_organiser(host, place, name=f"Organiser {n}", code=f"ORGANISE-{n}A")
        await sms(settings, f"{code} helped us with the park")
    for lang in ("ENGLISH", "CYMRAEG"):
        await sms(settings, lang)
        reply = await sms(settings, "FYNATA")
        assert sms_segments(reply) <= 2, reply
        assert "/my-voice" in reply


async def test_delete_asks_for_yes_then_erases_exactly_as_resident_erase_does(
    settings: Settings, amina: str
) -> None:
    await sms(settings, "AMINA-7K she listens")
    await sms(settings, "YES")
    await sms(settings, "AMINA-7K she listens", sender=NEIGHBOUR)
    reply = await sms(settings, "DELETE")
    assert "Reply YES within 10 minutes" in reply and "(1)" in reply
    assert await Endorsement.count() == 2, "nothing is erased before YES"
    assert "erased everything" in await sms(settings, "Yes")
    after = await export(settings, RESIDENT)
    assert after["resident"] is None and after["endorsements"] == []
    assert after["messages_received"] == 0 and after["queued_messages"] == 0
    # The neighbour's voice is untouched.
    assert await Endorsement.count() == 1 and await Resident.count() == 1
    assert await InboundMessage.count() > 0


async def test_a_late_yes_does_not_erase(settings: Settings, amina: str) -> None:
    await sms(settings, "AMINA-7K she listens")
    await sms(settings, "DILEU")
    with frozen_at(now() + timedelta(minutes=11)):
        reply = await sms(settings, "YES")
    assert "erased" not in reply and "We will text you after the next funding round" in reply
    assert await Endorsement.count() == 1
    # And a YES much later never reaches back to that DELETE.
    assert "erased" not in await sms(settings, "YES")


async def test_delete_from_a_number_never_seen_asks_then_erases_the_question_too(
    settings: Settings,
) -> None:
    assert "(0)" in await sms(settings, "DELETE")
    assert "erased everything" in await sms(settings, "YES")
    assert await Resident.count() == 0 and await InboundMessage.count() == 0
    assert await OutboxMessage.count() == 0
