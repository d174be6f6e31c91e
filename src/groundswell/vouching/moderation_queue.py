"""The moderators' queue, read in two tabs and in groups.

"Waiting" holds voices the system flagged and voices readers reported (not yet hidden);
"Hidden" holds what a moderator hid, which can be counted again. Voices flagged together —
one burst for an organiser, the same words from many phones, one connection behind many
voices — come as one group with one decision, because a person judges the pattern, not
each of thirty identical messages. Building voices (SubjectVoice, issue #18) follow the
endorsements, one card each: they are fewer, and cannot be reported.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from groundswell.core.errors import ValidationFailed
from groundswell.vouching.states import EndorsementState, ModerationStatus
from groundswell.vouching.tables import Endorsement, ModerationReport, SubjectVoice

TABS = {"waiting": "Waiting", "hidden": "Hidden"}
QUEUE_LIMIT = 200
# The flags that mark a pattern across voices, in the order a group is formed by.
PATTERN_FLAGS = ("burst", "repeated_text", "shared_source", "shared_ip")
_ANCHOR = re.compile(r"^(voice-\d+|building-\d+|group-[a-z]+-[0-9a-f-]+)$")


@dataclass
class Entry:
    """One thing to decide: a single voice, or a group flagged together."""

    anchor: str
    voices: list[dict[str, Any]]
    pattern: str = ""  # the flag the group shares; empty for a single voice
    organisers: list[str] = field(default_factory=list)
    building: bool = False  # a building's voice (SubjectVoice), decided as kind=building

    @property
    def is_group(self) -> bool:
        return len(self.voices) > 1

    @property
    def ids(self) -> list[int]:
        return [voice["id"] for voice in self.voices]


def read_tab(value: str | None) -> str:
    tab = value or "waiting"
    if tab not in TABS:
        raise ValidationFailed(
            "Choose the Waiting or Hidden tab.", field_errors={"tab": "Choose Waiting or Hidden."}
        )
    return tab


def safe_anchor(value: str | None) -> str:
    """An anchor from a form, kept only if it is one this page makes (never a URL)."""
    return value if value and _ANCHOR.match(value) else ""


def _open_reports() -> Any:
    return ModerationReport.select(ModerationReport.endorsement).where(
        ModerationReport.resolved_at.is_null()
    )


def _waiting_where() -> Any:
    return (Endorsement.state != EndorsementState.HIDDEN.value) & (
        (Endorsement.moderation == ModerationStatus.FLAGGED.value)
        | Endorsement.id.is_in(_open_reports())
    )


def _building_where(tab: str) -> Any:
    if tab == "hidden":
        return SubjectVoice.state == EndorsementState.HIDDEN.value
    return (SubjectVoice.state != EndorsementState.HIDDEN.value) & (
        SubjectVoice.moderation == ModerationStatus.FLAGGED.value
    )


async def counts() -> dict[str, int]:
    return {
        "waiting": await Endorsement.count().where(_waiting_where())
        + await SubjectVoice.count().where(_building_where("waiting")),
        "reported": await Endorsement.count().where(
            (Endorsement.state != EndorsementState.HIDDEN.value)
            & (Endorsement.moderation != ModerationStatus.FLAGGED.value)
            & Endorsement.id.is_in(_open_reports())
        ),
        "hidden": await Endorsement.count().where(
            Endorsement.state == EndorsementState.HIDDEN.value
        )
        + await SubjectVoice.count().where(_building_where("hidden")),
    }


async def waiting_organisers() -> dict[int, int]:
    """Voices waiting for a decision, counted by organiser (for the rounds they affect)."""
    rows = await Endorsement.select(Endorsement.organiser).where(_waiting_where())
    counted: dict[int, int] = {}
    for row in rows:
        counted[row["organiser"]] = counted.get(row["organiser"], 0) + 1
    return counted


def _group_key(voice: dict[str, Any]) -> str | None:
    if voice["moderation"] != ModerationStatus.FLAGGED.value:
        return None
    flags = set(voice["flags"])
    if "burst" in flags:
        return f"group-burst-{voice['organiser']}"
    if "repeated_text" in flags and voice["text_digest"]:
        return f"group-words-{voice['text_digest'][:16]}"
    if flags & {"shared_source", "shared_ip"} and voice["source_hash"]:
        return f"group-source-{voice['organiser']}-{voice['source_hash'][:16]}"
    return None


def _pattern(voices: list[dict[str, Any]]) -> str:
    shared = set.intersection(*(set(v["flags"]) for v in voices))
    return next((flag for flag in PATTERN_FLAGS if flag in shared), "")


async def queue(tab: str) -> list[Entry]:
    where = (
        _waiting_where() if tab == "waiting" else Endorsement.state == EndorsementState.HIDDEN.value
    )
    voices = (
        await Endorsement.select(
            Endorsement.id,
            Endorsement.testimony,
            Endorsement.flags,
            Endorsement.state,
            Endorsement.moderation,
            Endorsement.updated_at,
            Endorsement.text_digest,
            Endorsement.source_hash,
            Endorsement.organiser,
            Endorsement.organiser.name.as_alias("organiser_name"),
            Endorsement.organiser.code.as_alias("organiser_code"),
        )
        .where(where)
        .order_by(Endorsement.updated_at, ascending=False)
        .order_by(Endorsement.id, ascending=False)
        .limit(QUEUE_LIMIT)
        .output(load_json=True)
    )
    reports = await ModerationReport.select(
        ModerationReport.endorsement, ModerationReport.reason
    ).where(ModerationReport.resolved_at.is_null())
    by_voice: dict[int, list[str]] = {}
    for item in reports:
        by_voice.setdefault(item["endorsement"], []).append(item["reason"])
    entries: list[Entry] = []
    groups: dict[str, Entry] = {}
    for voice in voices:
        voice["reports"] = by_voice.get(voice["id"], [])
        key = _group_key(voice) if tab == "waiting" else None
        if key is None:
            entries.append(Entry(anchor=f"voice-{voice['id']}", voices=[voice]))
        elif key in groups:
            groups[key].voices.append(voice)
        else:
            groups[key] = Entry(anchor=key, voices=[voice])
            entries.append(groups[key])
    for entry in entries:
        if entry.is_group:
            entry.pattern = _pattern(entry.voices)
        else:
            # A group of one is just a voice: decided, and anchored, on its own.
            entry.anchor = f"voice-{entry.voices[0]['id']}"
        entry.organisers = sorted({v["organiser_name"] for v in entry.voices})
    return entries + await _building_entries(tab)


async def _building_entries(tab: str) -> list[Entry]:
    voices = (
        await SubjectVoice.select(
            SubjectVoice.id,
            SubjectVoice.testimony,
            SubjectVoice.flags,
            SubjectVoice.state,
            SubjectVoice.moderation,
            SubjectVoice.updated_at,
            SubjectVoice.subject.name.as_alias("subject_name"),
            SubjectVoice.subject.code.as_alias("subject_code"),
        )
        .where(_building_where(tab))
        .order_by(SubjectVoice.updated_at, ascending=False)
        .order_by(SubjectVoice.id, ascending=False)
        .limit(QUEUE_LIMIT)
        .output(load_json=True)
    )
    for voice in voices:
        voice["reports"] = []
    return [Entry(anchor=f"building-{v['id']}", voices=[v], building=True) for v in voices]
