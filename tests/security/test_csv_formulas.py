"""Formula-safe CSV across every export (issue #14.6).

Text a person typed (a grant's title, a bid's asset name, a lesson's note) that begins
with `=`, `+`, `-` or `@` would run as a formula when the file is opened in a spreadsheet.
One parametrised test feeds such text into each export and reads every cell back."""

from __future__ import annotations

import csv
import io

import pytest
from litestar import Litestar

from groundswell.lessons.tables import Lesson
from groundswell.programme.tables import AssetBid, ProgrammeGrant
from tests.helpers import asgi_client
from tests.integration.core import test_role_route_matrix as matrix
from tests.integration.core.test_role_route_matrix import World

world = matrix.world  # the route table's fixture: one of every resource

PAYLOADS = ["=cmd|' /C calc'!A0", "+SUM(1,2)", "-2+3+cmd()", "@SUM(A1)"]


async def _plant(payload: str) -> None:
    await ProgrammeGrant.update({ProgrammeGrant.title: payload}, force=True)
    await AssetBid.update({AssetBid.asset_name: payload}, force=True)
    await Lesson.update({Lesson.note: payload}, force=True)


EXPORTS = ["/open-data/360giving.csv", "/programme/bids.csv", "/lessons.csv"]


@pytest.mark.parametrize("path", EXPORTS)
@pytest.mark.parametrize("payload", PAYLOADS)
async def test_no_export_writes_a_formula(
    app: Litestar, world: World, path: str, payload: str
) -> None:
    await _plant(payload)
    async with asgi_client(app) as client:
        await client.login("admin@example.org")
        response = await client.get(path)
    assert response.status_code == 200, response.status_code
    cells = [cell for row in csv.reader(io.StringIO(response.text)) for cell in row]
    planted = [cell for cell in cells if payload in cell]
    assert planted, f"{path}: the planted text is not in the export"  # else the test proves nothing
    assert not formula_cells(cells), f"{path}: {formula_cells(cells)}"


def formula_cells(cells: list[str]) -> list[str]:
    """Cells a spreadsheet would run: starting with =, +, - or @ and not a plain number."""
    return [cell for cell in cells if cell[:1] in ("=", "+", "-", "@") and not _number(cell)]


def _number(cell: str) -> bool:
    try:
        float(cell)
    except ValueError:
        return False
    return True
