"""The users page says plainly that administrators belong to no organisation."""

from groundswell.core.principal import Role
from tests.helpers import WebClient, make_user


async def test_the_organisation_choice_explains_administrators(client: WebClient) -> None:
    await client.login(await make_user(Role.ADMIN))
    page = (await client.get("/admin/users")).text
    assert '<option value="">No organisation</option>' in page
    assert "Administrators belong to none" in page
    assert "None (administrators)" not in page
    assert "<td>Administrator</td>" in page  # the role in words, as the form names it
