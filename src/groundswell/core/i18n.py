"""Welsh and English for residents: one gettext catalogue for pages and text messages.

The Welsh lives in ``groundswell/locale/cy/LC_MESSAGES/messages.po``, read at start-up with
Babel (no compiled ``.mo`` to keep in step). English is the source text, so English needs
no catalogue. A translator edits that one file; ``scripts/i18n`` re-extracts the template
(``messages.pot``) and merges new English texts into it.

Drafts: an entry marked ``#, fuzzy`` is a draft awaiting a Welsh speaker's review. Unlike
``msgfmt``, which drops fuzzy entries, we use them (a Welsh draft serves a Welsh reader
better than English) and a page that used one says so (``drafts_used``).

The language of the request being answered is a context variable: pages set it from the
resident's choice (web/language.py), and anything rendered inside that request, templates
and service messages alike, reads it. Text messages pass the resident's language explicitly.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Final

from babel.messages.pofile import read_po

__all__ = [
    "CATALOGUE_PATH",
    "DEFAULT_LANG",
    "LANGS",
    "Entry",
    "current_lang",
    "drafts_used",
    "gettext",
    "ngettext",
    "pgettext",
    "primary_language",
    "translations",
    "use_lang",
]

DEFAULT_LANG: Final = "en"
LANGS: Final = ("en", "cy")
LOCALE_DIR: Final = Path(__file__).resolve().parents[1] / "locale"
CATALOGUE_PATH: Final = LOCALE_DIR / "cy" / "LC_MESSAGES" / "messages.po"


@dataclass(frozen=True)
class Entry:
    text: str
    draft: bool


@cache
def translations(lang: str) -> dict[tuple[str | None, str], Entry]:
    """Every translated entry of ``lang``'s catalogue by (context, English msgid)."""
    path = LOCALE_DIR / lang / "LC_MESSAGES" / "messages.po"
    if lang == DEFAULT_LANG or not path.exists():
        return {}
    with path.open("rb") as fileobj:
        catalogue = read_po(fileobj, locale=lang)
    found: dict[tuple[str | None, str], Entry] = {}
    for message in catalogue:
        if not message.id:
            continue  # the header
        if isinstance(message.id, str) and isinstance(message.string, str) and message.string:
            found[(message.context, message.id)] = Entry(message.string, message.fuzzy)
    return found


_lang: ContextVar[str] = ContextVar("groundswell_lang", default=DEFAULT_LANG)
_drafts: ContextVar[set[str] | None] = ContextVar("groundswell_drafts", default=None)


def primary_language(tag: str) -> str:
    """ "cy-GB" -> "cy"; a language we do not have is English."""
    lang = tag.replace("_", "-").split("-", 1)[0].strip().lower() if tag else DEFAULT_LANG
    return lang if lang in LANGS else DEFAULT_LANG


def current_lang() -> str:
    return _lang.get()


@contextmanager
def use_lang(lang: str) -> Iterator[set[str]]:
    """Answer in ``lang`` inside the block; yields the set of draft msgids it used."""
    drafts: set[str] = set()
    lang_token, drafts_token = _lang.set(primary_language(lang)), _drafts.set(drafts)
    try:
        yield drafts
    finally:
        _lang.reset(lang_token)
        _drafts.reset(drafts_token)


def drafts_used() -> bool:
    """Whether anything rendered in this request so far used a draft translation."""
    return bool(_drafts.get())


def _lookup(context: str | None, msgid: str, lang: str | None) -> Entry | None:
    entry = translations(primary_language(lang or _lang.get())).get((context, msgid))
    if entry is not None and entry.draft:
        drafts = _drafts.get()
        if drafts is not None:
            drafts.add(msgid)
    return entry


def gettext(message: str, lang: str | None = None) -> str:
    entry = _lookup(None, message, lang)
    return entry.text if entry is not None else message


def pgettext(context: str, message: str, lang: str | None = None) -> str:
    entry = _lookup(context, message, lang)
    return entry.text if entry is not None else message


def ngettext(singular: str, plural: str, n: int, lang: str | None = None) -> str:
    """Welsh has six plural forms; our texts avoid counting nouns, so each English form is
    its own entry (templates write ``_("1 voice") if n == 1 else _("%(n)s voices")``)."""
    return gettext(singular if n == 1 else plural, lang)


def N_(message: str) -> str:
    """Marks a text for the catalogue where it is defined; it is translated where shown."""
    return message
