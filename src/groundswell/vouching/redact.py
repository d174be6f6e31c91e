"""Phone numbers never reach the database in residents' words, and testimony shown to anyone
has e-mail addresses taken out too."""

from __future__ import annotations

import re

_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
# Nine or more digits, allowing the spaces, dots, dashes and brackets people type in numbers.
_PHONE = re.compile(r"(?<!\w)\+?\(?\d(?:[\s().-]*\d){8,}(?!\w)")
_LINK = re.compile(
    r"(?i)\b(?:https?://|www\.)\S+|\b[\w-]+\.(?:com|org|net|uk|co|io|ly|me|info|biz)(?:/\S*)?\b"
)


def redact(text: str) -> str:
    text = _EMAIL.sub("[e-mail removed]", text)
    return remove_phone_numbers(text)


def remove_phone_numbers(text: str) -> str:
    """Applied to what residents type before it is stored: a number typed into testimony (the
    resident's own or a neighbour's) is personal data we have no reason to keep. E-mail
    addresses are kept for moderators and taken out when shown."""
    return _PHONE.sub("[number removed]", text)


def search_text(testimony: str, neighbourhood: str = "") -> str:
    """What full-text search sees: the redacted words and neighbourhood, so a search can
    never find testimony by a phone number or e-mail address that is not shown."""
    return f"{redact(testimony)}\n{redact(neighbourhood)}".strip()


def has_link(text: str) -> bool:
    # An e-mail address is redacted when shown, not a link to flag.
    return bool(_LINK.search(_EMAIL.sub(" ", text)))
