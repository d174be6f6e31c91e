"""Made-up testimony for the demo: the words residents say about organisers, one endorsement
row of them, and which resident vouches for which organiser. Deterministic for a seed; dates
are relative to now.

Nothing here is anyone's real words or number: residents are keyed by a hash of a demo
label (never a phone number), and the testimony is assembled from the kinds of things
residents say about organisers — what happened, what changed, what they hope for."""

from __future__ import annotations

import hashlib
import math
import random
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from groundswell.vouching.redact import search_text
from groundswell.vouching.tables import new_public_ref

# What happened: "{name}" is the organiser's first name.
HAPPENED = [
    "{name} knocked on every door on our street and actually listened to what we said.",
    "{name} got the council to fix the lights in the underpass after three years of us asking.",
    "{name} started the Saturday food club at the community centre.",
    "{name} helped us stop the library closing.",
    "{name} set up the youth football league on the rec.",
    "{name} brought the repair café to the church hall.",
    "{name} sat with my mum at the housing office until they sorted the damp.",
    "{name} got the bus route back after the cuts.",
    "{name} ran the warm space all winter when the heating bills went up.",
    "{name} helped the tenants' association get the lifts repaired.",
    "{name} got the empty shop on the parade turned into a community pantry.",
    "{name} found a way for the allotments to stay open.",
    "{name} organised the litter pick that turned into a street party.",
    "{name} helped us start a credit union collection point.",
    "{name} got the landlord to deal with the mould in our flats.",
    "{name} got the skate park built to the young people's own design.",
    "{name} listened when nobody else would after my husband died.",
    "{name} got a crossing put in outside the primary school.",
    "{name} started a walking group for people coming out of hospital.",
    "{name} helped us turn the old bowling green into a community garden.",
    "{name} got the residents and the police round one table about the dealing.",
    "{name} set up English conversation mornings for mums new to the area.",
    "{name} helped the mosque, the church and the school run a fun day together.",
    "{name} kept pushing until the council cleared the fly-tipping behind the garages.",
]
CHANGED = [
    "Now neighbours who never spoke say hello.",
    "My kids have somewhere to go after school now.",
    "People on the estate feel someone is on their side.",
    "It brought the whole street together.",
    "I started volunteering because of it.",
    "The older residents are not stuck indoors any more.",
    "We feel listened to for the first time in years.",
    "It saved a lot of families money over the winter.",
    "I know my neighbours' names now.",
    "The young ones have stopped hanging about with nothing to do.",
    "",
    "",
]
# The last sentence carries the theme.
CLOSING = {
    "value": [
        "Please keep this work going.",
        "We need this carrying on.",
        "Nobody else does what they do round here.",
        "It is the best thing to happen to this area in years.",
    ],
    "hope": [
        "I hope the next step is a proper youth centre.",
        "I hope we can do the same for the park.",
        "I would love to see this in every ward.",
        "Next I hope we take on the old pub as a community space.",
    ],
    "concern": [
        "I worry what happens to all this if the funding stops.",
        "The council still has not fixed the drains, which worries people.",
        "Some people still feel left out and that worries me.",
        "I am worried the centre will close before the summer.",
    ],
    "idea": [
        "It would be good to have a tool library too.",
        "Maybe the food club could run a cookery class for teenagers.",
        "A minibus for the older residents would make a huge difference.",
        "We could open the school field at weekends.",
    ],
}
THEMES = ["value"] * 11 + ["hope"] * 4 + ["concern"] * 3 + ["idea"] * 2
NEIGHBOURHOODS = [
    "Grove Hill",
    "the Parade",
    "Beech Road",
    "Park End",
    "St Luke's",
    "the Precinct",
    "Canal Side",
    "Church Lane",
    "Millfield",
    "Brookside",
    "the Crescent",
    "Station Road",
    "the Flats",
    "Ash Tree Court",
    "Victoria Street",
]
RESIDENT_NAMES = [
    "Maureen",
    "Jo",
    "Sadia",
    "Kevin",
    "Aisha",
    "Pat",
    "Tom",
    "Rukhsana",
    "Dot",
    "Wayne",
    "Nadia",
    "Gemma",
    "Abdi",
    "Lorraine",
    "Stacey",
    "Reggie",
    "Hamza",
    "Bev",
    "Zainab",
    "Terry",
]

ENDORSEMENT_COLUMNS = (
    "id",
    "resident",
    "organiser",
    "testimony",
    "search_text",
    "text_digest",
    "theme",
    "display_name",
    "neighbourhood",
    "show_public",
    "show_funders",
    "public_ref",
    "channel",
    "verification",
    "state",
    "moderation",
    "flags",
    "score",
    "source_hash",
    "created_at",
    "updated_at",
    "withdrawn_at",
)


@dataclass(frozen=True)
class OrganiserSeed:
    id: int
    first_name: str
    since: date  # voices begin when their bursary year began
    weight: float  # how many voices they attract, relative to others
    shape: float  # >1: voices mostly recent (rising); <1: mostly old (falling)


def testimony_for(rng: random.Random, first_name: str, theme: str) -> str:
    parts = [rng.choice(HAPPENED).format(name=first_name), rng.choice(CHANGED)]
    parts.append(rng.choice(CLOSING[theme]))
    return " ".join(part for part in parts if part)


def voice_row(
    rng: random.Random,
    *,
    endorsement_id: int,
    resident_id: int,
    organiser: OrganiserSeed,
    moment: datetime,
) -> tuple[Any, ...]:
    """One endorsement, with the mix of states a real platform has."""
    span = max((moment.date() - organiser.since).days, 1)
    days_ago = span * rng.random() ** organiser.shape
    updated = moment - timedelta(days=days_ago, seconds=rng.randrange(86_400))
    revised = rng.random() < 0.1  # vouched again later with new words
    created = updated - timedelta(days=rng.randrange(1, 120)) if revised else updated
    theme = rng.choice(THEMES)
    words = testimony_for(rng, organiser.first_name, theme)
    web = rng.random() < 0.4
    verification = ("unverified" if rng.random() < 0.04 else "sms_code") if web else "sms_inbound"
    consent = rng.random() < 0.8
    # A text carries no name or neighbourhood: only the web form asks for them.
    name = rng.choice(RESIDENT_NAMES) if web and consent and rng.random() < 0.6 else ""
    neighbourhood = rng.choice(NEIGHBOURHOODS) if web and rng.random() < 0.7 else ""
    roll = rng.random()
    state = "withdrawn" if roll < 0.03 else "hidden" if roll < 0.04 else "active"
    roll = rng.random()
    moderation = "flagged" if roll < 0.01 else "reviewed" if roll < 0.03 else "clear"
    flags = '["burst"]' if moderation != "clear" else "[]"
    return (
        endorsement_id,
        resident_id,
        organiser.id,
        words,
        search_text(words, neighbourhood),
        "",
        theme,
        name,
        neighbourhood,
        consent and endorsement_id % 2 == 0,  # some public as well as for funders
        consent,
        new_public_ref(),  # not from the seeded rng: references must not be predictable
        "web" if web else "sms",
        verification,
        state,
        moderation,
        flags,
        None,
        "",
        created,
        updated,
        updated + timedelta(days=rng.randrange(1, 30)) if state == "withdrawn" else None,
    )


def organiser_seeds(
    rng: random.Random, rows: Sequence[tuple[int, str, date]]
) -> list[OrganiserSeed]:
    """Popularity varies a lot (log-normal); some organisers' voices rise, some fall."""
    seeds = []
    for organiser_id, name, since in rows:
        shape = rng.choice([0.45, 0.7, 1.0, 1.0, 1.0, 1.6, 2.4])
        seeds.append(
            OrganiserSeed(
                id=organiser_id,
                first_name=name.split()[0],
                since=since,
                weight=math.exp(rng.gauss(0, 0.9)),
                shape=shape,
            )
        )
    return seeds


def resident_hash(seed: int, number: int) -> str:
    """A demo resident's key: a hash of a label, never of a phone number."""
    return hashlib.sha256(f"groundswell-demo-resident:{seed}:{number}".encode()).hexdigest()


def voice_rows(
    rng: random.Random,
    organisers: list[OrganiserSeed],
    *,
    first_resident_id: int,
    residents: int,
    voices: int,
    first_endorsement_id: int,
    moment: datetime,
) -> Iterator[tuple[Any, ...]]:
    """`voices` endorsements by `residents` residents; one voice per resident per organiser.

    Voice i belongs to resident i mod residents; that resident's k-th voice (k = i div
    residents) goes to a popularity-weighted organiser shifted by k steps, so one resident
    never vouches twice for the same organiser."""
    count = len(organisers)
    cumulative: list[float] = []
    total = 0.0
    for seed in organisers:
        total += seed.weight
        cumulative.append(total)
    step = 7919 if count > 7919 else max(1, count // 3 + 1)
    per_resident = math.ceil(voices / residents)
    if per_resident > 1 and math.gcd(step, count) != 1:
        step = next(s for s in range(step, step + count) if math.gcd(s, count) == 1)
    assert per_resident <= count, "more voices per resident than organisers"
    picks = rng.choices(range(count), cum_weights=cumulative, k=min(voices, residents))
    for index in range(voices):
        resident, k = index % residents, index // residents
        organiser = organisers[(picks[resident] + k * step) % count]
        yield voice_row(
            rng,
            endorsement_id=first_endorsement_id + index,
            resident_id=first_resident_id + resident,
            organiser=organiser,
            moment=moment,
        )
