"""Reading a bid's or a grant's input, field by field, whatever the kind of bid.

Input arrives as a mapping (a form, where amounts are pounds, or API JSON, where they are
pence) and is checked here, so forms and the API refuse the same things with the same words.
Each reader leaves its message at the field in `fields.errors`; the caller decides when to
refuse. What only one kind of bid has is read in `kinds.py`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from datetime import date
from typing import Any

from groundswell.community.identifiers import validate_org_id
from groundswell.community.tables import HostOrganisation, Locality
from groundswell.core.dates import read_date as read_core_date
from groundswell.core.errors import ValidationFailed
from groundswell.core.forms import FieldReader
from groundswell.core.ids import read_row_id

# The group behind a bid, and who hears about its deadlines: the same for either kind.
GROUP_FIELDS = ("nominating_group", "group_host_id", "group_org_id", "contact_emails")

_EMAIL_RE = re.compile(r"^[^@\s,;]+@[^@\s,;]+\.[^@\s,;]+$")
_DATE_HELP = "Enter a date as YYYY-MM-DD, for example 2024-08-31."


def present_fields(raw: Mapping[str, Any], allowed: Iterable[str], *, partial: bool) -> set[str]:
    """The input fields to read: all of them, or for a partial update (PATCH) those sent."""
    allowed = tuple(allowed)
    if not partial:
        return set(allowed)
    unknown = sorted(set(raw) - set(allowed))
    if unknown:
        raise ValidationFailed(
            "The request has fields this resource does not have.",
            field_errors={name: "Unknown field." for name in unknown},
        )
    return set(raw)


def read_date(fields: FieldReader, name: str) -> date | None:
    return read_core_date(fields, name, help=_DATE_HELP)


def read_emails(fields: FieldReader, name: str) -> str:
    """Up to 10 distinct addresses, one a line; a list, or text split at spaces, commas or
    semicolons."""
    value = fields.raw.get(name)
    items: list[str]
    if value is None:
        items = []
    elif isinstance(value, (list, tuple)):
        items = [str(item) for item in value]
    else:
        items = re.split(r"[\s,;]+", str(value))
    emails: list[str] = []
    for item in items:
        email = item.strip().lower()
        if not email:
            continue
        if not _EMAIL_RE.match(email) or len(email) > 254:
            fields.errors[name] = (
                f"“{item.strip()[:60]}” is not an e-mail address like name@example.org."
            )
            continue
        if email not in emails:
            emails.append(email)
    if len(emails) > 10:
        fields.errors[name] = "Give at most 10 addresses."
    return "\n".join(emails)


def read_optional_number(fields: FieldReader, name: str, *, maximum: int) -> int | None:
    value = fields.raw.get(name)
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    return fields.integer(name, minimum=1, maximum=maximum)


def read_group(fields: FieldReader, present: set[str], values: dict[str, Any]) -> None:
    """GROUP_FIELDS, into the columns they are stored in."""
    if "nominating_group" in present:
        # Optional when the group is a host organisation: its name is filled in from there.
        values["group_name"] = fields.text("nominating_group", required=False, max_length=200)
    if "group_host_id" in present:
        values["group_host"] = read_row_id(
            fields, "group_host_id", what="a host organisation", required=False
        )
    if "group_org_id" in present:
        values["group_org_id"] = fields.normalised("group_org_id", validate_org_id, max_length=60)
    if "contact_emails" in present:
        values["contact_emails"] = read_emails(fields, "contact_emails")


async def check_links(values: dict[str, Any], errors: dict[str, str]) -> None:
    """The host organisation and the place chosen exist; a host's name stands in for a
    group's name left empty."""
    host = values.get("group_host")
    if host is not None:
        row = (
            await HostOrganisation.select(HostOrganisation.name)
            .where(HostOrganisation.id == host)
            .first()
        )
        if row is None:
            errors["group_host_id"] = "Choose a host organisation from the list."
        elif "group_name" in values and not values["group_name"]:
            values["group_name"] = row["name"]
    locality = values.get("locality")
    if locality is not None and not await Locality.exists().where(Locality.id == locality):
        errors["locality_id"] = "Choose a place from the list."
