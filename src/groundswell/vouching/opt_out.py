"""Tells the outbox which numbers said STOP, and records the ones Twilio reports as
unsubscribed (see outbox/opt_outs.py)."""

from __future__ import annotations

from groundswell.outbox.opt_outs import register_opt_out_lookup, register_opt_out_recorder
from groundswell.vouching.tables import Resident


async def stopped_voices(voice_hashes: set[str]) -> set[str]:
    rows = await Resident.select(Resident.voice_hash).where(
        Resident.voice_hash.is_in(list(voice_hashes)) & (Resident.messages_stopped == True)  # noqa: E712
    )
    return {row["voice_hash"] for row in rows}


async def record_stopped(voice_hash: str) -> None:
    """As an SMS STOP does: no more texts, and the number kept to hear back is forgotten. A
    number we never knew as a resident (a verification code) has nothing to record."""
    await Resident.update(
        {
            Resident.messages_stopped: True,
            Resident.hear_back: False,
            Resident.phone_encrypted: None,
        }
    ).where(Resident.voice_hash == voice_hash)


register_opt_out_lookup(stopped_voices)
register_opt_out_recorder(record_stopped)
