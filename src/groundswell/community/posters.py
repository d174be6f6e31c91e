"""An organiser's printable poster (A4) and pocket cards (85 × 55 mm): what they say.

The pages themselves are drawn by `poster_layout.py` from the `PosterData` made here.

What they say follows the listening approach (DESIGN.md, "Listening well"): they ask about
what happened, never for a rating; they say it takes one text, that the resident's number is
never shown, and that their words count towards the organiser's continued funding.

The SMS number is TWILIO_FROM_NUMBER. Without it a production poster says plainly that
texting is not set up and sends people to the web address; anywhere else it prints a marked
placeholder, so nobody pins up a development copy thinking it is real.

Cards: ten to an A4 sheet with cut marks (what a host printing at an office wants: any
printer, no special stock), or one card on an 85 × 55 mm page (``layout="single"``) for a
print shop.

Welsh (``lang="cy"``): the Welsh wording below is a first draft and must be checked by a
Welsh speaker before posters are printed for residents (as the SMS catalogue's is).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final, Literal

import phonenumbers

from groundswell.settings import Settings

__all__ = [
    "LANGS",
    "CardLayout",
    "PosterData",
    "display_sms_number",
    "poster_data",
    "poster_filename",
]

LANGS: Final = ("en", "cy")
CardLayout = Literal["sheet", "single"]

# Every word on a poster or card, by language. {name}, {host}, {locality} and {code} are
# filled in. Welsh ("cy"): DRAFT, awaiting review by a Welsh speaker; the listening prompt
# matches the SMS catalogue's (vouching/messages.py) so a resident reads the same question.
TEXTS: Final[Mapping[str, Mapping[str, Any]]] = {
    "en": {
        "title": "Vouch for {name}",
        "prompt": "Tell us about a time {name} helped or changed something round here.",
        "prompt_2": "What happened?",
        "text_intro": "Text this code and your words",
        "code_label": "{name}'s vouching code",
        "text_to": "to",
        "text_how": "Start your text with the code, then tell us in your own words.",
        "language_hint": "",
        "no_sms": "Texting is not set up yet: scan the square below or go to the web address.",
        "placeholder": "SMS NUMBER NOT SET",
        "placeholder_note": "Development copy: set TWILIO_FROM_NUMBER before printing.",
        "web_intro": "Or scan this, or go to",
        "web_intro_no_sms": "Scan this, or go to",
        "web_after": "No account, no forms.",
        "points": (
            "It takes one text, at your usual rate.",
            "Your number is never shown to anyone.",
            "Your words count towards {name}'s continued funding.",
        ),
        "points_no_sms": (
            "It takes a minute, on any phone with a browser.",
            "Your number is never shown to anyone.",
            "Your words count towards {name}'s continued funding.",
        ),
        "footer": (
            "{name} is a community organiser in {locality}, hosted by {host}. Groundswell "
            "listens to residents instead of asking for grant applications."
        ),
        "footer_sms": " Text HELP for help, STOP to stop.",
        "card_title": "Vouch for {name}",
        "card_prompt": "Tell us about a time {name} helped or changed something round here.",
        "card_text": "Text",
        "card_and": "and your words to",
        "card_web": "or go to",
        "card_points": "One text. Your number is never shown. Your words count towards {name}'s funding.",
        "card_points_no_sms": "Your number is never shown. Your words count towards {name}'s funding.",
        "card_no_sms": "Texting is not set up yet: use the web.",
        "cut_here": "Cut along the marks: ten cards, 85 × 55 mm each.",
    },
    "cy": {
        # DRAFT Welsh, awaiting a Welsh speaker's review.
        "title": "Cefnogwch {name}",
        "prompt": "Soniwch am dro pan helpodd {name} neu newid rhywbeth yma.",
        "prompt_2": "Beth ddigwyddodd?",
        "text_intro": "Tecstiwch y cod hwn a'ch geiriau",
        "code_label": "Cod cefnogi {name}",
        "text_to": "i",
        "text_how": "Dechreuwch eich neges gyda'r cod, yna dywedwch wrthym yn eich geiriau eich hun.",
        "language_hint": "Tecstiwch CYMRAEG i'r un rhif i gael atebion yn Gymraeg.",
        "no_sms": "Nid yw tecstio ar gael eto: sganiwch y sgwâr isod neu ewch i'r cyfeiriad gwe.",
        "placeholder": "RHIF SMS HEB EI OSOD",
        "placeholder_note": "Copi datblygu: gosodwch TWILIO_FROM_NUMBER cyn argraffu.",
        "web_intro": "Neu sganiwch hwn, neu ewch i",
        "web_intro_no_sms": "Sganiwch hwn, neu ewch i",
        "web_after": "Dim cyfrif, dim ffurflenni.",
        "points": (
            "Un neges destun yn unig, am eich cyfradd arferol.",
            "Ni fydd eich rhif byth yn cael ei ddangos i neb.",
            "Mae eich geiriau'n cyfrif tuag at gyllid parhaus {name}.",
        ),
        "points_no_sms": (
            "Munud yn unig, ar unrhyw ffôn gyda porwr.",
            "Ni fydd eich rhif byth yn cael ei ddangos i neb.",
            "Mae eich geiriau'n cyfrif tuag at gyllid parhaus {name}.",
        ),
        "footer": (
            "Mae {name} yn drefnydd cymunedol yn {locality}, a gynhelir gan {host}. Mae "
            "Groundswell yn gwrando ar drigolion yn lle gofyn am geisiadau grant."
        ),
        "footer_sms": " Tecstiwch HELP am help, STOP i stopio.",
        "card_title": "Cefnogwch {name}",
        "card_prompt": "Soniwch am dro pan helpodd {name} neu newid rhywbeth yma.",
        "card_text": "Tecstiwch",
        "card_and": "a'ch geiriau i",
        "card_web": "neu ewch i",
        "card_points": "Un neges. Ni ddangosir eich rhif byth. Mae eich geiriau'n cyfrif at gyllid {name}.",
        "card_points_no_sms": "Ni ddangosir eich rhif byth. Mae eich geiriau'n cyfrif at gyllid {name}.",
        "card_no_sms": "Nid yw tecstio ar gael eto: defnyddiwch y we.",
        "cut_here": "Torrwch ar hyd y marciau: deg cerdyn, 85 × 55 mm yr un.",
    },
}


@dataclass(frozen=True, slots=True)
class PosterData:
    """What a poster or card says about one organiser."""

    name: str
    code: str
    vouch_url: str  # the full address the QR code opens: {public_url}/vouch/{code}
    host_name: str
    locality_name: str
    sms_number: str | None  # as printed ("07700 900123"); None when not configured
    placeholder: bool = False  # no number and not production: print a marked placeholder
    lang: str = "en"

    @property
    def short_url(self) -> str:
        """The web address without its scheme, as people type it."""
        return self.vouch_url.split("://", 1)[-1]

    def text(self, key: str) -> str:
        return str(TEXTS[self.lang][key]).format(
            name=self.name, host=self.host_name, locality=self.locality_name, code=self.code
        )

    def points(self) -> list[str]:
        key = "points" if self.sms_number else "points_no_sms"
        return [line.format(name=self.name) for line in TEXTS[self.lang][key]]


def display_sms_number(raw: str) -> str:
    """TWILIO_FROM_NUMBER as residents dial it: a UK number in national form ("07911 123456"),
    any other in international form; a short code or anything unparseable as it is."""
    raw = raw.strip()
    if not raw.startswith("+"):
        return raw  # a short code ("60777") or a number already written for people
    try:
        number = phonenumbers.parse(raw)
    except phonenumbers.NumberParseException:
        return raw
    if not phonenumbers.is_possible_number(number):
        return raw
    if number.country_code == 44:  # the UK, Jersey, Guernsey, the Isle of Man: dialled as 0...
        return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)


def poster_data(organiser: Mapping[str, Any], settings: Settings, lang: str = "en") -> PosterData:
    """The poster's facts from an organiser row (name, code, host_name, locality_name)."""
    if lang not in LANGS:
        raise ValueError(f"unknown language {lang!r}")
    number = settings.twilio_from_number.strip()
    return PosterData(
        name=str(organiser["name"]),
        code=str(organiser["code"]),
        vouch_url=f"{settings.public_url.rstrip('/')}/vouch/{organiser['code']}",
        host_name=str(organiser.get("host_name") or ""),
        locality_name=str(organiser.get("locality_name") or ""),
        sms_number=display_sms_number(number) if number else None,
        placeholder=not number and not settings.is_production,
        lang=lang,
    )


def poster_filename(data: PosterData, kind: Literal["poster", "cards", "card"]) -> str:
    suffix = "" if data.lang == "en" else f"-{data.lang}"
    return f"groundswell-{kind}-{data.code}{suffix}.pdf"
