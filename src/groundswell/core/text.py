"""Text as people type it, without the characters nobody types."""

from __future__ import annotations

import unicodedata

# Tabs and line breaks are typed; other control characters are not. NUL makes PostgreSQL
# refuse the whole row; the bidirectional embeddings and overrides (U+202A-U+202E) can make a
# name read backwards to a funder. The isolates (U+2066-U+2069), which right-to-left names
# may need, are kept.
_KEPT_CONTROLS = frozenset("\t\n\r")
_BIDI_OVERRIDES = frozenset("\u202a\u202b\u202c\u202d\u202e")


def without_control_characters(text: str) -> str:
    """`text` without control characters (except tab and line breaks), lone surrogates or
    bidirectional overrides."""
    if text.isprintable():
        return text  # the common case, at C speed
    return "".join(
        ch
        for ch in text
        if ch in _KEPT_CONTROLS
        or (ch not in _BIDI_OVERRIDES and unicodedata.category(ch) not in ("Cc", "Cs"))
    )


# Letters that carry no combining mark to strip but that people type without their stroke.
_PLAIN_LETTERS = str.maketrans(
    {"ł": "l", "ø": "o", "đ": "d", "ħ": "h", "ı": "i", "æ": "ae", "œ": "oe"}
)


def search_folded(text: str) -> str:
    """`text` as names are searched: without accents or case, so "sian" finds Siân and
    "lucja" finds Łucja (NFKD, combining marks dropped, casefolded)."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return plain.translate(_PLAIN_LETTERS)


def plain_number(value: float | int | str | None) -> str:
    """A number as people write it: 90 not 90.0, 0.5 as 0.5; text is left as it is."""
    if value is None or isinstance(value, str):
        return value or ""
    if float(value).is_integer():
        return str(int(value))
    return f"{value:g}"
