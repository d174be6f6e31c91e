from __future__ import annotations

import pytest

from groundswell.programme.building_voices import building_code
from tests.helpers import make_asset_bid


@pytest.fixture
async def library() -> tuple[int, str]:
    """An asset bid for The Old Library: its id and its vouching code."""
    bid_id = await make_asset_bid(asset_name="The Old Library", group_name="Friends of the Library")
    code = await building_code(bid_id)
    assert code is not None
    return bid_id, code
