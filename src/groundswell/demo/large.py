"""The large demo: 10,000 organisers in 500 places with 1,000,000 testimonies by default,
written in bulk on top of the small demo."""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from datetime import timedelta

from groundswell.community.codes import CODE_SUFFIX_ALPHABET, CODE_SUFFIX_DIGITS, name_part
from groundswell.core.clock import now
from groundswell.core.text import search_folded
from groundswell.demo.bulk import Progress, add_voices, write_chunked, writer_for
from groundswell.demo.names import FIRST_NAMES, SURNAMES
from groundswell.demo.testimony import organiser_seeds

EXTRA_FIRST_NAMES = [
    "Abena", "Adrian", "Aoife", "Arif", "Beatrice", "Brendan", "Carys", "Colm", "Dafydd",
    "Deepa", "Dylan", "Efua", "Eleni", "Farah", "Femi", "Fiona", "Gethin", "Gulnar", "Harjit",
    "Hayley", "Idris", "Ifeoma", "Iqbal", "Isla", "Jamal", "Janet", "Jasmine", "Kamal",
    "Karen", "Kofi", "Lena", "Liam", "Lowri", "Mairead", "Malik", "Megan", "Mei", "Moira",
    "Nadeem", "Niamh", "Nkechi", "Owain", "Paddy", "Pauline", "Rania", "Rashid", "Rhys",
    "Roisin", "Sabrina", "Samir", "Seren", "Shabana", "Sinead", "Sol", "Tegan", "Themba",
    "Tunde", "Uzma", "Valerie", "Wanjiru",
]  # fmt: skip
PLACE_STARTS = [
    "Ash", "Beech", "Brook", "Castle", "Church", "Clay", "Cross", "Elm", "Fair", "Green",
    "Hazel", "High", "Holly", "Kings", "Lark", "Marsh", "Mill", "Moor", "New", "North", "Oak",
    "Park", "Queens", "Red", "Rose", "South", "Stone", "Thorn", "Well", "West", "Whit", "Wood",
]  # fmt: skip
PLACE_ENDS = [
    "field", "ley", "wood", "bridge", "gate", "ton", "hill", "side", "brook", "ford", "end",
    "green", "moor", "vale", "croft", "lands",
]  # fmt: skip
AUTHORITIES = [
    ("Leeds", "E08000035", "E05"), ("Sheffield", "E08000039", "E05"),
    ("Bradford", "E08000032", "E05"), ("Newcastle upon Tyne", "E08000021", "E05"),
    ("Sunderland", "E08000024", "E05"), ("Kingston upon Hull", "E06000010", "E05"),
    ("Nottingham", "E06000018", "E05"), ("Leicester", "E06000016", "E05"),
    ("Stoke-on-Trent", "E06000021", "E05"), ("Coventry", "E08000026", "E05"),
    ("Wolverhampton", "E08000031", "E05"), ("Blackpool", "E06000009", "E05"),
    ("Oldham", "E08000004", "E05"), ("Rochdale", "E08000005", "E05"),
    ("Salford", "E08000006", "E05"), ("Plymouth", "E06000026", "E05"),
    ("Southampton", "E06000045", "E05"), ("Lambeth", "E09000022", "E05"),
    ("Newham", "E09000025", "E05"), ("Tower Hamlets", "E09000030", "E05"),
    ("Swansea", "W06000011", "W05"), ("Newport", "W06000022", "W05"),
    ("Dundee City", "S12000042", "S13"), ("Middlesbrough", "E06000002", "E05"),
    ("Manchester", "E08000003", "E05"), ("Birmingham", "E08000025", "E05"),
    ("Liverpool", "E08000012", "E05"), ("Bristol", "E06000023", "E05"),
]  # fmt: skip
HOST_KINDS = [
    "Community Association",
    "Neighbourhood Trust",
    "Residents Together",
    "Development Trust",
    "Community Hub",
]
LARGE_BIOS = [
    "Door-knocks every street and turns what people say into action.",
    "Runs the tenants' surgery and the food club at the community centre.",
    "Listens first: most of what happens here began on a doorstep.",
    "Brings neighbours, the council and local groups round one table.",
]


@dataclass(frozen=True)
class LargeScale:
    organisers: int = 10_000
    testimonies: int = 1_000_000
    localities: int = 500
    hosts: int = 500

    @property
    def residents(self) -> int:
        return max(self.testimonies * 2 // 5, math.ceil(self.testimonies / 3), 1)


async def load_large(url: str, scale: LargeScale, *, seed: int = 11, progress: Progress) -> bool:
    """Add the large demo's places, hosts, organisers, residents and testimony in bulk.

    Returns False (and changes nothing) when it is there already."""
    writer = writer_for(url)
    await writer.open()
    try:
        [(marker,)] = await writer.fetch(
            "SELECT COUNT(*) FROM host_organisation WHERE org_id LIKE 'GB-CHC-2%'"
        )
        if marker:
            return False
        rng = random.Random(seed)
        moment = now()
        today = moment.date()
        [(locality_id,)] = await writer.fetch("SELECT COALESCE(MAX(id), 0) FROM locality")
        [(host_id,)] = await writer.fetch("SELECT COALESCE(MAX(id), 0) FROM host_organisation")
        [(organiser_id,)] = await writer.fetch("SELECT COALESCE(MAX(id), 0) FROM organiser")
        taken_codes = {code for (code,) in await writer.fetch("SELECT code FROM organiser")}
        names = [start + end for start in PLACE_STARTS for end in PLACE_ENDS]
        count_places = min(scale.localities, len(names))
        places = []
        for n in range(count_places):
            authority, code, ward_prefix = AUTHORITIES[n % len(AUTHORITIES)]
            places.append(
                (
                    int(locality_id) + 1 + n,
                    names[n],
                    f"{ward_prefix}{900000 + n:06d}",
                    code,
                    authority,
                )
            )
        progress.start("Places and hosts", count_places + scale.hosts)
        await writer.write(
            "locality", ("id", "name", "ons_ward_code", "ons_la_code", "local_authority"), places
        )
        progress.advance(count_places)
        hosts = []
        for n in range(scale.hosts):
            place = places[n % count_places][1]
            hosts.append(
                (
                    int(host_id) + 1 + n,
                    f"{place} {HOST_KINDS[n // count_places % len(HOST_KINDS)]}",
                    f"GB-CHC-{2_000_000 + n}",
                    "Coordinator",
                    f"hello@{place.lower()}{n}.example.org",
                    "",
                    False,
                    False,
                    moment,
                )
            )
        await writer.write(
            "host_organisation",
            (
                "id",
                "name",
                "org_id",
                "contact_name",
                "contact_email",
                "postcode",
                "stripe_details_submitted",
                "stripe_payouts_enabled",
                "created_at",
            ),
            hosts,
        )
        progress.advance(scale.hosts)
        progress.finish()

        first_names = FIRST_NAMES + EXTRA_FIRST_NAMES
        used: dict[str, int] = {}
        organisers = []
        seeds_input = []
        progress.start("Organisers", scale.organisers)
        for n in range(scale.organisers):
            first = first_names[n % len(first_names)]
            surname = SURNAMES[(n // len(first_names)) % len(SURNAMES)]
            code = _next_code(first, used, taken_codes)
            place_index = rng.randrange(count_places)
            start = today - timedelta(days=rng.randint(200, 900))
            identifier = int(organiser_id) + 1 + n
            organisers.append(
                (
                    identifier,
                    f"{first} {surname}",
                    code,
                    hosts[place_index % scale.hosts][0],
                    places[place_index][0],
                    start,
                    start + timedelta(days=365),
                    "left" if rng.random() < 0.03 else "active",
                    LARGE_BIOS[n % len(LARGE_BIOS)],
                    None,
                    moment,
                    search_folded(f"{first} {surname} {code}"),
                )
            )
            seeds_input.append((identifier, first, start))
        await write_chunked(
            writer,
            "organiser",
            (
                "id",
                "name",
                "code",
                "host",
                "locality",
                "bursary_start",
                "bursary_end",
                "status",
                "bio",
                "phone_hash",
                "created_at",
                "search_name",
            ),
            iter(organisers),
            progress,
        )
        progress.finish()
        await add_voices(
            writer,
            organiser_seeds(rng, seeds_input),
            residents=scale.residents,
            voices=scale.testimonies,
            seed=seed,
            progress=progress,
        )
        progress.start("Statistics", 1)
        await writer.finish(
            ["locality", "host_organisation", "organiser", "resident", "endorsement"]
        )
        progress.advance(1)
        progress.finish()
        return True
    finally:
        await writer.close()


def _next_code(first: str, used: dict[str, int], taken: set[str]) -> str:
    """The next free code for a first name: 8 x 31 suffixes per name part, in order."""
    part = name_part(first)
    while True:
        k = used.get(part, 0)
        used[part] = k + 1
        if k >= len(CODE_SUFFIX_DIGITS) * len(CODE_SUFFIX_ALPHABET):
            raise ValueError(f"Out of codes for {part}")
        code = f"{part}-{CODE_SUFFIX_DIGITS[k % 8]}{CODE_SUFFIX_ALPHABET[k // 8]}"
        if code not in taken:
            taken.add(code)
            return code
