"""Residents' voices for the demo's branch library (issue #18): a handful of neighbours who
vouched for the building over the last few months, some sharing their words and place, so
the bid's page and its evidence pack have something real on them."""

from __future__ import annotations

from datetime import timedelta

from groundswell.core.clock import now
from groundswell.demo.residents import voice_hash
from groundswell.programme.tables import AssetBid
from groundswell.vouching.recording import claim_resident
from groundswell.vouching.states import Channel, Verification
from groundswell.vouching.subjects import record_subject_voice
from groundswell.vouching.tables import SubjectVoice

# (days ago, words, neighbourhood, show_public, show_funders, by SMS)
_VOICES = [
    (150, "The library is where my kids learnt to read.", "Pallister", True, True, True),
    (
        120,
        "Warm and free in winter when the heating costs too much.",
        "Pallister",
        True,
        True,
        False,
    ),
    (95, "I did my citizenship test revision here.", "Berwick Hills", False, True, True),
    (
        70,
        "The only place on the estate with free computers for job searching.",
        "Pallister",
        True,
        True,
        True,
    ),
    (40, "Rhyme time on Tuesdays is how I met the other mums.", "Pallister", True, False, False),
    (12, "Please keep it open.", "", False, False, True),
]


async def load_building_voices(bid_id: int) -> None:
    """Inside the programme demo's load; the bid already has its code."""
    bid = await AssetBid.select(AssetBid.vouch_subject).where(AssetBid.id == bid_id).first()
    if bid is None or bid["vouch_subject"] is None:
        return
    for n, (days, words, place, public, funders, by_sms) in enumerate(_VOICES):
        resident, _ = await claim_resident(voice_hash(900_000 + n))
        outcome = await record_subject_voice(
            resident_id=resident,
            subject_id=bid["vouch_subject"],
            testimony=words,
            channel=Channel.SMS if by_sms else Channel.WEB,
            verification=Verification.SMS_INBOUND if by_sms else Verification.SMS_CODE,
            neighbourhood=place,
            show_public=public,
            show_funders=funders,
        )
        given = now() - timedelta(days=days)
        await SubjectVoice.update(
            {SubjectVoice.created_at: given, SubjectVoice.updated_at: given}
        ).where(SubjectVoice.id == outcome.endorsement_id)
