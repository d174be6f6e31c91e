"""360Giving Data Standard 1.4: grant records to a data package (JSON) and to the
spreadsheet shape (CSV with the standard's column titles).

Pure: no I/O. Each kind of grant Groundswell makes (programme grants now, paid allocations
once the rounds land) is turned into `GrantRecord`s by its own module; this one only knows
the standard. Organisation identifiers follow org-id.guide; a group with none gets one under
our 360Giving prefix, and nothing personal is ever published.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime

SCHEMA_VERSION = "1.4"  # the package schema's `version` is major.minor
LICENSE = "https://creativecommons.org/licenses/by/4.0/"

# ONS entity codes (first three characters) -> 360Giving geoCodeType codelist values.
GEO_CODE_TYPES = {
    "E05": "WD",  # electoral wards/divisions (England)
    "W05": "WD",  # electoral divisions (Wales)
    "S13": "WD",  # electoral wards (Scotland)
    "E06": "UA",  # unitary authorities
    "W06": "UA",
    "E07": "NMD",  # non-metropolitan districts
    "E08": "MD",  # metropolitan districts
    "E09": "LONB",  # London boroughs
    "S12": "CA",  # council areas
}


def geo_code_type(code: str) -> str | None:
    """The geoCodeType for an ONS code, or None for a code we do not publish."""
    return GEO_CODE_TYPES.get(code[:3].upper()) if len(code) == 9 else None


@dataclass(frozen=True, slots=True)
class Organisation:
    identifier: str
    name: str

    def to_json(self) -> dict[str, str]:
        data = {"id": self.identifier, "name": self.name}
        scheme, number = registered_number(self.identifier)
        if scheme == "charity":
            data["charityNumber"] = number
        elif scheme == "company":
            data["companyNumber"] = number
        return data


def registered_number(identifier: str) -> tuple[str, str]:
    """("charity", "1234567") for GB-CHC-1234567, ("company", ...) for GB-COH-, else ("", "")."""
    for prefix, scheme in (
        ("GB-CHC-", "charity"),
        ("GB-SC-", "charity"),
        ("GB-NIC-", "charity"),
        ("GB-COH-", "company"),
    ):
        if identifier.startswith(prefix):
            return scheme, identifier.removeprefix(prefix)
    return "", ""


@dataclass(frozen=True, slots=True)
class Place:
    """A beneficiary location: an ONS ward or authority, never a postcode."""

    geo_code: str
    name: str

    def to_json(self) -> dict[str, str]:
        data = {"name": self.name, "countryCode": "GB", "geoCode": self.geo_code}
        code_type = geo_code_type(self.geo_code)
        if code_type:
            data["geoCodeType"] = code_type
        return data


def locality_places(
    ward_code: str, ward_name: str, la_code: str, la_name: str
) -> tuple[Place, ...]:
    """A locality's ward and local authority as beneficiary locations (known code types only)."""
    places = []
    if ward_code:
        places.append(Place(ward_code, ward_name or ward_code))
    if la_code:
        places.append(Place(la_code, la_name or la_code))
    return tuple(place for place in places if geo_code_type(place.geo_code))


@dataclass(frozen=True, slots=True)
class Programme:
    code: str
    title: str


@dataclass(frozen=True, slots=True)
class GrantRecord:
    """One grant as 360Giving sees it, whichever part of Groundswell made it."""

    local_id: str  # unique across sources, e.g. "programme-12"; the prefix is added later
    title: str
    description: str
    currency: str
    amount_minor: int
    award_date: date
    funder: Organisation
    recipient: Organisation
    programme: Programme | None = None
    places: tuple[Place, ...] = field(default_factory=tuple)
    regrant_type: str = ""
    modified: datetime | None = None
    # A co-funded grant: every funding organisation (the lead first) with its part, in minor
    # units, summing to amount_minor. Empty: `funder` gave it all.
    parts: tuple[tuple[Organisation, int], ...] = ()


def grant_identifier(prefix: str, local_id: str) -> str:
    return f"{prefix}-{local_id}"


def amount_number(minor: int) -> int | float:
    """Major units as a JSON number: 2500 for 250000 pence, 2500.5 for 250050."""
    whole, fraction = divmod(minor, 100)
    return whole if fraction == 0 else round(minor / 100, 2)


def grant_json(record: GrantRecord, prefix: str) -> dict[str, object]:
    data: dict[str, object] = {
        "id": grant_identifier(prefix, record.local_id),
        "title": record.title,
        "description": record.description,
        "currency": record.currency,
        "amountAwarded": amount_number(record.amount_minor),
        "awardDate": record.award_date.isoformat(),
        "recipientOrganization": [record.recipient.to_json()],
        "fundingOrganization": _funding(record),
    }
    if record.programme is not None:
        data["grantProgramme"] = [{"code": record.programme.code, "title": record.programme.title}]
    if record.places:
        data["beneficiaryLocation"] = [place.to_json() for place in record.places]
    if record.regrant_type:
        data["regrantType"] = record.regrant_type
    if record.modified is not None:
        data["dateModified"] = record.modified.isoformat()
    return data


# 360Giving 1.4 has no per-funder amount: each funding organisation of a co-funded grant
# carries its part in this additional field (the schema allows fields it does not name).
PART_FIELD = "amountContributed"


def _funding(record: GrantRecord) -> list[dict[str, object]]:
    if not record.parts:
        return [{**record.funder.to_json()}]
    return [
        {**organisation.to_json(), PART_FIELD: amount_number(part)}
        for organisation, part in record.parts
    ]


def package_json(
    records: Iterable[GrantRecord],
    *,
    prefix: str,
    publisher_name: str,
    publisher_website: str,
    issued: date,
    modified: datetime,
) -> dict[str, object]:
    grants = [grant_json(record, prefix) for record in records]
    return {
        "version": SCHEMA_VERSION,
        "title": f"{publisher_name} grants",
        "description": (
            "Grants made through Groundswell: support for community groups using the Community "
            "Right to Bid and the Community Right to Challenge."
        ),
        "identifier": f"{prefix}-grants",
        "issued": issued.isoformat(),
        "modified": modified.isoformat(),
        "publisher": {"name": publisher_name, "website": publisher_website},
        "license": LICENSE,
        "grants": grants,
    }


_LOCATION_COLUMNS = (
    ("Name", "name"),
    ("Country Code", "countryCode"),
    ("Geographic Code", "geoCode"),
    ("Geographic Code Type", "geoCodeType"),
)


PART_TITLE = "Amount Contributed"
_FUNDER_COLUMNS = (
    ("Identifier", "id"),
    ("Name", "name"),
    ("Charity Number", "charityNumber"),
    ("Company Number", "companyNumber"),
    (PART_TITLE, PART_FIELD),
)


def spreadsheet(grants: Sequence[dict[str, object]]) -> tuple[list[str], list[dict[str, str]]]:
    """The grants of a package as 360Giving's spreadsheet: column titles and rows.

    Arrays with one item use the plain title ("Recipient Org:Identifier"); beneficiary
    locations, of which a grant may have several, are numbered from 0 as the standard's
    templates do ("Beneficiary Location:0:Geographic Code").
    """
    locations = max((len(_list(g.get("beneficiaryLocation"))) for g in grants), default=0)
    funders = max((len(_list(g.get("fundingOrganization"))) for g in grants), default=1)
    columns = [
        "Identifier",
        "Title",
        "Description",
        "Currency",
        "Amount Awarded",
        "Award Date",
        "Recipient Org:Identifier",
        "Recipient Org:Name",
        "Recipient Org:Charity Number",
        "Recipient Org:Company Number",
        "Funding Org:Identifier",
        "Funding Org:Name",
        "Funding Org:Charity Number",
        "Funding Org:Company Number",
    ]
    if funders > 1:
        # Co-funded grants: the first funder keeps the plain titles, the others are numbered.
        columns.append(f"Funding Org:{PART_TITLE}")
        for index in range(1, funders):
            columns += [f"Funding Org:{index}:{title}" for title, _ in _FUNDER_COLUMNS]
    columns += ["Grant Programme:Code", "Grant Programme:Title"]
    for index in range(locations):
        columns += [f"Beneficiary Location:{index}:{title}" for title, _ in _LOCATION_COLUMNS]
    columns += ["For Regrant Type", "Last Modified"]
    rows = []
    for grant in grants:
        recipient = _first(grant.get("recipientOrganization"))
        funder = _first(grant.get("fundingOrganization"))
        programme = _first(grant.get("grantProgramme"))
        row = {
            "Identifier": grant["id"],
            "Title": grant["title"],
            "Description": grant["description"],
            "Currency": grant["currency"],
            "Amount Awarded": grant["amountAwarded"],
            "Award Date": grant["awardDate"],
            "Recipient Org:Identifier": recipient.get("id"),
            "Recipient Org:Name": recipient.get("name"),
            "Recipient Org:Charity Number": recipient.get("charityNumber"),
            "Recipient Org:Company Number": recipient.get("companyNumber"),
            "Funding Org:Identifier": funder.get("id"),
            "Funding Org:Name": funder.get("name"),
            "Funding Org:Charity Number": funder.get("charityNumber"),
            "Funding Org:Company Number": funder.get("companyNumber"),
            "Grant Programme:Code": programme.get("code"),
            "Grant Programme:Title": programme.get("title"),
            "For Regrant Type": grant.get("regrantType"),
            "Last Modified": grant.get("dateModified"),
            f"Funding Org:{PART_TITLE}": funder.get(PART_FIELD),
        }
        for index, other in enumerate(_list(grant.get("fundingOrganization"))[1:], start=1):
            for title, key in _FUNDER_COLUMNS:
                row[f"Funding Org:{index}:{title}"] = other.get(key)
        for index, place in enumerate(_list(grant.get("beneficiaryLocation"))):
            for title, key in _LOCATION_COLUMNS:
                row[f"Beneficiary Location:{index}:{title}"] = place.get(key)
        rows.append(
            {column: "" if row.get(column) is None else str(row[column]) for column in columns}
        )
    return columns, rows


def _list(value: object) -> list[dict[str, object]]:
    return [item for item in value if isinstance(item, dict)] if isinstance(value, list) else []


def _first(value: object) -> dict[str, object]:
    items = _list(value)
    return items[0] if items else {}
