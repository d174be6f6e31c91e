"""What a lesson can be tagged with, and whose words it is (pure: enums and their labels)."""

from __future__ import annotations

from enum import StrEnum


class Tag(StrEnum):
    """What got in the way, in a handful of words a learning review can count."""

    ORGANISER_LEFT = "organiser_left"
    HARD_TO_REACH = "hard_to_reach"
    LANGUAGE = "language"
    TRUST = "trust"
    TIMING = "timing"
    OTHER = "other"


TAG_LABELS: dict[str, str] = {
    Tag.ORGANISER_LEFT.value: "Organiser left",
    Tag.HARD_TO_REACH.value: "Hard-to-reach group",
    Tag.LANGUAGE.value: "Language",
    Tag.TRUST.value: "Trust",
    Tag.TIMING.value: "Timing",
    Tag.OTHER.value: "Other",
}


class Voice(StrEnum):
    """Whose words the note is: the writer's own learning, or the organiser's own reflection
    (recorded for them by their host)."""

    WRITER = "writer"
    ORGANISER = "organiser"


VOICE_LABELS: dict[str, str] = {
    Voice.WRITER.value: "What the writer learned",
    Voice.ORGANISER.value: "The organiser's own words",
}


def tag_label(value: str) -> str:
    return TAG_LABELS.get(value, value.replace("_", " ").capitalize())
