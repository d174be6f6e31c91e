"""Reconciliation names each difference between the provider's transfers and the ledger."""

from __future__ import annotations

import os
import subprocess
import sys

from groundswell.allocation.tables import Allocation
from groundswell.payments import payouts
from groundswell.payments.offline import OfflineGateway
from groundswell.payments.reconcile import reconcile
from tests.integration.payments.test_payouts import (  # noqa: F401 - fixture
    World,
    lines,
    world,
)
from tests.stripe_server import make_stripe_client


def reconcile_command(w: World) -> subprocess.CompletedProcess[str]:
    env = os.environ.copy()
    if w.server is not None:
        env |= {"STRIPE_API_KEY": w.settings.stripe_api_key, "STRIPE_API_BASE": w.server}
    return subprocess.run(
        [sys.executable, "-m", "groundswell", "payments", "reconcile"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


async def test_clean_then_each_kind_of_difference(world: World) -> None:  # noqa: F811
    await world.onboard(world.waiting_host)
    await payouts.pay_approved(world.settings, world.gateway)
    assert await reconcile(world.settings, world.gateway) == []
    clean = reconcile_command(world)
    assert clean.returncode == 0, clean.stdout + clean.stderr
    assert "match the ledger" in clean.stdout

    # A transfer made behind the ledger's back, in the round's group.
    paid = [line for line in await lines(world.round_id) if line["state"] == "paid"]
    host = await Allocation.select(Allocation.host.stripe_account_id.as_alias("acct")).first()
    assert host is not None
    stray = await world.gateway.create_transfer(
        amount=12_34,
        currency="GBP",
        destination=host["acct"],
        transfer_group=f"round-{world.round_id}",
        metadata={},
        description="made by hand",
        idempotency_key="test-stray-transfer",
    )
    differences = await reconcile(world.settings, world.gateway)
    assert len(differences) == 1 and stray.id in differences[0]
    assert "not in our ledger" in differences[0]

    # A payment the ledger records that the provider does not have.
    await Allocation.update({Allocation.stripe_transfer_id: "tr_made_up"}).where(
        Allocation.id == paid[0]["id"]
    )
    differences = await reconcile(world.settings, world.gateway)
    assert any("tr_made_up" in d and "does not have" in d for d in differences), differences
    assert any(paid[0]["stripe_transfer_id"] in d for d in differences)  # now unmatched
    found = reconcile_command(world)
    assert found.returncode == 1
    assert found.stdout.count("DIFFERENCE:") == len(differences)


async def test_amounts_and_reversed_amounts_that_differ(world: World) -> None:  # noqa: F811
    await payouts.pay_approved(world.settings, world.gateway)
    paid = [line for line in await lines(world.round_id) if line["state"] == "paid"]
    assert len(paid) >= 2
    assert await reconcile(world.settings, world.gateway) == []

    # The provider's transfer says another amount than our line (our lines cannot be
    # edited, and the Stripe test server cannot edit a transfer: the offline store can).
    if isinstance(world.gateway, OfflineGateway):
        transfer = await world.gateway.retrieve_transfer(paid[0]["stripe_transfer_id"])
        await world.gateway.save(transfer.id, {**transfer.__dict__, "amount": transfer.amount + 1})
        (differs,) = await reconcile(world.settings, world.gateway)
        assert f"allocation {paid[0]['id']} paid" in differs
        assert paid[0]["stripe_transfer_id"] in differs
        await world.gateway.save(transfer.id, transfer.__dict__)
        assert await reconcile(world.settings, world.gateway) == []

    # The provider reversed part of a transfer we have not heard about.
    line = paid[1]
    if isinstance(world.gateway, OfflineGateway):
        transfer = await world.gateway.retrieve_transfer(line["stripe_transfer_id"])
        await world.gateway.save(transfer.id, {**transfer.__dict__, "amount_reversed": 5_00})
    else:
        assert world.server is not None
        make_stripe_client(world.server).v1.transfers.reversals.create(
            line["stripe_transfer_id"], params={"amount": 5_00}
        )
    (unheard,) = await reconcile(world.settings, world.gateway)
    assert "£5.00 reversed" in unheard and f"allocation {line['id']}" in unheard
    assert "records £0.00" in unheard

    # Once the reversal is applied, the two agree again.
    await payouts.apply_reversal(await world.gateway.retrieve_transfer(line["stripe_transfer_id"]))
    assert await reconcile(world.settings, world.gateway) == []
