"""What is being vouched for, when it is not an organiser: a subject with its own code
(today a building in a Right to Bid; programme/building_voices.py makes them).

A subject's voices are `SubjectVoice` rows, never endorsements, so they cannot reach an
allocation. They follow the endorsement's rules: one voice per phone per subject (again
replaces the words), phone numbers typed into the words removed before storing, consent
per audience, withdrawal always allowed, and the same abuse signals (moderation.py): a
flagged voice waits for a moderator before it is shown or counted.
"""

from __future__ import annotations

from typing import Any

from groundswell.core.clock import now
from groundswell.vouching import moderation
from groundswell.vouching.recording import TESTIMONY_MAX, VouchOutcome
from groundswell.vouching.redact import remove_phone_numbers
from groundswell.vouching.states import (
    Channel,
    EndorsementState,
    ModerationStatus,
    Verification,
)
from groundswell.vouching.tables import SubjectVoice, VouchSubject


async def subject_for_code(code: str | None) -> dict[str, Any] | None:
    """The subject a canonical code names (id, kind, code, name), or None."""
    if code is None:
        return None
    return (
        await VouchSubject.select(
            VouchSubject.id, VouchSubject.kind, VouchSubject.code, VouchSubject.name
        )
        .where(VouchSubject.code == code)
        .first()
    )


async def record_subject_voice(
    *,
    resident_id: int,
    subject_id: int,
    testimony: str,
    channel: Channel,
    verification: Verification,
    neighbourhood: str = "",
    show_public: bool | None = None,
    show_funders: bool | None = None,
    source: str = "",
) -> VouchOutcome:
    """One voice per resident per subject; runs inside the caller's write transaction.
    Consent left as None (SMS, which does not ask) keeps what was given before, off for a
    first voice; the web form always answers both."""
    moment = now()
    testimony = remove_phone_numbers(testimony[: TESTIMONY_MAX * 2])
    flags = await moderation.building_voice_flags(
        subject_id=subject_id, testimony=testimony, source=source, resident_id=resident_id
    )
    values: dict[Any, Any] = {
        SubjectVoice.testimony: testimony,
        SubjectVoice.text_digest: moderation.text_digest(testimony),
        SubjectVoice.flags: flags,
        SubjectVoice.moderation: (
            ModerationStatus.FLAGGED.value if flags else ModerationStatus.CLEAR.value
        ),
        SubjectVoice.channel: channel.value,
        SubjectVoice.verification: verification.value,
        SubjectVoice.source_hash: source,
        SubjectVoice.updated_at: moment,
        SubjectVoice.withdrawn_at: None,
    }
    if neighbourhood or channel is Channel.WEB:
        values[SubjectVoice.neighbourhood] = remove_phone_numbers(neighbourhood)
    if show_public is not None:
        values[SubjectVoice.show_public] = show_public
    if show_funders is not None:
        values[SubjectVoice.show_funders] = show_funders
    existing = (
        await SubjectVoice.select(SubjectVoice.id, SubjectVoice.state)
        .where((SubjectVoice.resident == resident_id) & (SubjectVoice.subject == subject_id))
        .first()
    )
    if existing is None:
        rows = (
            await SubjectVoice.insert(
                SubjectVoice(
                    resident=resident_id,
                    subject=subject_id,
                    created_at=moment,
                    state=EndorsementState.ACTIVE.value,
                    **{column._meta.name: value for column, value in values.items()},
                )
            )
            # A second delivery racing this one: the unique index keeps one voice.
            .on_conflict(action="DO NOTHING")
            .returning(SubjectVoice.id)
        )
        if rows:
            await moderation.flag_siblings(testimony=testimony, flags=flags, table=SubjectVoice)
            return VouchOutcome(endorsement_id=int(rows[0]["id"]), replaced=False)
        existing = (
            await SubjectVoice.select(SubjectVoice.id, SubjectVoice.state)
            .where((SubjectVoice.resident == resident_id) & (SubjectVoice.subject == subject_id))
            .first()
        )
        assert existing is not None
    if existing["state"] != EndorsementState.HIDDEN.value:
        values[SubjectVoice.state] = EndorsementState.ACTIVE.value
    else:
        # A moderator hid this voice: new words go back to the queue, still hidden.
        values[SubjectVoice.moderation] = ModerationStatus.FLAGGED.value
        values[SubjectVoice.flags] = [*flags, "after_hidden"]
    await SubjectVoice.update(values).where(SubjectVoice.id == existing["id"])
    await moderation.flag_siblings(testimony=testimony, flags=flags, table=SubjectVoice)
    return VouchOutcome(
        endorsement_id=int(existing["id"]),
        replaced=existing["state"] == EndorsementState.ACTIVE.value,
    )


async def withdraw_subject_voice(resident_id: int, subject_id: int | None = None) -> int:
    """Withdraw one or all of a resident's voices for subjects; returns how many changed."""
    condition = (SubjectVoice.resident == resident_id) & (
        SubjectVoice.state == EndorsementState.ACTIVE.value
    )
    if subject_id is not None:
        condition &= SubjectVoice.subject == subject_id
    rows = (
        await SubjectVoice.update(
            {
                SubjectVoice.state: EndorsementState.WITHDRAWN.value,
                SubjectVoice.withdrawn_at: now(),
            }
        )
        .where(condition)
        .returning(SubjectVoice.id)
    )
    return len(rows)


async def share_latest_subject_voice(resident_id: int) -> dict[str, Any] | None:
    """SHARE for the resident's newest active building voice: its words may be public (the
    evidence pack, never with name, number or place). Returns the subject, or None."""
    latest = (
        await SubjectVoice.select(
            SubjectVoice.id,
            SubjectVoice.updated_at,
            SubjectVoice.subject.name.as_alias("name"),
            SubjectVoice.subject.code.as_alias("code"),
        )
        .where(
            (SubjectVoice.resident == resident_id)
            & (SubjectVoice.state == EndorsementState.ACTIVE.value)
        )
        .order_by(SubjectVoice.updated_at, ascending=False)
        .first()
    )
    if latest is None:
        return None
    await SubjectVoice.update({SubjectVoice.show_public: True}).where(
        SubjectVoice.id == latest["id"]
    )
    return latest
