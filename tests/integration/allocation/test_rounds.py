"""Rounds: who is a candidate, which voices count, once per period, all or nothing, review."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import timedelta

import pytest

from groundswell.accounts.tables import User
from groundswell.allocation import jobs, review, rounds
from groundswell.allocation.periods import period_containing, previous_period
from groundswell.allocation.simulation import read_simulation_input, simulate
from groundswell.allocation.tables import Allocation, Round
from groundswell.core.clock import frozen_at, now, today
from groundswell.core.errors import Conflict, Forbidden
from groundswell.core.principal import Principal, Role
from groundswell.core.tables import AuditEntry
from groundswell.funders.services import get_pool
from groundswell.ledger import services as ledger
from groundswell.ledger.tables import LedgerTransaction
from groundswell.ledger_check import check_ledger
from groundswell.outbox.tables import OutboxMessage
from groundswell.settings import Settings
from tests.factories import pool_in_a_place, vouched_organiser
from tests.helpers import (
    deposit,
    make_locality,
    make_pool,
    make_resident,
    make_user,
    voice_hash,
    vouch,
)


@dataclass
class World:
    pool: int
    funder: int
    codes: dict[str, str]


@pytest.fixture
async def world() -> World:
    place = await pool_in_a_place(round_budget=1000_00, min_endorsers=3, review_days=7)
    here, host = place.locality, place.host
    elsewhere = await make_locality("Hulme")
    codes = {
        "amina": await vouched_organiser(host, here, "Amina Hussein", 6),
        "dele": await vouched_organiser(host, here, "Dele Okafor", 3),
        "siobhan": await vouched_organiser(host, here, "Siobhan Byrne", 1),
        # Not candidates: bursary runs past the period, paused, and in another place.
        "tariq": await vouched_organiser(
            host, here, "Tariq Mahmood", 5, bursary_end=today() + timedelta(days=400)
        ),
        "grace": await vouched_organiser(host, here, "Grace Thompson", 5, status="paused"),
        "bilal": await vouched_organiser(host, elsewhere, "Bilal Khan", 5),
    }
    await deposit(place.pool, "2000.00")
    return World(pool=place.pool, funder=place.funder, codes=codes)


async def principal(role: Role, funder_ids: frozenset[int] = frozenset()) -> Principal:
    """Someone with `role` and `funder_ids`, backed by a real user row for the audit log."""
    email = f"{role.value}-{await User.count()}@example.org"
    await make_user(Role.ADMIN, email)
    user = await User.select(User.id).where(User.email == email).first()
    assert user is not None
    return Principal(user_id=user["id"], email=email, name="X", role=role, funder_ids=funder_ids)


async def test_a_round_funds_eligible_organisers_and_commits_the_money(
    world: World, settings: Settings
) -> None:
    await make_user(Role.FUNDER, "fran@example.org", funder_ids=(world.funder,))
    outcome = await rounds.compute_round(world.pool, public_url="https://gs.test")
    assert outcome.created
    report = outcome.report
    lines = {line.organiser: line for line in report.lines}
    c = world.codes
    assert set(lines) == {c["amina"], c["dele"], c["siobhan"]}
    assert report.budget == 1000_00 and report.unallocated == 0
    assert lines[c["siobhan"]].amount == 0 and lines[c["siobhan"]].state == "not_funded"
    assert lines[c["siobhan"]].explanation["reason"] == "too_few_endorsers"
    assert lines[c["amina"]].amount + lines[c["dele"]].amount == 1000_00
    assert lines[c["amina"]].amount > lines[c["dele"]].amount
    assert lines[c["amina"]].endorsers == 6 and lines[c["amina"]].state == "proposed"
    assert report.period == period_containing(today(), "quarterly")
    assert report.status == "computed"
    assert report.review_until is not None
    assert report.review_until - report.as_of == timedelta(days=7)
    assert await ledger.pool_balances(world.pool) == {
        "available": 1000_00,
        "committed": 1000_00,
        "in_transit": 0,
        "paid": 0,
    }
    assert await LedgerTransaction.exists().where(
        LedgerTransaction.reference == f"round:{report.round_id}:commit"
    )
    (mail,) = await OutboxMessage.select()
    assert mail["recipient_email"] == "fran@example.org"
    assert mail["dedupe_key"].startswith(f"round:{report.round_id}:")
    assert f"https://gs.test/rounds/{report.round_id}" in mail["body"]
    assert (await check_ledger()).ok
    # What compute_round reports is exactly what was stored.
    assert report.round_id is not None
    assert await rounds.round_report(report.round_id) == report


async def test_which_voices_count(world: World) -> None:
    code = world.codes["dele"]
    await vouch(await make_resident("w"), code, state="withdrawn")
    await vouch(await make_resident("h"), code, state="hidden")
    await vouch(await make_resident("f"), code, moderation="flagged")
    await vouch(await make_resident("u"), code, verification="unverified")
    await vouch(await make_resident("old"), code, days_ago=200)
    # The organiser texting from their own phone.
    from groundswell.community.tables import Organiser

    await Organiser.update({Organiser.phone_hash: voice_hash("own")}).where(Organiser.code == code)
    await vouch(await make_resident("own"), code)
    report = (await rounds.compute_round(world.pool, dry_run=True)).report
    line = next(x for x in report.lines if x.organiser == code)
    assert line.endorsers == 3
    assert line.explanation["testimonies"] == 9
    excluded = line.explanation["excluded"]
    assert {k: v for k, v in excluded.items() if v} == {
        "withdrawn": 1,
        "hidden": 1,
        "flagged": 1,
        "unverified": 1,
        "outside_window": 1,
        "self": 1,
    }


async def test_the_budget_is_what_is_available_when_less(world: World) -> None:
    other = await make_pool(world.funder, "Small pool", round_budget=1000_00, min_endorsers=1)
    await deposit(other, "300.00")
    report = (await rounds.compute_round(other)).report
    assert report.budget == 300_00 and report.allocated == 300_00
    assert (await ledger.pool_balances(other))["available"] == 0
    empty = await make_pool(world.funder, "Empty pool", min_endorsers=1)
    assert (await rounds.compute_round(empty, dry_run=True)).report.budget == 0
    with pytest.raises(Conflict, match="no money available"):
        await rounds.compute_round(empty)
    assert await Round.count().where(Round.pool == empty) == 0
    await deposit(empty, "10.00")
    assert (await rounds.compute_round(empty)).report.budget == 10_00


async def test_a_dry_run_writes_nothing(world: World) -> None:
    before = await counts()
    outcome = await rounds.compute_round(world.pool, dry_run=True)
    assert not outcome.created and outcome.report.round_id is None
    assert sum(line.amount for line in outcome.report.lines) == 1000_00
    assert await counts() == before


async def counts() -> tuple[int, ...]:
    return (
        await Round.count(),
        await Allocation.count(),
        await LedgerTransaction.count(),
        await OutboxMessage.count(),
        await AuditEntry.count(),
    )


async def test_two_computations_racing_make_one_round(world: World) -> None:
    first, second = await asyncio.gather(
        rounds.compute_round(world.pool), rounds.compute_round(world.pool)
    )
    assert sorted([first.created, second.created]) == [False, True]
    assert first.report.round_id == second.report.round_id
    assert await Round.count() == 1
    assert await Allocation.count() == 3
    assert await LedgerTransaction.count().where(LedgerTransaction.kind == "round_commit") == 1
    assert (await check_ledger()).ok


async def test_the_job_twice_computes_once(world: World, settings: Settings) -> None:
    results = await asyncio.gather(
        jobs.compute_due_rounds(settings), jobs.compute_due_rounds(settings)
    )
    assert sum(int(r.split()[0]) for r in results) == 1, results
    assert (await jobs.compute_due_rounds(settings)).startswith("0 computed")
    assert await Round.count() == 1
    # A pool with no money waits for a deposit rather than making an empty round.
    idle = await make_pool(world.funder, "Idle pool")
    assert await Round.count().where(Round.pool == idle) == 0


async def test_a_crash_mid_round_leaves_nothing(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    await make_user(Role.FUNDER, "fran@example.org", funder_ids=(world.funder,))
    before = await counts()

    async def crash(*args: object, **kwargs: object) -> None:
        raise RuntimeError("power cut")

    # The last step, after the round, its lines and the ledger transaction were written.
    monkeypatch.setattr(rounds, "_tell_funder", crash)
    with pytest.raises(RuntimeError, match="power cut"):
        await rounds.compute_round(world.pool)
    assert await counts() == before
    assert (await ledger.pool_balances(world.pool))["available"] == 2000_00
    monkeypatch.undo()
    assert (await rounds.compute_round(world.pool)).created


async def test_review_pause_resume_and_approval(world: World, settings: Settings) -> None:
    report = (await rounds.compute_round(world.pool)).report
    round_id = report.round_id
    assert round_id is not None
    funder = await principal(Role.FUNDER, frozenset({world.funder}))
    later = now() + timedelta(days=8)

    assert not await review.approve_round(round_id)  # still in its review window
    assert await review.pause_round(funder, round_id, "Checking the figures")
    assert not await review.pause_round(
        funder, round_id, "Checking the figures"
    )  # paused already: no-op
    with frozen_at(later):
        assert await jobs.approve_rounds(settings) == "0 approved"  # paused rounds wait
    assert (await rounds.get_round(round_id))["status"] == "paused"

    assert await review.resume_round(funder, round_id, "Checking the figures")
    assert not await review.resume_round(funder, round_id, "Checking the figures")
    with frozen_at(later):
        assert await jobs.approve_rounds(settings) == "1 approved"
        assert await jobs.approve_rounds(settings) == "0 approved"  # safe to run twice
    stored = await rounds.get_round(round_id)
    assert stored["status"] == "approved" and stored["approved_at"] is not None
    states = {row["state"] for row in await Allocation.select(Allocation.state)}
    assert states == {"approved", "not_funded"}
    with pytest.raises(Conflict):
        await review.pause_round(funder, round_id, "Checking the figures")
    actions = [
        row["action"]
        for row in await AuditEntry.select()
        .where(AuditEntry.subject_type == "round")
        .order_by(AuditEntry.id)
    ]
    assert actions == ["round.pause", "round.resume", "round.approve"]
    assert (await check_ledger()).ok


async def test_only_the_pools_funder_and_admins_review(world: World) -> None:
    round_id = (await rounds.compute_round(world.pool)).report.round_id
    assert round_id is not None
    for outsider in (
        await principal(Role.FUNDER, frozenset({world.funder + 1})),
        await principal(Role.HOST),
    ):
        with pytest.raises(Forbidden):
            await review.pause_round(outsider, round_id, "Checking the figures")
    assert await review.pause_round(await principal(Role.ADMIN), round_id, "Checking the figures")


async def test_a_line_cannot_be_edited(world: World) -> None:
    await rounds.compute_round(world.pool)
    line = await Allocation.select().where(Allocation.amount > 0).first()
    assert line is not None
    with pytest.raises(Exception, match="cannot be edited"):
        await Allocation.update({Allocation.amount: line["amount"] + 1}).where(
            Allocation.id == line["id"]
        )
    # The state may move (payments does that); the money may not.
    await Allocation.update({Allocation.state: "approved"}).where(Allocation.id == line["id"])


async def test_concurrent_rounds_and_deposits_never_overdraw(world: World) -> None:
    other = await make_pool(world.funder, "Busy pool", round_budget=600_00, min_endorsers=1)
    await deposit(other, "1000.00", "START")
    period = period_containing(today(), "quarterly")
    periods = [period]
    for _ in range(3):
        periods.append(previous_period(periods[-1], "quarterly"))
    outcomes = await asyncio.gather(
        *(rounds.compute_round(other, period=p) for p in periods),
        *(deposit(other, "1.00", f"TOP-UP-{n}") for n in range(3)),
        return_exceptions=True,
    )
    # A round that found nothing left waits for money rather than failing anything else.
    refused = [o for o in outcomes if isinstance(o, BaseException)]
    assert all(isinstance(o, Conflict) and "no money" in o.detail for o in refused), refused
    balances = await ledger.pool_balances(other)
    stored = await Round.select().where(Round.pool == other)
    assert len(stored) == 4 - len(refused) >= 2
    assert all(0 < r["budget"] <= 600_00 for r in stored)
    assert balances["available"] >= 0
    assert balances["committed"] == sum(r["allocated"] for r in stored)
    assert balances["available"] + balances["committed"] == 1003_00
    assert (await check_ledger()).ok


async def test_the_simulator_writes_nothing(world: World) -> None:
    before = await counts()
    pool = await get_pool(world.pool)
    settings_, budget = read_simulation_input(
        {"score_method": "proportional", "min_endorsers": "1"}, pool
    )
    simulation = await simulate(world.pool, settings_, budget)
    rows = {row.organiser: row for row in simulation.rows}
    assert rows[world.codes["siobhan"]].current == 0
    assert rows[world.codes["siobhan"]].simulated > 0  # one voice is enough at min 1
    assert sum(r.simulated for r in simulation.rows) == budget
    assert await counts() == before
