"""The SMS grammar: what a resident's text message asks Groundswell to do.

Pure and total: ``parse_sms`` accepts any text Twilio (or a fuzzer) can send, up to and beyond
1,600 characters, including emoji, right-to-left text, NUL and other control characters, and
always returns a ``Command``. It never looks anything up; whether a code belongs to a real
organiser is the caller's business.

Forms recognised (any case, extra spaces and punctuation tolerated):

- ``AMINA-7K she got the lights fixed``: VOUCH with code and testimony;
  ``VOUCH AMINA-7K she got...`` too (``keyword="VOUCH"``).
- ``AMINA-7K`` or ``VOUCH AMINA-7K``: CODE_ONLY; the caller asks for the resident's words.
- ``WITHDRAW AMINA-7K``: WITHDRAW_ONE (words after the code are ignored).
- ``WITHDRAW`` alone: WITHDRAW_ASK (the caller asks which, listing the codes).
  ``WITHDRAW ALL`` (or ``EVERYTHING``): WITHDRAW_ALL. ``WITHDRAW`` followed by something that
  is not a code: UNKNOWN with ``keyword="WITHDRAW"``.
- ``STOP`` ``STOPALL`` ``UNSUBSCRIBE`` ``CANCEL`` ``END`` ``QUIT`` (and Welsh ``STOPIO``):
  OPT_OUT, which stops texts and nothing else: the words keep counting.
- ``START`` ``UNSTOP`` ``YES`` (and Welsh ``AILDDECHRAU``): RESUME (``keyword`` says which
  word; YES also confirms a DELETE or opts in to hear back).
- ``MYDATA`` ``MY DATA`` (Welsh ``FYNATA``, ``FY NATA``: "my data", with the soft mutation
  a Welsh speaker writes): MY_DATA, what is held for this number.
- ``DELETE`` (Welsh ``DILEU``): ERASE, which asks for YES before erasing everything.
- ``HELP`` ``INFO``: HELP.
- ``SHARE`` ``RHANNU``: SHARE, consent for funders to read the words just sent.
- ``CYMRAEG`` ``WELSH`` / ``ENGLISH`` ``SAESNEG``: LANGUAGE, the language of our replies
  (``keyword`` says which word; ``LANGUAGE_KEYWORDS`` maps it to a language).
- nothing: EMPTY, or MEDIA_ONLY when a picture came with it.
- anything else: UNKNOWN.

The one-word keywords are the carrier's: they only count when they are the whole message
(punctuation and emoji around them allowed: "Stop." "help!" "STOP 🛑"), because the
carrier acts on them only then, and because "End of the day she was there for us" must not
unsubscribe anyone. A code is only recognised at the start of the message (after an optional
VOUCH), as in the instructions residents are given.

A code may be typed with a space instead of the hyphen ("Amina 7k she listens"); the pair
of words is read as a code only when the second word is two suffix characters including a
digit, which every code suffix has (see ``groundswell.community.codes``). So
"Amina ok she listens" is not mistaken for the code AMINA-OK.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from enum import StrEnum

from groundswell.community.codes import normalise_code

__all__ = [
    "ERASE_KEYWORDS",
    "HELP_KEYWORDS",
    "LANGUAGE_KEYWORDS",
    "MY_DATA_KEYWORDS",
    "OPT_OUT_KEYWORDS",
    "RESUME_KEYWORDS",
    "SHARE_KEYWORDS",
    "Command",
    "CommandKind",
    "clean_text",
    "parse_sms",
]


class CommandKind(StrEnum):
    VOUCH = "vouch"
    CODE_ONLY = "code_only"
    WITHDRAW_ONE = "withdraw_one"
    WITHDRAW_ASK = "withdraw_ask"
    WITHDRAW_ALL = "withdraw_all"
    OPT_OUT = "opt_out"
    RESUME = "resume"
    HELP = "help"
    LANGUAGE = "language"
    SHARE = "share"
    MY_DATA = "my_data"
    ERASE = "erase"
    UNKNOWN = "unknown"
    EMPTY = "empty"
    MEDIA_ONLY = "media_only"


@dataclass(frozen=True, slots=True)
class Command:
    """One parsed message.

    ``code`` is canonical (``AMINA-7K``) for VOUCH, CODE_ONLY and WITHDRAW_ONE, else None.
    ``testimony`` is the resident's words, tidied but otherwise untouched, for VOUCH only.
    ``keyword`` is the command word the message used, upper case ("STOP", "YES", "VOUCH",
    "WITHDRAW"...), so the caller can, for example, treat YES after a thank-you as opting in
    to hear back, or answer "WITHDRAW something-unreadable" with help on withdrawing.
    """

    kind: CommandKind
    code: str | None = None
    testimony: str | None = None
    keyword: str | None = None


# The carrier's opt-out words, and the Welsh for stop the catalogue's Welsh replies use.
OPT_OUT_KEYWORDS = frozenset({"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "STOPIO"})
RESUME_KEYWORDS = frozenset({"START", "UNSTOP", "YES", "AILDDECHRAU"})
# "Fy nata" is "my data" in Welsh (data after "fy" takes the nasal mutation); written as
# one word or two, like MYDATA / MY DATA.
MY_DATA_KEYWORDS = frozenset({"MYDATA", "FYNATA"})
ERASE_KEYWORDS = frozenset({"DELETE", "DILEU"})
HELP_KEYWORDS = frozenset({"HELP", "INFO"})
LANGUAGE_KEYWORDS = {"CYMRAEG": "cy", "WELSH": "cy", "ENGLISH": "en", "SAESNEG": "en"}
SHARE_KEYWORDS = frozenset({"SHARE", "RHANNU"})
_VOUCH = "VOUCH"
_WITHDRAW = "WITHDRAW"
_WITHDRAW_ALL_WORDS = frozenset({"ALL", "EVERYTHING"})

# Characters that may sit between the code and the testimony ("AMINA-7K: she...",
# "AMINA-7K - she..."). Quotes and brackets are not here: they belong to the testimony.
_LEADING_SEPARATORS = " \t\n:;,.-–—|/\\"

_HORIZONTAL_SPACE_RE = re.compile(r"[^\S\n]+")
_MANY_NEWLINES_RE = re.compile(r"\n{3,}")
_TOKEN_RE = re.compile(r"\S+")


def parse_sms(body: str | None, num_media: int = 0) -> Command:
    """Parse one inbound SMS body (Twilio's ``Body``) into a ``Command``. Never raises."""
    text = clean_text(body if isinstance(body, str) else "")
    tokens = [(m.group(), m.end()) for m in _TOKEN_RE.finditer(text)]
    if not tokens:
        has_media = isinstance(num_media, int) and num_media > 0
        return Command(CommandKind.MEDIA_ONLY if has_media else CommandKind.EMPTY)

    words = [w for w in (_word(tok) for tok, _ in tokens) if w]
    if len(words) == 1:
        keyword_command = _single_keyword(words[0])
        if keyword_command is not None:
            return keyword_command
    if len(words) == 2 and "".join(words) in MY_DATA_KEYWORDS:
        return Command(CommandKind.MY_DATA, keyword="".join(words))

    first = _word(tokens[0][0])
    if first == _WITHDRAW:
        return _withdraw(text, tokens[1:])

    keyword: str | None = None
    rest = tokens
    if first == _VOUCH:
        keyword, rest = _VOUCH, tokens[1:]
    found = _code_at_start(rest)
    if found is None:
        return Command(CommandKind.UNKNOWN, keyword=keyword)
    code, end = found
    testimony = _tidy_testimony(text[end:])
    if not testimony:
        return Command(CommandKind.CODE_ONLY, code=code, keyword=keyword)
    return Command(CommandKind.VOUCH, code=code, testimony=testimony, keyword=keyword)


def clean_text(raw: str) -> str:
    """Make message text safe to parse, store and show, without changing what it says.

    Control characters (NUL, escape...) and lone surrogates (which cannot be stored as
    UTF-8) are removed; tabs and the
    various line breaks become spaces and newlines; runs of spaces collapse to one and blank
    lines to one. Emoji joiners and right-to-left marks are kept: they are part of the text.
    """
    text = raw.replace("\r\n", "\n").replace("\r", "\n")
    text = "".join(_clean_char(ch) for ch in text)
    text = unicodedata.normalize("NFC", text)
    text = _HORIZONTAL_SPACE_RE.sub(" ", text)
    text = "\n".join(line.strip() for line in text.split("\n"))
    return _MANY_NEWLINES_RE.sub("\n\n", text).strip()


def _clean_char(ch: str) -> str:
    if ch in "\n\t":
        return ch
    category = unicodedata.category(ch)
    if category in ("Zl", "Zp") or ch in "\x0b\x0c\x1c\x1d\x1e\x85":
        return "\n"
    # Unassigned code points are kept: they are most likely emoji newer than this Python.
    if category in ("Cc", "Cs"):
        return ""
    return ch


def _word(token: str) -> str:
    """A token as a command word: compatibility-folded, stripped of punctuation, upper case."""
    folded = unicodedata.normalize("NFKC", token)
    start, end = 0, len(folded)
    while start < end and not folded[start].isalnum():
        start += 1
    while end > start and not folded[end - 1].isalnum():
        end -= 1
    return folded[start:end].upper()


def _single_keyword(word: str) -> Command | None:
    if word in OPT_OUT_KEYWORDS:
        return Command(CommandKind.OPT_OUT, keyword=word)
    if word in RESUME_KEYWORDS:
        return Command(CommandKind.RESUME, keyword=word)
    if word in HELP_KEYWORDS:
        return Command(CommandKind.HELP, keyword=word)
    if word in LANGUAGE_KEYWORDS:
        return Command(CommandKind.LANGUAGE, keyword=word)
    if word in SHARE_KEYWORDS:
        return Command(CommandKind.SHARE, keyword=word)
    if word in MY_DATA_KEYWORDS:
        return Command(CommandKind.MY_DATA, keyword=word)
    if word in ERASE_KEYWORDS:
        return Command(CommandKind.ERASE, keyword=word)
    if word == _WITHDRAW:
        # Which words? Taking back every vouch needs the resident to say ALL.
        return Command(CommandKind.WITHDRAW_ASK, keyword=_WITHDRAW)
    return None


def _withdraw(text: str, rest: list[tuple[str, int]]) -> Command:
    words = [w for w in (_word(tok) for tok, _ in rest) if w]
    if not words:
        return Command(CommandKind.WITHDRAW_ASK, keyword=_WITHDRAW)
    if len(words) == 1 and words[0] in _WITHDRAW_ALL_WORDS:
        return Command(CommandKind.WITHDRAW_ALL, keyword=_WITHDRAW)
    found = _code_at_start(rest)
    if found is None:
        # Withdrawing everything when the resident named something we could not read would
        # silence voices they meant to keep; the caller answers with how to withdraw.
        return Command(CommandKind.UNKNOWN, keyword=_WITHDRAW)
    return Command(CommandKind.WITHDRAW_ONE, code=found[0], keyword=_WITHDRAW)


def _code_at_start(tokens: list[tuple[str, int]]) -> tuple[str, int] | None:
    """The code at the start of ``tokens`` and the text offset just after it, if any."""
    if not tokens:
        return None
    first, first_end = tokens[0]
    code = normalise_code(_strip_code_punctuation(first))
    if code is not None:
        return code, first_end
    if len(tokens) >= 2:
        second, second_end = tokens[1]
        suffix = _strip_code_punctuation(second)
        # Only the "NAME 7K" spacing is tried here: the suffix's digit rule in
        # normalise_code is what keeps "Amina ok" from becoming a code.
        if len(suffix) == 2:
            code = normalise_code(f"{_strip_code_punctuation(first)} {suffix}")
            if code is not None:
                return code, second_end
    return None


def _strip_code_punctuation(token: str) -> str:
    """Strip what residents put around a code ("(AMINA-7K)", "#AMINA-7K:", "AMINA-7K,")."""
    start, end = 0, len(token)
    while start < end and not token[start].isalnum():
        start += 1
    while end > start and not token[end - 1].isalnum():
        end -= 1
    return token[start:end]


def _tidy_testimony(text: str) -> str:
    return text.lstrip(_LEADING_SEPARATORS).strip()
