"""Residents vouch for a building (issue #18): by SMS with the building's own code, one voice
per phone per building, never counted toward any organiser's funding."""

from __future__ import annotations

import itertools
import random
from datetime import date, timedelta

from groundswell.allocation import inputs
from groundswell.allocation.periods import Period
from groundswell.community.codes import generate_code
from groundswell.core.clock import today
from groundswell.core.phones import phone_hash
from groundswell.core.principal import Role
from groundswell.programme.building_voices import (
    building_code,
    building_voices,
    generate_building_code,
    is_building_code,
)
from groundswell.settings import Settings
from groundswell.vouching.queries import endorser_count
from groundswell.vouching.sms import handle_sms
from groundswell.vouching.tables import Endorsement, SubjectVoice
from tests.helpers import (
    WebClient,
    make_asset_bid,
    make_funder,
    make_host,
    make_locality,
    make_organiser,
    make_pool,
    make_user,
)
from tests.pdfs import pdf_text

RESIDENT = "+447911123456"
NEIGHBOUR = "+447912345678"
_sids = itertools.count()


async def sms(settings: Settings, body: str, sender: str = RESIDENT) -> str:
    reply = await handle_sms(
        settings, message_sid=f"SB{next(_sids):032d}", from_number=sender, body=body
    )
    return reply.text


async def test_a_building_voice_never_counts_toward_any_organisers_funding(
    settings: Settings, library: tuple[int, str]
) -> None:
    _, code = library
    locality = await make_locality("Pallister")
    host = await make_host()
    amina = await make_organiser(host, locality, name="Amina Hussein", code="AMINA-7K")
    pool = await make_pool(await make_funder(), locality_ids=(locality,))
    reply = await sms(settings, f"{code} the library is where my kids learnt to read")
    assert "Library" in reply and f"WITHDRAW {code}" in reply
    await sms(settings, f"{code} we need it open", sender=NEIGHBOUR)
    assert await Endorsement.count() == 0
    organiser_id = (await Endorsement.raw("SELECT id FROM organiser WHERE code = {}", amina))[0][
        "id"
    ]
    assert await endorser_count(organiser_id) == 0
    period = Period(today() - timedelta(days=400), today() + timedelta(days=30))
    candidates = await inputs.candidates(pool, period)
    assert [c.code for c in candidates] == [amina]
    assert await inputs.endorsements(pool, period, candidates) == []
    # A real vouch for Amina still counts once, beside the building's voices.
    await sms(settings, "AMINA-7K she fixed the underpass lights")
    assert await endorser_count(organiser_id) == 1
    assert len(await inputs.endorsements(pool, period, candidates)) == 1


def test_building_codes_and_organiser_codes_never_collide() -> None:
    rng = random.Random(7)
    organiser_codes = {generate_code("Library Smith", rng) for _ in range(2000)}
    building_codes = {generate_building_code("Library", rng) for _ in range(2000)}
    assert not organiser_codes & building_codes
    assert all(is_building_code(c) for c in building_codes)
    assert not any(is_building_code(c) for c in organiser_codes)
    assert generate_building_code("The Old Library", rng).startswith("LIBRARY-")


async def test_every_asset_bid_gets_a_distinct_code(library: tuple[int, str]) -> None:
    other = await make_asset_bid(asset_name="The Old Library")
    assert await building_code(other) not in (None, library[1])


async def test_one_voice_per_phone_per_building_and_numbers_stripped(
    settings: Settings, library: tuple[int, str]
) -> None:
    bid_id, code = library
    await sms(settings, f"{code} my kids learnt to read here, call me on 07911 123456")
    await sms(settings, f"{code.lower().replace('-', ' ')} where my kids learnt to read")
    [row] = await SubjectVoice.select()
    assert row["testimony"] == "where my kids learnt to read"
    await sms(settings, f"{code} call 07911 123 456 about it")
    [row] = await SubjectVoice.select()
    assert "07911" not in row["testimony"] and "[number removed]" in row["testimony"]
    stored = str(await SubjectVoice.select())
    assert RESIDENT not in stored and phone_hash(RESIDENT, settings.phone_key) not in stored
    voices = await building_voices(bid_id)
    assert voices.count == 1 and voices.public_words == ()


async def test_share_makes_the_words_public_and_withdraw_takes_them_back(
    settings: Settings, library: tuple[int, str]
) -> None:
    bid_id, code = library
    await sms(settings, f"{code} the library is where my kids learnt to read")
    await sms(settings, f"{code} it is warm in winter", sender=NEIGHBOUR)
    reply = await sms(settings, "SHARE")
    assert "Library" in reply and "council" in reply
    voices = await building_voices(bid_id)
    assert voices.count == 2
    assert [w.words for w in voices.public_words] == ["the library is where my kids learnt to read"]
    assert voices.by_month == ((today().replace(day=1), 2),)
    assert "withdrawn" in (await sms(settings, f"WITHDRAW {code}"))
    voices = await building_voices(bid_id)
    assert voices.count == 1 and voices.public_words == ()


async def test_code_alone_asks_for_words_and_a_landline_cannot_vouch(
    settings: Settings, library: tuple[int, str]
) -> None:
    _, code = library
    reply = await sms(settings, code)
    assert code in reply and "one message" in reply
    await sms(settings, f"{code} lovely building", sender="+441642123456")
    assert await SubjectVoice.count() == 0


async def test_withdraw_all_includes_buildings(
    settings: Settings, library: tuple[int, str]
) -> None:
    _, code = library
    await sms(settings, f"{code} the library is where my kids learnt to read")
    assert "(1)" in await sms(settings, "WITHDRAW ALL")
    assert await SubjectVoice.count().where(SubjectVoice.state == "active") == 0


async def test_places_only_where_shared(library: tuple[int, str]) -> None:
    from groundswell.vouching.recording import claim_resident
    from groundswell.vouching.states import Channel, Verification
    from groundswell.vouching.subjects import record_subject_voice

    bid_id, code = library
    subject = (await SubjectVoice.raw("SELECT id FROM vouch_subject WHERE code = {}", code))[0]
    for n, (place, shared) in enumerate(
        [("Pallister", True), ("Pallister", True), ("Pallister", True), ("Berwick Hills", False)]
    ):
        resident, _ = await claim_resident(f"voice{n}")
        await record_subject_voice(
            resident_id=resident,
            subject_id=subject["id"],
            # Different words: the same words from many phones would wait for a moderator.
            testimony=f"words about the library, number {n}",
            channel=Channel.WEB,
            verification=Verification.SMS_CODE,
            neighbourhood=place,
            show_public=False,
            show_funders=shared,
        )
    voices = await building_voices(bid_id)
    assert voices.count == 4 and voices.places == (("Pallister", 3),)
    assert date.today().year >= 2026


async def _three_voices(settings: Settings, code: str) -> None:
    await sms(settings, f"{code} the library is where my kids learnt to read")
    await sms(settings, "SHARE")
    await sms(settings, f"{code} private words, call 07911 123456", sender=NEIGHBOUR)


async def test_staff_bid_page_shows_count_months_and_public_words_only(
    settings: Settings, client: WebClient, library: tuple[int, str]
) -> None:
    bid_id, code = library
    await _three_voices(settings, code)
    await client.login(await make_user(Role.ADMIN))
    page = (await client.get(f"/programme/asset-bids/{bid_id}")).text
    assert code in page and "2 different residents spoke up" in page
    assert "the library is where my kids learnt to read" in page
    assert "private words" not in page
    assert today().strftime("%B %Y") in page


async def test_evidence_pack_has_the_count_the_months_and_the_public_words(
    settings: Settings, client: WebClient, library: tuple[int, str]
) -> None:
    bid_id, code = library
    await _three_voices(settings, code)
    await client.login(await make_user(Role.ADMIN))
    response = await client.get(f"/programme/asset-bids/{bid_id}/evidence.pdf")
    text = pdf_text(response.content)
    assert "2 different residents vouched for The Old Library" in text
    assert today().strftime("%B %Y") in text
    assert "the library is where my kids learnt to read" in text
    assert "private words" not in text and "07911" not in text


async def test_the_groups_own_page_shows_its_buildings_voices(
    settings: Settings, client: WebClient
) -> None:
    from tests.integration.programme.test_group_access import sign_in

    bid_id = await make_asset_bid(contact_emails="friends@library.example.org")
    code = await building_code(bid_id)
    assert code is not None
    await _three_voices(settings, code)
    await sign_in(client, "friends@library.example.org")
    page = (await client.get(f"/groups/bids/asset/{bid_id}")).text
    assert code in page and "2 different residents spoke up" in page
    assert "the library is where my kids learnt to read" in page and "private words" not in page


async def test_delete_then_yes_erases_building_voices_too(
    settings: Settings, library: tuple[int, str]
) -> None:
    bid_id, code = library
    await sms(settings, f"{code} the library is where my kids learnt to read")
    await sms(settings, "DELETE")
    await sms(settings, "YES")
    assert await SubjectVoice.count() == 0
    assert (await building_voices(bid_id)).count == 0


async def test_a_building_code_cannot_be_used_to_vouch_for_an_organiser_or_back(
    settings: Settings, library: tuple[int, str]
) -> None:
    """Withdrawing a building's code takes nothing from an organiser, and the reverse."""
    _, code = library
    locality = await make_locality("Pallister")
    await make_organiser(await make_host(), locality, name="Amina Hussein", code="AMINA-7K")
    await sms(settings, "AMINA-7K she fixed the underpass lights")
    await sms(settings, f"{code} the library is where my kids learnt to read")
    await sms(settings, f"WITHDRAW {code}")
    assert await Endorsement.count().where(Endorsement.state == "active") == 1
    await sms(settings, f"{code} back again")
    await sms(settings, "WITHDRAW AMINA-7K")
    assert await SubjectVoice.count().where(SubjectVoice.state == "active") == 1
