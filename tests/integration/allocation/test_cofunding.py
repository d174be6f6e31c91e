"""Co-funded pools (issue #16): a national funder, a council and a local trust share one
pool. Each round's lines are split among them to the penny; each sees its share; co-funders
review and pause only by the pool's rule; an unrelated funder is refused as before."""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

import pytest

from groundswell.accounts.tables import User
from groundswell.allocation import attribution, review, rounds
from groundswell.allocation.cancel import cancel_round
from groundswell.allocation.tables import Allocation, AllocationShare
from groundswell.core.errors import Forbidden, ValidationFailed
from groundswell.core.principal import Principal, Role
from groundswell.funders import cofunders
from groundswell.funders.states import ReviewRule
from groundswell.funders.tables import Deposit
from groundswell.ledger import deposits
from groundswell.ledger.tables import LedgerAccount
from groundswell.ledger_check import check_ledger
from groundswell.settings import Settings
from tests.factories import computed_round, pool_in_a_place, vouched_organiser
from tests.helpers import WebClient, deposit, make_funder, make_user

WHY = "The council's cabinet meets on Thursday"


@dataclass
class World:
    pool: int
    national: int
    council: int
    trust: int


async def person(email: str) -> Principal:
    from groundswell.accounts.services import principal_for

    row = await User.select(User.id).where(User.email == email).first()
    assert row is not None
    found = await principal_for(int(row["id"]))
    assert found is not None
    return found


async def ledger_clean() -> None:
    report = await check_ledger()
    assert report.ok, report.violations


@pytest.fixture
async def world() -> World:
    place = await pool_in_a_place(
        funder="National Community Fund", min_endorsers=2, round_budget=100_000_00
    )
    council = await make_funder("Middlesbrough Council", org_id="GB-LAE-MDB")
    trust = await make_funder("Tees Valley Community Trust", org_id="GB-CHC-1111111")
    other = await make_funder("Unrelated Foundation")
    await make_user(Role.ADMIN, "admin@example.org")
    await make_user(Role.FUNDER, "national@example.org", funder_ids=(place.funder,))
    await make_user(Role.FUNDER, "council@example.org", funder_ids=(council,))
    await make_user(Role.FUNDER, "trust@example.org", funder_ids=(trust,))
    await make_user(Role.FUNDER, "other@example.org", funder_ids=(other,))
    lead = await person("national@example.org")
    assert await cofunders.add_cofunder(lead, place.pool, council)
    assert await cofunders.add_cofunder(lead, place.pool, trust)
    assert not await cofunders.add_cofunder(lead, place.pool, trust)  # once
    for name, voices in (("Amina Hussein", 2), ("Dev Patel", 3), ("Jo Barnes", 7)):
        await vouched_organiser(place.host, place.locality, name, voices, prefix=name)
    # £600 from the lead, £300 from the council and £100.01 from the trust.
    await deposit(place.pool, "600.00", "NCF-1")
    await deposits.record_deposit(
        None,
        place.pool,
        deposits.read_deposit_input(
            {"amount": "300.00", "reference": "MBC-1", "funder_id": str(council)}
        ),
    )
    await deposits.record_deposit(
        None,
        place.pool,
        deposits.read_deposit_input(
            {"amount": "100.01", "reference": "TVCT-1", "funder_id": str(trust)}
        ),
    )
    return World(pool=place.pool, national=place.funder, council=council, trust=trust)


# --- attacks first --------------------------------------------------------------------------


async def test_an_unrelated_funder_is_refused_everything(world: World) -> None:
    round_id = await computed_round(world.pool)
    other = await person("other@example.org")
    with pytest.raises(Forbidden):
        await cofunders.add_cofunder(other, world.pool, other.funder_ids and min(other.funder_ids))
    with pytest.raises(Forbidden):
        await cofunders.pool_to_fund(other, world.pool)
    with pytest.raises(Forbidden):
        await rounds.can_see_round(other, round_id)
    with pytest.raises(Forbidden):
        await review.pause_round(other, round_id, WHY)
    with pytest.raises(Forbidden):
        await cofunders.set_review_rule(other, world.pool, ReviewRule.ANY.value)


async def test_a_cofunder_sees_and_tops_up_but_pauses_only_when_the_rule_allows(
    world: World,
) -> None:
    round_id = await computed_round(world.pool)
    council = await person("council@example.org")
    assert (await rounds.can_see_round(council, round_id))["id"] == round_id
    assert (await cofunders.pool_to_fund(council, world.pool))["id"] == world.pool
    assert await cofunders.paying_funder(council, await cofunders.get_pool(world.pool)) == (
        world.council
    )
    # The lead funder decides: the co-funder may not pause, add co-funders or change the rule.
    with pytest.raises(Forbidden):
        await review.pause_round(council, round_id, WHY)
    with pytest.raises(Forbidden):
        await cofunders.add_cofunder(council, world.pool, world.trust)
    with pytest.raises(Forbidden):
        await cofunders.set_review_rule(council, world.pool, ReviewRule.ANY.value)
    assert (await rounds.get_round(round_id))["status"] == "computed"
    # The lead opens review to every co-funder: now the council may pause and resume.
    lead = await person("national@example.org")
    assert await cofunders.set_review_rule(lead, world.pool, ReviewRule.ANY.value)
    assert not await cofunders.set_review_rule(lead, world.pool, ReviewRule.ANY.value)
    with pytest.raises(ValidationFailed):
        await cofunders.set_review_rule(lead, world.pool, "whoever")
    assert await review.pause_round(council, round_id, WHY)
    assert await review.resume_round(council, round_id, "Cabinet agreed")
    await ledger_clean()


async def test_over_http_the_rule_decides_who_pauses(world: World, client: WebClient) -> None:
    round_id = await computed_round(world.pool)
    await client.login("council@example.org")
    page = await client.get(f"/rounds/{round_id}")
    assert page.status_code == 200
    assert "lead funder, National Community Fund, decides" in page.text
    assert "Pause this round" not in page.text
    refused = await client.submit(f"/rounds/{round_id}/pause", {"reason": WHY})
    assert refused.status_code == 403
    assert (await client.submit(f"/pools/{world.pool}/cofunders", {})).status_code == 403
    pool_page = await client.get(f"/pools/{world.pool}")
    assert "What each funder put in" in pool_page.text and "£300.00" in pool_page.text
    assert f'href="/pools/{world.pool}/edit"' not in pool_page.text
    await client.submit("/logout", {})
    await client.login("other@example.org")
    assert (await client.get(f"/rounds/{round_id}")).status_code == 403
    assert "What each funder put in" not in (await client.get(f"/pools/{world.pool}")).text
    assert (await client.get(f"/funders/{world.council}/shares.csv")).status_code == 403


async def test_a_deposit_belongs_to_one_of_the_pools_funders(world: World) -> None:
    stranger = await make_funder("Not In This Pool")
    with pytest.raises(ValidationFailed) as refused:
        await deposits.record_deposit(
            None,
            world.pool,
            deposits.read_deposit_input(
                {"amount": "5.00", "reference": "X-1", "funder_id": str(stranger)}
            ),
        )
    assert "funder_id" in refused.value.field_errors
    assert not await Deposit.exists().where(Deposit.external_reference == "X-1")
    by_funder = {
        row["funder"]: row["amount"]
        for row in await Deposit.select(Deposit.funder, Deposit.amount).where(
            Deposit.pool == world.pool
        )
    }
    assert by_funder == {world.national: 600_00, world.council: 300_00, world.trust: 100_01}
    # Each funder's money came from its own deposits account.
    keys = {row["key"]: row["balance"] for row in await LedgerAccount.select()}
    assert keys[f"funder:{world.council}:deposits:GBP"] == -300_00
    assert keys[f"funder:{world.trust}:deposits:GBP"] == -100_01
    await ledger_clean()


# --- attribution ----------------------------------------------------------------------------


async def test_every_line_is_split_to_the_penny_in_proportion(world: World) -> None:
    round_id = await computed_round(world.pool)
    await ledger_clean()
    stored = await rounds.get_round(round_id)
    # The round took everything there was (£1,000.01): each funder gives exactly its deposit.
    assert stored["allocated"] == 1_000_01
    lines = await Allocation.select(Allocation.id, Allocation.amount).where(
        (Allocation.round == round_id) & (Allocation.amount > 0)
    )
    parts = await attribution.line_shares(round_id)
    weights = {world.national: 600_00, world.council: 300_00, world.trust: 100_01}
    total = sum(weights.values())
    for line in lines:
        given = dict(parts[line["id"]])
        assert sum(given.values()) == line["amount"]
        for funder_id, weight in weights.items():
            exact = Fraction(line["amount"] * weight, total)
            assert abs(given.get(funder_id, 0) - exact) < 1
    assert await attribution.round_shares(stored) == weights
    available = await attribution.contributions(world.pool, world.national, list(weights))
    assert all(parts["available"] == 0 for parts in available.values())
    assert {f: p["in_rounds"] for f, p in available.items()} == weights


async def test_a_cancelled_round_gives_each_funder_its_money_back(
    world: World, settings: Settings
) -> None:
    round_id = await computed_round(world.pool)
    lead = await person("national@example.org")
    await review.pause_round(lead, round_id, WHY)
    await cancel_round(settings, lead, round_id, "Trustees moved the money")
    await ledger_clean()
    given = await attribution.contributions(
        world.pool, world.national, [world.national, world.council, world.trust]
    )
    assert [given[f]["available"] for f in (world.national, world.council, world.trust)] == [
        600_00,
        300_00,
        100_01,
    ]


async def test_a_single_funder_pool_stores_no_parts(settings: Settings) -> None:
    place = await pool_in_a_place(pool="Solo Fund", locality="Solo", min_endorsers=2)
    await vouched_organiser(place.host, place.locality, "Sam Solo", 3, prefix="solo")
    await deposit(place.pool, "250.00", "SOLO-1")
    round_id = await computed_round(place.pool)
    assert not await AllocationShare.exists().where(AllocationShare.round == round_id)
    stored = await rounds.get_round(round_id)
    assert await attribution.round_shares(stored) == {place.funder: stored["allocated"]}
    await ledger_clean()


async def test_each_funder_sees_its_share_on_its_dashboard_and_statement(
    world: World, client: WebClient
) -> None:
    round_id = await computed_round(world.pool)
    await client.login("council@example.org")
    dashboard = await client.get("/dashboard")
    assert "Your share of co-funded rounds" in dashboard.text
    assert f'data-share-round="{round_id}"' in dashboard.text and "£300.00" in dashboard.text
    statement = await client.get(f"/funders/{world.council}/shares.csv")
    assert statement.status_code == 200
    rows = statement.text.strip().splitlines()
    assert rows[0].startswith("funder,pool_id,pool,round_id")
    assert rows[1].startswith(f"Middlesbrough Council,{world.pool},")
    assert ",300.00,1000.01" in rows[1]
    assert (await client.get(f"/funders/{world.trust}/shares.csv")).status_code == 403


async def test_360giving_lists_each_funding_organisation_with_its_part(
    world: World, settings: Settings
) -> None:
    from groundswell.exports.services import build_package, package_csv
    from groundswell.payments import payouts
    from groundswell.payments.offline import OfflineGateway
    from tests.factories import approve_after_review, onboard_host
    from tests.integration.exports.test_threesixty_export import assert_valid

    round_id = await computed_round(world.pool)
    await approve_after_review(round_id)
    gateway = OfflineGateway(settings)
    lines = await Allocation.select(Allocation.id, Allocation.host).where(
        (Allocation.round == round_id) & (Allocation.amount > 0)
    )
    for host in {line["host"] for line in lines}:
        await onboard_host(settings, gateway, host)
    for line in lines:
        assert await payouts.pay_allocation(gateway, line["id"]) == "paid"
    await ledger_clean()

    package = await build_package(settings)
    assert_valid(package)
    grants = [g for g in package["grants"] if "-allocation-" in g["id"]]  # type: ignore[union-attr]
    assert len(grants) == len(lines)
    contributed: dict[str, int] = {}
    for grant in grants:
        funders = grant["fundingOrganization"]
        assert funders[0]["name"] == "National Community Fund"  # the lead first
        pence = [round(f["amountContributed"] * 100) for f in funders]
        assert sum(pence) == round(grant["amountAwarded"] * 100)
        for funder, part in zip(funders, pence, strict=True):
            contributed[funder["name"]] = contributed.get(funder["name"], 0) + part
    assert contributed == {
        "National Community Fund": 600_00,
        "Middlesbrough Council": 300_00,
        "Tees Valley Community Trust": 100_01,
    }
    council = next(f for f in grants[0]["fundingOrganization"] if f["id"] == "GB-LAE-MDB")
    assert council["name"] == "Middlesbrough Council"
    header = package_csv(package).splitlines()[0].split(",")
    assert "Funding Org:Amount Contributed" in header
    assert {"Funding Org:1:Name", "Funding Org:2:Amount Contributed"} <= set(header)


async def test_ledger_check_catches_parts_that_do_not_add_up(world: World) -> None:
    round_id = await computed_round(world.pool)
    await ledger_clean()
    share = await AllocationShare.select().where(AllocationShare.round == round_id).first()
    assert share is not None
    await AllocationShare.update({AllocationShare.amount: share["amount"] + 1}).where(
        AllocationShare.id == share["id"]
    )
    report = await check_ledger()
    assert any(f"allocation {share['allocation']} of" in v for v in report.violations)


@pytest.mark.parametrize("rule", [ReviewRule.LEAD, ReviewRule.ANY])
async def test_who_is_asked_to_review_follows_the_rule(world: World, rule: ReviewRule) -> None:
    from groundswell.outbox.tables import OutboxMessage

    await cofunders.set_review_rule(await person("admin@example.org"), world.pool, rule.value)
    await computed_round(world.pool)
    told = {
        row["recipient_email"]
        for row in await OutboxMessage.select(OutboxMessage.recipient_email).where(
            OutboxMessage.purpose == "round_review"
        )
    }
    expected = {"national@example.org"}
    if rule is ReviewRule.ANY:
        expected |= {"council@example.org", "trust@example.org"}
    assert told == expected


async def test_the_lead_asks_back_only_its_own_money(world: World) -> None:
    from groundswell.payments import returns

    lead = await person("national@example.org")
    with pytest.raises(ValidationFailed) as refused:
        await returns.request_return(
            lead,
            world.pool,
            returns.ReturnRequest(amount=600_01, close_pool=False, reason="Too much"),
        )
    assert "£600.00" in refused.value.field_errors["amount"]
    assert await returns.request_return(
        lead, world.pool, returns.ReturnRequest(amount=600_00, close_pool=False, reason="Ours")
    )
    council = await person("council@example.org")
    with pytest.raises(Forbidden):  # co-funders ask through the lead (README)
        await returns.request_return(
            council, world.pool, returns.ReturnRequest(amount=1_00, close_pool=False, reason="x")
        )


async def test_a_cofunders_card_top_up_is_its_own_money(world: World, settings: Settings) -> None:
    from groundswell.payments import checkout
    from groundswell.payments.offline import OfflineGateway

    gateway = OfflineGateway(settings)
    council = await person("council@example.org")
    url = await checkout.start_top_up(settings, gateway, council, world.pool, 50_00)
    session_id = url.rsplit("/", 1)[1]
    await gateway.complete_checkout_session(session_id)
    await checkout.apply_checkout_session(gateway, session_id)
    card = await Deposit.select().where(Deposit.external_reference == session_id).first()
    assert card is not None and card["funder"] == world.council
    given = await attribution.contributions(world.pool, world.national, [world.council])
    assert given[world.council]["deposited"] == 350_00
    with pytest.raises(Forbidden):
        await checkout.start_top_up(
            settings, gateway, await person("other@example.org"), world.pool, 50_00
        )
    await ledger_clean()
