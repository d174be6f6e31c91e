"""Each role's navigation leads to its own pages."""

from __future__ import annotations

import re

from groundswell.core.principal import Role
from tests.helpers import WebClient, make_funder, make_host, make_user


def nav(page: str) -> dict[str, str]:
    """Link text → address in the main navigation."""
    block = page[page.index('<nav aria-label="Main">') : page.index("</nav>")]
    return {
        re.sub(r"\s+", " ", text).strip(): href
        for href, text in re.findall(r'<a href="([^"]+)"[^>]*>([^<]+)</a>', block)
    }


async def test_anonymous_visitors_see_the_public_pages(client: WebClient) -> None:
    links = nav((await client.get("/")).text)
    assert links == {
        "Organisers": "/organisers",
        "Places": "/localities",
        "Pools": "/pools",
        "Sign in": "/login",
    }


async def test_a_funder_reaches_their_pools_listening_and_the_programme(client: WebClient) -> None:
    await client.login(await make_user(Role.FUNDER, funder_ids=(await make_funder(),)))
    page = (await client.get("/dashboard")).text
    links = nav(page)
    assert links["Your pools"] == "/dashboard" and links["Listen"] == "/listen"
    assert links["Programme"] == "/programme" and "Ledger" not in links
    assert 'aria-current="page">Your pools</a>' in page


async def test_a_host_reaches_their_organisation(client: WebClient) -> None:
    host = await make_host()
    await client.login(await make_user(Role.HOST, host_ids=(host,)))
    page = (await client.get(f"/hosts/{host}")).text
    links = nav(page)
    assert links["Your organisation"] == f"/hosts/{host}" and links["Listen"] == "/listen"
    assert "Programme" not in links and "Your pools" not in links
    assert 'aria-current="page">Your organisation</a>' in page


async def test_a_host_of_several_organisations_gets_the_list(client: WebClient) -> None:
    hosts = (await make_host("One"), await make_host("Two"))
    await client.login(await make_user(Role.HOST, host_ids=hosts))
    links = nav((await client.get("/organisers")).text)
    assert links["Your organisations"] == "/dashboard"
    listed = (await client.get("/dashboard")).text
    assert (
        f'href="/hosts/{hosts[0]}">One</a>' in listed
        and f'href="/hosts/{hosts[1]}">Two</a>' in listed
    )
    assert listed.count("Set up payments") == 2


async def test_an_administrator_reaches_every_admin_page(client: WebClient) -> None:
    await client.login(await make_user(Role.ADMIN))
    links = nav((await client.get("/dashboard")).text)
    for text, href in {
        "Dashboard": "/dashboard",
        "Listen": "/listen",
        "Programme": "/programme",
        "Funders": "/funders",
        "Hosts": "/hosts",
        "Rounds": "/admin/rounds",
        "Ledger": "/admin/ledger",
        "Users": "/admin/users",
        "Moderation": "/admin/moderation",
        "Outbox": "/admin/outbox",
    }.items():
        assert links[text] == href, text
