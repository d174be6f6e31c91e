from __future__ import annotations

from datetime import timedelta

from groundswell.allocation.loop import close_the_loop, hear_back_share, loop_stats
from groundswell.allocation.review import approve_round
from groundswell.allocation.tables import Round
from groundswell.core.clock import frozen_at, now
from groundswell.outbox.receipts import record_delivery_report
from groundswell.outbox.services import drain
from groundswell.outbox.tables import OutboxMessage
from groundswell.settings import Settings
from groundswell.vouching.sms import handle_sms
from groundswell.vouching.tables import Resident
from tests.factories import computed_round, pool_in_a_place
from tests.helpers import deposit, make_organiser
from tests.integration.outbox.test_outbox import RecordingSender

NUMBERS = [f"+4479{n:08d}" for n in range(22345670, 22345690)]


async def approved_round(
    settings: Settings, *, voices: int, min_endorsers: int = 5, long_ago: int = 0
) -> int:
    """A round for Amina after `voices` residents vouched (every other one asking to hear
    back), and `long_ago` more who vouched and asked 200 days ago, outside the round's window."""
    place = await pool_in_a_place(min_endorsers=min_endorsers)
    await make_organiser(place.host, place.locality, name="Amina Hussein", code="AMINA-7K")
    for i in range(voices):
        await handle_sms(
            settings,
            message_sid=f"SMv{i}",
            from_number=NUMBERS[i],
            body=f"AMINA-7K story {i} about the lights",
        )
        if i % 2 == 0:
            await handle_sms(settings, message_sid=f"SMy{i}", from_number=NUMBERS[i], body="YES")
    with frozen_at(now() - timedelta(days=200)):
        for i in range(voices, voices + long_ago):
            await handle_sms(
                settings, message_sid=f"SMv{i}", from_number=NUMBERS[i], body="AMINA-7K long ago"
            )
            await handle_sms(settings, message_sid=f"SMy{i}", from_number=NUMBERS[i], body="YES")
    await deposit(place.pool, "1000.00")
    round_id = await computed_round(place.pool)
    await Round.update({Round.review_until: now()}).where(Round.id == round_id)
    with frozen_at(now()):
        assert await approve_round(round_id)
    return round_id


async def test_opted_in_residents_hear_what_happened_exactly_once(settings: Settings) -> None:
    round_id = await approved_round(settings, voices=6)
    assert (await close_the_loop(settings)) == "queued 3 round results"
    assert (
        await close_the_loop(settings)
    ) == "queued 0 round results"  # a repeated job, or a restart
    messages = await OutboxMessage.select().where(OutboxMessage.purpose == "round_result")
    assert len(messages) == 3
    assert all(
        "6 neighbours spoke up for Amina Hussein" in m["body"]
        and "Their work continues" in m["body"]
        for m in messages
    )
    assert await loop_stats(round_id) == {"owed": 3, "closed": 0, "sent": 0, "lost": 0}
    sender = RecordingSender()
    await drain(settings, sms=sender, email=sender)
    # Handed to the provider is not closed: only the carrier's receipt says it arrived.
    assert await loop_stats(round_id) == {"owed": 3, "closed": 0, "sent": 3, "lost": 0}
    assert await record_delivery_report("SM1", "delivered") == "delivered"
    assert await record_delivery_report("SM2", "undelivered", "30003") == "undelivered"
    assert await loop_stats(round_id) == {"owed": 3, "closed": 1, "sent": 1, "lost": 1}
    assert await hear_back_share(round_id) == {"voices": 6, "opted_in": 3}


async def test_honest_when_the_threshold_was_not_reached(settings: Settings) -> None:
    await approved_round(settings, voices=2, min_endorsers=5)
    await close_the_loop(settings)
    [message] = await OutboxMessage.select().where(OutboxMessage.purpose == "round_result")
    assert (
        "2 neighbours spoke up for Amina Hussein, short of the 5 needed, so no funding this round"
        in message["body"]
    )


async def test_stop_means_no_result_message(settings: Settings) -> None:
    await approved_round(settings, voices=6)
    await handle_sms(settings, message_sid="SMstop", from_number=NUMBERS[0], body="STOP")
    assert (await close_the_loop(settings)) == "queued 2 round results"
    stopped = await Resident.select().where(Resident.messages_stopped == True).first()  # noqa: E712
    assert stopped is not None and stopped["phone_encrypted"] is None


async def test_only_residents_whose_voices_the_round_read_are_told(settings: Settings) -> None:
    round_id = await approved_round(settings, voices=6, long_ago=2)
    # The two who vouched 200 days ago asked to hear back, but a 180-day round never read
    # their words: it says nothing to them, and does not count them as owed a message.
    assert await hear_back_share(round_id) == {"voices": 6, "opted_in": 3}
    assert (await close_the_loop(settings)) == "queued 3 round results"
