"""Payouts: approved lines paid exactly once, held for hosts not onboarded, crash-safe."""

from __future__ import annotations

import dataclasses
import random
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest

from groundswell.allocation.tables import Allocation, Round
from groundswell.core.clock import frozen_at, now
from groundswell.ledger import services as ledger
from groundswell.ledger_check import check_ledger
from groundswell.outbox.tables import OutboxMessage
from groundswell.payments import payouts
from groundswell.payments.gateway import PaymentGateway
from groundswell.payments.provider import gateway_for
from groundswell.settings import Settings
from tests.factories import (
    approve_after_review,
    computed_round,
    onboard_host,
    pool_in_a_place,
    vouched_organiser,
)
from tests.helpers import deposit, make_host
from tests.stripe_server import config_request


@dataclass
class World:
    settings: Settings
    gateway: PaymentGateway
    pool: int
    ready_host: int
    waiting_host: int
    round_id: int
    server: str | None

    async def transfers(self) -> int:
        """How many transfers the provider holds."""
        if self.server is None:
            return len([t async for t in self.gateway.list_transfers()])
        found = config_request(self.server, "GET", "/_config/transfers/count")
        assert found is not None
        return int(found["count"])

    async def onboard(self, host_id: int) -> str:
        """Create the host's connected account and complete its onboarding at the provider."""
        return await onboard_host(self.settings, self.gateway, host_id, server=self.server)


@pytest.fixture(params=["offline", "stripe"])
async def world(request: pytest.FixtureRequest, settings: Settings) -> World:
    server: str | None = None
    if request.param == "stripe":
        settings = request.getfixturevalue("stripe_settings")
        server = settings.stripe_api_base
    gateway = gateway_for(settings)
    place = await pool_in_a_place(
        host="Ready CA", host_email="ready@example.org", round_budget=900_00, min_endorsers=2
    )
    ready = place.host
    waiting = await make_host("Waiting CA", contact_email="waiting@example.org")
    for index, host in enumerate((ready, ready, ready, waiting)):
        await vouched_organiser(
            host, place.locality, f"Organiser{index} Smith", 3 + index, prefix=f"o{index}"
        )
    await deposit(place.pool, "2000.00")
    round_id = await computed_round(place.pool)
    await approve_after_review(round_id)
    w = World(settings, gateway, place.pool, ready, waiting, round_id, server)
    await w.onboard(ready)
    return w


async def lines(round_id: int) -> list[dict[str, Any]]:
    return await Allocation.select().where(Allocation.round == round_id).order_by(Allocation.id)


async def round_status(round_id: int) -> str:
    row = await Round.select(Round.status).where(Round.id == round_id).first()
    assert row is not None
    return str(row["status"])


async def sent_emails() -> dict[int, str]:
    """Allocation id → the address told its payment was sent (checked to name its amount)."""
    told: dict[int, str] = {}
    for message in await OutboxMessage.select().where(OutboxMessage.purpose == "payments.sent"):
        allocation_id = int(message["dedupe_key"].split(":")[1])
        line = await Allocation.select().where(Allocation.id == allocation_id).first()
        assert line is not None and line["stripe_transfer_id"] in message["body"]
        assert f"£{line['amount'] / 100:,.2f}" in message["body"]
        assert allocation_id not in told
        told[allocation_id] = message["recipient_email"]
    return told


async def assert_ledger_ok() -> None:
    report = await check_ledger()
    assert report.ok, report.violations


async def test_paid_exactly_once_and_held_until_onboarding(world: World) -> None:
    funded = [line for line in await lines(world.round_id) if line["amount"] > 0]
    ready = [line for line in funded if line["host"] == world.ready_host]
    waiting = [line for line in funded if line["host"] == world.waiting_host]
    assert ready and waiting
    await payouts.pay_approved(world.settings, world.gateway)
    await payouts.pay_approved(world.settings, world.gateway)  # safe to run twice
    assert await world.transfers() == len(ready)
    states = {line["id"]: line["state"] for line in await lines(world.round_id)}
    assert {states[line["id"]] for line in ready} == {"paid"}
    assert {states[line["id"]] for line in waiting} == {"held"}
    assert await round_status(world.round_id) == "paying"
    balances = await ledger.pool_balances(world.pool)
    assert balances["paid"] == sum(line["amount"] for line in ready)
    assert balances["committed"] == sum(line["amount"] for line in waiting)
    # The waiting host is told once, however often the job runs.
    told = await OutboxMessage.count().where(OutboxMessage.recipient_email == "waiting@example.org")
    assert told == len(waiting)
    # Each host is told once of each payment sent to it, with the amount and the transfer.
    assert await sent_emails() == {line["id"]: "ready@example.org" for line in ready}
    await assert_ledger_ok()

    # Onboarding completes: the held money goes at once.
    await world.onboard(world.waiting_host)
    assert await world.transfers() == len(funded)
    assert {line["state"] for line in await lines(world.round_id) if line["amount"] > 0} == {"paid"}
    assert await round_status(world.round_id) == "paid"
    assert await payouts.pay_approved(world.settings, world.gateway) == "nothing to pay"
    assert await world.transfers() == len(funded)
    assert await sent_emails() == {
        line["id"]: "ready@example.org" if line in ready else "waiting@example.org"
        for line in funded
    }
    for line in await lines(world.round_id):
        if line["amount"] > 0:
            assert line["stripe_transfer_id"] and line["paid_at"] is not None
    await assert_ledger_ok()


class Crash(Exception):
    pass


class CrashingGateway:
    """The provider, with a power cut before the call or after it (before our commit)."""

    def __init__(self, real: PaymentGateway, when: str) -> None:
        self.real, self.when = real, when

    def __getattr__(self, name: str) -> Any:
        return getattr(self.real, name)

    async def create_transfer(self, **kwargs: Any) -> Any:
        if self.when == "before":
            raise Crash("before the call")
        await self.real.create_transfer(**kwargs)
        raise Crash("after the call, before our commit")


async def test_crashes_before_and_after_the_call_pay_exactly_once(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    await world.onboard(world.waiting_host)
    funded = [line for line in await lines(world.round_id) if line["amount"] > 0]
    rng = random.Random(5)
    moment = now()
    for _ in range(6):
        crashing = CrashingGateway(world.gateway, rng.choice(["before", "after"]))
        with frozen_at(moment):
            await payouts.pay_approved(world.settings, crashing)  # type: ignore[arg-type]
        await assert_ledger_ok()
        moment += timedelta(minutes=2)  # interrupted transfers are resumed after a minute
    with frozen_at(moment):
        await payouts.pay_approved(world.settings, world.gateway)
    assert await world.transfers() == len(funded)
    assert {line["state"] for line in await lines(world.round_id) if line["amount"] > 0} == {"paid"}
    assert await round_status(world.round_id) == "paid"
    await assert_ledger_ok()


async def test_a_refused_transfer_fails_backs_off_and_retries(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    from groundswell.payments.gateway import GatewayError

    class Refusing(CrashingGateway):
        async def create_transfer(self, **kwargs: Any) -> Any:
            raise GatewayError("card declined", retryable=False)

    await payouts.pay_approved(world.settings, Refusing(world.gateway, ""))  # type: ignore[arg-type]
    ready = [
        line
        for line in await lines(world.round_id)
        if line["amount"] > 0 and line["host"] == world.ready_host
    ]
    assert {line["state"] for line in ready} == {"failed"}
    assert {line["attempts"] for line in ready} == {1}
    await assert_ledger_ok()
    # Not due yet: nothing happens.
    await payouts.pay_approved(world.settings, world.gateway)
    assert await world.transfers() == 0
    with frozen_at(now() + timedelta(hours=1)):
        await payouts.pay_approved(world.settings, world.gateway)
    assert await world.transfers() == len(ready)
    await assert_ledger_ok()


async def test_the_job_is_registered() -> None:
    from groundswell.scheduler import default_registry

    assert "payments.pay" in {job.job_id for job in default_registry().jobs}


def test_idempotency_keys() -> None:
    assert payouts.transfer_idempotency_key(7) == "groundswell-allocation-7-transfer"
    assert payouts.transfer_idempotency_key(7, 2) == "groundswell-allocation-7-transfer-2"
    assert dataclasses.is_dataclass(World)
