"""New and returning voices and signal health on the round page: what moderation flagged
beside the organisers it touches, and the voices held back, as the round itself counted them."""

from __future__ import annotations

import re
from datetime import timedelta

from groundswell.allocation import rounds
from groundswell.allocation.signal import round_signal
from groundswell.core.clock import now
from groundswell.core.principal import Role
from groundswell.vouching.tables import Endorsement, ModerationReport
from tests.factories import computed_round, pool_in_a_place
from tests.helpers import (
    WebClient,
    deposit,
    make_locality,
    make_organiser,
    make_resident,
    make_user,
    organiser_id,
    vouch,
)


async def _world() -> tuple[int, int]:
    """Amina and Dele in Pallister (the pool's place), Fay in Hulme (not the pool's)."""
    place = await pool_in_a_place(pool="Tees Fund", min_endorsers=2)
    pallister, hulme, host = place.locality, await make_locality("Hulme"), place.host
    await make_organiser(host, pallister, "Amina Hussein", code="AMINA-2A")
    await make_organiser(host, pallister, "Dele Okafor", code="DELE-3B")
    await make_organiser(host, hulme, "Fay Ray", code="FAY-4C")
    await deposit(place.pool, "1000.00")
    return place.pool, place.funder


async def test_new_and_returning_voices(settings) -> None:  # type: ignore[no-untyped-def]
    pool, _ = await _world()
    # Returning: first vouched for Dele 400 days ago (before the 180-day window), now for Amina.
    back = await make_resident("back")
    await vouch(back, "DELE-3B", days_ago=400)
    await vouch(back, "AMINA-2A", days_ago=5)
    # Returning for the same organiser: first vouched 300 days ago, new words 3 days ago
    # (created_at stays the first time, updated_at moves).
    again = await make_resident("again")
    row = await vouch(again, "AMINA-2A", days_ago=300)
    await Endorsement.update({Endorsement.updated_at: now() - timedelta(days=3)}).where(
        Endorsement.id == row
    )
    # New: vouched before only outside the pool's places (Fay, in Hulme).
    elsewhere = await make_resident("elsewhere")
    await vouch(elsewhere, "FAY-4C", days_ago=400)
    await vouch(elsewhere, "AMINA-2A", days_ago=2)
    # New, and counted once in the round's totals though they vouch for both.
    both = await make_resident("both")
    await vouch(both, "AMINA-2A", days_ago=10)
    await vouch(both, "DELE-3B", days_ago=10)
    # Not a voice in the round: withdrawn, or awaiting moderation.
    await vouch(await make_resident("gone"), "AMINA-2A", days_ago=3, state="withdrawn")
    await vouch(await make_resident("held"), "AMINA-2A", days_ago=3, moderation="flagged")

    signal = await round_signal(await computed_round(pool))
    assert signal is not None and signal.window_days == 180
    by_code = {o.code: o for o in signal.organisers}
    assert (by_code["AMINA-2A"].new, by_code["AMINA-2A"].returning) == (2, 2)
    assert (by_code["DELE-3B"].new, by_code["DELE-3B"].returning) == (1, 0)  # 400 days: outside
    assert (signal.new, signal.returning) == (2, 2)
    assert "FAY-4C" not in by_code  # not the pool's organiser


async def test_signal_health_on_the_round_page(client: WebClient) -> None:
    pool, funder = await _world()
    for n in range(3):
        await vouch(await make_resident(f"a{n}"), "AMINA-2A", days_ago=2)
    burst = [
        await vouch(await make_resident(f"b{n}"), "DELE-3B", days_ago=1, moderation="flagged")
        for n in range(4)
    ]
    await Endorsement.update({Endorsement.flags: ["burst"]}).where(Endorsement.id.is_in(burst))
    hidden = await vouch(await make_resident("h"), "DELE-3B", days_ago=1, state="hidden")
    await Endorsement.update(
        {Endorsement.flags: ["link"], Endorsement.moderation: "reviewed"}
    ).where(Endorsement.id == hidden)
    await ModerationReport.insert(ModerationReport(endorsement=burst[0], reason="odd"))
    for n in range(2):
        await vouch(await make_resident(f"d{n}"), "DELE-3B", days_ago=3)
    round_id = await computed_round(pool)

    signal = await round_signal(round_id)
    assert signal is not None
    dele = next(o for o in signal.organisers if o.code == "DELE-3B")
    assert dele.held_back == {"flagged": 4, "hidden": 1}
    assert dele.flags == {"burst": 4, "link": 1, "reported": 1}
    amina = next(o for o in signal.organisers if o.code == "AMINA-2A")
    assert not amina.needs_a_look and [o.code for o in signal.flagged] == ["DELE-3B"]
    assert signal.held_back == 5

    await make_user(Role.FUNDER, funder_ids=(funder,))
    await client.login("funder@example.org")
    page = (await client.get(f"/rounds/{round_id}")).text
    assert "Of those 5: 5 new and 0 returning (0% returning)" in page
    assert "<dt>Held back by moderation</dt><dd>5 voices awaiting a moderator or hidden" in page
    table = re.search(r'id="signal-flags".*?</table>', page, re.S)
    assert table is not None
    assert "Dele Okafor" in table.group(0) and "Amina Hussein" not in table.group(0)
    assert "a burst: 15 or more new voices for this organiser within an hour: 4" in table.group(0)
    assert "reported by a reader: 1" in table.group(
        0
    ) and "a web link in the words: 1" in table.group(0)
    assert "4 awaiting moderation, 1 hidden" in table.group(0)
    # The round itself explains the same numbers.
    line = await rounds.round_report(round_id)
    dele_line = next(li for li in line.lines if li.organiser == "DELE-3B")
    assert dele_line.explanation["excluded"]["flagged"] == 4
    assert await organiser_id("DELE-3B")


async def test_a_clean_round_says_so(client: WebClient) -> None:
    pool, _ = await _world()
    for n in range(2):
        await vouch(await make_resident(f"a{n}"), "AMINA-2A", days_ago=2)
    round_id = await computed_round(pool)
    await make_user(Role.ADMIN)
    await client.login("admin@example.org")
    page = (await client.get(f"/rounds/{round_id}")).text
    assert 'id="signal-clear"' in page and "2 new and 0 returning" in page
    # Per pool: each round's new and returning voices beside its other figures.
    pool_page = (await client.get(f"/pools/{pool}")).text
    assert "Voices: new / returning" in pool_page
    assert re.search(r'<td class="num">2 / 0</td>', pool_page)
