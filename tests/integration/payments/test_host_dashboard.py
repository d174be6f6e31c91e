"""The host's page: payments received, money held and why, a CSV statement for any dates."""

from __future__ import annotations

import csv
import io
import re
from decimal import Decimal

from groundswell.community.tables import Organiser
from groundswell.core.clock import today
from groundswell.core.principal import Role
from groundswell.payments import payouts
from groundswell.payments.statements import STATEMENT_COLUMNS
from tests.helpers import asgi_client, make_user
from tests.integration.payments.test_payouts import (  # noqa: F401 - fixture
    World,
    lines,
    world,
)
from tests.security.test_csv_formulas import formula_cells


async def test_host_sees_payments_held_money_and_statement(world: World) -> None:  # noqa: F811
    from groundswell.web.app import create_app

    await payouts.pay_approved(world.settings, world.gateway)
    ready_lines = [
        line
        for line in await lines(world.round_id)
        if line["host"] == world.ready_host and line["state"] == "paid"
    ]
    app = create_app(world.settings, run_scheduler=False)
    async with asgi_client(app) as client:
        await client.login(
            await make_user(
                Role.HOST, "both@example.org", host_ids=(world.ready_host, world.waiting_host)
            )
        )
        page = (await client.get(f"/hosts/{world.ready_host}")).text
        assert "Payments received" in page
        for line in ready_lines:
            assert line["stripe_transfer_id"] in page
        simulated = "Simulated — no money moves" in page
        assert simulated == (world.server is None)
        waiting = (await client.get(f"/hosts/{world.waiting_host}")).text
        assert "Held until you finish setting up payments" in waiting

        day = today().isoformat()
        response = await client.get(
            f"/hosts/{world.ready_host}/statement.csv", params={"from": day, "to": day}
        )
        assert response.status_code == 200 and response.headers["content-type"].startswith(
            "text/csv"
        )
        rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
        assert sorted(r["Stripe transfer"] for r in rows) == sorted(
            line["stripe_transfer_id"] for line in ready_lines
        )
        assert list(rows[0]) == list(STATEMENT_COLUMNS.values())
        assert {r["Status"] for r in rows} == {"Paid"} and {r["Currency"] for r in rows} == {"GBP"}
        # Whose money and which round, in words a finance person reads.
        assert {r["Funder"] for r in rows} and all(r["Funder"] and r["Pool"] for r in rows)
        assert all(re.fullmatch(r"(\w+ )?(\w+ to )?\w+ \d{4}", r["Round period"]) for r in rows)
        assert (
            sum(Decimal(r["Amount"]) for r in rows)
            == Decimal(sum(line["amount"] for line in ready_lines)) / 100
        )
        empty = await client.get(
            f"/hosts/{world.ready_host}/statement.csv",
            params={"from": "2001-01-01", "to": "2001-12-31"},
        )
        assert empty.status_code == 200 and len(empty.content.decode("utf-8-sig").splitlines()) == 1
        for bad in (
            {"from": "yesterday"},
            {"from": "2026-02-30"},
            {"from": day, "to": "2001-01-01"},
            {"from": "0001-01-01", "to": "9999-12-31"},  # was a 500: the day after overflowed
        ):
            refused = await client.get(f"/hosts/{world.ready_host}/statement.csv", params=bad)
            # Back to the host page, the dates as typed, what is wrong beside them.
            assert refused.status_code == 303, bad
            location = refused.headers["location"]
            assert location.startswith(f"/hosts/{world.ready_host}?") and location.endswith(
                "#statement"
            )
            shown = (await client.get(location.split("#")[0])).text
            assert 'class="error-summary"' in shown and "data-focus-on-load" in shown, bad
            assert 'aria-invalid="true"' in shown and 'href="#f-from"' in shown, bad
            assert f'value="{bad["from"]}"' in shown, bad
        # The page with good dates in its address shows no problem.
        fine = await client.get(f"/hosts/{world.ready_host}", params={"from": day, "to": day})
        assert fine.status_code == 200 and 'class="error-summary"' not in fine.text


async def test_the_statement_writes_no_formula(world: World) -> None:  # noqa: F811
    """An organiser's name is typed by a host; opened in a spreadsheet it must stay text."""
    from groundswell.web.app import create_app

    payload = '=HYPERLINK("http://evil.example","Amina")'
    await Organiser.update({Organiser.name: payload}, force=True)
    await payouts.pay_approved(world.settings, world.gateway)
    app = create_app(world.settings, run_scheduler=False)
    async with asgi_client(app) as client:
        await client.login(await make_user(Role.HOST, host_ids=(world.ready_host,)))
        day = today().isoformat()
        response = await client.get(
            f"/hosts/{world.ready_host}/statement.csv", params={"from": day, "to": day}
        )
    text = response.content.decode("utf-8-sig")
    cells = [cell for row in csv.reader(io.StringIO(text)) for cell in row]
    assert any(payload in cell for cell in cells)  # else the test proves nothing
    assert not formula_cells(cells)
