"""Localities, host organisations and the organisers they host."""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from datetime import date, timedelta
from typing import Any

from groundswell.community.codes import generate_code, normalise_code
from groundswell.community.identifiers import normalise_postcode, validate_org_id
from groundswell.community.states import OrganiserStatus
from groundswell.community.tables import HostOrganisation, Locality, Organiser
from groundswell.core import audit
from groundswell.core.clock import today
from groundswell.core.dates import read_date
from groundswell.core.errors import Forbidden, NotFound, ValidationFailed
from groundswell.core.forms import FieldReader
from groundswell.core.ids import read_row_id
from groundswell.core.principal import Principal
from groundswell.db import write_transaction

ORGANISER_PUBLIC_COLUMNS = (
    Organiser.id,
    Organiser.code,
    Organiser.name,
    Organiser.status,
    Organiser.status_since,
    Organiser.bio,
    Organiser.bursary_start,
    Organiser.bursary_end,
    Organiser.host.id.as_alias("host_id"),
    Organiser.host.name.as_alias("host_name"),
    Organiser.locality.id.as_alias("locality_id"),
    Organiser.locality.name.as_alias("locality_name"),
)


async def list_localities() -> list[dict[str, Any]]:
    return await Locality.select().order_by(Locality.name)


async def get_locality(locality_id: int) -> dict[str, Any]:
    row = await Locality.select().where(Locality.id == locality_id).first()
    if row is None:
        raise NotFound(f"There is no locality {locality_id}.")
    return row


def _ons_code_shape(code: str) -> bool:
    return len(code) == 9 and code.isascii() and code.isalnum()


async def create_locality(principal: Principal, raw: Mapping[str, Any]) -> int:
    if not principal.is_admin:
        raise Forbidden("Only administrators add localities.")
    fields = FieldReader(raw)
    name = fields.text("name", max_length=120)
    ward = fields.text("ons_ward_code", required=False, max_length=9).upper()
    authority_code = fields.text("ons_la_code", required=False, max_length=9).upper()
    authority = fields.text("local_authority", required=False, max_length=120)
    # .upper() can lengthen text ('ß' → 'SS'): the codes are 9 ASCII letters and digits.
    if ward and (ward[:3] not in {"E05", "W05", "S13"} or not _ons_code_shape(ward)):
        fields.errors["ons_ward_code"] = "A ward code starts E05, W05 or S13 and has 9 characters."
    if authority_code and (
        authority_code[:3] not in {"E06", "E07", "E08", "E09", "W06", "S12"}
        or not _ons_code_shape(authority_code)
    ):
        fields.errors["ons_la_code"] = (
            "A local authority code starts E06–E09, W06 or S12 and has 9 characters."
        )
    fields.check("The locality could not be saved.")
    async with write_transaction():
        if await Locality.exists().where(Locality.name == name):
            raise ValidationFailed(
                "The locality could not be saved.",
                field_errors={"name": "A locality with this name exists already."},
            )
        rows = await Locality.insert(
            Locality(
                name=name, ons_ward_code=ward, ons_la_code=authority_code, local_authority=authority
            )
        ).returning(Locality.id)
    return int(rows[0]["id"])


async def list_hosts(*, host_ids: frozenset[int] | None = None) -> list[dict[str, Any]]:
    query = HostOrganisation.select().order_by(HostOrganisation.name)
    if host_ids is not None:
        query = query.where(HostOrganisation.id.is_in(list(host_ids) or [-1]))
    return await query


async def get_host(host_id: int) -> dict[str, Any]:
    row = await HostOrganisation.select().where(HostOrganisation.id == host_id).first()
    if row is None:
        raise NotFound(f"There is no host organisation {host_id}.")
    return row


async def create_host(principal: Principal, raw: Mapping[str, Any]) -> int:
    if not principal.is_admin:
        raise Forbidden("Only administrators add host organisations.")
    fields = FieldReader(raw)
    name = fields.text("name")
    org_id_raw = fields.text("org_id", required=False, max_length=60)
    contact_name = fields.text("contact_name", required=False, max_length=120)
    contact_email = fields.text("contact_email", required=False, max_length=254).lower()
    if len(contact_email) > 254:  # .lower() can lengthen text ('İ' → 'i̇')
        fields.errors["contact_email"] = "Keep this to 254 characters or fewer."
    postcode_raw = fields.text("postcode", required=False, max_length=10)
    org_id = None
    if org_id_raw:
        try:
            org_id = validate_org_id(org_id_raw)
        except ValueError as exc:
            fields.errors["org_id"] = str(exc)
    postcode = ""
    if postcode_raw:
        try:
            postcode = normalise_postcode(postcode_raw)
        except ValueError as exc:
            fields.errors["postcode"] = str(exc)
    if contact_email and "@" not in contact_email:
        fields.errors["contact_email"] = "Enter an e-mail address like name@example.org."
    fields.check("The host organisation could not be saved.")
    async with write_transaction():
        if org_id and await HostOrganisation.exists().where(HostOrganisation.org_id == org_id):
            raise ValidationFailed(
                "The host organisation could not be saved.",
                field_errors={"org_id": "A host with this identifier exists already."},
            )
        rows = await HostOrganisation.insert(
            HostOrganisation(
                name=name,
                org_id=org_id,
                contact_name=contact_name,
                contact_email=contact_email,
                postcode=postcode,
            )
        ).returning(HostOrganisation.id)
    return int(rows[0]["id"])


BURSARY_FIELDS = ("bursary_start", "bursary_end")
HOST_DATES_REFUSED = (
    "Only programme staff set or correct an organiser's bursary dates: they decide which "
    "rounds can fund the organiser. Leave the dates out; the bursary year then runs a year "
    "from today until staff correct it."
)


def default_bursary_year(start: date) -> tuple[date, date]:
    """The bursary year of an organiser a host adds: a full year from `start`, so a host
    cannot make anyone a candidate for continuation funding early (staff correct the dates,
    with a reason, when the programme's agreement says otherwise)."""
    try:
        next_year = start.replace(year=start.year + 1)
    except ValueError:  # 29 February
        next_year = start.replace(year=start.year + 1, day=28) + timedelta(days=1)
    return start, next_year - timedelta(days=1)


def _read_date(fields: FieldReader, name: str) -> date | None:
    return read_date(fields, name, help="Enter a date as YYYY-MM-DD.", required=True)


async def create_organiser(principal: Principal, raw: Mapping[str, Any]) -> str:
    """Register an organiser and give them a unique vouching code; returns the code."""
    fields = FieldReader(raw)
    host_id = read_row_id(fields, "host_id", what="a host organisation")
    if host_id is not None and not principal.can_manage_host(host_id):
        # Before any other field: another host hears "not yours", not what was wrong.
        raise Forbidden("You can only add organisers to your own host organisation.")
    staff = principal.is_admin
    if not staff and any(raw.get(key) not in (None, "") for key in BURSARY_FIELDS):
        raise Forbidden(HOST_DATES_REFUSED)
    name = fields.text("name", max_length=120)
    locality_id = read_row_id(fields, "locality_id", what="a locality")
    if staff:
        bursary_start = _read_date(fields, "bursary_start")
        bursary_end = _read_date(fields, "bursary_end")
    else:
        bursary_start, bursary_end = default_bursary_year(today())
    bio = fields.text("bio", required=False, max_length=2000)
    if bursary_start and bursary_end and bursary_end <= bursary_start:
        fields.errors["bursary_end"] = "The bursary ends after it starts."
    fields.check("The organiser could not be saved.")
    assert host_id is not None and locality_id is not None
    if not await HostOrganisation.exists().where(HostOrganisation.id == host_id):
        raise ValidationFailed(
            "The organiser could not be saved.",
            field_errors={"host_id": "Choose a host organisation from the list."},
        )
    if not await Locality.exists().where(Locality.id == locality_id):
        raise ValidationFailed(
            "The organiser could not be saved.",
            field_errors={"locality_id": "Choose a locality from the list."},
        )
    rng = secrets.SystemRandom()
    async with write_transaction():
        for _ in range(50):
            code = generate_code(name, rng)
            if not await Organiser.exists().where(Organiser.code == code):
                break
        else:  # pragma: no cover - 50 collisions in a space of hundreds per name
            raise ValidationFailed("Could not find a free vouching code; try again.")
        rows = await Organiser.insert(
            Organiser(
                name=name,
                code=code,
                host=host_id,
                locality=locality_id,
                bursary_start=bursary_start,
                bursary_end=bursary_end,
                bio=bio,
                status=OrganiserStatus.ACTIVE.value,
            )
        ).returning(Organiser.id)
        # The first line of the organiser's history (community/lifecycle.py).
        host = await HostOrganisation.select(HostOrganisation.name).where(
            HostOrganisation.id == host_id
        )
        await audit.record(
            principal,
            "organiser.create",
            "organiser",
            rows[0]["id"],
            host_name=host[0]["name"] if host else "",
            bursary_start=bursary_start.isoformat() if bursary_start else "",
            bursary_end=bursary_end.isoformat() if bursary_end else "",
            default_dates=not staff,
        )
    return code


async def list_organisers(
    *, host_ids: frozenset[int] | None = None, locality_id: int | None = None
) -> list[dict[str, Any]]:
    query = Organiser.select(*ORGANISER_PUBLIC_COLUMNS).order_by(Organiser.name)
    if host_ids is not None:
        query = query.where(Organiser.host.is_in(list(host_ids) or [-1]))
    if locality_id is not None:
        query = query.where(Organiser.locality == locality_id)
    return await query


async def get_organiser(raw_code: str) -> dict[str, Any]:
    code = normalise_code(raw_code)
    row = None
    if code is not None:
        row = (
            await Organiser.select(*ORGANISER_PUBLIC_COLUMNS).where(Organiser.code == code).first()
        )
    if row is None:
        raise NotFound(f"There is no organiser with the code {raw_code[:20]}.")
    return row
