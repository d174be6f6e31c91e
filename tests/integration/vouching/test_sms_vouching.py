"""Every row of the SMS grammar, through the real handler, on the real database."""

from __future__ import annotations

import asyncio
import itertools
from datetime import timedelta

import pytest

from groundswell.community.tables import Organiser
from groundswell.core.clock import frozen_at, now
from groundswell.core.phones import phone_hash
from groundswell.settings import Settings
from groundswell.vouching.sms import handle_sms
from groundswell.vouching.sms_batch import SMS_PER_PHONE_PER_HOUR
from groundswell.vouching.tables import Endorsement, InboundMessage, PendingPrompt, Resident

RESIDENT = "+447911123456"
NEIGHBOUR = "+447912345678"
_sids = itertools.count()


async def sms(
    settings: Settings,
    body: str | None,
    sender: str = RESIDENT,
    sid: str | None = None,
    num_media: int = 0,
) -> str:
    reply = await handle_sms(
        settings,
        message_sid=sid or f"SM{next(_sids):032d}",
        from_number=sender,
        body=body,
        num_media=num_media,
    )
    return reply.text


async def endorsements() -> list[dict]:
    return await Endorsement.select().order_by(Endorsement.id)


async def test_code_and_words_vouch_and_reply_says_how_to_withdraw(
    settings: Settings, amina: str
) -> None:
    reply = await sms(settings, "amina-7k She got the council to fix the underpass lights")
    assert "Amina Hussein" in reply and "WITHDRAW AMINA-7K" in reply
    [row] = await endorsements()
    assert row["testimony"] == "She got the council to fix the underpass lights"
    assert (
        row["channel"] == "sms"
        and row["verification"] == "sms_inbound"
        and row["state"] == "active"
    )
    resident = await Resident.select().first()
    assert resident is not None and resident["voice_hash"] == phone_hash(
        RESIDENT, settings.phone_key
    )


@pytest.mark.parametrize(
    "body",
    [
        "VOUCH AMINA-7K she listens to us",
        "vouch amina 7k she listens to us",
        "  Amina-7K:  she listens to us ",
        "AMINA7K she listens to us",
    ],
)
async def test_grammar_is_tolerant(settings: Settings, amina: str, body: str) -> None:
    await sms(settings, body)
    [row] = await endorsements()
    assert row["testimony"] == "she listens to us"


async def test_confusable_characters_in_the_code(settings: Settings) -> None:
    from tests.helpers import make_host, make_locality, make_organiser

    await make_organiser(
        await make_host(), await make_locality(), name="Olwen Evans", code="OLWEN-4K"
    )
    await sms(settings, "0LWEN-4k thank you for the repair cafe")
    [row] = await endorsements()
    assert row["testimony"] == "thank you for the repair cafe"


async def test_code_alone_prompts_and_the_next_message_is_the_testimony(
    settings: Settings, amina: str
) -> None:
    prompt = await sms(settings, "AMINA-7K")
    assert "Tell us about a time Amina Hussein helped" in prompt
    assert await Endorsement.count() == 0 and await PendingPrompt.count() == 1
    thanks = await sms(settings, "She sorted out the damp in our flat when nobody else would")
    assert "Thank you" in thanks
    [row] = await endorsements()
    assert row["testimony"] == "She sorted out the damp in our flat when nobody else would"
    assert await PendingPrompt.count() == 0


async def test_prompt_expires_after_24_hours(settings: Settings, amina: str) -> None:
    await sms(settings, "AMINA-7K")
    with frozen_at(now() + timedelta(hours=25)):
        reply = await sms(settings, "She sorted out the damp in our flat")
    assert "did not understand" in reply and await Endorsement.count() == 0


async def test_one_voice_per_phone_per_organiser(settings: Settings, amina: str) -> None:
    await sms(settings, "AMINA-7K she listens")
    reply = await sms(settings, "AMINA-7K she listens and then she acts")
    assert "replace your earlier ones" in reply
    [row] = await endorsements()
    assert row["testimony"] == "she listens and then she acts"
    await sms(settings, "AMINA-7K a neighbour's view", sender=NEIGHBOUR)
    assert await Endorsement.count() == 2


async def test_withdraw_one_and_revouch(settings: Settings, amina: str) -> None:
    await sms(settings, "AMINA-7K she listens")
    assert "withdrawn" in await sms(settings, "withdraw amina-7k")
    [row] = await endorsements()
    assert row["state"] == "withdrawn" and row["withdrawn_at"] is not None
    assert "nothing to withdraw" in await sms(settings, "WITHDRAW AMINA-7K", sender=NEIGHBOUR)
    await sms(settings, "AMINA-7K changed my mind, she is brilliant")
    [row] = await endorsements()
    assert row["state"] == "active"


async def _two_vouches(settings: Settings) -> None:
    from tests.helpers import make_host, make_locality, make_organiser

    await make_organiser(
        await make_host("Other"), await make_locality("Hulme"), name="Dele Okafor", code="DELE-3M"
    )
    await sms(settings, "AMINA-7K she listens")
    await sms(settings, "DELE-3M he runs the food club")


@pytest.mark.parametrize(
    "word", ["STOP", "stopall", "Unsubscribe", "CANCEL", "end", "QUIT.", "Stopio"]
)
async def test_stop_and_carrier_opt_outs_stop_texts_and_keep_the_words(
    settings: Settings, amina: str, word: str
) -> None:
    await _two_vouches(settings)
    reply = await sms(settings, word)
    assert "We will not text you again" in reply or "dim mwy o decstiau" in reply
    assert "Your words still count" in reply or "dal i gyfrif" in reply
    assert {row["state"] for row in await endorsements()} == {"active"}
    resident = await Resident.select().first()
    assert resident is not None and resident["messages_stopped"] is True


async def test_bare_withdraw_asks_which_listing_the_codes_and_withdraws_nothing(
    settings: Settings, amina: str
) -> None:
    await _two_vouches(settings)
    reply = await sms(settings, "WITHDRAW")
    assert "Which words?" in reply and "DELE-3M, AMINA-7K" in reply
    assert "WITHDRAW ALL" in reply
    assert {row["state"] for row in await endorsements()} == {"active"}
    assert "nothing to withdraw" in await sms(settings, "WITHDRAW", sender=NEIGHBOUR)


@pytest.mark.parametrize("words", ["WITHDRAW ALL", "withdraw everything"])
async def test_withdraw_all_takes_every_vouch_back_and_keeps_texts_on(
    settings: Settings, amina: str, words: str
) -> None:
    await _two_vouches(settings)
    reply = await sms(settings, words)
    assert "All your words (2) are withdrawn" in reply and "STOP to stop texts" in reply
    assert {row["state"] for row in await endorsements()} == {"withdrawn"}
    resident = await Resident.select().first()
    assert resident is not None and resident["messages_stopped"] is False
    assert "nothing to withdraw" in await sms(settings, words)


@pytest.mark.parametrize("word", ["START", "unstop"])
async def test_start_resumes_texts_and_the_words_were_never_withdrawn(
    settings: Settings, amina: str, word: str
) -> None:
    await sms(settings, "AMINA-7K she listens")
    await sms(settings, "STOP")
    assert "Welcome back" in await sms(settings, word)
    resident = await Resident.select().first()
    assert resident is not None and resident["messages_stopped"] is False
    [row] = await endorsements()
    assert row["state"] == "active"


async def test_yes_after_thanks_opts_in_to_hear_back_keeping_the_number_encrypted(
    settings: Settings, amina: str
) -> None:
    await sms(settings, "AMINA-7K she listens")
    assert "We will text you after the next funding round" in await sms(settings, "Yes!")
    resident = await Resident.select().first()
    assert resident is not None and resident["hear_back"] is True
    assert resident["phone_encrypted"] and RESIDENT not in resident["phone_encrypted"]
    await sms(settings, "STOP")
    resident = await Resident.select().first()
    assert (
        resident is not None
        and resident["hear_back"] is False
        and resident["phone_encrypted"] is None
    )


@pytest.mark.parametrize("word", ["HELP", "info?"])
async def test_help(settings: Settings, word: str) -> None:
    assert "text an organiser's code" in await sms(settings, word)
    assert await Resident.count() == 0


@pytest.mark.parametrize(
    ("body", "num_media", "expected"),
    [
        ("NOSUCH-9Z she is great", 0, "could not find the code NOSUCH-9Z"),
        ("", 0, "did not understand"),
        (None, 0, "did not understand"),
        ("", 1, "we can only read text"),
        ("hello is this the council", 0, "did not understand"),
    ],
)
async def test_anything_else_gets_a_friendly_reply_and_stores_nothing(
    settings: Settings, amina: str, body: str | None, num_media: int, expected: str
) -> None:
    assert expected in await sms(settings, body, num_media=num_media)
    assert await Endorsement.count() == 0 and await Resident.count() == 0


async def test_organisers_cannot_vouch_for_themselves(settings: Settings, amina: str) -> None:
    await Organiser.update({Organiser.phone_hash: phone_hash(RESIDENT, settings.phone_key)}).where(
        Organiser.code == amina
    )
    assert "cannot vouch for themselves" in await sms(settings, "AMINA-7K I am wonderful")
    assert await Endorsement.count() == 0


async def test_repeated_message_sid_changes_nothing_and_gets_the_same_reply(
    settings: Settings, amina: str
) -> None:
    first = await sms(settings, "AMINA-7K she listens", sid="SMreplay")
    again = await handle_sms(
        settings, message_sid="SMreplay", from_number=RESIDENT, body="AMINA-7K she listens"
    )
    assert again.replayed and again.text == first
    assert await Endorsement.count() == 1 and await InboundMessage.count() == 1


async def test_two_deliveries_at_the_same_moment_count_once(settings: Settings, amina: str) -> None:
    replies = await asyncio.gather(
        *[
            handle_sms(
                settings, message_sid="SMrace", from_number=RESIDENT, body="WITHDRAW AMINA-7K"
            )
            for _ in range(2)
        ],
        *[
            handle_sms(
                settings, message_sid="SMrace2", from_number=NEIGHBOUR, body="AMINA-7K she fixed it"
            )
            for _ in range(4)
        ],
    )
    assert len({r.text for r in replies[2:]}) == 1
    assert sum(not r.replayed for r in replies[2:]) == 1
    assert await InboundMessage.count() == 2 and await Endorsement.count() == 1


async def test_long_and_emoji_bodies(settings: Settings, amina: str) -> None:
    long_words = ("She listened. " * 200)[:1590]
    await sms(settings, f"AMINA-7K {long_words}")
    await sms(settings, "AMINA-7K 💪🏽 she's a star ⭐ — Diolch o galon! 👩‍👧‍👦", sender=NEIGHBOUR)
    rows = await endorsements()
    assert len(rows) == 2
    assert rows[1]["testimony"] == "💪🏽 she's a star ⭐ — Diolch o galon! 👩‍👧‍👦"


async def test_rate_limit_per_phone(settings: Settings, amina: str) -> None:
    for _ in range(SMS_PER_PHONE_PER_HOUR):
        await sms(settings, "HELP")
    assert "Please wait an hour" in await sms(settings, "AMINA-7K she listens")
    assert await Endorsement.count() == 0
    assert "Thank you" in await sms(settings, "AMINA-7K she listens", sender=NEIGHBOUR)


async def test_invalid_sender_is_answered_and_nothing_stored(
    settings: Settings, amina: str
) -> None:
    assert "did not understand" in await sms(settings, "AMINA-7K she listens", sender="GROUNDSWELL")
    assert await Resident.count() == 0 and await InboundMessage.count() == 0


async def test_a_resident_chooses_welsh_replies_and_back(settings: Settings, amina: str) -> None:
    assert "tecstio yn Gymraeg" in await sms(settings, "Cymraeg")
    resident = await Resident.select(Resident.lang).first()
    assert resident is not None and resident["lang"] == "cy"
    # Later replies come in Welsh, vouches work as before.
    assert (await sms(settings, "AMINA-7K she got the lights fixed")).startswith("Diolch")
    assert await Endorsement.count() == 1
    assert "text you in English" in await sms(settings, "ENGLISH")
    assert (await sms(settings, "HELP")).startswith("Groundswell: text an organiser's code")
    assert await Resident.count() == 1


async def published() -> list[str]:
    """Words signed-in funders may read (SHARE is consent for funders, not the public page)."""
    from groundswell.vouching.queries import Audience, published_condition

    rows = await Endorsement.select(Endorsement.testimony).where(
        published_condition(Audience.FUNDERS)
    )
    assert not await Endorsement.exists().where(published_condition(Audience.PUBLIC))
    return [row["testimony"] for row in rows]


async def test_share_lets_funders_read_the_words_just_sent_and_new_words_ask_again(
    settings: Settings, amina: str
) -> None:
    assert "Reply SHARE to let funders read them" in await sms(settings, "AMINA-7K she listens")
    assert await published() == []  # a text is private until the resident says otherwise
    reply = await sms(settings, "share")
    assert "Funders can now read your words about Amina Hussein" in reply
    assert "WITHDRAW AMINA-7K" in reply
    assert await published() == ["she listens"]
    assert "Funders can now read" in await sms(settings, "SHARE")  # saying it twice is fine
    # Consent is for those words: new ones are private until shared again.
    assert "Reply SHARE" in await sms(settings, "AMINA-7K she listens and then she acts")
    assert await published() == []
    await sms(settings, "SHARE")
    assert await published() == ["she listens and then she acts"]
    # Only the latest words are shared; a neighbour's stay theirs.
    await sms(settings, "AMINA-7K a neighbour's view", sender=NEIGHBOUR)
    assert await published() == ["she listens and then she acts"]


async def test_share_with_nothing_to_share_explains(settings: Settings, amina: str) -> None:
    assert "no words from this phone to share" in await sms(settings, "SHARE")
    await sms(settings, "AMINA-7K she listens")
    await sms(settings, "WITHDRAW AMINA-7K")
    assert "no words from this phone to share" in await sms(settings, "Rhannu")
    assert await published() == []
