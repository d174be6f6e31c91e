"""The users page says plainly that administrators belong to no organisation."""

from groundswell.core.principal import Role
from tests.helpers import WebClient, make_funder, make_host, make_user


async def test_the_organisation_choice_explains_administrators(client: WebClient) -> None:
    await make_funder("Northern Roots"), await make_host("Pallister Park CA")
    await client.login(await make_user(Role.ADMIN))
    page = (await client.get("/admin/users")).text
    assert "Administrators belong to none: leave them all unticked" in page
    assert "None (administrators)" not in page
    assert "<td>Administrator</td>" in page  # the role in words, as the form names it
    # Checkboxes, one per organisation, grouped by kind.
    assert "<legend>Funders</legend>" in page and "<legend>Host organisations</legend>" in page
    assert 'name="funder"' in page and 'name="host"' in page
