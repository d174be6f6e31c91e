"""Signals that a voice may not be what it seems, and the moderators' queue.

Voices the system flags itself (bursts, repeated words, one source behind many voices, links)
wait for a person: they are not shown and do not count for funding until a moderator restores
them. A reader's report only asks a person to look: the voice keeps counting and showing until
a moderator decides. Hidden voices never show and never count. Every decision is audited.
"""

from __future__ import annotations

import re
from datetime import timedelta
from hashlib import sha256
from typing import Any

from groundswell.core import audit
from groundswell.core.clock import now
from groundswell.core.errors import Forbidden, NotFound, ValidationFailed
from groundswell.core.principal import Principal
from groundswell.db import locked, write_transaction
from groundswell.settings import Settings
from groundswell.vouching.queries import Audience, visible_endorsement
from groundswell.vouching.redact import has_link, remove_phone_numbers
from groundswell.vouching.states import EndorsementState, ModerationStatus
from groundswell.vouching.tables import Endorsement, ModerationReport, SubjectVoice

BURST_WINDOW = timedelta(hours=1)
BURST_NEW_VOICES = 15  # new voices for one organiser in an hour before the rest wait for a person
REPEATED_TEXT_VOICES = 3  # the same words from this many residents
SHARED_SOURCE_VOICES = 5  # voices from one IP or web session for one organiser

# Why a voice was flagged (Endorsement.flags, set below; "reported" from older data, when a
# report still held a voice; the round page also counts a voice's open reports under it),
# in words for moderators and funders: the moderation queue and the round's signal health.
FLAG_LABELS = {
    "burst": f"a burst: {BURST_NEW_VOICES} or more new voices for this organiser within an hour",
    "repeated_text": f"repeated words: the same text from {REPEATED_TEXT_VOICES} or more phones",
    "shared_source": f"one connection: {SHARED_SOURCE_VOICES} or more voices for this organiser "
    "from the same internet connection or browser",
    "shared_ip": f"one connection: {SHARED_SOURCE_VOICES} or more voices for this organiser "
    "from the same internet connection or browser",
    "link": "a web link in the words",
    "reported": "reported by a reader",
    "after_hidden": "new words after an earlier testimony was hidden",
}


def flag_label(flag: str, building: bool = False) -> str:
    label = FLAG_LABELS.get(flag, flag.replace("_", " "))
    # A building voice's signals are counted among that building's voices.
    return label.replace("this organiser", "this building") if building else label


def text_digest(text: str) -> str:
    """The same words, whatever the case, spacing and punctuation, give the same digest."""
    return sha256(re.sub(r"[^\w]+", " ", text.lower()).strip().encode()).hexdigest()


async def automatic_flags(
    settings: Settings, *, organiser_id: int, testimony: str, source: str, resident_id: int
) -> list[str]:
    return await _signals(_ENDORSEMENT_SIGNALS, organiser_id, testimony, source, resident_id)


async def building_voice_flags(
    *, subject_id: int, testimony: str, source: str, resident_id: int
) -> list[str]:
    """The same signals for a building's voice (SubjectVoice), counted among that building's
    voices; repeated words among all building voices."""
    return await _signals(_BUILDING_SIGNALS, subject_id, testimony, source, resident_id)


# The three signals' counts in one round trip (this runs for every vouch). Each needs to know
# only whether its threshold is reached, so each reads at most that many rows: the cost stays
# the same however many voices an organiser has. Voices of the same resident never count.
# A NULL digest or source (too few words, no source) matches nothing.
def _signals_sql(table: str, target: str) -> str:
    # Built once at import from names in this module; every value is a parameter.
    def at_most(where: str, enough: int, name: str) -> str:
        rows = f"SELECT 1 FROM {table} WHERE {where} AND resident <> {{}} LIMIT {enough}"  # noqa: S608
        return f"(SELECT count(*) FROM ({rows}) AS {name}) AS {name}"  # noqa: S608

    return "SELECT " + ", ".join(
        [
            # Words are given (updated_at) no earlier than the voice is created, so the
            # redundant bound on updated_at lets the organiser's (organiser, updated_at)
            # index read only its recent voices.
            at_most(
                f"{target} = {{}} AND updated_at > {{}} AND created_at > {{}}",
                BURST_NEW_VOICES,
                "recent",
            ),
            at_most("text_digest = {}", REPEATED_TEXT_VOICES, "same"),
            at_most(f"{target} = {{}} AND source_hash = {{}}", SHARED_SOURCE_VOICES, "shared"),
        ]
    )


_ENDORSEMENT_SIGNALS = _signals_sql("endorsement", "organiser")
_BUILDING_SIGNALS = _signals_sql("subject_voice", "subject")


async def _signals(
    sql: str, target_id: int, testimony: str, source: str, resident_id: int
) -> list[str]:
    flags: list[str] = []
    if has_link(testimony):
        flags.append("link")
    digest = text_digest(testimony) if len(testimony.split()) >= 3 else None
    since = now() - BURST_WINDOW
    [counts] = await Endorsement.raw(
        sql,
        target_id,
        since,
        since,
        resident_id,
        digest,
        resident_id,
        target_id,
        source or None,
        resident_id,
    )
    if counts["recent"] >= BURST_NEW_VOICES:
        flags.append("burst")
    if digest is not None and counts["same"] + 1 >= REPEATED_TEXT_VOICES:
        flags.append("repeated_text")
    if source and counts["shared"] + 1 >= SHARED_SOURCE_VOICES:
        flags.append("shared_source")
    return flags


async def flag_siblings(
    *, testimony: str, flags: list[str], table: type[Endorsement] | type[SubjectVoice] = Endorsement
) -> None:
    """When the same words arrive from many numbers, the earlier copies wait for review too."""
    if "repeated_text" not in flags:
        return
    rows = (
        await table.select(table.id, table.flags)
        .where(
            (table.text_digest == text_digest(testimony))
            & (table.moderation == ModerationStatus.CLEAR.value)
        )
        .output(load_json=True)
    )
    for row in rows:
        await table.update(
            {
                table.moderation: ModerationStatus.FLAGGED.value,
                table.flags: [*row["flags"], "repeated_text"],
            }
        ).where(table.id == row["id"])


# The same answer for unknown testimony and testimony this reader cannot see.
NOT_FOUND_MESSAGE = "There is no testimony here to report."


async def report(public_ref: str, reason: str, *, audience: Audience, source: str) -> None:
    """Put a voice in front of a moderator. It changes nothing about the voice: only a
    moderator's recorded decision hides it. One report per source (keyed hash of the
    reporter's address or session) per voice; a second from the same source is a no-op."""
    async with write_transaction():
        endorsement_id = await visible_endorsement(public_ref, audience)
        if endorsement_id is None:
            raise NotFound(NOT_FOUND_MESSAGE)
        await ModerationReport.insert(
            ModerationReport(
                endorsement=endorsement_id,
                reason=remove_phone_numbers(reason)[:500],
                source_hash=source,
            )
        ).on_conflict(action="DO NOTHING")


async def reports_by_source(limit: int = 20) -> list[dict[str, Any]]:
    """Open reports counted by source, most first: many reports from one source across many
    voices is reporting used as an attack, visible at a glance. Sources are keyed hashes;
    moderators see a short prefix, enough to tell them apart."""
    rows = await ModerationReport.raw(
        "SELECT source_hash, COUNT(*) AS reports, COUNT(DISTINCT endorsement) AS voices "
        "FROM moderation_report WHERE resolved_at IS NULL "
        "AND source_hash IS NOT NULL GROUP BY source_hash ORDER BY COUNT(*) DESC, "
        "MAX(created_at) DESC LIMIT {}",
        limit,
    )
    return [
        {
            "source": str(row["source_hash"])[:10],
            "reports": int(row["reports"]),
            "voices": int(row["voices"]),
        }
        for row in rows
    ]


ACTIONS = {"hide", "restore"}
GROUP_LIMIT = 200  # voices one decision may cover: a burst is tens, never thousands


async def decide(principal: Principal, endorsement_id: int, action: str, note: str = "") -> None:
    """hide: never shown or counted; restore ("keep counting"): visible and counted again,
    marked reviewed."""
    await decide_many(principal, [endorsement_id], action, note)


async def decide_many(
    principal: Principal,
    endorsement_ids: list[int],
    action: str,
    note: str = "",
    *,
    tab: str = "",
) -> int:
    """One decision for voices flagged together (a burst), in one transaction: all of them
    or none. Each voice keeps its own audit entry. Returns how many changed. `tab` is where
    the decision was made: "keep counting" from Waiting never counts again a voice another
    moderator hid since the page was read (counting it again is the Hidden tab's decision);
    without a tab (not the page's form) the decision is taken as asked."""
    ids = _checked(principal, endorsement_ids, action)
    group_note = f" (one decision for {len(ids)} voices flagged together)" if len(ids) > 1 else ""
    changed = 0
    async with write_transaction():
        rows = await locked(
            Endorsement.select(Endorsement.id, Endorsement.state, Endorsement.moderation).where(
                Endorsement.id.is_in(ids)
            )
        )
        if len(rows) != len(ids):
            raise NotFound("That testimony does not exist.")
        for row in rows:
            if (
                tab == "waiting"
                and action == "restore"
                and row["state"] == EndorsementState.HIDDEN.value
            ):
                continue
            if await _decide_one(principal, row, action, (note[:450] + group_note).strip()):
                changed += 1
    return changed


def _checked(principal: Principal, voice_ids: list[int], action: str) -> list[int]:
    if not principal.is_admin:
        raise Forbidden("Only administrators moderate testimony.")
    if action not in ACTIONS:
        # A form sent with another action is bad input (422), not a missing page (404).
        raise ValidationFailed(
            "Choose keep counting or hide.",
            field_errors={"action": "Choose keep counting or hide."},
        )
    ids = sorted(set(voice_ids))
    if not ids or len(ids) > GROUP_LIMIT:
        raise ValidationFailed(
            "Choose the voices to decide on.", field_errors={"ids": "Choose at least one voice."}
        )
    return ids


async def decide_building_voices(
    principal: Principal, voice_ids: list[int], action: str, note: str = ""
) -> int:
    """The same decision for building voices (SubjectVoice): hide, or keep (shown, if the
    resident shared the words, and counted in the evidence pack). No reports: building
    voices cannot be reported. Each voice is audited; returns how many changed."""
    ids = _checked(principal, voice_ids, action)
    changed = 0
    async with write_transaction():
        rows = await locked(
            SubjectVoice.select(SubjectVoice.id, SubjectVoice.state, SubjectVoice.moderation).where(
                SubjectVoice.id.is_in(ids)
            )
        )
        if len(rows) != len(ids):
            raise NotFound("That building voice does not exist.")
        for row in rows:
            hidden = row["state"] == EndorsementState.HIDDEN.value
            if (action == "hide" and hidden) or (
                action == "restore"
                and not hidden
                and row["moderation"] != ModerationStatus.FLAGGED.value
            ):
                continue
            state = EndorsementState.HIDDEN.value if action == "hide" else row["state"]
            if action == "restore" and hidden:
                state = EndorsementState.ACTIVE.value
            await SubjectVoice.update(
                {
                    SubjectVoice.state: state,
                    SubjectVoice.moderation: ModerationStatus.REVIEWED.value,
                }
            ).where(SubjectVoice.id == row["id"])
            await audit.record(
                principal,
                f"building_voice.{action}",
                "subject_voice",
                row["id"],
                note=note[:500],
                before={"state": row["state"], "moderation": row["moderation"]},
            )
            changed += 1
    return changed


async def _decide_one(principal: Principal, row: dict[str, Any], action: str, note: str) -> bool:
    endorsement_id = row["id"]
    values: dict[Any, Any]
    if action == "hide":
        if row["state"] == EndorsementState.HIDDEN.value:
            return False
        values = {
            Endorsement.state: EndorsementState.HIDDEN.value,
            Endorsement.moderation: ModerationStatus.REVIEWED.value,
        }
    else:
        open_reports = await ModerationReport.exists().where(
            (ModerationReport.endorsement == endorsement_id)
            & ModerationReport.resolved_at.is_null()
        )
        # Restoring a voice that was only reported keeps it and closes its reports.
        if (
            row["state"] != EndorsementState.HIDDEN.value
            and row["moderation"] != ModerationStatus.FLAGGED.value
            and not open_reports
        ):
            return False
        state = (
            EndorsementState.ACTIVE.value
            if row["state"] == EndorsementState.HIDDEN.value
            else row["state"]
        )
        values = {
            Endorsement.state: state,
            Endorsement.moderation: ModerationStatus.REVIEWED.value,
        }
    await Endorsement.update(values).where(Endorsement.id == endorsement_id)
    await ModerationReport.update({ModerationReport.resolved_at: now()}).where(
        (ModerationReport.endorsement == endorsement_id) & ModerationReport.resolved_at.is_null()
    )
    await audit.record(
        principal,
        f"testimony.{action}",
        "endorsement",
        endorsement_id,
        note=note[:500],
        before={"state": row["state"], "moderation": row["moderation"]},
    )
    return True
