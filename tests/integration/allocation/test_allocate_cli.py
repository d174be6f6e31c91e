"""The `groundswell allocate` and `groundswell deposit` contracts, run as a user would."""

import json
import os
import subprocess
import sys

import pytest

from groundswell.allocation.tables import Allocation, Round
from groundswell.funders.tables import Deposit
from groundswell.ledger import services as ledger
from groundswell.ledger.tables import LedgerTransaction
from tests.factories import pool_in_a_place, vouched_organiser
from tests.helpers import deposit, make_funder, make_pool


def groundswell(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "groundswell", *args],
        env=os.environ.copy(),
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.fixture
async def pool() -> int:
    place = await pool_in_a_place(for_any_locality=True, min_endorsers=2, round_budget=500_00)
    host, locality = place.host, place.locality
    await vouched_organiser(host, locality, "Amina Hussein", 4, code="AMINA-2A")
    await vouched_organiser(host, locality, "Dele Okafor", 2, code="DELE-3B")
    await vouched_organiser(host, locality, "Ruth Kelly", 1, code="RUTH-4C")
    await deposit(place.pool, "2000.00")
    return place.pool


def one_json_object(stdout: str) -> dict:
    decoder = json.JSONDecoder()
    value, end = decoder.raw_decode(stdout)
    assert stdout[end:].strip() == "", "more than one JSON value on stdout"
    assert isinstance(value, dict)
    return value


async def test_dry_run_json_explains_and_writes_nothing(pool: int) -> None:
    result = groundswell("allocate", "--pool", str(pool), "--dry-run", "--json")
    assert result.returncode == 0, result.stderr
    body = one_json_object(result.stdout)
    assert set(body) == {
        "pool",
        "period",
        "currency",
        "budget",
        "unallocated",
        "allocations",
        "skipped",
    }
    assert body["pool"] == pool and body["currency"] == "GBP" and body["budget"] == 500_00
    assert set(body["period"]) == {"start", "end"}
    assert [a["organiser"] for a in body["allocations"]] == ["AMINA-2A", "DELE-3B", "RUTH-4C"]
    for line in body["allocations"]:
        assert set(line) == {"organiser", "amount", "endorsers", "score", "explanation"}
        assert isinstance(line["amount"], int) and isinstance(line["score"], (int, float))
        assert line["explanation"]["organiser"] == line["organiser"]
    assert sum(a["amount"] for a in body["allocations"]) + body["unallocated"] == body["budget"]
    assert body["allocations"][2]["amount"] == 0 and body["allocations"][2]["endorsers"] == 1
    assert result.stderr == ""  # no progress bar when stderr is not a terminal
    assert await Round.count() == 0 and await Allocation.count() == 0
    assert await LedgerTransaction.count() == 1  # just the deposit


async def test_allocate_computes_once_then_reports_the_existing_round(pool: int) -> None:
    first = groundswell("allocate", "--pool", str(pool), "--json")
    assert first.returncode == 0, first.stderr
    computed = one_json_object(first.stdout)
    assert await Round.count() == 1
    assert (await ledger.pool_balances(pool))["committed"] == 500_00

    again = groundswell("allocate", "--pool", str(pool), "--json")
    assert again.returncode == 0
    assert "exists already" in again.stderr and "nothing was computed" in again.stderr
    assert one_json_object(again.stdout) == computed
    assert await Round.count() == 1

    dry = groundswell("allocate", "--pool", str(pool), "--dry-run", "--json")
    assert dry.returncode == 0 and "exists already" in dry.stderr
    assert one_json_object(dry.stdout)["pool"] == pool
    assert await Round.count() == 1

    human = groundswell("allocate", "--pool", str(pool))
    assert human.returncode == 0
    assert "AMINA-2A" in human.stdout and "£500.00" in human.stdout
    assert "round " in human.stdout and "computed" in human.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--pool", "424242"], "There is no pool 424242."),
        (["--pool", "424242", "--dry-run", "--json"], "There is no pool 424242."),
    ],
)
def test_unknown_pool_is_one_line_and_exit_2(args: list[str], message: str) -> None:
    result = groundswell("allocate", *args)
    assert result.returncode == 2
    assert result.stderr.strip() == f"groundswell: {message}"
    assert result.stdout == ""


def test_a_pool_that_is_not_a_number_is_a_usage_error() -> None:
    result = groundswell("allocate", "--pool", "teesside")
    assert result.returncode == 2 and "Traceback" not in result.stderr


async def test_deposit_command_records_once_and_explains_mistakes() -> None:
    pool = await make_pool(await make_funder())
    made = groundswell(
        "deposit", "--pool", str(pool), "--amount", "2500.00", "--reference", "BACS 77"
    )
    assert made.returncode == 0, made.stderr
    assert "£2,500.00" in made.stdout
    repeat = groundswell(
        "deposit", "--pool", str(pool), "--amount", "2500", "--reference", "BACS 77"
    )
    assert repeat.returncode == 0 and "recorded already" in repeat.stdout
    assert await Deposit.count() == 1
    assert (await ledger.pool_balances(pool))["available"] == 2500_00
    for bad in (
        ["--amount", "lots"],
        ["--amount", "0"],
        ["--amount", "10", "--received-on", "yesterday"],
    ):
        result = groundswell("deposit", "--pool", str(pool), "--reference", "X", *bad)
        assert result.returncode == 2, bad
        assert result.stderr.startswith("groundswell: The deposit could not be recorded.")
        assert len(result.stderr.strip().splitlines()) == 1
    missing = groundswell("deposit", "--pool", "999999", "--amount", "1", "--reference", "X")
    assert missing.returncode == 2 and "There is no pool 999999." in missing.stderr
    assert await Deposit.count() == 1


def on_a_terminal(*args: str) -> tuple[subprocess.CompletedProcess[str], str]:
    """Run with stderr on a pseudo-terminal; what the terminal showed."""
    import pty

    main, terminal = pty.openpty()
    try:
        result = subprocess.run(
            [sys.executable, "-m", "groundswell", *args],
            env=os.environ.copy(),
            stdout=subprocess.PIPE,
            stderr=terminal,
            text=True,
            timeout=120,
        )
        os.close(terminal)
        shown = os.read(main, 65536).decode()
    finally:
        os.close(main)
    return result, shown


async def test_a_progress_bar_only_on_a_terminal(pool: int) -> None:
    result, shown = on_a_terminal("allocate", "--pool", str(pool), "--dry-run", "--json")
    assert result.returncode == 0
    one_json_object(result.stdout)  # stdout stays clean JSON
    assert "reading endorsements" in shown and "100%" in shown


async def test_a_pool_without_money_is_refused_but_can_be_dry_run() -> None:
    pool = await make_pool(await make_funder())
    refused = groundswell("allocate", "--pool", str(pool))
    assert refused.returncode == 2
    assert refused.stderr.startswith(f"groundswell: Pool {pool} has no money available")
    assert len(refused.stderr.strip().splitlines()) == 1
    dry = groundswell("allocate", "--pool", str(pool), "--dry-run", "--json")
    assert dry.returncode == 0 and one_json_object(dry.stdout)["budget"] == 0
    assert await Round.count() == 0
