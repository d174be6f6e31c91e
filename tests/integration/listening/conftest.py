import pytest

from groundswell.listening import choices


@pytest.fixture(autouse=True)
def _fresh_pool_choices() -> None:
    """Each worker keeps the pool list for a minute; a test starts from its own database."""
    choices.forget_pools()
