"""Realistic demo data, loaded idempotently: running it twice changes nothing.

Three parts, each loaded once: places, funders, pools, hosts, organisers and users; residents
and what they said; money (deposits) and rounds (one paid, one approved, one paused, one in
review). Residents' voices are sha256 hashes of made-up ids, never phone numbers.
"""

from __future__ import annotations

import hashlib
import random
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from typing import Any

from groundswell.accounts.principal import Principal
from groundswell.accounts.roles import Role
from groundswell.accounts.services import create_user
from groundswell.accounts.tables import User
from groundswell.allocation import services as rounds
from groundswell.allocation.periods import period_containing, previous_period
from groundswell.allocation.states import AllocationState
from groundswell.allocation.tables import Allocation, Round
from groundswell.community.codes import generate_code
from groundswell.community.tables import HostOrganisation, Locality, Organiser
from groundswell.core.clock import frozen_at, now, today
from groundswell.core.phones import PhoneCipher
from groundswell.db import write_transaction
from groundswell.demo_voices import (
    LargeScale,
    Progress,
    add_voices,
    load_large,
    organiser_seeds,
    writer_for,
)
from groundswell.funders import services as funders
from groundswell.funders.tables import Deposit, Funder, Pool, PoolLocality
from groundswell.outbox.demo import show_deliveries
from groundswell.payments import checkout, payouts
from groundswell.payments import services as payments
from groundswell.payments.offline import OfflineGateway
from groundswell.programme.demo import load_programme_demo
from groundswell.programme.tables import AssetBid, ProgrammeGrant, ProgrammeReminder, ServiceBid
from groundswell.settings import Settings, load_settings
from groundswell.vouching.loop import close_the_loop_for
from groundswell.vouching.tables import Endorsement, Resident

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

FIRST_NAMES = [
    "Amina",
    "Dele",
    "Siobhan",
    "Tariq",
    "Grace",
    "Kwame",
    "Rhiannon",
    "Bilal",
    "Maureen",
    "Priya",
    "Callum",
    "Nasra",
    "Eileen",
    "Joseph",
    "Fatima",
    "Gareth",
    "Leanne",
    "Yusuf",
    "Bernadette",
    "Chidi",
    "Shona",
    "Imran",
    "Olwen",
    "Marcus",
    "Hodan",
    "Declan",
    "Sunita",
    "Aled",
    "Precious",
    "Ruth",
    "Mohammed",
    "Kerry",
    "Agnieszka",
    "Tomasz",
    "Jade",
    "Winston",
    "Halima",
    "Ewan",
    "Comfort",
    "Danny",
]
SURNAMES = [
    "Hussein",
    "Okafor",
    "Byrne",
    "Mahmood",
    "Thompson",
    "Mensah",
    "Pritchard",
    "Khan",
    "Doyle",
    "Patel",
    "McLeod",
    "Abdi",
    "Walsh",
    "Addo",
    "Begum",
    "Evans",
    "Hughes",
    "Ali",
    "Kelly",
    "Eze",
]
BIOS = [
    "Door-knocks every street on the estate and turns what people say into action with the council.",
    "Runs the Saturday tenants' surgery and the food club at the community centre.",
    "Started the residents' campaign to bring the empty pub back into community hands.",
    "Listens first: the youth football league, the bus route petition and the repair café all began on doorsteps.",
    "Helped neighbours set up a credit union collection point and a winter warm space.",
]


@dataclass
class DemoReport:
    created: bool
    counts: dict[str, int]

    def __str__(self) -> str:
        lines = [
            "Demo data " + ("loaded." if self.created else "already present; nothing duplicated.")
        ]
        lines += [f"  {name}: {count}" for name, count in self.counts.items()]
        lines += [
            "Demo logins (password for all: " + DEMO_PASSWORD + "):",
            "  admin@groundswell.example     administrator",
            "  funder@groundswell.example    member of Northern Roots Foundation",
            "  host@groundswell.example      member of Pallister Park Community Association",
            "                                and of Hulme Community Garden Centre (payments held",
            "                                until it sets up payments)",
        ]
        return "\n".join(lines)


SMALL_RESIDENTS, SMALL_VOICES = 1_400, 1_800


async def load_demo(
    scale: str = "small",
    seed: int = 7,
    *,
    settings: Settings | None = None,
    large: LargeScale | None = None,
    progress: Progress | None = None,
) -> DemoReport:
    """The small demo (always), and with scale="large" the bulk data set on top of it."""
    if scale not in {"small", "large"}:
        raise ValueError("The demo scale is small or large.")
    url = load_settings().database_url
    progress = progress or Progress()
    created = not await Funder.exists().where(Funder.org_id == FUNDERS[0][1])
    if created:
        await _load(random.Random(seed))
        await _users()
    # The programme's data has its own check, so a database demoed before it existed gets it.
    programme_created = await load_programme_demo(settings or load_settings())
    created = created or programme_created
    # Each part below checks for itself, so a database loaded by an older demo gains them.
    if not await Endorsement.exists():
        # Residents' testimony for the listening pages.
        created = await _voices(url, seed, progress) or created
    voices = not await Resident.exists().where(Resident.voice_hash == _voice(0))
    if voices:
        # Voices spread over the past months, so past rounds had organisers to fund.
        await _round_voices(random.Random(seed + 1))
    signal = not await Resident.exists().where(Resident.voice_hash == _voice(BURST_FIRST))
    if signal:
        # Some web voices answered the 0-10 question; one organiser had a burst of voices.
        await _listening_signal(random.Random(seed + 2))
    money = not await Deposit.exists().where(Deposit.external_reference.like("DEMO-%"))
    if money:
        await _money_and_rounds(settings or load_settings())
        # The outbox shows messages delivered, not delivered, failed and waiting.
        await show_deliveries(settings or load_settings())
    if scale == "large":
        created = await load_large(url, large or LargeScale(), progress=progress) or created
    counts = {
        "funders": await Funder.count(),
        "pools": await Pool.count(),
        "localities": await Locality.count(),
        "host organisations": await HostOrganisation.count(),
        "organisers": await Organiser.count(),
        "users": await User.count(),
        "asset bids": await AssetBid.count(),
        "service bids": await ServiceBid.count(),
        "programme grants": await ProgrammeGrant.count(),
        "programme reminders sent": await ProgrammeReminder.count(),
        "residents": await Resident.count(),
        "testimonies": await Endorsement.count(),
        "deposits": await Deposit.count(),
        "rounds": await Round.count(),
    }
    return DemoReport(created=created or voices or signal or money, counts=counts)


async def _load(rng: random.Random) -> None:
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


async def _voices(url: str, seed: int, progress: Progress) -> bool:
    rows = await Organiser.select(Organiser.id, Organiser.name, Organiser.bursary_start).order_by(
        Organiser.id
    )
    if not rows:
        return False
    rng = random.Random(seed)
    writer = writer_for(url)
    await writer.open()
    try:
        await add_voices(
            writer,
            organiser_seeds(rng, [(r["id"], r["name"], r["bursary_start"]) for r in rows]),
            residents=SMALL_RESIDENTS,
            voices=SMALL_VOICES,
            seed=seed,
            progress=progress,
        )
        await writer.finish(["resident", "endorsement"])
    finally:
        await writer.close()
    return True


async def _users() -> None:
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


# --------------------------------------------------------------------------------------------
# Residents and what they said
# --------------------------------------------------------------------------------------------

# In residents' own words, about what happened; {name} is the organiser's first name.
TESTIMONIES = [
    "She got the council to fix the lights on the underpass after three years of us asking.",
    "{name} knocked on every door in our block when the damp got bad. Now the housing association has a repair date for all 24 flats, not just mine.",
    "When the bus company cut the 36, {name} got 400 signatures in a fortnight and sat in the meeting with us. They put the evening buses back.",
    "My lad was getting into trouble. {name} started the Tuesday football and now he helps run it.",
    "{name} sorted a warm space in the church hall last winter. My mam went every day, it was the only time she saw anyone.",
    "We'd been trying to get the empty shop on the parade for years. {name} showed us how to get it listed as a community asset and now it's a food pantry.",
    "Honestly I didn't know any of my neighbours before the street party {name} organised. Now we've got a WhatsApp group and we look out for each other.",
    "{name} helped me fill in the forms when my PIP got stopped. I got it back on appeal.",
    "The alley behind us was full of fly-tipping. {name} got us skips, gloves and the council's enforcement team in the same week.",
    "{name} set up the repair café. I've had my hoover, a kettle and my granddaughter's bike fixed for nothing.",
    "When the tower block's lift was broken for six weeks {name} organised a rota so someone checked on everyone on the top floors every day.",
    "Got the crossing outside the primary school. We'd asked for ten years. {name} made the council count the cars.",
    "{name} listens. She doesn't tell us what we need, she asks and then she does something about it.",
    "My English is not good. {name} found an interpreter for the tenants meeting so I could speak too.",
    "{name} brought the landlords to the residents' meeting and stayed calm when we weren't. We got the heating fixed before Christmas.",
    "The community garden was just mud two years ago. {name} got the tools, the raised beds and the kids from the school involved. We grew potatoes!",
    "He started a credit union collection point at the centre so we don't have to go to the loan sharks any more.",
    "{name} helped us stop them closing the library on Saturdays. We packed out the consultation.",
    "When my husband died {name} came round with a casserole and the number for the bereavement group. I still go.",
    "{name} got the youth club open again on Friday nights. The park is quieter and the kids have somewhere to be.",
    "We had no idea our ward had money for projects. {name} showed us how to bid and we got the benches and the planters.",
    "I was scared to complain about the mould in case they evicted me. {name} came with me and it got sorted.",
    "{name} organised the litter picks every first Sunday. It started with five of us and now there's about thirty.",
    "The food bank was running out by Wednesday. {name} sorted a deal with the big supermarket for their surplus.",
    "{name} got the council to put a defibrillator on the wall by the shops after Mr Ahmed collapsed.",
    "She set up English conversation over tea on Thursdays. I made my first friends here.",
    "{name} challenged the parking scheme that would have cost every household £60. The council dropped it.",
    "Our tenants' association had died off. {name} got it going again and now we have a say in the regeneration plans.",
    "{name} helped the mums set up a toddler group because the children's centre closed.",
    "When the pub was up for sale {name} helped us raise the money to make a bid. We didn't win it yet but we're not giving up.",
    "{name} got the GP surgery to take phone bookings from 8 again instead of the app only. My dad can't use the app.",
    "He organised the walking group for people coming out of hospital. My knee is better and I've got people to talk to.",
    "{name} turned the complaints about the estate's bins into a proper plan with the council. The rats have gone.",
    "The bridge path was pitch black and women wouldn't use it. {name} got lights and a camera put in.",
    "{name} found us a room and got the older lads to paint it. It's the homework club now.",
    "I came to a meeting about the playground and {name} made sure the kids got to vote on the design. They chose it.",
    "She helped my family when we got here from Syria. School places, GP, the bank, all of it.",
    "{name} brings people together who wouldn't normally talk. The mosque and the church run the summer lunches together now.",
    "When the flooding came into our street {name} had sandbags and volunteers out before the council did anything.",
    "{name} pushed the water company until they fixed the drain that flooded our road every time it rained.",
    "He kept the community centre open when they wanted to sell it. It's busier now than it's ever been.",
    "{name} made the housing officer come out and look instead of just sending letters.",
]

NEIGHBOURHOODS = [
    "the Grove estate",
    "Parkside",
    "near the precinct",
    "by the canal",
    "the old terraces",
    "Riverside flats",
    "top of the hill",
    "by the school",
    "the high street",
    "Millfield",
]


def _voice(n: int) -> str:
    """A resident's voice hash in the demo: sha256 of a made-up id, never a phone number."""
    return hashlib.sha256(f"groundswell-demo-resident-{n}".encode()).hexdigest()


async def _round_voices(rng: random.Random) -> None:
    organisers = await Organiser.select(
        Organiser.id, Organiser.name, Organiser.locality, Organiser.status
    ).order_by(Organiser.id)
    if not organisers:
        return
    by_locality: dict[int, list[dict[str, Any]]] = {}
    for organiser in organisers:
        by_locality.setdefault(organiser["locality"], []).append(organiser)
    moment = now()
    residents: list[Resident] = []
    endorsements: list[dict[str, Any]] = []
    n = 0
    for organiser in organisers:
        # Some organisers are well known, some just starting out, a few have few voices yet.
        wanted = rng.choice([2, 4, 7, 9, 10, 12, 14, 16, 18, 20])
        for _ in range(wanted):
            residents.append(Resident(voice_hash=_voice(n), created_at=moment))
            neighbours = by_locality[organiser["locality"]]
            backed = {organiser["id"]}
            if len(neighbours) > 1 and rng.random() < 0.3:
                backed.add(rng.choice(neighbours)["id"])
            for organiser_id in backed:
                endorsements.append({"resident": n, "organiser": organiser_id})
            n += 1
    names = {o["id"]: o["name"].split()[0] for o in organisers}
    async with write_transaction():
        resident_ids = [
            row["id"]
            for batch in range(0, len(residents), 200)
            for row in await Resident.insert(*residents[batch : batch + 200]).returning(Resident.id)
        ]
        rows = []
        for item in endorsements:
            at = moment - timedelta(days=rng.uniform(1, 240), minutes=rng.randint(0, 600))
            verification = rng.choices(
                ["sms_inbound", "sms_code", "unverified"], weights=[70, 22, 8]
            )[0]
            roll = rng.random()
            state, moderation, flags = "active", "clear", []
            if roll < 0.04:
                state = "withdrawn"
            elif roll < 0.06:
                state, moderation = "hidden", "reviewed"
            elif roll < 0.09:
                moderation, flags = "flagged", ["burst"]
            consent = rng.random() < 0.6
            # A text carries no name or neighbourhood: only the web form asks for them.
            named = consent and verification != "sms_inbound"
            rows.append(
                Endorsement(
                    resident=resident_ids[item["resident"]],
                    organiser=item["organiser"],
                    testimony=rng.choice(TESTIMONIES).format(name=names[item["organiser"]]),
                    theme=rng.choices(["value", "hope", "concern", "idea"], weights=[7, 1, 1, 1])[
                        0
                    ],
                    display_name=rng.choice(FIRST_NAMES) if named else "",
                    neighbourhood=rng.choice(NEIGHBOURHOODS) if named else "",
                    consent_to_publish=consent,
                    channel="sms" if verification == "sms_inbound" else "web",
                    verification=verification,
                    state=state,
                    moderation=moderation,
                    flags=flags,
                    created_at=at,
                    updated_at=at,
                    withdrawn_at=at + timedelta(days=3) if state == "withdrawn" else None,
                )
            )
        for batch in range(0, len(rows), 200):
            await Endorsement.insert(*rows[batch : batch + 200])
        # One organiser vouched for themselves from their own phone: it never counts.
        first = organisers[0]
        own = _voice(10_000)
        rows_own = await Resident.insert(Resident(voice_hash=own, created_at=moment)).returning(
            Resident.id
        )
        await Organiser.update({Organiser.phone_hash: own}).where(Organiser.id == first["id"])
        await Endorsement.insert(
            Endorsement(
                resident=rows_own[0]["id"],
                organiser=first["id"],
                testimony="Keep this going, it matters.",
                channel="sms",
                verification="sms_inbound",
                created_at=moment - timedelta(days=5),
                updated_at=moment - timedelta(days=5),
            )
        )


# --------------------------------------------------------------------------------------------
# The optional 0-10 answers and a burst of voices
# --------------------------------------------------------------------------------------------

BURST_FIRST, BURST_SIZE = 20_000, 18  # the burst's residents are _voice(20_000) onwards
# How organisers' residents tend to answer "how likely are you to tell a neighbour?": weights
# for 0..10. Most lean high (courtesy bias is real), some are mixed, a few are lukewarm.
LEANINGS = [
    [0, 0, 0, 0, 1, 1, 2, 4, 8, 10, 14],
    [1, 0, 1, 1, 2, 3, 3, 6, 6, 5, 4],
    [2, 1, 2, 3, 4, 5, 4, 4, 3, 2, 1],
]


async def _listening_signal(rng: random.Random) -> None:
    """About seven in ten verified web voices answered the optional question (SMS does not ask
    it); and in the Teesside pool an organiser got 18 new web voices within an hour two days
    ago: the first 15 count, the rest wait for a moderator, flagged as a burst."""
    web = (
        await Endorsement.select(Endorsement.id, Endorsement.organiser)
        .where((Endorsement.channel == "web") & (Endorsement.verification == "sms_code"))
        .order_by(Endorsement.id)
    )
    leaning: dict[int, list[int]] = {}
    by_score: dict[int, list[int]] = {}
    for row in web:
        if rng.random() >= 0.7:
            continue
        weights = leaning.setdefault(row["organiser"], rng.choices(LEANINGS, weights=[6, 3, 1])[0])
        by_score.setdefault(rng.choices(range(11), weights=weights)[0], []).append(row["id"])
    teesside = await PoolLocality.select(PoolLocality.locality).where(
        PoolLocality.pool.name == POOLS[0][1]
    )
    target = (
        await Organiser.select(Organiser.id, Organiser.name)
        .where(
            Organiser.locality.is_in([row["locality"] for row in teesside] or [-1])
            & (Organiser.status == "active")
            & (Organiser.bursary_end <= today())
        )
        .order_by(Organiser.id)
        .first()
    )
    moment = now() - timedelta(days=2)
    async with write_transaction():
        for score, ids in sorted(by_score.items()):
            for batch in range(0, len(ids), 200):
                await Endorsement.update({Endorsement.score: score}).where(
                    Endorsement.id.is_in(ids[batch : batch + 200])
                )
        residents = await Resident.insert(
            *[
                Resident(voice_hash=_voice(BURST_FIRST + n), created_at=moment)
                for n in range(BURST_SIZE)
            ]
        ).returning(Resident.id)
        if target is None:
            return
        first_name = target["name"].split()[0]
        await Endorsement.insert(
            *[
                Endorsement(
                    resident=row["id"],
                    organiser=target["id"],
                    testimony=rng.choice(TESTIMONIES).format(name=first_name),
                    theme="value",
                    channel="web",
                    verification="sms_code",
                    score=10,
                    moderation="flagged" if n >= 15 else "clear",
                    flags=["burst"] if n >= 15 else [],
                    created_at=moment + timedelta(minutes=3 * n),
                    updated_at=moment + timedelta(minutes=3 * n),
                )
                for n, row in enumerate(residents)
            ]
        )


# --------------------------------------------------------------------------------------------
# Money and rounds
# --------------------------------------------------------------------------------------------

# One host the demo's host user belongs to has not set up payments: its money is held
# until they do (on their host page), then paid at once. Every other host is onboarded.
NOT_ONBOARDED_HOST = HOSTS[2][0]


async def _onboard_hosts(gateway: OfflineGateway, settings: Settings) -> None:
    hosts = await HostOrganisation.select(HostOrganisation.id, HostOrganisation.name).where(
        HostOrganisation.stripe_account_id.is_null() & (HostOrganisation.name != NOT_ONBOARDED_HOST)
    )
    for host in hosts:
        account = await gateway.create_connected_account(
            email="",
            metadata={"host_id": str(host["id"])},
            idempotency_key=f"groundswell-host-{host['id']}-account",
        )
        await HostOrganisation.update({HostOrganisation.stripe_account_id: account.id}).where(
            HostOrganisation.id == host["id"]
        )
        await gateway.complete_onboarding(account.id)
        await payments.refresh_account(settings, gateway, account.id)


async def _pay_through_the_offline_adapter(settings: Settings, round_id: int) -> None:
    """What the payments job does, with the offline adapter: simulated, no money moves."""
    gateway = OfflineGateway(settings)
    await _onboard_hosts(gateway, settings)
    lines = await Allocation.select(Allocation.id).where(
        (Allocation.round == round_id) & (Allocation.state == AllocationState.APPROVED.value)
    )
    for line in lines:
        await payouts.pay_allocation(gateway, line["id"])


async def _top_up_by_card(settings: Settings, pool_id: int, funder: Principal) -> None:
    """A funder tops up by (simulated) Checkout, as on the pool page."""
    gateway = OfflineGateway(settings)
    url = await checkout.start_top_up(settings, gateway, funder, pool_id, 500_00)
    session_id = url.rsplit("/", 1)[1]
    await gateway.complete_checkout_session(session_id)
    await checkout.apply_checkout_session(gateway, session_id)


def _at(day: Any, hour: int = 9) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=UTC)


async def _close_the_loop(settings: Settings, round_id: int) -> None:
    """A few residents of the paid round asked to hear back: their result SMS goes through the
    development outbox (visible on /admin/outbox) once the scheduler drains it."""
    organisers = [
        row["organiser"]
        for row in await Allocation.select(Allocation.organiser).where(Allocation.round == round_id)
    ]
    rows = (
        await Endorsement.select(Endorsement.resident)
        .where(
            Endorsement.organiser.is_in(organisers or [-1])
            & (Endorsement.state == "active")
            & Endorsement.verification.is_in(["sms_inbound", "sms_code"])
        )
        .order_by(Endorsement.resident)
        .limit(40)
    )
    cipher = PhoneCipher(settings.phone_key)
    for n, resident_id in enumerate(sorted({row["resident"] for row in rows})[:4]):
        # Made-up mobile numbers, held encrypted like a real opt-in.
        await Resident.update(
            {
                Resident.hear_back: True,
                Resident.phone_encrypted: cipher.encrypt(f"+4474000000{n:02d}"),
            }
        ).where(Resident.id == resident_id)
    await close_the_loop_for(settings, round_id)


async def _money_and_rounds(settings: Settings) -> None:
    # Pools with a round budget share money in rounds; the programme's pool funds grants.
    pools = await Pool.select().where(Pool.round_budget > 0).order_by(Pool.id)
    if not pools:
        return
    # The Northern Roots funder's monthly pool has history: paid, approved, paused.
    northern = next((p for p in pools if p["name"] == POOLS[1][1]), pools[0])
    fran = await User.select(User.id).where(User.email == "funder@groundswell.example").first()
    current = period_containing(today(), northern["cadence"])
    paused_period = previous_period(current, northern["cadence"])
    approved_period = previous_period(paused_period, northern["cadence"])
    paid_period = previous_period(approved_period, northern["cadence"])
    # The money arrived a fortnight before the first of those rounds.
    deposit_day = paid_period.start - timedelta(days=14)
    with frozen_at(_at(deposit_day, 11)):
        for pool in pools:
            await funders.record_deposit(
                None,
                pool["id"],
                funders.DepositInput(
                    amount=pool["round_budget"] * 4,
                    reference=f"DEMO-BACS-{pool['id']:04d}",
                    received_on=deposit_day,
                    note="Demo deposit: bank transfer from the funder",
                ),
            )
    for period in (paid_period, approved_period, paused_period):
        with frozen_at(_at(period.start, 6)):
            outcome = await rounds.compute_round(
                northern["id"], period=period, public_url=settings.public_url
            )
        round_id = outcome.report.round_id
        assert round_id is not None
        review_until = outcome.report.review_until
        assert review_until is not None
        if period == paused_period and fran is not None:
            funder = Principal(
                user_id=fran["id"],
                email="funder@groundswell.example",
                name="Fran Funder",
                role=Role.FUNDER,
                funder_ids=frozenset({northern["funder"]}),
            )
            with frozen_at(_at(period.start + timedelta(days=2), 14)):
                await rounds.pause_round(funder, round_id)
            continue
        with frozen_at(review_until + timedelta(hours=1)):
            await rounds.approve_round(round_id)
        if period == paid_period:
            with frozen_at(review_until + timedelta(days=2)):
                await _pay_through_the_offline_adapter(settings, round_id)
            await _close_the_loop(settings, round_id)
    if fran is not None:
        await _top_up_by_card(
            settings,
            northern["id"],
            Principal(
                user_id=fran["id"],
                email="funder@groundswell.example",
                name="Fran Funder",
                role=Role.FUNDER,
                funder_ids=frozenset({northern["funder"]}),
            ),
        )
    # And one round in review now, in the other Northern Roots pool.
    teesside = next((p for p in pools if p["name"] == POOLS[0][1]), None)
    if teesside is not None:
        await rounds.compute_round(teesside["id"], public_url=settings.public_url)
