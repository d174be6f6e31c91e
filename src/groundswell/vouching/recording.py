"""Recording a voice, whichever way it came (SMS or the web): who the resident is, which
organiser a code names, the endorsement written or replaced with its moderation signals,
and withdrawals.

A phone number is normalised to E.164 and kept only as HMAC(GROUNDSWELL_PHONE_KEY, number):
the resident's voice. It is held encrypted only while a verification code or a queued
message needs it, or while the resident has asked to hear back.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from hashlib import sha256
from typing import Any

from groundswell.community.states import OrganiserStatus
from groundswell.community.tables import Organiser
from groundswell.core.clock import now
from groundswell.core.phones import phone_hash
from groundswell.settings import Settings
from groundswell.vouching import moderation
from groundswell.vouching.redact import remove_phone_numbers, search_text
from groundswell.vouching.states import Channel, EndorsementState, Theme, Verification
from groundswell.vouching.tables import Endorsement, Resident

TESTIMONY_MIN, TESTIMONY_MAX = 10, 1000


def voice_of(settings: Settings, e164: str) -> str:
    return phone_hash(e164, settings.phone_key)


def source_hash(settings: Settings, value: str) -> str:
    """A keyed hash of an IP address or session, for abuse signals without keeping the IP."""
    return hmac.new(settings.secret_key.encode(), f"source:{value}".encode(), sha256).hexdigest()


async def claim_resident(voice: str) -> tuple[int, bool]:
    """The resident with this voice, and whether this transaction created them (then nothing
    else can refer to them yet: no prompt, no endorsement)."""
    rows = (
        await Resident.insert(Resident(voice_hash=voice))
        .on_conflict(action="DO NOTHING")
        .returning(Resident.id)
    )
    if rows:
        return int(rows[0]["id"]), True
    row = await Resident.select(Resident.id).where(Resident.voice_hash == voice).first()
    assert row is not None  # it exists: the insert conflicted on it
    return int(row["id"]), False


async def organiser_for_code(
    code: str | None, *columns: Any, include_left: bool = False
) -> dict[str, Any] | None:
    """The organiser a canonical vouching code names, unless they have left (`include_left`:
    them too, to withdraw a vouch, which a resident may always do): id, name, code and
    phone_hash, and any further `columns`."""
    if code is None:
        return None
    where: Any = Organiser.code == code
    if not include_left:
        where = where & (Organiser.status != OrganiserStatus.LEFT.value)
    return (
        await Organiser.select(
            Organiser.id, Organiser.name, Organiser.code, Organiser.phone_hash, *columns
        )
        .where(where)
        .first()
    )


async def left_organiser_name(code: str | None) -> str | None:
    """The name of the organiser a canonical code names if they have left the role (then
    vouching is refused kindly, saying so), else None."""
    if code is None:
        return None
    row = (
        await Organiser.select(Organiser.name)
        .where((Organiser.code == code) & (Organiser.status == OrganiserStatus.LEFT.value))
        .first()
    )
    return None if row is None else str(row["name"])


@dataclass(frozen=True)
class VouchOutcome:
    endorsement_id: int
    replaced: bool


async def record_endorsement(
    settings: Settings,
    *,
    resident_id: int,
    organiser_id: int,
    testimony: str,
    channel: Channel,
    verification: Verification,
    theme: Theme = Theme.VALUE,
    display_name: str = "",
    neighbourhood: str = "",
    show_public: bool = False,
    show_funders: bool = False,
    source: str = "",
    score: int | None = None,
    asked_score: bool = False,
    new_resident: bool = False,
) -> VouchOutcome:
    """One voice per resident per organiser: a second vouch replaces the words (and revives a
    withdrawn one). Where the 0-10 question was asked (`asked_score`: the web form), its answer
    replaces the earlier one, None when left out; a channel that does not ask it (SMS) keeps
    the earlier answer. Runs inside the caller's write transaction; `new_resident` says the
    caller created the resident in it, so they cannot have vouched before (one query less on
    the busiest path, a first text)."""
    moment = now()
    testimony = remove_phone_numbers(testimony)
    display_name = remove_phone_numbers(display_name)
    neighbourhood = remove_phone_numbers(neighbourhood)
    existing = (
        None
        if new_resident
        else await Endorsement.select(Endorsement.id, Endorsement.state)
        .where((Endorsement.resident == resident_id) & (Endorsement.organiser == organiser_id))
        .first()
    )
    flags = await moderation.automatic_flags(
        settings,
        organiser_id=organiser_id,
        testimony=testimony,
        source=source,
        resident_id=resident_id,
    )
    values: dict[str, Any] = {
        "testimony": testimony,
        # The neighbourhood is searchable only where readers may see it (shared with funders):
        # otherwise searching for a place would tell who lives there.
        "search_text": search_text(testimony, neighbourhood if show_funders else ""),
        "text_digest": moderation.text_digest(testimony),
        "theme": theme.value,
        "display_name": display_name,
        "neighbourhood": neighbourhood,
        "show_public": show_public,
        "show_funders": show_funders,
        "channel": channel.value,
        "verification": verification.value,
        "source_hash": source,
        "updated_at": moment,
        "withdrawn_at": None,
        "flags": flags,
        "moderation": "flagged" if flags else "clear",
    }
    if asked_score:
        values["score"] = score
    if existing is None:
        rows = await Endorsement.insert(
            Endorsement(
                resident=resident_id,
                organiser=organiser_id,
                created_at=moment,
                state=EndorsementState.ACTIVE.value,
                **values,
            )
        ).returning(Endorsement.id)
        endorsement_id = int(rows[0]["id"])
        replaced = False
    else:
        endorsement_id = int(existing["id"])
        replaced = existing["state"] == EndorsementState.ACTIVE.value
        if existing["state"] == EndorsementState.HIDDEN.value:
            # A moderator hid this voice: new words go back to the queue, still hidden.
            values["moderation"] = "flagged"
            values["flags"] = [*flags, "after_hidden"]
        else:
            values["state"] = EndorsementState.ACTIVE.value
        await Endorsement.update({getattr(Endorsement, k): v for k, v in values.items()}).where(
            Endorsement.id == endorsement_id
        )
    if flags:
        await moderation.flag_siblings(testimony=testimony, flags=flags)
    return VouchOutcome(endorsement_id=endorsement_id, replaced=replaced)


async def withdraw(resident_id: int, organiser_id: int | None = None) -> int:
    """Withdraw one or all of a resident's endorsements; returns how many changed."""
    condition = (Endorsement.resident == resident_id) & (
        Endorsement.state == EndorsementState.ACTIVE.value
    )
    if organiser_id is not None:
        condition &= Endorsement.organiser == organiser_id
    rows = (
        await Endorsement.update(
            {Endorsement.state: EndorsementState.WITHDRAWN.value, Endorsement.withdrawn_at: now()}
        )
        .where(condition)
        .returning(Endorsement.id)
    )
    return len(rows)
