"""A host's own page: its organisers with their voices, and which have gone quiet."""

from __future__ import annotations

import re
from datetime import timedelta

from groundswell.core.clock import now
from groundswell.core.principal import Role
from tests.helpers import WebClient, make_host, make_locality, make_organiser, make_user, make_voice


def text(page: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", page).split())


async def test_the_host_sees_each_organisers_voices_and_the_quiet_ones(client: WebClient) -> None:
    host, place = await make_host("Pallister Park CA"), await make_locality("Pallister")
    await make_organiser(host, place, name="Amina Hussein", code="AMINA-7K")
    await make_organiser(host, place, name="Dele Okafor", code="DELE-3M")
    for days in (3, 10, 20, 30, 40, 50):
        await make_voice("AMINA-7K", at=now() - timedelta(days=days))
    await make_voice("AMINA-7K", at=now() - timedelta(days=120))
    for days in (100, 110, 120, 130):
        await make_voice("DELE-3M", at=now() - timedelta(days=days))
    await make_voice("DELE-3M", at=now() - timedelta(days=5))
    await client.login(await make_user(Role.HOST, host_ids=(host,)))

    page = text((await client.get(f"/hosts/{host}")).text)
    assert "Voices, last 90 days Voices now" in page
    assert "Amina Hussein AMINA-7K" in page and "6 1 the 90 days before 7" in page
    assert "Quiet: Only 1 voice in the last 90 days" in page
    assert "1 4 the 90 days before 5" in page
    assert page.count("Quiet:") == 1  # Amina's voices are not falling
