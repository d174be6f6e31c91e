"""Residents' rights: see everything held for a number, and erase it."""

from __future__ import annotations

from typing import Any

from groundswell.core.phones import normalise_phone
from groundswell.db import write_transaction
from groundswell.outbox.states import OutboxStatus
from groundswell.outbox.tables import OutboxMessage
from groundswell.settings import Settings
from groundswell.vouching.recording import voice_of
from groundswell.vouching.tables import (
    Endorsement,
    InboundMessage,
    PendingPrompt,
    Resident,
    SubjectVoice,
    WebVerification,
)


async def export(settings: Settings, raw_phone: str) -> dict[str, Any]:
    return await export_voice(voice_of(settings, normalise_phone(raw_phone)))


async def export_voice(voice: str) -> dict[str, Any]:
    """Everything held for one voice (the keyed hash of a number)."""
    resident = (
        await Resident.select(
            Resident.id,
            Resident.lang,
            Resident.messages_stopped,
            Resident.hear_back,
            Resident.created_at,
        )
        .where(Resident.voice_hash == voice)
        .first()
    )
    endorsements: list[dict[str, Any]] = []
    building_voices: list[dict[str, Any]] = []
    if resident is not None:
        endorsements = await Endorsement.select(
            Endorsement.organiser.code.as_alias("organiser"),
            Endorsement.testimony,
            Endorsement.theme,
            Endorsement.display_name,
            Endorsement.neighbourhood,
            Endorsement.score,
            Endorsement.show_public,
            Endorsement.show_funders,
            Endorsement.channel,
            Endorsement.verification,
            Endorsement.state,
            Endorsement.moderation,
            Endorsement.created_at,
            Endorsement.updated_at,
            Endorsement.withdrawn_at,
        ).where(Endorsement.resident == resident["id"])
        building_voices = await SubjectVoice.select(
            SubjectVoice.subject.code.as_alias("building"),
            SubjectVoice.subject.name.as_alias("building_name"),
            SubjectVoice.testimony,
            SubjectVoice.neighbourhood,
            SubjectVoice.show_public,
            SubjectVoice.show_funders,
            SubjectVoice.channel,
            SubjectVoice.verification,
            SubjectVoice.state,
            SubjectVoice.moderation,
            SubjectVoice.created_at,
            SubjectVoice.updated_at,
            SubjectVoice.withdrawn_at,
        ).where(SubjectVoice.resident == resident["id"])
    return {
        "resident": resident
        and {k: v for k, v in resident.items() if k != "id"}
        | {"number_kept_to_hear_back": resident["hear_back"]},
        "endorsements": endorsements,
        "building_voices": building_voices,
        "messages_received": await InboundMessage.count().where(InboundMessage.voice_hash == voice),
        "pending_web_vouches": await WebVerification.count().where(
            WebVerification.voice_hash == voice
        ),
        "queued_messages": await OutboxMessage.count().where(
            (OutboxMessage.recipient_hash == voice)
            & (OutboxMessage.status == OutboxStatus.PENDING.value)
        ),
    }


async def erase(settings: Settings, raw_phone: str) -> dict[str, int]:
    """Remove the resident and everything keyed by their number; their voice stops counting
    in every future round (past rounds keep only their anonymous totals)."""
    return await erase_voice(voice_of(settings, normalise_phone(raw_phone)))


async def erase_voice(voice: str) -> dict[str, int]:
    """`erase` for a voice already hashed: the one erasure the shell command, the SMS DELETE
    and /my-voice all use. Joins the caller's transaction when there is one."""
    async with write_transaction():
        resident = await Resident.select(Resident.id).where(Resident.voice_hash == voice).first()
        counts = {"endorsements": 0, "building_voices": 0}
        if resident is not None:
            counts["endorsements"] = await Endorsement.count().where(
                Endorsement.resident == resident["id"]
            )
            await PendingPrompt.delete().where(PendingPrompt.resident == resident["id"])
            await Endorsement.delete().where(Endorsement.resident == resident["id"])
            # Voices for buildings too (the foreign key cascades; said here so it is plain).
            counts["building_voices"] = len(
                await SubjectVoice.delete()
                .where(SubjectVoice.resident == resident["id"])
                .returning(SubjectVoice.id)
            )
            await Resident.delete().where(Resident.id == resident["id"])
        counts["message_ids"] = len(
            await InboundMessage.delete()
            .where(InboundMessage.voice_hash == voice)
            .returning(InboundMessage.id)
        )
        counts["web_vouches"] = len(
            await WebVerification.delete()
            .where(WebVerification.voice_hash == voice)
            .returning(WebVerification.id)
        )
        counts["queued_messages"] = len(
            await OutboxMessage.delete()
            .where(OutboxMessage.recipient_hash == voice)
            .returning(OutboxMessage.id)
        )
    return counts
