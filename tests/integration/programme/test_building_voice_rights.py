"""A resident's building voices are theirs to see and erase like their vouches (issue #18):
MYDATA / FYNATA and /my-voice list them (which building by code, when, whether the words
are public) within two SMS segments; DELETE then YES, /my-voice's erase and
`groundswell resident erase` remove them, and `resident export` includes them."""

from __future__ import annotations

import json
import re

from groundswell.settings import Settings
from groundswell.vouching.messages import sms_segments
from groundswell.vouching.tables import Resident, SubjectVoice
from tests.helpers import WebClient, make_asset_bid, make_host, make_locality, make_organiser
from tests.integration.programme.test_building_voices import NEIGHBOUR, RESIDENT, sms
from tests.integration.vouching.test_moderation_rights_and_api import run_cli
from tests.integration.vouching.test_my_voice import sign_in


async def _amina_and_the_library(settings: Settings, code: str) -> None:
    await make_organiser(await make_host(), await make_locality("Pallister"), code="AMINA-7K")
    await sms(settings, "AMINA-7K she got the lights fixed")
    await sms(settings, f"{code} the library is where my kids learnt to read")


async def test_mydata_lists_building_voices_in_english_and_welsh(
    settings: Settings, library: tuple[int, str]
) -> None:
    _, code = library
    await _amina_and_the_library(settings, code)
    reply = await sms(settings, "MYDATA")
    assert re.search(rf"{code} \d+/\d+/\d\d counted, not shown", reply), reply
    assert "AMINA-7K" in reply and sms_segments(reply) <= 2
    await sms(settings, "SHARE")  # the newest voice: the building's words become public
    assert re.search(rf"{code} \d+/\d+/\d\d words public", await sms(settings, "MYDATA"))

    await sms(settings, "CYMRAEG")
    welsh = await sms(settings, "FYNATA")
    assert re.search(rf"{code} \d+/\d+/\d\d geiriau'n gyhoeddus", welsh), welsh
    # Welsh is UCS-2 (134 characters a segment): the older vouch is counted, not listed.
    assert "1 arall ar /my-voice" in welsh and sms_segments(welsh) <= 2
    await sms(settings, f"WITHDRAW {code}")
    assert re.search(rf"{code} \d+/\d+/\d\d tynnwyd yn ôl", await sms(settings, "FYNATA"))


async def test_many_buildings_still_fit_two_segments(settings: Settings) -> None:
    codes = []
    for n in range(9):
        bid = await make_asset_bid(asset_name=f"Chapel Number {n}")
        [row] = await SubjectVoice.raw(
            "SELECT code FROM vouch_subject JOIN asset_bid ON asset_bid.vouch_subject = "
            "vouch_subject.id WHERE asset_bid.id = {}",
            bid,
        )
        codes.append(row["code"])
        await sms(settings, f"{row['code']} we sang here every week {n}")
    for lang_word, more in (("MYDATA", "more at /my-voice"), ("FYNATA", "arall ar /my-voice")):
        if lang_word == "FYNATA":
            await sms(settings, "CYMRAEG")
        reply = await sms(settings, lang_word)
        assert sms_segments(reply) <= 2 and more in reply, reply
        # Newest first: the last building texted is listed.
        assert codes[-1] in reply


async def test_my_voice_lists_building_voices(
    client: WebClient, settings: Settings, library: tuple[int, str]
) -> None:
    _, code = library
    await _amina_and_the_library(settings, code)
    await sms(settings, f"{code} not mine", sender=NEIGHBOUR)
    await sign_in(client)
    page = (await client.get("/my-voice")).text
    assert "Buildings you spoke up for" in page
    assert f"The Old Library (<code>{code}</code>)" in page
    assert "Amina" in page and page.count(f"<code>{code}</code>") == 1
    erase_check = (await client.get("/my-voice/erase")).text
    assert "Building voices erased" in erase_check and "The Old Library" in erase_check
    welsh = (await client.get("/my-voice?lang=cy")).text
    assert "Adeiladau y siaradoch drostynt" in welsh


async def test_delete_counts_building_voices_and_yes_erases_them(
    settings: Settings, library: tuple[int, str]
) -> None:
    _, code = library
    await _amina_and_the_library(settings, code)
    await sms(settings, f"{code} it matters to me too", sender=NEIGHBOUR)
    assert "all your words (2)" in await sms(settings, "DELETE")
    await sms(settings, "YES")
    assert await SubjectVoice.count() == 1  # only the neighbour's
    assert await Resident.count() == 1


async def test_resident_export_and_erase_include_building_voices(
    settings: Settings, library: tuple[int, str]
) -> None:
    _, code = library
    await sms(settings, f"{code} the library is where my kids learnt to read")
    await sms(settings, f"{code} it matters to me too", sender=NEIGHBOUR)
    exported = run_cli("resident", "export", "--phone", RESIDENT)
    assert exported.returncode == 0, exported.stderr
    [voice] = json.loads(exported.stdout)["building_voices"]
    assert voice["building"] == code and "kids learnt to read" in voice["testimony"]
    erased = run_cli("resident", "erase", "--phone", RESIDENT)
    assert erased.returncode == 0, erased.stderr
    assert json.loads(erased.stdout)["building_voices"] == 1
    assert await SubjectVoice.count() == 1
