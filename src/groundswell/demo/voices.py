"""Demo residents and their testimony, and the large demo (10,000 organisers, 1,000,000
testimonies) written in bulk: COPY on PostgreSQL, multi-row inserts in one transaction per
chunk on SQLite. Deterministic for a seed; dates are relative to now.

Nothing here is anyone's real words or number: residents are keyed by a hash of a demo
label (never a phone number), and the testimony is assembled from the kinds of things
residents say about organisers — what happened, what changed, what they hope for."""

from __future__ import annotations

import hashlib
import math
import random
import sqlite3
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any, TextIO

from groundswell.community.codes import CODE_SUFFIX_ALPHABET, CODE_SUFFIX_DIGITS, name_part
from groundswell.core.clock import now
from groundswell.core.text import search_folded
from groundswell.db import sqlite_path
from groundswell.demo.names import FIRST_NAMES, SURNAMES
from groundswell.vouching.redact import search_text

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
    "consent_to_publish",
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
    flags = '["reported"]' if moderation != "clear" else "[]"
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
        consent,
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


# ---------------------------------------------------------------- progress


class Progress:
    """A progress bar on stderr when it is a terminal; one line per stage otherwise."""

    def __init__(self, stream: TextIO | None = None) -> None:
        self.stream = stream or sys.stderr
        self.tty = self.stream.isatty()
        self.label = ""
        self.total = 0
        self.done = 0

    def start(self, label: str, total: int) -> None:
        self.label, self.total, self.done = label, total, 0
        if self.tty:
            self._draw()
        else:
            print(f"{label}: {total:,}…", file=self.stream, flush=True)

    def advance(self, amount: int) -> None:
        self.done += amount
        if self.tty:
            self._draw()

    def finish(self) -> None:
        if self.tty:
            self.done = self.total
            self._draw()
            self.stream.write("\n")
            self.stream.flush()

    def _draw(self) -> None:
        share = self.done / self.total if self.total else 1.0
        filled = int(30 * share)
        self.stream.write(
            f"\r{self.label:<24} [{'#' * filled}{'.' * (30 - filled)}] {share:6.1%}"
            f"  {self.done:,}/{self.total:,}"
        )
        self.stream.flush()


# ---------------------------------------------------------------- bulk writers


class BulkWriter:
    """Writes rows fast, outside the ORM: one engine-specific connection."""

    async def open(self) -> None: ...
    async def close(self) -> None: ...
    async def fetch(self, sql: str) -> list[tuple[Any, ...]]:
        raise NotImplementedError

    async def execute(self, sql: str) -> None:
        raise NotImplementedError

    async def write(self, table: str, columns: Sequence[str], rows: list[tuple[Any, ...]]) -> None:
        raise NotImplementedError

    async def finish(self, tables: Sequence[str]) -> None:
        raise NotImplementedError


class PostgresWriter(BulkWriter):
    def __init__(self, url: str) -> None:
        self.url = url
        self.connection: Any = None

    async def open(self) -> None:
        import asyncpg

        self.connection = await asyncpg.connect(self.url)

    async def close(self) -> None:
        await self.connection.close()

    async def fetch(self, sql: str) -> list[tuple[Any, ...]]:
        return [tuple(row) for row in await self.connection.fetch(sql)]

    async def execute(self, sql: str) -> None:
        await self.connection.execute(sql)

    async def write(self, table: str, columns: Sequence[str], rows: list[tuple[Any, ...]]) -> None:
        await self.connection.copy_records_to_table(table, records=rows, columns=list(columns))

    async def finish(self, tables: Sequence[str]) -> None:
        for table in tables:
            # Ids were given explicitly: move each sequence past them.
            await self.connection.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "  # noqa: S608
                f"(SELECT COALESCE(MAX(id), 1) FROM {table}))"
            )
        for table in tables:
            await self.connection.execute(f"VACUUM ANALYZE {table}")


class SqliteWriter(BulkWriter):
    def __init__(self, url: str) -> None:
        self.path = sqlite_path(url)
        self.connection: sqlite3.Connection | None = None

    async def open(self) -> None:
        self.connection = sqlite3.connect(self.path, timeout=60, isolation_level=None)

    async def close(self) -> None:
        assert self.connection is not None
        self.connection.close()

    async def fetch(self, sql: str) -> list[tuple[Any, ...]]:
        assert self.connection is not None
        return [tuple(row) for row in self.connection.execute(sql).fetchall()]

    async def execute(self, sql: str) -> None:
        assert self.connection is not None
        self.connection.execute(sql)

    async def write(self, table: str, columns: Sequence[str], rows: list[tuple[Any, ...]]) -> None:
        assert self.connection is not None
        marks = ", ".join("?" * len(columns))
        self.connection.execute("BEGIN IMMEDIATE")
        try:
            self.connection.executemany(
                f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})",  # noqa: S608
                [tuple(_sqlite_value(value) for value in row) for row in rows],
            )
        except BaseException:
            self.connection.execute("ROLLBACK")
            raise
        self.connection.execute("COMMIT")

    async def finish(self, tables: Sequence[str]) -> None:
        assert self.connection is not None
        self.connection.execute("ANALYZE")
        self.connection.execute("PRAGMA optimize")


def _sqlite_value(value: Any) -> Any:
    """Values as Piccolo stores them in SQLite (UTC text timestamps, 0/1 booleans)."""
    if isinstance(value, datetime):
        return str(value.astimezone(UTC))
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, bool):
        return int(value)
    return value


def writer_for(url: str) -> BulkWriter:
    return SqliteWriter(url) if url.startswith("sqlite") else PostgresWriter(url)


CHUNK = 20_000


async def write_chunked(
    writer: BulkWriter,
    table: str,
    columns: Sequence[str],
    rows: Iterator[tuple[Any, ...]],
    progress: Progress,
) -> None:
    chunk: list[tuple[Any, ...]] = []
    for row in rows:
        chunk.append(row)
        if len(chunk) >= CHUNK:
            await writer.write(table, columns, chunk)
            progress.advance(len(chunk))
            chunk = []
    if chunk:
        await writer.write(table, columns, chunk)
        progress.advance(len(chunk))


async def add_voices(
    writer: BulkWriter,
    organisers: list[OrganiserSeed],
    *,
    residents: int,
    voices: int,
    seed: int,
    progress: Progress,
) -> None:
    """Residents and their voices for the given organisers, after any that exist."""
    rng = random.Random(seed)
    moment = now()
    [(last_resident,)] = await writer.fetch("SELECT COALESCE(MAX(id), 0) FROM resident")
    [(last_endorsement,)] = await writer.fetch("SELECT COALESCE(MAX(id), 0) FROM endorsement")
    first_resident = int(last_resident) + 1
    progress.start("Residents", residents)
    await write_chunked(
        writer,
        "resident",
        ("id", "voice_hash", "lang", "messages_stopped", "hear_back", "created_at"),
        (
            (
                first_resident + n,
                resident_hash(seed, first_resident + n),
                "en",
                False,
                False,
                moment,
            )
            for n in range(residents)
        ),
        progress,
    )
    progress.finish()
    progress.start("Testimonies", voices)
    await write_chunked(
        writer,
        "endorsement",
        ENDORSEMENT_COLUMNS,
        voice_rows(
            rng,
            organisers,
            first_resident_id=first_resident,
            residents=residents,
            voices=voices,
            first_endorsement_id=int(last_endorsement) + 1,
            moment=moment,
        ),
        progress,
    )
    progress.finish()


# ---------------------------------------------------------------- the large demo

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
