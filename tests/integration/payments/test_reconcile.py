"""Reconciliation names each difference between the provider's transfers and the ledger."""

from __future__ import annotations

import os
import subprocess
import sys

from groundswell.allocation.tables import Allocation
from groundswell.payments import payouts
from groundswell.payments.reconcile import reconcile
from tests.integration.payments.test_payouts import (  # noqa: F401 - fixture
    World,
    lines,
    world,
)


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
