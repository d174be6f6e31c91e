"""The lessons tests' world (tests/integration/lessons/lesson_helpers.py)."""

import pytest

from tests.integration.lessons.lesson_helpers import World, make_world


@pytest.fixture
async def world() -> World:
    return await make_world()
