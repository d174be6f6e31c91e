"""Demo data for the grant programme: bids at different stages, dated from today so that the
dashboard always has deadlines coming up and reminders sent, and a few grants.

Loaded through the same services people use (so stages, audit entries and reminders are
what the real paths make). Idempotent by its own check: the Red Lion's bid is the marker.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from groundswell.accounts.tables import User
from groundswell.community.tables import HostOrganisation, Locality
from groundswell.core.clock import frozen_at, today
from groundswell.core.principal import Principal, Role
from groundswell.demo.building_voices import load_building_voices
from groundswell.funders.tables import Funder, Pool
from groundswell.ledger import deposits
from groundswell.programme.bids import create_bid, durations_from, transition_bid
from groundswell.programme.clocks import add_months_deadline
from groundswell.programme.grants import award_grant, mark_grant_paid, propose_grant
from groundswell.programme.groups import request_link
from groundswell.programme.kinds import ASSET_BID, SERVICE_BID
from groundswell.programme.reminders import send_due_reminders
from groundswell.programme.tables import AssetBid
from groundswell.settings import Settings

MARKER = "The Red Lion"
PROGRAMME_POOL = "Community Rights Programme"


def _notice_for_full_moratorium_ending(target: date, months: int) -> date:
    """A notice date whose full moratorium ends as close to ``target`` as the calendar allows."""
    start = target - timedelta(days=31 * months + 7)
    candidates = [start + timedelta(days=n) for n in range(40)]
    return min(candidates, key=lambda d: abs((add_months_deadline(d, months) - target).days))


async def load_programme_demo(settings: Settings) -> bool:
    """Load the programme's demo data once; False when it is already there."""
    if await AssetBid.exists().where(AssetBid.asset_name == MARKER):
        return False
    admin = await _admin()
    if admin is None:
        return False
    durations = durations_from(settings)
    t = today()
    ids = {row["name"]: row["id"] for row in await Locality.select(Locality.id, Locality.name)}
    hosts = {
        row["name"]: row["id"]
        for row in await HostOrganisation.select(HostOrganisation.id, HostOrganisation.name)
    }
    pool = await _programme_pool()

    async def asset(raw: Mapping[str, Any]) -> int:
        return await create_bid(ASSET_BID, admin, raw, durations=durations, minor_units=True)

    # A pub whose owner gave notice 31 days ago: the group has 10 days left to ask to be
    # treated as a bidder, and the 14-day reminder has gone out.
    red_lion = await asset(
        {
            "asset_name": MARKER,
            "address": "112 Pallister Avenue, Middlesbrough",
            "postcode": "TS3 8BL",
            "owner": "Northern Taverns Ltd",
            "local_authority": "Middlesbrough",
            "locality_id": ids.get("Pallister"),
            "nominating_group": "Friends of the Red Lion",
            "contact_emails": ["friends@redlion.example.org", "treasurer@redlion.example.org"],
            "nominated_on": t - timedelta(days=420),
            "listed_on": t - timedelta(days=370),
            "disposal_notice_on": t - timedelta(days=31),
            "fundraising_target": 320_000_00,
            "amount_raised": 18_400_00,
            "notes": "Last pub on the estate; the function room hosts the tenants' meetings.",
        }
    )
    # A branch library in its full moratorium, about twelve days from its end.
    library_notice = _notice_for_full_moratorium_ending(
        t + timedelta(days=12), settings.full_moratorium_months
    )
    library = await asset(
        {
            "asset_name": "Pallister Library (branch)",
            "address": "Pallister Avenue, Middlesbrough",
            "postcode": "TS3 8BL",
            "owner": "Middlesbrough Council",
            "local_authority": "Middlesbrough",
            "locality_id": ids.get("Pallister"),
            "nominating_group": "",
            "group_host_id": hosts.get("Pallister Park Community Association"),
            "contact_emails": ["library@pallister.example.org"],
            "nominated_on": t - timedelta(days=800),
            "listed_on": t - timedelta(days=740),
            "disposal_notice_on": library_notice,
            "bidder_request_on": library_notice + timedelta(days=9),
            "fundraising_target": 180_000_00,
            "amount_raised": 112_500_00,
        }
    )
    # Neighbours who vouched for the library: its page and evidence pack show them.
    await load_building_voices(library)
    # A community centre nominated 45 days ago: the council's decision is due in 10 days.
    await asset(
        {
            "asset_name": "Hulme Community Centre",
            "address": "Old Birley Street, Manchester",
            "postcode": "M15 5RF",
            "owner": "Manchester City Council",
            "local_authority": "Manchester",
            "locality_id": ids.get("Hulme"),
            "nominating_group": "Hulme Community Centre Trust",
            "group_org_id": "GB-CHC-1187654",
            "contact_emails": ["trustees@hulmecc.example.org"],
            "nominated_on": t - timedelta(days=45),
        }
    )
    # Listed, nothing pending but the listing's long clock.
    await asset(
        {
            "asset_name": "Lawrence Weston Youth Hut",
            "address": "Long Cross, Bristol",
            "postcode": "BS11 0QA",
            "owner": "Bristol City Council",
            "local_authority": "Bristol",
            "locality_id": ids.get("Lawrence Weston"),
            "nominating_group": "",
            "group_host_id": hosts.get("Lawrence Weston Community Hub"),
            "nominated_on": t - timedelta(days=260),
            "listed_on": t - timedelta(days=200),
        }
    )
    # A pub the community bought.
    bell = await asset(
        {
            "asset_name": "The Bell Inn",
            "address": "County Road, Liverpool",
            "postcode": "L4 6TH",
            "owner": "Sold to Walton Community Pub Ltd",
            "local_authority": "Liverpool",
            "locality_id": ids.get("Walton"),
            "nominating_group": "",
            "group_host_id": hosts.get("Walton Street Action"),
            "contact_emails": ["bell@walton.example.org"],
            "nominated_on": t - timedelta(days=1000),
            "listed_on": t - timedelta(days=950),
            "disposal_notice_on": t - timedelta(days=400),
            "bidder_request_on": t - timedelta(days=380),
            "fundraising_target": 410_000_00,
            "amount_raised": 410_000_00,
        }
    )
    await transition_bid(ASSET_BID, admin, bell, "bid_submitted", note="Offer of £400,000")
    await transition_bid(ASSET_BID, admin, bell, "purchased", note="Completed")

    # Right to Challenge: a youth service whose decision is due in about ten days.
    youth = await create_bid(
        SERVICE_BID,
        admin,
        {
            "service_name": "North Ormesby youth service",
            "local_authority": "Middlesbrough",
            "locality_id": ids.get("North Ormesby"),
            "nominating_group": "",
            "group_host_id": hosts.get("North Ormesby Neighbourhood Trust"),
            "contact_emails": ["youth@northormesby.example.org"],
            "window_opens_on": t - timedelta(days=110),
            "window_closes_on": t - timedelta(days=50),
            "eoi_on": t - timedelta(days=80),
            "decision_period_amount": 90,
            "decision_period_unit": "days",
            "notes": "Two evening sessions and a summer programme, run by young people.",
        },
        durations=durations,
        minor_units=True,
    )
    await create_bid(
        SERVICE_BID,
        admin,
        {
            "service_name": "Splott library and advice service",
            "local_authority": "Cardiff",
            "locality_id": ids.get("Splott"),
            "nominating_group": "",
            "group_host_id": hosts.get("Splott Community Volunteers"),
            "contact_emails": ["advice@splott.example.org"],
            "window_opens_on": t - timedelta(days=30),
            "window_closes_on": t + timedelta(days=13),
        },
        durations=durations,
        minor_units=True,
    )
    await create_bid(
        SERVICE_BID,
        admin,
        {
            "service_name": "Moss Side community transport",
            "local_authority": "Manchester",
            "locality_id": ids.get("Moss Side"),
            "nominating_group": "",
            "group_host_id": hosts.get("Moss Side Powerhouse"),
            "eoi_on": t - timedelta(days=300),
            "decision_period_amount": 3,
            "decision_period_unit": "months",
            "decision": "modified",
            "decided_on": t - timedelta(days=215),
            "procurement_starts_on": t - timedelta(days=120),
            "procurement_ends_on": t + timedelta(days=60),
        },
        durations=durations,
        minor_units=True,
    )

    if pool is not None:
        # The funder's money arrives before the first award: an award needs it available.
        await _fund_programme_pool(pool, t - timedelta(days=400))
        grants = [
            # bid, type, kind, amount, awarded (days ago), paid (days after the award)
            (red_lion, "asset", "pre_feasibility", 2_500_00, 25, None),
            (library, "asset", "feasibility", 9_500_00, 60, 12),
            (bell, "asset", "pre_feasibility", 3_000_00, 390, 9),
            (bell, "asset", "capital", 75_000_00, 200, 21),
            (youth, "service", "feasibility", 6_000_00, 70, None),
            (library, "asset", "capital", 60_000_00, None, None),  # proposed, not yet awarded
        ]
        for bid_id, bid_type, kind, amount, days_ago, paid_after in grants:
            awarded_at = t - timedelta(days=days_ago or 0)
            with frozen_at(datetime.combine(awarded_at, time(10, 0), tzinfo=UTC)):
                grant = await propose_grant(
                    admin,
                    {
                        "pool_id": pool,
                        f"{bid_type}_bid_id": bid_id,
                        "kind": kind,
                        "amount": amount,
                    },
                    minor_units=True,
                )
                if days_ago is not None:
                    await award_grant(admin, grant)
            if paid_after is not None:
                paid_on = awarded_at + timedelta(days=paid_after)
                with frozen_at(datetime.combine(paid_on, time(15, 0), tzinfo=UTC)):
                    await mark_grant_paid(
                        admin,
                        grant,
                        {"payment_reference": f"BACS GSP-{grant:05d}", "paid_on": paid_on},
                    )

    await send_due_reminders(settings)
    # A group contact's sign-in link waits in the development outbox (/admin/outbox).
    await request_link(settings, email="friends@redlion.example.org", client_ip="demo")
    return True


async def _fund_programme_pool(pool_id: int, on: date) -> None:
    """The programme pool's money, by bank transfer (once: the reference is the dedupe)."""
    with frozen_at(datetime.combine(on, time(11, 0), tzinfo=UTC)):
        await deposits.record_deposit(
            None,
            pool_id,
            deposits.DepositInput(
                amount=200_000_00,
                reference=f"PROGRAMME-BACS-{pool_id:04d}",
                received_on=on,
                note="Demo deposit: the programme's grant budget, by bank transfer",
            ),
        )


async def _admin() -> Principal | None:
    user = (
        await User.select(User.id, User.email, User.name)
        .where(User.role == Role.ADMIN.value)
        .order_by(User.id)
        .first()
    )
    if user is None:
        return None
    return Principal(user_id=user["id"], email=user["email"], name=user["name"], role=Role.ADMIN)


async def _programme_pool() -> int | None:
    existing = await Pool.select(Pool.id).where(Pool.name == PROGRAMME_POOL).first()
    if existing is not None:
        return int(existing["id"])
    funder = await Funder.select(Funder.id).order_by(Funder.id).offset(1).first()
    funder = funder or await Funder.select(Funder.id).order_by(Funder.id).first()
    if funder is None:
        return None
    rows = await Pool.insert(
        Pool(
            funder=funder["id"],
            name=PROGRAMME_POOL,
            description=(
                "Grants for community groups using the Community Right to Bid and the "
                "Community Right to Challenge: pre-feasibility, feasibility and capital. "
                "Programme grants only; this pool runs no allocation rounds."
            ),
            round_budget=0,
            is_active=False,
        )
    ).returning(Pool.id)
    return int(rows[0]["id"])
