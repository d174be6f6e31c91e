"""The Welsh catalogue covers every text residents see, and the language is chosen as the
README says (?lang, then the cookie, then Accept-Language, else English)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_file

from groundswell.core.i18n import CATALOGUE_PATH, gettext, pgettext, translations, use_lang
from groundswell.vouching.messages import MESSAGES, placeholders
from groundswell.web.language import choose, from_accept_language, is_resident_page, switch_url

ROOT = Path(__file__).resolve().parents[3]
# Every template a resident sees, whole or as a part (README "Welsh").
RESIDENT_TEMPLATES = [
    "base.html",
    "core/home.html",
    "community/organisers.html",
    "community/_organiser_results.html",
    "community/organiser.html",
    "community/_organiser_words.html",
    "components/forms.html",
    "errors/page.html",
    "vouching/vouch.html",
    "vouching/vouch_building.html",
    "vouching/confirm.html",
    "vouching/thanks.html",
    "vouching/organiser_left.html",
    "vouching/reported.html",
    "vouching/my_voice.html",
    "vouching/my_voice_start.html",
    "vouching/my_voice_code.html",
    "vouching/my_voice_erase.html",
    "vouching/my_voice_erased.html",
    "core/privacy.html",
    "core/accessibility.html",
    "core/contact.html",
    "core/_contact_line.html",
]
# The services whose messages those pages show.
RESIDENT_MODULES = [
    "src/groundswell/core/forms.py",
    "src/groundswell/core/phones.py",
    "src/groundswell/core/web.py",
    "src/groundswell/vouching/web_vouch.py",
    "src/groundswell/vouching/eligibility.py",
    "src/groundswell/vouching/web_forms.py",
    "src/groundswell/vouching/my_voice.py",
    "src/groundswell/vouching/controllers.py",
    "src/groundswell/web/templating.py",
]
KEYWORDS = {"_": None, "_N": None, "N_": None, "gettext": None, "pgettext": ((1, "c"), 2)}


def _msgids(path: Path, method: str) -> list[str]:
    options = {"extensions": "jinja2.ext.i18n"} if method == "jinja2" else {}
    found = []
    for _, message, _, context in extract_from_file(
        method if method == "python" else "jinja2.ext:babel_extract",
        str(path),
        keywords=KEYWORDS,
        options=options,
    ):
        assert context is None
        found.append(message if isinstance(message, str) else message[0])
    return found


@pytest.mark.parametrize("template", RESIDENT_TEMPLATES)
def test_every_text_in_a_resident_template_has_welsh(template: str) -> None:
    msgids = _msgids(ROOT / "templates" / template, "jinja2")
    assert msgids, f"{template} marks no text for translation"
    welsh = translations("cy")
    missing = [msgid for msgid in msgids if (None, msgid) not in welsh]
    assert not missing, f"no Welsh in {CATALOGUE_PATH.name} for: {missing}"


@pytest.mark.parametrize("module", RESIDENT_MODULES)
def test_every_message_residents_are_shown_has_welsh(module: str) -> None:
    msgids = _msgids(ROOT / module, "python")
    assert msgids
    welsh = translations("cy")
    assert not [msgid for msgid in msgids if (None, msgid) not in welsh]


_PERCENT = re.compile(r"%\((\w+)\)s")


def test_welsh_keeps_every_placeholder() -> None:
    """A Welsh text that drops or renames %(name)s would fail (or say less) at render time."""
    for (context, msgid), entry in translations("cy").items():
        if context and context.startswith("sms:"):
            assert placeholders(entry.text) <= placeholders(msgid), (context, entry.text)
        else:
            assert set(_PERCENT.findall(entry.text)) == set(_PERCENT.findall(msgid)), msgid
            assert "%" not in _PERCENT.sub("", entry.text).replace("%%", ""), msgid


def test_sms_texts_come_from_the_same_catalogue() -> None:
    english = MESSAGES["verification_code"]["en"]
    assert MESSAGES["verification_code"]["cy"] == pgettext("sms:verification_code", english, "cy")
    assert MESSAGES["verification_code"]["cy"].startswith("Eich cod Groundswell")


def test_gettext_follows_the_request_language_and_notes_drafts() -> None:
    assert gettext("Check your phone") == "Check your phone"
    with use_lang("cy-GB") as drafts:
        assert gettext("Check your phone") == "Edrychwch ar eich ffôn"
        assert gettext("A text nobody marked") == "A text nobody marked"
    assert drafts == {"Check your phone"}  # drafts (fuzzy) until a Welsh speaker reviews them


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("cy", "cy"),
        ("cy-GB,cy;q=0.9,en-GB;q=0.8", "cy"),
        ("en-GB,en;q=0.9,cy;q=0.8", "en"),
        ("fr-FR,cy;q=0.5", "cy"),
        ("en;q=0.2, cy;q=0.7", "cy"),
        ("cy;q=0, en", "en"),
        ("de", None),
        ("", None),
        ("cy;q=banana", None),
    ],
)
def test_accept_language(header: str, expected: str | None) -> None:
    assert from_accept_language(header) == expected


def test_an_explicit_choice_wins_then_the_cookie_then_the_browser() -> None:
    assert choose("en", "cy", "cy") == "en"
    assert choose(None, "cy", "en") == "cy"
    assert choose("xx", None, "cy") == "cy"
    assert choose(None, "zz", "") == "en"


def test_the_switch_keeps_the_page_and_its_query() -> None:
    assert switch_url("/organisers", "q=amina&locality=3&lang=en", "cy") == (
        "/organisers?q=amina&locality=3&lang=cy"
    )
    assert switch_url("/vouch/AMINA-7K/confirm", "t=abc", "en") == (
        "/vouch/AMINA-7K/confirm?t=abc&lang=en"
    )


@pytest.mark.parametrize(
    ("path", "resident"),
    [
        ("/", True),
        ("/organisers", True),
        ("/organisers/AMINA-7K", True),
        ("/organisers/AMINA-7K/manage", False),
        ("/vouch/AMINA-7K/confirm", True),
        ("/my-voice/code", True),
        ("/privacy", True),
        ("/accessibility", True),
        ("/contact", True),
        ("/privacy/x", False),
        ("/login", False),
        ("/dashboard", False),
        ("/programme/asset-bids/3", False),
    ],
)
def test_only_residents_pages_are_translated(path: str, resident: bool) -> None:
    assert is_resident_page(path) is resident
