"""Realistic demo data, loaded idempotently: running it twice changes nothing.

Three parts, each loaded once: places, funders, pools, hosts, organisers and users
(places_and_people.py); residents and what they said (residents.py); money (deposits) and
rounds, one paid, one approved, one paused, one in review (money_and_rounds.py). The grant
programme's data (programme.py) and, with scale="large", the large demo (large.py) come too.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from groundswell.accounts.tables import User
from groundswell.allocation.tables import Round
from groundswell.community.tables import HostOrganisation, Locality, Organiser
from groundswell.demo.bulk import Progress
from groundswell.demo.cofunded import load_cofunded_pool
from groundswell.demo.large import LargeScale, load_large
from groundswell.demo.lessons import load_lessons_demo
from groundswell.demo.money_and_rounds import load_money_and_rounds
from groundswell.demo.organisers import load_organiser_lifecycle
from groundswell.demo.outbox import show_deliveries
from groundswell.demo.places_and_people import DEMO_PASSWORD, FUNDERS, load_places, load_users
from groundswell.demo.programme import load_programme_demo
from groundswell.demo.residents import (
    BURST_FIRST,
    load_listening_signal,
    load_listening_testimony,
    load_round_voices,
    voice_hash,
)
from groundswell.funders.tables import Deposit, Funder, Pool
from groundswell.programme.tables import AssetBid, ProgrammeGrant, ProgrammeReminder, ServiceBid
from groundswell.settings import Settings, load_settings
from groundswell.vouching.tables import Endorsement, Resident


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
        await load_places(random.Random(seed))
        await load_users()
    # The programme's data has its own check, so a database demoed before it existed gets it.
    programme_created = await load_programme_demo(settings or load_settings())
    created = created or programme_created
    # Each part below checks for itself, so a database loaded by an older demo gains them.
    if not await Endorsement.exists():
        # Residents' testimony for the listening pages.
        created = await load_listening_testimony(url, seed, progress) or created
    voices = not await Resident.exists().where(Resident.voice_hash == voice_hash(0))
    if voices:
        # Voices spread over the past months, so past rounds had organisers to fund.
        await load_round_voices(random.Random(seed + 1))
    signal = not await Resident.exists().where(Resident.voice_hash == voice_hash(BURST_FIRST))
    if signal:
        # Some web voices answered the 0-10 question; one organiser had a burst of voices.
        await load_listening_signal(random.Random(seed + 2))
    money = not await Deposit.exists().where(Deposit.external_reference.like("DEMO-%"))
    if money:
        await load_money_and_rounds(settings or load_settings())
        # The outbox shows messages delivered, not delivered, failed and waiting.
        await show_deliveries(settings or load_settings())
    created = await load_lessons_demo() or created  # lessons where it went quiet (lessons/)
    # An organiser moved to another host and one paused, with their histories (issue #16).
    created = await load_organiser_lifecycle() or created
    # A pool three funders share, with a round split among them (issue #16).
    created = await load_cofunded_pool(settings or load_settings()) or created
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
