"""The demo's places, funders and pools, host organisations, organisers and logins, with the
real ONS codes of the wards and local authorities."""

from __future__ import annotations

import random
from datetime import timedelta

from groundswell.accounts.services import create_user
from groundswell.community.codes import generate_code
from groundswell.community.tables import HostOrganisation, Locality, Organiser
from groundswell.core.clock import today
from groundswell.core.principal import Role
from groundswell.db import write_transaction
from groundswell.demo.names import FIRST_NAMES, SURNAMES
from groundswell.funders.tables import Funder, Pool, PoolLocality

DEMO_PASSWORD = "groundswell-demo"  # noqa: S105 - printed to the newcomer on purpose

# Wards and local authorities with their real ONS codes.
LOCALITIES = [
    ("Pallister", "E05001491", "E06000002", "Middlesbrough"),
    ("North Ormesby", "E05012282", "E06000002", "Middlesbrough"),
    ("Hulme", "E05011369", "E08000003", "Manchester"),
    ("Moss Side", "E05011373", "E08000003", "Manchester"),
    ("Lozells", "E05011172", "E08000025", "Birmingham"),
    ("Splott", "W05001007", "W06000015", "Cardiff"),
    ("Govanhill", "S13002971", "S12000049", "Glasgow City"),
    ("Tottenham Hale", "E05013589", "E09000014", "Haringey"),
    ("Walton", "E05000911", "E08000012", "Liverpool"),
    ("Lawrence Weston", "E05010892", "E06000023", "Bristol"),
]

FUNDERS = [
    ("Northern Roots Foundation", "GB-CHC-1098765", "https://northernroots.example.org"),
    ("Common Ground Lottery Fund", "GB-COH-05432109", "https://commonground.example.org"),
    ("Riverside Community Trust", "GB-CHC-1123456", "https://riverside.example.org"),
]

# (funder index, name, cadence, round budget in pence, score method, locality names or empty for any)
POOLS = [
    (0, "Teesside Listening Fund", "quarterly", 60_000_00, "sqrt", ["Pallister", "North Ormesby"]),
    (
        0,
        "Northern Organisers Continuation",
        "monthly",
        30_000_00,
        "quadratic",
        ["Hulme", "Moss Side", "Walton"],
    ),
    (1, "Neighbourhoods Without Strings", "monthly", 25_000_00, "pairwise", []),
    (
        1,
        "Cardiff & Glasgow Voices",
        "quarterly",
        40_000_00,
        "proportional",
        ["Splott", "Govanhill"],
    ),
    (
        2,
        "Bristol & London Community Pool",
        "quarterly",
        45_000_00,
        "sqrt",
        ["Lawrence Weston", "Tottenham Hale", "Lozells"],
    ),
]

HOSTS = [
    ("Pallister Park Community Association", "GB-CHC-1102345", "TS3 8BL"),
    ("North Ormesby Neighbourhood Trust", "GB-CHC-1087654", "TS3 6LA"),
    ("Hulme Community Garden Centre", "GB-CHC-1110987", "M15 5RF"),
    ("Moss Side Powerhouse", "GB-COH-04123456", "M14 4SN"),
    ("Lozells Development Trust", "GB-CHC-1099012", "B19 1RT"),
    ("Splott Community Volunteers", "GB-CHC-1145678", "CF24 2DB"),
    ("Govanhill Baths Community Trust", "GB-SC-SC038145", "G42 7LA"),
    ("Tottenham Hale Residents Together", "GB-COH-09876543", "N17 9LR"),
    ("Walton Street Action", "GB-CHC-1156789", "L4 6TH"),
    ("Lawrence Weston Community Hub", "GB-CHC-1134567", "BS11 0QA"),
    ("Moss Side Tenants Network", "GB-CHC-1167890", "M16 7AP"),
    ("Teesside Tenants Forum", "GB-CHC-1171234", "TS1 2AQ"),
]

BIOS = [
    "Door-knocks every street on the estate and turns what people say into action with the council.",
    "Runs the Saturday tenants' surgery and the food club at the community centre.",
    "Started the residents' campaign to bring the empty pub back into community hands.",
    "Listens first: the youth football league, the bus route petition and the repair café all began on doorsteps.",
    "Helped neighbours set up a credit union collection point and a winter warm space.",
]

# One host the demo's host user belongs to has not set up payments: its money is held
# until they do (on their host page), then paid at once. Every other host is onboarded.
NOT_ONBOARDED_HOST = HOSTS[2][0]


async def load_places(rng: random.Random) -> None:
    async with write_transaction():
        locality_ids: dict[str, int] = {}
        for name, ward, authority_code, authority in LOCALITIES:
            rows = await Locality.insert(
                Locality(
                    name=name,
                    ons_ward_code=ward,
                    ons_la_code=authority_code,
                    local_authority=authority,
                )
            ).returning(Locality.id)
            locality_ids[name] = rows[0]["id"]
        funder_ids = []
        for name, org_id, website in FUNDERS:
            rows = await Funder.insert(Funder(name=name, org_id=org_id, website=website)).returning(
                Funder.id
            )
            funder_ids.append(rows[0]["id"])
        for funder_index, name, cadence, budget, method, localities in POOLS:
            rows = await Pool.insert(
                Pool(
                    funder=funder_ids[funder_index],
                    name=name,
                    description=f"{name}: continuation funding for organisers their neighbours vouch for. No application forms, no outcome targets.",
                    cadence=cadence,
                    round_budget=budget,
                    score_method=method,
                    floor_amount=500_00,
                    cap_amount=budget // 4,
                )
            ).returning(Pool.id)
            if localities:
                await PoolLocality.insert(
                    *[
                        PoolLocality(pool=rows[0]["id"], locality=locality_ids[n])
                        for n in localities
                    ]
                )
        host_ids = []
        for name, org_id, postcode in HOSTS:
            rows = await HostOrganisation.insert(
                HostOrganisation(
                    name=name,
                    org_id=org_id,
                    postcode=postcode,
                    contact_name="Coordinator",
                    contact_email=f"hello@{name.split()[0].lower()}.example.org",
                )
            ).returning(HostOrganisation.id)
            host_ids.append(rows[0]["id"])
        host_localities = [LOCALITIES[i % len(LOCALITIES)][0] for i in range(len(HOSTS))]
        used_codes: set[str] = set()
        start_of_today = today()
        for index, first in enumerate(FIRST_NAMES):
            host_index = index % len(HOSTS)
            while (code := generate_code(first, rng)) in used_codes:
                pass
            used_codes.add(code)
            # Bursary years ending at different times: some due for continuation now, some later.
            bursary_end = start_of_today + timedelta(days=rng.randint(-300, 150))
            await Organiser.insert(
                Organiser(
                    name=f"{first} {SURNAMES[index % len(SURNAMES)]}",
                    code=code,
                    host=host_ids[host_index],
                    locality=locality_ids[host_localities[host_index]],
                    bursary_start=bursary_end - timedelta(days=365),
                    bursary_end=bursary_end,
                    status="left" if index % 17 == 16 else "active",
                    bio=BIOS[index % len(BIOS)],
                )
            )


async def load_users() -> None:
    northern_roots = await Funder.select(Funder.id).where(Funder.org_id == FUNDERS[0][1]).first()
    pallister = (
        await HostOrganisation.select(HostOrganisation.id)
        .where(HostOrganisation.org_id == HOSTS[0][1])
        .first()
    )
    # Hulme has not set up payments (NOT_ONBOARDED_HOST): Hana can see its money held.
    hulme = (
        await HostOrganisation.select(HostOrganisation.id)
        .where(HostOrganisation.name == NOT_ONBOARDED_HOST)
        .first()
    )
    assert northern_roots is not None and pallister is not None and hulme is not None
    await create_user(
        email="admin@groundswell.example",
        name="Programme Admin",
        password=DEMO_PASSWORD,
        role=Role.ADMIN,
    )
    await create_user(
        email="funder@groundswell.example",
        name="Fran Funder",
        password=DEMO_PASSWORD,
        role=Role.FUNDER,
        funder_ids=(northern_roots["id"],),
    )
    await create_user(
        email="host@groundswell.example",
        name="Hana Host",
        password=DEMO_PASSWORD,
        role=Role.HOST,
        host_ids=(pallister["id"], hulme["id"]),
    )
