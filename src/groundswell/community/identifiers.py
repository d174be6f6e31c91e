"""UK organisation identifiers (org-id.guide) and postcodes: format checks and normal forms.

Format only: a well-formed charity number may still not be registered, and a well-formed
postcode may not exist. Error messages are written for the person typing the value.
"""

from __future__ import annotations

import re

__all__ = [
    "ORG_ID_SCHEMES",
    "normalise_postcode",
    "validate_org_id",
]

ORG_ID_SCHEMES = ("GB-CHC", "GB-SC", "GB-NIC", "GB-COH", "360G")

_CHC_RE = re.compile(r"[0-9]{6,7}")
_OSCR_RE = re.compile(r"SC[0-9]{6}")
_NIC_RE = re.compile(r"1[0-9]{5}")
# Companies House's pattern as published; re.ASCII so that \d is 0-9, not any script's digits.
_COMPANY_RE = re.compile(r"(([A-Z]{2}|[A-Z]\d|\d{2})(\d{5,6}|\d{4,5}[A-Z]))", re.ASCII)
# 360Giving identifiers are case-sensitive and allow a few punctuation marks in the id part.
_360G_RE = re.compile(r"360G-(?P<prefix>[A-Za-z0-9]+)-(?P<id>[A-Za-z0-9][A-Za-z0-9._\-]*)")

_ACCEPTED = (
    "Use an identifier like GB-CHC-1234567 (charity in England and Wales), GB-SC-SC012345 "
    "(Scotland), GB-NIC-100001 (Northern Ireland), GB-COH-01234567 (company), or "
    "360G-<prefix>-<id> for an unregistered group."
)

# The GOV.UK postcode format pattern, with the whole alternation grouped so that the anchors
# apply to both branches (the published form anchors only one of them).
_POSTCODE_RE = re.compile(
    r"^(([Gg][Ii][Rr] 0[Aa]{2})|((([A-Za-z][0-9]{1,2})|(([A-Za-z][A-Ha-hJ-Yj-y][0-9]{1,2})"
    r"|(([A-Za-z][0-9][A-Za-z])|([A-Za-z][A-Ha-hJ-Yj-y][0-9][A-Za-z]?))))\s?[0-9][A-Za-z]{2}))$"
)
_POSTCODE_HELP = "Enter a full UK postcode, like SW1A 1AA."


def validate_org_id(value: str, *, our_prefix: str | None = None) -> str:
    """The normal form of an org-id.guide identifier, or ``ValueError`` saying what is wrong.

    Spaces are removed and registered schemes are upper-cased ("gb-chc-123 4567" ->
    "GB-CHC-1234567"). Leading zeros are never added or removed: "GB-COH-1234567" is
    refused with a hint, since a missing digit and a dropped zero look the same. 360Giving
    identifiers keep their case; with ``our_prefix`` they must use it.
    """
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"Enter an organisation identifier. {_ACCEPTED}")
    compact = re.sub(r"\s+", "", value)
    upper = compact.upper()
    if upper.startswith("360G-"):
        return _validate_360g("360G-" + compact[5:], our_prefix)
    scheme, number = next(
        ((s, upper[len(s) + 1 :]) for s in ORG_ID_SCHEMES if upper.startswith(s + "-")),
        ("", ""),
    )
    if scheme == "GB-CHC":
        if _CHC_RE.fullmatch(number) is None:
            raise ValueError(
                "A Charity Commission number (GB-CHC-) has 6 or 7 digits, like GB-CHC-1234567."
            )
    elif scheme == "GB-SC":
        if _OSCR_RE.fullmatch(number) is None:
            hint = f" Did you mean GB-SC-SC{number}?" if re.fullmatch(r"[0-9]{6}", number) else ""
            raise ValueError(
                "A Scottish charity number (GB-SC-) is SC and 6 digits, like GB-SC-SC012345." + hint
            )
    elif scheme == "GB-NIC":
        if _NIC_RE.fullmatch(number) is None:
            raise ValueError(
                "A Northern Ireland charity number (GB-NIC-) is 1 and 5 more digits, "
                "like GB-NIC-100001."
            )
    elif scheme == "GB-COH":
        if len(number) != 8 or _COMPANY_RE.fullmatch(number) is None:
            hint = ""
            if re.fullmatch(r"[0-9]{1,7}", number):
                hint = f" If it starts with zeros, include them: GB-COH-{number.zfill(8)}?"
            raise ValueError(
                "A Companies House number (GB-COH-) has exactly 8 characters, like "
                "GB-COH-01234567 or GB-COH-SC123456." + hint
            )
    else:
        raise ValueError(f"That identifier's scheme is not one we accept. {_ACCEPTED}")
    return f"{scheme}-{number}"


def _validate_360g(value: str, our_prefix: str | None) -> str:
    match = _360G_RE.fullmatch(value)
    if match is None:
        raise ValueError(
            "A 360Giving identifier is 360G-, a prefix, a hyphen and an id, like "
            "360G-groundswell-42, using letters, digits, '.', '_' and '-'."
        )
    if our_prefix is not None and match.group("prefix") != our_prefix:
        raise ValueError(
            f"Unregistered groups get identifiers under our prefix: 360G-{our_prefix}-<id>."
        )
    return value


def normalise_postcode(raw: str) -> str:
    """A UK postcode in upper case with one space before the last three characters.

    "sw1a1aa" -> "SW1A 1AA". Checks the format (GOV.UK pattern), not that the postcode
    exists. A letter O typed where the inward code's digit belongs is read as zero
    ("SW1A OAA" -> "SW1A 0AA"): that position is always a digit. The message of the
    ``ValueError`` never repeats the postcode, which is personal data.
    """
    if not isinstance(raw, str):
        raise ValueError(_POSTCODE_HELP)
    compact = re.sub(r"\s+", "", raw).upper()
    if not 5 <= len(compact) <= 7:
        raise ValueError(_POSTCODE_HELP)
    outward, inward = compact[:-3], compact[-3:]
    if inward[0] == "O":
        inward = "0" + inward[1:]
    postcode = f"{outward} {inward}"
    if _POSTCODE_RE.fullmatch(postcode) is None:
        raise ValueError(_POSTCODE_HELP)
    return postcode
