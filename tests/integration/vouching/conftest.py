from __future__ import annotations

import pytest

from tests.helpers import make_host, make_locality, make_organiser


@pytest.fixture
async def amina() -> str:
    host = await make_host("Pallister Park CA")
    locality = await make_locality("Pallister")
    return await make_organiser(host, locality, name="Amina Hussein", code="AMINA-7K")
