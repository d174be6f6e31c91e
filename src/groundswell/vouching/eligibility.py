"""Which numbers may vouch: mobiles from GROUNDSWELL_VOUCH_REGIONS (default GB), nothing else.

One phone is one voice, so the kind of number matters: landlines, VoIP and personal numbers
(the UK's 070 range, which forwards anywhere and costs little to rent by the hundred) would
let one person hold many voices, and numbers from far away cost more to text and are not
the community's. The type comes from the number itself (libphonenumber's numbering plan),
so nothing is looked up and nothing leaves the machine.

Refusing to vouch never refuses a resident's rights: STOP, MYDATA and DELETE work for any
number that can text us.
"""

from __future__ import annotations

from enum import StrEnum

import phonenumbers

from groundswell.core.i18n import current_lang
from groundswell.core.i18n import gettext as _

__all__ = ["VouchRefusal", "region_names", "vouch_refusal"]

# Numbers a person carries: where a country's plan cannot tell mobiles from landlines (the
# USA, Canada) the type is FIXED_LINE_OR_MOBILE, and we accept it rather than refuse them all.
_MOBILE_TYPES = frozenset(
    {phonenumbers.PhoneNumberType.MOBILE, phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE}
)

# GB means the UK numbering plan: Ofcom's +44 ranges include the Crown Dependencies, whose
# mobiles libphonenumber tags GG, JE or IM (07911 12xxxx is a Guernsey range, for one), and
# whose residents carry them around the UK. Other countries mean their own region only.
_SAME_PLAN = {"GB": frozenset({"GB", "GG", "JE", "IM"})}

# How a region reads in a reply; anything not here is shown by its code.
_REGION_NAMES = {
    "en": {"GB": "the UK", "JE": "Jersey", "GG": "Guernsey", "IM": "the Isle of Man"},
    "cy": {"GB": "y DU", "JE": "Jersey", "GG": "Guernsey", "IM": "Ynys Manaw"},
}


class VouchRefusal(StrEnum):
    NOT_MOBILE = "not_mobile"
    REGION = "region"


def vouch_refusal(e164: str, regions: frozenset[str]) -> VouchRefusal | None:
    """Why this number (E.164, already valid) may not vouch, or None when it may."""
    number = phonenumbers.parse(e164, None)
    allowed = frozenset().union(*(_SAME_PLAN.get(code, {code}) for code in regions))
    if phonenumbers.region_code_for_number(number) not in allowed:
        return VouchRefusal.REGION
    if phonenumbers.number_type(number) not in _MOBILE_TYPES:
        return VouchRefusal.NOT_MOBILE
    return None


def region_names(regions: frozenset[str], lang: str = "en") -> str:
    """The regions in words for a reply: "the UK", "the UK or Jersey"."""
    names_for = _REGION_NAMES.get(lang, _REGION_NAMES["en"])
    names = [names_for.get(code, code) for code in sorted(regions)]
    joiner = " neu " if lang == "cy" else " or "
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + joiner + names[-1]


def web_refusal_message(refusal: VouchRefusal, regions: frozenset[str]) -> str:
    """The vouch form's message for the phone field: what is wrong and what to do instead,
    in the page's language."""
    if refusal is VouchRefusal.REGION:
        return _(
            "This number can't be used to vouch because it is not a mobile number from "
            "%(regions)s. Enter a mobile number from %(regions)s."
        ) % {"regions": region_names(regions, current_lang())}
    return _(
        "This number can't be used to vouch because it is not a mobile number (landlines and "
        "070 personal numbers cannot vouch). Enter your own mobile number."
    )
