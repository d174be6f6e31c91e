"""Building voices get the endorsements' abuse signals (issue #18): a link, the same words
from many numbers, one connection behind many voices, a burst. A flagged voice waits on
/admin/moderation and is neither shown nor counted, on the bid's pages or in its evidence
pack, until a moderator keeps it; a hidden one never is."""

from __future__ import annotations

import itertools

from groundswell.core.principal import Role
from groundswell.core.tables import AuditEntry
from groundswell.programme.building_voices import building_voices
from groundswell.settings import Settings
from groundswell.vouching import moderation
from groundswell.vouching.recording import claim_resident
from groundswell.vouching.sms import handle_sms
from groundswell.vouching.states import Channel, Verification
from groundswell.vouching.subjects import record_subject_voice
from groundswell.vouching.tables import SubjectVoice
from tests.helpers import WebClient, make_user
from tests.integration.programme.test_building_web_vouch import FORM, vouch
from tests.pdfs import pdf_text

_sids = itertools.count()
PHONES = [f"+4479111234{n:02d}" for n in range(20)]


async def sms(settings: Settings, body: str, sender: str) -> str:
    reply = await handle_sms(
        settings, message_sid=f"SM{next(_sids):032d}", from_number=sender, body=body
    )
    return reply.text


async def _state() -> list[tuple[str, str, list[str]]]:
    rows = (
        await SubjectVoice.select(SubjectVoice.state, SubjectVoice.moderation, SubjectVoice.flags)
        .order_by(SubjectVoice.id)
        .output(load_json=True)
    )
    return [(r["state"], r["moderation"], r["flags"]) for r in rows]


async def test_a_link_waits_for_a_moderator_and_counts_once_kept(
    settings: Settings, client: WebClient, library: tuple[int, str]
) -> None:
    bid_id, code = library
    await sms(settings, f"{code} it matters, see www.save-it.example.com", PHONES[0])
    await sms(settings, "SHARE", PHONES[0])
    await sms(settings, f"{code} my kids learnt to read here", PHONES[1])
    assert await _state() == [
        ("active", "flagged", ["link"]),
        ("active", "clear", []),
    ]
    voices = await building_voices(bid_id)
    assert voices.count == 1 and voices.public_words == ()

    await client.login(await make_user(Role.ADMIN))
    response = await client.get(f"/programme/asset-bids/{bid_id}/evidence.pdf")
    assert response.status_code == 200, response.text[:300]
    pdf = pdf_text(response.content)
    assert "save-it" not in pdf, pdf[pdf.find("save-it") - 300 :]
    assert "1 resident vouched for The Old Library" in pdf
    page = (await client.get("/admin/moderation")).text
    # The flagged voice by its state: an unordered select may return either row (PostgreSQL
    # moves a row it updates, here by SHARE).
    [voice_id] = [
        v["id"]
        for v in await SubjectVoice.select(SubjectVoice.id).where(
            SubjectVoice.moderation == "flagged"
        )
    ]
    assert f'id="building-{voice_id}"' in page and "Building: The Old Library" in page
    assert "A web link in the words" in page and 'name="kind" value="building"' in page

    kept = await client.submit(
        "/admin/moderation",
        {"tab": "waiting", "kind": "building", "ids": str(voice_id), "action": "restore"},
    )
    assert kept.status_code == 303
    assert (await _state())[0][:2] == ("active", "reviewed")
    voices = await building_voices(bid_id)
    assert voices.count == 2
    assert [w.words for w in voices.public_words] == ["it matters, see www.save-it.example.com"]
    [entry] = await AuditEntry.select().where(AuditEntry.action == "building_voice.restore")
    assert (entry["subject_type"], entry["subject_id"]) == ("subject_voice", str(voice_id))
    assert f'id="building-{voice_id}"' not in (await client.get("/admin/moderation")).text


async def test_the_same_words_from_many_numbers_all_wait_and_can_be_hidden(
    settings: Settings, client: WebClient, library: tuple[int, str]
) -> None:
    bid_id, code = library
    words = "save our library from the council please"
    for phone in PHONES[:3]:
        await sms(settings, f"{code} {words}", phone)
    # The third copy flags the earlier two as well.
    assert [s[1] for s in await _state()] == ["flagged"] * 3
    assert all("repeated_text" in s[2] for s in await _state())
    assert (await building_voices(bid_id)).count == 0

    await client.login(await make_user(Role.ADMIN))
    waiting = (await client.get("/admin/moderation")).text
    assert "Repeated words: the same text from 3 or more phones" in waiting
    ids = [r["id"] for r in await SubjectVoice.select(SubjectVoice.id)]
    hidden = await client.submit(
        "/admin/moderation",
        [("tab", "waiting"), ("kind", "building"), ("action", "hide")] + [("ids", i) for i in ids],
    )
    assert hidden.status_code == 303
    assert [s[:2] for s in await _state()] == [("hidden", "reviewed")] * 3
    hidden_tab = (await client.get("/admin/moderation?tab=hidden")).text
    assert all(f'id="building-{i}"' in hidden_tab for i in ids)
    # New words from a hidden voice go back to the queue, still hidden.
    await sms(settings, f"{code} it is the only warm place in winter", PHONES[0])
    assert (await _state())[0] == ("hidden", "flagged", ["after_hidden"])
    assert (await building_voices(bid_id)).count == 0


async def test_a_web_voice_with_a_link_waits_too(
    client: WebClient, library: tuple[int, str]
) -> None:
    bid_id, code = library
    await vouch(client, code, {**FORM, "testimony": "Read more at https://example.org/library"})
    assert await _state() == [("active", "flagged", ["link"])]
    assert (await building_voices(bid_id)).count == 0


async def test_one_source_behind_many_voices_and_a_burst(
    settings: Settings, library: tuple[int, str]
) -> None:
    bid_id, _ = library
    subject = (await SubjectVoice.raw("SELECT vouch_subject FROM asset_bid WHERE id = {}", bid_id))[
        0
    ]["vouch_subject"]
    for n in range(moderation.BURST_NEW_VOICES + 1):
        resident, _ = await claim_resident(f"voice-{n}")
        await record_subject_voice(
            resident_id=resident,
            subject_id=subject,
            testimony=f"words number {n} about it",
            channel=Channel.WEB,
            verification=Verification.SMS_CODE,
            source="same-session" if n < moderation.SHARED_SOURCE_VOICES else f"s{n}",
        )
    states = await _state()
    assert states[0] == ("active", "clear", [])
    assert "shared_source" in states[moderation.SHARED_SOURCE_VOICES - 1][2]
    assert "burst" not in states[moderation.BURST_NEW_VOICES - 1][2]
    assert "burst" in states[moderation.BURST_NEW_VOICES][2]
    assert moderation.flag_label("burst", building=True).endswith(
        "new voices for this building within an hour"
    )
