"""Tells the outbox which numbers said STOP (see outbox/opt_outs.py)."""

from __future__ import annotations

from groundswell.outbox.opt_outs import register_opt_out_lookup
from groundswell.vouching.tables import Resident


async def stopped_voices(voice_hashes: set[str]) -> set[str]:
    rows = await Resident.select(Resident.voice_hash).where(
        Resident.voice_hash.is_in(list(voice_hashes)) & (Resident.messages_stopped == True)  # noqa: E712
    )
    return {row["voice_hash"] for row in rows}


register_opt_out_lookup(stopped_voices)
