"""Organiser vouching codes such as ``AMINA-7K``.

A code is printed on flyers, read aloud and typed on old phones, so the format is chosen for
people rather than machines:

* a name part of 2-12 ASCII letters (the organiser's first name, folded to ASCII);
* a hyphen;
* a two-character suffix from ``CODE_SUFFIX_ALPHABET``, which leaves out 0, O, 1, I and L
  because they are easily confused when handwritten or read out;
* the suffix always contains at least one digit. ``generate_code`` puts a digit first. The
  digit is what lets the SMS grammar tell "AMINA 7K she..." (a code typed with a space) from
  "AMINA ok she..." (a name followed by a two-letter word), and stops ordinary words such as
  "THANKS" being read as a code typed without a separator ("THAN" + "KS").

``normalise_code`` accepts the ways residents actually type a code (any case, a space,
underscore, dot, dash variant or nothing between the parts, accents on the name) and returns
the canonical form, or ``None`` when the text cannot be a code.
"""

from __future__ import annotations

import re
import secrets
import unicodedata
from collections.abc import Sequence
from typing import Protocol

CODE_SUFFIX_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
CODE_SUFFIX_DIGITS = "23456789"
NAME_MIN_LETTERS = 2
NAME_MAX_LETTERS = 12
FALLBACK_NAME = "ORG"

_SUFFIX_SET = frozenset(CODE_SUFFIX_ALPHABET)
_CANONICAL_RE = re.compile(r"[A-Z]{2,12}-[23456789A-HJKMNP-Z]{2}")

# Dashes that phones' "smart punctuation" substitutes for the hyphen a resident typed.
_DASHES = "\u2010\u2011\u2012\u2013\u2014\u2015\u2212\ufe58\ufe63\uff0d"
_DASH_TABLE = str.maketrans(dict.fromkeys(_DASHES, "-"))

# The name part is letters only, so a 0 or 1 typed there can only have meant O or I.
# The suffix never contains 0, 1, O, I or L, so nothing is mapped there: a suffix containing
# one of them is simply not a code.
_NAME_CONFUSABLES = str.maketrans({"0": "O", "1": "I"})

_TYPED_RE = re.compile(
    r"(?P<name>[A-Z01]{2,12})\s*[-_.]?\s*(?P<suffix>[A-Z0-9]{2})",
)

# Letters that NFKD does not decompose into an ASCII base letter.
_EXTRA_FOLDS = str.maketrans(
    {
        "ß": "ss",
        "ẞ": "SS",
        "æ": "ae",
        "Æ": "AE",
        "ø": "o",
        "Ø": "O",
        "œ": "oe",
        "Œ": "OE",
        "ł": "l",
        "Ł": "L",
        "đ": "d",
        "Đ": "D",
        "ð": "d",
        "Ð": "D",
        "þ": "th",
        "Þ": "TH",
        "ı": "i",
    }
)

# Titles people put before a name on a form; a code reading "DR-7K" helps nobody.
_HONORIFICS = frozenset({"DR", "MR", "MRS", "MS", "MISS", "MX", "REV", "PROF", "SIR", "DAME"})


class Chooser(Protocol):
    """Anything with ``choice``: ``random.Random`` (seeded, for tests) or ``secrets``."""

    def choice(self, seq: Sequence[str], /) -> str: ...


def fold_accents(text: str) -> str:
    """Strip accents and fold special letters so "Siân" and "Zoë" become "Sian" and "Zoe".

    Other non-ASCII characters are kept, so that text in another script is not silently
    emptied into something that looks like a code. Invisible format characters (zero-width
    spaces and joiners) are dropped: nobody typed them on purpose.
    """
    decomposed = unicodedata.normalize("NFKD", text.translate(_EXTRA_FOLDS))
    return "".join(
        ch
        for ch in decomposed
        if not unicodedata.combining(ch) and unicodedata.category(ch) != "Cf"
    )


def normalise_code(raw: str) -> str | None:
    """Return the canonical ``NAME-XX`` form of a typed code, or ``None`` if it is not one.

    Accepts "amina-7k", "Amina 7k", "AMINA7K", "amina_7k", "amina.7k", "AMINA–7K" (en dash),
    "ZOË-7K" (accents folded) and "AM1NA-7K" (0/1 in the name read as O/I). The suffix is
    never corrected: it must already be two characters from the alphabet with a digit.
    """
    if not isinstance(raw, str) or len(raw) > 64:
        return None
    text = fold_accents(raw.translate(_DASH_TABLE)).strip().upper()
    match = _TYPED_RE.fullmatch(text)
    if match is None:
        return None
    name = match.group("name").translate(_NAME_CONFUSABLES)
    suffix = match.group("suffix")
    if not _suffix_ok(suffix):
        return None
    return f"{name}-{suffix}"


def is_valid_code(code: str) -> bool:
    """True when ``code`` is already in canonical form (what the database stores)."""
    if not isinstance(code, str) or _CANONICAL_RE.fullmatch(code) is None:
        return False
    return _suffix_ok(code[-2:])


def name_part(name: str) -> str:
    """The letters a code for ``name`` starts with: the first name, ASCII, 2-12 letters."""
    for word in name.split():
        letters = "".join(ch for ch in fold_accents(word).upper() if "A" <= ch <= "Z")
        if len(letters) >= NAME_MIN_LETTERS and letters not in _HONORIFICS:
            return letters[:NAME_MAX_LETTERS]
    return FALLBACK_NAME


def generate_code(name: str, rng: Chooser | None = None) -> str:
    """Make a code such as ``AMINA-7K`` for an organiser called ``name``.

    The suffix gives 8 x 31 = 248 codes per name; the caller checks uniqueness in the
    database and calls again on a clash. ``rng`` defaults to ``secrets`` so codes cannot be
    predicted from one another; pass ``random.Random(seed)`` in tests.
    """
    chooser: Chooser = rng if rng is not None else secrets
    suffix = chooser.choice(CODE_SUFFIX_DIGITS) + chooser.choice(CODE_SUFFIX_ALPHABET)
    return f"{name_part(name)}-{suffix}"


def _suffix_ok(suffix: str) -> bool:
    return (
        len(suffix) == 2
        and all(ch in _SUFFIX_SET for ch in suffix)
        and any(ch.isdigit() for ch in suffix)
    )
