"""What the demo's residents said: testimony for the listening pages, voices spread over the
past months so that past rounds had organisers to fund, the optional 0-10 answers, and one
organiser's burst of voices. Residents' voices are sha256 hashes of made-up ids, never phone
numbers."""

from __future__ import annotations

import hashlib
import random
from datetime import timedelta
from typing import Any

from groundswell.community.tables import Organiser
from groundswell.core.clock import now, today
from groundswell.db import write_transaction
from groundswell.demo.bulk import Progress, add_voices, writer_for
from groundswell.demo.names import FIRST_NAMES
from groundswell.demo.places_and_people import POOLS
from groundswell.demo.testimony import organiser_seeds
from groundswell.funders.tables import PoolLocality
from groundswell.vouching.tables import Endorsement, Resident

SMALL_RESIDENTS, SMALL_VOICES = 1_400, 1_800


async def load_listening_testimony(url: str, seed: int, progress: Progress) -> bool:
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


def voice_hash(n: int) -> str:
    """A resident's voice hash in the demo: sha256 of a made-up id, never a phone number."""
    return hashlib.sha256(f"groundswell-demo-resident-{n}".encode()).hexdigest()


async def load_round_voices(rng: random.Random) -> None:
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
            residents.append(Resident(voice_hash=voice_hash(n), created_at=moment))
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
        rows: list[Endorsement] = []
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
                    # Some share with funders only, some also on the public page.
                    show_funders=consent,
                    show_public=consent and len(rows) % 2 == 0,
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
        own = voice_hash(10_000)
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

BURST_FIRST, BURST_SIZE = 20_000, 18  # the burst's residents are voice_hash(20_000) onwards
# How organisers' residents tend to answer "how likely are you to tell a neighbour?": weights
# for 0..10. Most lean high (courtesy bias is real), some are mixed, a few are lukewarm.
LEANINGS = [
    [0, 0, 0, 0, 1, 1, 2, 4, 8, 10, 14],
    [1, 0, 1, 1, 2, 3, 3, 6, 6, 5, 4],
    [2, 1, 2, 3, 4, 5, 4, 4, 3, 2, 1],
]


async def load_listening_signal(rng: random.Random) -> None:
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
                Resident(voice_hash=voice_hash(BURST_FIRST + n), created_at=moment)
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
