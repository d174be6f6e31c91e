"""Residents serve themselves: what is held for a number (SMS MYDATA, /my-voice): vouches
for organisers and voices for buildings; and changing where a vouch's words appear.

The erasure itself is `residents.erase_voice`, the one the shell's `resident erase` uses.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from groundswell.db import write_transaction
from groundswell.vouching.messages import render, sms_segments
from groundswell.vouching.states import EndorsementState
from groundswell.vouching.tables import Endorsement, Resident, SubjectVoice

__all__ = [
    "Held",
    "HeldBuildingVoice",
    "HeldVouch",
    "building_sharing_words",
    "held_for",
    "my_data_text",
    "set_sharing",
    "sharing_words",
]

# A reply to MYDATA must arrive as one message: two segments at most.
MAX_SEGMENTS = 2


@dataclass(frozen=True)
class HeldVouch:
    endorsement_id: int
    organiser_code: str
    organiser_name: str
    given_at: datetime  # when the words were last given
    withdrawn: bool
    shared_with_funders: bool


@dataclass(frozen=True)
class HeldBuildingVoice:
    """A voice for a building (a SubjectVoice): its code, name and when."""

    building_code: str
    building_name: str
    given_at: datetime
    withdrawn: bool
    words_public: bool  # the words may go in the bid's evidence pack (never the place)


@dataclass(frozen=True)
class Held:
    """What Groundswell holds for one voice, in the words a resident reads."""

    exists: bool
    hear_back: bool = False
    texts_stopped: bool = False
    vouches: list[HeldVouch] = field(default_factory=list)
    buildings: list[HeldBuildingVoice] = field(default_factory=list)

    @property
    def active_count(self) -> int:
        return sum(1 for vouch in self.vouches if not vouch.withdrawn)


async def held_for(voice: str) -> Held:
    resident = (
        await Resident.select(Resident.id, Resident.hear_back, Resident.messages_stopped)
        .where(Resident.voice_hash == voice)
        .first()
    )
    if resident is None:
        return Held(exists=False)
    rows = (
        await Endorsement.select(
            Endorsement.id,
            Endorsement.organiser.code.as_alias("organiser_code"),
            Endorsement.organiser.name.as_alias("organiser_name"),
            Endorsement.updated_at,
            Endorsement.state,
            Endorsement.show_funders,
        )
        .where(Endorsement.resident == resident["id"])
        .order_by(Endorsement.updated_at, ascending=False)
    )
    buildings = (
        await SubjectVoice.select(
            SubjectVoice.subject.code.as_alias("code"),
            SubjectVoice.subject.name.as_alias("name"),
            SubjectVoice.updated_at,
            SubjectVoice.state,
            SubjectVoice.show_public,
        )
        .where(SubjectVoice.resident == resident["id"])
        .order_by(SubjectVoice.updated_at, ascending=False)
    )
    return Held(
        exists=True,
        hear_back=resident["hear_back"],
        texts_stopped=resident["messages_stopped"],
        buildings=[
            HeldBuildingVoice(
                building_code=row["code"],
                building_name=row["name"],
                given_at=row["updated_at"],
                withdrawn=row["state"] == EndorsementState.WITHDRAWN.value,
                words_public=bool(row["show_public"]),
            )
            for row in buildings
        ],
        vouches=[
            HeldVouch(
                endorsement_id=row["id"],
                organiser_code=row["organiser_code"],
                organiser_name=row["organiser_name"],
                given_at=row["updated_at"],
                withdrawn=row["state"] == EndorsementState.WITHDRAWN.value,
                shared_with_funders=is_shared(row),
            )
            for row in rows
        ],
    )


# ---------------------------------------------------------------- consent, in one place
# These two are the only ones here that read or write consent. They follow SMS `SHARE`:
# the choice offered is whether signed-in funders may read the words (`show_funders`);
# whether the words also appear on the public page is chosen on the vouch form.


def is_shared(row: dict[str, Any]) -> bool:
    """Whether an endorsement row's words may be read beyond counting (by funders)."""
    return bool(row["show_funders"])


async def set_sharing(voice: str, endorsement_id: int, *, shared: bool) -> bool:
    """Let funders read (or stop them reading) one vouch's words, only for the voice that
    gave it. False when that voice has no such vouch."""
    async with write_transaction():
        resident = await Resident.select(Resident.id).where(Resident.voice_hash == voice).first()
        if resident is None:
            return False
        changed = (
            await Endorsement.update({Endorsement.show_funders: shared})
            .where((Endorsement.id == endorsement_id) & (Endorsement.resident == resident["id"]))
            .returning(Endorsement.id)
        )
    return bool(changed)


def sharing_words(vouch: HeldVouch, lang: str = "en") -> str:
    """Who sees this vouch's words, in a few words (for SMS and /my-voice)."""
    if vouch.withdrawn:
        return render("my_data_withdrawn", lang)
    return render("my_data_shared" if vouch.shared_with_funders else "my_data_private", lang)


def building_sharing_words(voice: HeldBuildingVoice, lang: str = "en") -> str:
    """Who sees a building voice's words, in a few words (for SMS and /my-voice)."""
    if voice.withdrawn:
        return render("my_data_withdrawn", lang)
    return render("my_data_building_public" if voice.words_public else "my_data_private", lang)


# ---------------------------------------------------------------- the MYDATA reply


def my_data_text(held: Held, lang: str = "en") -> str:
    """MYDATA's reply: each organiser and building by code with the date and who sees the
    words, newest first, then hearing back and texts; those that do not fit in two segments
    are counted and pointed to /my-voice."""
    if not held.exists:
        return render("my_data_none", lang)
    tail = [render("my_data_hear_back_yes" if held.hear_back else "my_data_hear_back_no", lang)]
    if held.texts_stopped:
        tail.append(render("my_data_texts_stopped", lang))
    dated = [
        (v.given_at, _line(v.organiser_code, v.given_at, sharing_words(v, lang)))
        for v in held.vouches
    ]
    dated += [
        (b.given_at, _line(b.building_code, b.given_at, building_sharing_words(b, lang)))
        for b in held.buildings
    ]
    parts = [line for _, line in sorted(dated, key=lambda item: item[0], reverse=True)]
    for shown in range(len(parts), -1, -1):
        left = len(parts) - shown
        more = [render("my_data_more", lang, count=left)] if left else []
        text = render("my_data", lang, details="; ".join(parts[:shown] + more + tail))
        if sms_segments(text) <= MAX_SEGMENTS:
            return text
    return render("my_data", lang, details="; ".join(tail))


def _line(code: str, given: datetime, sharing: str) -> str:
    return f"{code} {given.day}/{given.month}/{given:%y} {sharing}"
