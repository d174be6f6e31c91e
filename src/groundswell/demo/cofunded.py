"""The demo's co-funded pool (issue #16): a national funder leads it, with a council and a
local trust; each deposited its own money, and this period's round is split among the three
to the penny. Cara Council (council@groundswell.example) sees the council's share."""

from __future__ import annotations

from groundswell.accounts.services import create_user
from groundswell.accounts.tables import User
from groundswell.allocation import rounds
from groundswell.community.tables import Locality
from groundswell.core.clock import today
from groundswell.core.principal import Principal, Role
from groundswell.db import write_transaction
from groundswell.demo.places_and_people import DEMO_PASSWORD, FUNDERS
from groundswell.funders import cofunders
from groundswell.funders.states import ReviewRule
from groundswell.funders.tables import Funder, Pool, PoolLocality
from groundswell.ledger import deposits
from groundswell.settings import Settings

POOL_NAME = "Teesside Together (co-funded)"
COUNCIL = ("Middlesbrough Council", "GB-LAE-MDB", "https://middlesbrough.example.gov.uk")
# Whose money, in pence: the national funder leads with most of it.
DEPOSITS = (("national", 6_000_00), ("council", 3_000_00), ("trust", 1_500_00))


async def load_cofunded_pool(settings: Settings) -> bool:
    """Add the co-funded pool and its round once; False when it is there already."""
    if await Pool.exists().where(Pool.name == POOL_NAME):
        return False
    national = await Funder.select(Funder.id).where(Funder.org_id == FUNDERS[1][1]).first()
    trust = await Funder.select(Funder.id).where(Funder.org_id == FUNDERS[2][1]).first()
    admin = (
        await User.select(User.id, User.email, User.name)
        .where(User.role == Role.ADMIN.value)
        .order_by(User.id)
        .first()
    )
    places = await Locality.select(Locality.id).where(
        Locality.name.is_in(["Pallister", "North Ormesby"])
    )
    if national is None or trust is None or admin is None or not places:
        return False
    council = await Funder.select(Funder.id).where(Funder.org_id == COUNCIL[1]).first()
    if council is None:
        rows = await Funder.insert(
            Funder(name=COUNCIL[0], org_id=COUNCIL[1], website=COUNCIL[2])
        ).returning(Funder.id)
        council = rows[0]
    async with write_transaction():
        rows = await Pool.insert(
            Pool(
                funder=national["id"],
                name=POOL_NAME,
                description=(
                    "A national funder, the council and a local trust put money into one pool "
                    "for Teesside's organisers; each round is shared among them by what each put in."
                ),
                cadence="quarterly",
                round_budget=9_000_00,
                score_method="sqrt",
                min_endorsers=3,
                review_rule=ReviewRule.ANY.value,
            )
        ).returning(Pool.id)
        pool_id = int(rows[0]["id"])
        await PoolLocality.insert(
            *[PoolLocality(pool=pool_id, locality=place["id"]) for place in places]
        )
    staff = Principal(
        user_id=admin["id"], email=admin["email"], name=admin["name"], role=Role.ADMIN
    )
    funder_ids = {"national": national["id"], "council": council["id"], "trust": trust["id"]}
    await cofunders.add_cofunder(staff, pool_id, funder_ids["council"])
    await cofunders.add_cofunder(staff, pool_id, funder_ids["trust"])
    for who, amount in DEPOSITS:
        await deposits.record_deposit(
            None,
            pool_id,
            deposits.DepositInput(
                amount=amount,
                reference=f"COFUND-{who.upper()}-{pool_id}",
                received_on=today(),
                note=f"Demo deposit: the {who} funder's share",
                funder_id=funder_ids[who],
            ),
        )
    if not await User.exists().where(User.email == "council@groundswell.example"):
        await create_user(
            email="council@groundswell.example",
            name="Cara Council",
            password=DEMO_PASSWORD,
            role=Role.FUNDER,
            funder_ids=(funder_ids["council"],),
        )
    # This period's round, in review: its lines already split among the three funders.
    await rounds.compute_round(pool_id, public_url=settings.public_url)
    return True
