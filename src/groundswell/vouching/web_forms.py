"""Reading the web vouch forms: for an organiser (/vouch/{organiser code}) and for a
building (/vouch/{building code}). The same words and number rules for both; a building's
form asks only what a building's voice keeps (vouching/subjects.py)."""

from __future__ import annotations

from typing import Any

from groundswell.core.forms import REQUIRED, FieldReader
from groundswell.core.i18n import gettext as _
from groundswell.core.phones import InvalidPhoneNumber, normalise_phone
from groundswell.vouching.eligibility import vouch_refusal, web_refusal_message
from groundswell.vouching.recording import TESTIMONY_MAX, TESTIMONY_MIN
from groundswell.vouching.redact import remove_phone_numbers
from groundswell.vouching.states import Theme

SCORE_MIN, SCORE_MAX = 0, 10  # "How likely are you to tell a neighbour to go to them?"
GB = frozenset({"GB"})


def _testimony(fields: FieldReader) -> str:
    testimony = fields.text("testimony", max_length=TESTIMONY_MAX)
    if testimony and len(testimony) < TESTIMONY_MIN:
        fields.errors["testimony"] = _("Tell us a little more: at least %(min)s characters.") % {
            "min": TESTIMONY_MIN
        }
    return testimony


def _phone(fields: FieldReader, regions: frozenset[str]) -> str:
    """The E.164 number; one that may not vouch (`regions`, mobiles only) is the phone
    field's error, like a typo."""
    phone_raw = fields.text("phone", max_length=40)
    if not phone_raw:
        return ""
    try:
        e164 = normalise_phone(phone_raw)
    except InvalidPhoneNumber as exc:
        fields.errors["phone"] = _(str(exc))
        return ""
    refusal = vouch_refusal(e164, regions)
    if refusal is not None:
        fields.errors["phone"] = web_refusal_message(refusal, regions)
    return e164


def _check(fields: FieldReader, testimony_missing: str) -> None:
    # GOV.UK style: a missing answer says what to do, not just that something is missing.
    missing = {
        "testimony": testimony_missing,
        "phone": _("Enter your mobile number, for example 07911 123456."),
    }
    for name, message in missing.items():
        if fields.errors.get(name) == _(REQUIRED):
            fields.errors[name] = message
    fields.check(_("Please check your vouch."))


def read_web_vouch(raw: dict[str, Any], regions: frozenset[str] = GB) -> tuple[dict[str, Any], str]:
    """Validate the organiser's vouch form; returns the clean values and the E.164 number."""
    fields = FieldReader(raw)
    testimony = _testimony(fields)
    theme = fields.choice("theme", Theme, default=Theme.VALUE)
    display_name = fields.text("display_name", required=False, max_length=40)
    neighbourhood = fields.text("neighbourhood", required=False, max_length=60)
    score = read_score(raw.get("score"), fields.errors)
    e164 = _phone(fields, regions)
    _check(
        fields,
        _("Tell us in your own words what they did, in at least %(min)s characters.")
        % {"min": TESTIMONY_MIN},
    )
    values = {
        "testimony": remove_phone_numbers(testimony),
        "theme": theme,
        "display_name": remove_phone_numbers(display_name),
        "neighbourhood": remove_phone_numbers(neighbourhood),
        # Two plain questions: where the words may appear (neither: counted, never shown).
        "show_public": bool(raw.get("show_public")),
        "show_funders": bool(raw.get("show_funders")),
        "hear_back": bool(raw.get("hear_back")),
        "score": score,
    }
    return values, e164


def read_building_vouch(
    raw: dict[str, Any], regions: frozenset[str] = GB
) -> tuple[dict[str, Any], str]:
    """Validate a building's vouch form. What a building's voice keeps: the words, the
    neighbourhood, and two consents as a building's voice means them (subjects.py):
    `show_public`, the words may go to the council and on the bid's pages; `show_funders`,
    the neighbourhood may be counted among the places residents spoke from."""
    fields = FieldReader(raw)
    testimony = _testimony(fields)
    neighbourhood = fields.text("neighbourhood", required=False, max_length=60)
    e164 = _phone(fields, regions)
    _check(
        fields,
        _(
            "Tell us in your own words what this building means to you, in at least %(min)s characters."
        )
        % {"min": TESTIMONY_MIN},
    )
    values = {
        "testimony": remove_phone_numbers(testimony),
        "theme": Theme.VALUE,
        "display_name": "",
        "neighbourhood": remove_phone_numbers(neighbourhood),
        "show_public": bool(raw.get("show_public")),
        "show_funders": bool(raw.get("show_funders")),
        "hear_back": False,  # no funding round to hear back about
        "score": None,
    }
    return values, e164


def read_score(raw: Any, errors: dict[str, str]) -> int | None:
    """The optional 0-10 answer: empty (or "rather not say") is None; anything else must be a
    whole number from 0 to 10, or the field gets one clear message."""
    text = "" if raw is None else str(raw).strip()
    if not text:
        return None
    if text.isascii() and text.isdigit() and SCORE_MIN <= int(text) <= SCORE_MAX:
        return int(text)
    errors["score"] = _(
        "Choose a whole number from %(min)s to %(max)s, or leave this question out."
    ) % {"min": SCORE_MIN, "max": SCORE_MAX}
    return None
