"""/listen.csv: what /listen shows for the same query, under the same consent rules."""

from __future__ import annotations

import csv
import io

from groundswell.core.principal import Role
from tests.helpers import (
    WebClient,
    make_funder,
    make_host,
    make_locality,
    make_organiser,
    make_user,
    make_voice,
)


def _rows(body: bytes) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(body.decode("utf-8-sig"))))


async def test_the_csv_is_the_page_with_names_only_where_residents_allowed(
    client: WebClient,
) -> None:
    place = await make_locality("Pallister")
    await make_organiser(await make_host(), place, name="Amina Hussein", code="AMINA-7K")
    await make_voice(
        "AMINA-7K",
        "Mail me at maureen@example.org about the allotments.",
        display_name="Maureen",
        neighbourhood="Grove Hill",
    )
    await make_voice(
        "AMINA-7K", "Public words, funders not named.", display_name="Sam", show_funders=False
    )
    await make_voice("AMINA-7K", "No consent at all.", consent=False)
    await make_voice("AMINA-7K", "Waiting for a moderator.", moderation="flagged")
    assert (await client.get("/listen.csv")).status_code in (302, 303, 401)

    await client.login(await make_user(Role.FUNDER, funder_ids=(await make_funder(),)))
    page = (await client.get("/listen?organiser=AMINA-7K")).text
    assert 'href="/listen.csv?organiser=AMINA-7K" download' in page
    response = await client.get("/listen.csv?organiser=AMINA-7K")
    assert response.status_code == 200 and response.headers["cache-control"] == "no-store"
    rows = _rows(response.content)
    assert [r["Words"] for r in rows] == [
        "Public words, funders not named.",
        "Mail me at [e-mail removed] about the allotments.",
    ]
    assert [(r["Who"], r["Neighbourhood"]) for r in rows] == [
        ("A resident", ""),
        ("Maureen", "Grove Hill"),
    ]
    assert {r["Organiser's code"] for r in rows} == {"AMINA-7K"}
    assert "maureen@" not in response.text and "Sam" not in response.text
    refused = await client.get("/listen.csv?from=yesterday")
    assert refused.status_code == 422
