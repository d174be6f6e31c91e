"""Net score per organiser and the pool's median organiser, from the database and on the
organiser and locality pages: counts only, never per resident, nothing below the threshold."""

from __future__ import annotations

import dataclasses
import logging
import re
import time
from datetime import date, timedelta
from typing import Any

import pytest

from groundswell.community.services import get_organiser
from groundswell.core.clock import now
from groundswell.listening import benchmark as benchmark_module
from groundswell.listening.benchmark import (
    figures_for,
    median_seconds_for,
    organiser_benchmark,
    pool_median,
    pools_covering,
)
from groundswell.settings import Environment
from groundswell.vouching.tables import Resident
from tests.helpers import (
    WebClient,
    make_funder,
    make_host,
    make_locality,
    make_organiser,
    make_pool,
    make_voice,
    organiser_id,
)


async def _place() -> tuple[int, int]:
    host, place = await make_host(), await make_locality("Pallister")
    await make_organiser(host, place, name="Amina Hussein", code="AMINA-7K")
    return host, place


async def test_figures_count_only_voices_that_count_one_per_resident(settings) -> None:  # type: ignore[no-untyped-def]
    await _place()
    for score, theme in ((10, "value"), (9, "value"), (9, "hope"), (7, "hope"), (3, "value")):
        await make_voice("AMINA-7K", theme=theme, score=score)
    await make_voice("AMINA-7K", theme="idea")  # a voice without an answer
    # None of these count: withdrawn, hidden, awaiting a moderator, unverified, too old.
    await make_voice("AMINA-7K", score=0, state="withdrawn")
    await make_voice("AMINA-7K", score=0, state="hidden")
    await make_voice("AMINA-7K", score=0, moderation="flagged")
    await make_voice("AMINA-7K", score=0, verification="unverified")
    await make_voice("AMINA-7K", score=0, at=now() - timedelta(days=200))
    amina = await organiser_id("AMINA-7K")
    figures = (await figures_for([amina], as_of=now(), window=timedelta(days=180), threshold=5))[
        amina
    ]
    assert figures.voices == 6
    assert figures.themes == {"value": 3, "hope": 2, "idea": 1}
    assert figures.shares == {"value": 50, "hope": 33, "idea": 17, "concern": 0}
    assert figures.net is not None
    assert figures.net.answers == 5 and figures.net.spread == (0, 0, 0, 1, 0, 0, 0, 1, 0, 2, 1)
    assert figures.net.net == 40  # 60% 9-10 minus 20% 0-6


async def test_below_the_threshold_there_is_no_score_anywhere(client: WebClient, settings) -> None:  # type: ignore[no-untyped-def]
    await _place()
    for score in (10, 10, 2, 9):
        await make_voice("AMINA-7K", score=score)
    amina = await organiser_id("AMINA-7K")
    figures = (await figures_for([amina], as_of=now(), window=timedelta(days=180), threshold=5))[
        amina
    ]
    assert figures.net is None and figures.voices == 4
    page = (await client.get("/organisers/AMINA-7K")).text
    assert "Fewer than 5 residents have answered" in page
    assert 'id="score-spread"' not in page and "Net score +" not in page


async def test_organiser_page_shows_spread_and_median_organiser(client: WebClient) -> None:
    host, place = await _place()
    other = await make_locality("Hulme")
    pool = await make_pool(await make_funder(), locality_ids=(place,))
    await make_organiser(host, place, name="Bea Jones", code="BEA-2B")
    await make_organiser(host, place, name="Cal Ode", code="CAL-2C")
    # Not eligible for this pool: another place, and a bursary year that runs on.
    await make_organiser(host, other, name="Dee Far", code="DEE-2D")
    await make_organiser(
        host, place, name="Eve New", code="EVE-2E", bursary_end=date.today() + timedelta(days=400)
    )
    for score in (10, 10, 9, 8, 2, 0):
        await make_voice("AMINA-7K", score=score, theme="hope")
    for score in (10, 10, 10, 10, 10):
        await make_voice("BEA-2B", score=score)
    await make_voice("CAL-2C", score=10)
    for _ in range(30):
        await make_voice("DEE-2D", score=0)
        await make_voice("EVE-2E", score=0)
    page = (await client.get("/organisers/AMINA-7K")).text
    assert "Net score +17</strong> from 6 residents" in page
    spread = re.search(r'id="score-spread".*?</table>', page, re.S)
    assert spread is not None
    assert re.findall(r'<td class="num">(\d+)</td>', spread.group(0)) == [
        "1", "0", "1", "0", "0", "0", "0", "0", "1", "1", "2"
    ]  # fmt: skip
    table = re.search(rf'id="benchmark-pool-{pool}".*?</table>', page, re.S)
    assert table is not None
    cells = re.findall(r'<td class="num"[^>]*>(.*?)</td>', table.group(0), re.S)
    clean = [re.sub(r"<[^>]+>", "", c).strip() for c in cells]
    # Amina: 6 voices, +17 from 6 answers, all "A hope"; median of the 3 eligible organisers
    # (Amina, Bea, Cal): voices 5, net +59 (the median of Amina's +17 and Bea's +100; Cal has
    # one answer).
    assert clean[:6] == ["6", "+17 from 6 answers", "0%", "0%", "100%", "0%"]
    assert clean[6:] == ["5", "+59 from 2 organisers", "100%", "0%", "0%", "0%"]
    assert "median of the 3 organisers" in page
    # The explanation sits before the sideways-scrolling box, so it wraps on a phone; the
    # columns say their windows.
    scrollers = re.findall(r'<div class="table-scroll".*?</div>', page, re.S)
    assert scrollers and not any("median of the" in box for box in scrollers)
    assert "Voices,<br>last 180 days" in table.group(0)
    assert "Net score,<br>last 180 days" in table.group(0)


async def test_locality_page_lists_organisers_beside_the_median(client: WebClient) -> None:
    host, place = await _place()
    pool = await make_pool(await make_funder(), name="Tees Fund")
    for score in (9, 9, 9, 9, 9):
        await make_voice("AMINA-7K", score=score)
    await make_organiser(host, place, name="Gone Gary", code="GONE-2G", status="left")
    page = (await client.get(f"/localities/{place}")).text
    table = re.search(rf'id="benchmark-pool-{pool}".*?</table>', page, re.S)
    assert table is not None
    assert '<a href="/organisers/AMINA-7K">Amina Hussein</a>' in table.group(0)
    assert "Gone Gary" not in table.group(0)
    assert "+100" in table.group(0) and "Median organiser" in table.group(0)


async def test_every_net_score_on_a_page_comes_from_the_same_answers(client: WebClient) -> None:
    """A pool with a 90-day window must not show a net score made of fewer answers than the
    180-day one beside it: the difference would be one resident's answer."""
    _, place = await _place()
    pool = await make_pool(await make_funder(), locality_ids=(place,), window_days=90)
    for score in (10, 10, 10, 10, 10):
        await make_voice("AMINA-7K", score=score)
    await make_voice("AMINA-7K", score=0, at=now() - timedelta(days=120))
    page = (await client.get("/organisers/AMINA-7K")).text
    assert "Net score +67</strong> from 6 residents" in page
    table = re.search(rf'id="benchmark-pool-{pool}".*?</table>', page, re.S)
    assert table is not None
    cells = [
        re.sub(r"<[^>]+>", "", c).strip()
        for c in re.findall(r'<td class="num"[^>]*>(.*?)</td>', table.group(0), re.S)
    ]
    assert cells[0] == "5"  # voices in the pool's 90 days
    assert cells[1] == "+67 from 6 answers"  # the same answers as above, not +100 from 5


def _leaves(value: object, path: str = "") -> list[tuple[str, object]]:
    """Every (field path, value) in a result made of dataclasses, dicts, lists and scalars."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return [
            leaf
            for f in dataclasses.fields(value)
            for leaf in _leaves(getattr(value, f.name), f"{path}.{f.name}")
        ]
    if isinstance(value, dict):
        return [leaf for k, v in value.items() for leaf in _leaves(v, f"{path}[{k}]")]
    if isinstance(value, (list, tuple)):
        return [leaf for i, v in enumerate(value) for leaf in _leaves(v, f"{path}[{i}]")]
    return [(path, value)]


async def test_nothing_returned_names_a_resident(settings) -> None:  # type: ignore[no-untyped-def]
    await _place()
    await make_pool(await make_funder())
    for score in (10, 9, 8, 7, 6):
        await make_voice("AMINA-7K", score=score)
    hashes = {row["voice_hash"] for row in await Resident.select(Resident.voice_hash)}
    organiser = await get_organiser("AMINA-7K")
    result = await organiser_benchmark(organiser, threshold=5)
    leaves = _leaves(result)
    assert result.own is not None and result.own.net is not None
    # Only the organiser (shown on the page anyway), counts, percentages and labels.
    for path, value in leaves:
        assert "resident" not in path and "voice" not in path.replace(".voices", "")
        assert value not in hashes
        public = (".pools[0].subjects[0].organiser[", ".pools[0].pool_name")
        assert path.startswith(public) or not isinstance(value, str), path
    assert sum(result.own.net.spread) == 5


async def _pool_of_amina_with_one_voice_and_bea_with_none() -> dict[str, Any]:
    host, place = await _place()
    pool_id = await make_pool(await make_funder(), locality_ids=(place,))
    await make_organiser(host, place, name="Bea Jones", code="BEA-2B")
    await make_voice("AMINA-7K")
    [pool] = [p for p in await pools_covering(place) if p["id"] == pool_id]
    return pool


async def test_a_pools_median_is_reused_for_its_time_then_counted_again(
    settings,  # type: ignore[no-untyped-def]
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(benchmark_module, "_MEDIANS", {})
    pool = await _pool_of_amina_with_one_voice_and_bea_with_none()
    moment = now()
    first = await pool_median(pool, as_of=moment, threshold=5, median_seconds=60)
    assert first.voices == 0.5  # Amina 1, Bea 0
    await make_voice("BEA-2B")
    await make_voice("BEA-2B")
    # Within its time the same median is shown; counted afresh when asked not to reuse it.
    assert await pool_median(pool, as_of=now(), threshold=5, median_seconds=60) == first
    fresh = await pool_median(pool, as_of=now(), threshold=5, median_seconds=0)
    assert fresh.voices == 1.5
    # Pages in the test environment never reuse it; elsewhere for the configured time.
    assert median_seconds_for(settings) == 0
    production_like = dataclasses.replace(settings, env=Environment.DEVELOPMENT)
    assert median_seconds_for(production_like) == settings.listening_median_seconds == 300


async def test_a_median_past_its_time_is_shown_while_one_recount_runs(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(benchmark_module, "_MEDIANS", {})
    pool = await _pool_of_amina_with_one_voice_and_bea_with_none()

    async def median():  # type: ignore[no-untyped-def]
        return await pool_median(pool, as_of=now(), threshold=5, median_seconds=60)

    first = await median()
    await make_voice("BEA-2B")
    await make_voice("BEA-2B")
    (entry,) = benchmark_module._MEDIANS.values()
    entry.until = time.monotonic() - 1  # its time is up

    # The reader is not kept waiting: the last median now, one recount behind it.
    assert await median() == first
    recount = entry.refreshing
    assert recount is not None
    assert await median() == first and entry.refreshing is recount
    await recount
    assert (await median()).voices == 1.5

    # A recount that fails leaves the last median in place and lets the next reader retry.
    (entry,) = benchmark_module._MEDIANS.values()
    entry.until = time.monotonic() - 1
    counted = benchmark_module._count_median

    async def broken(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise ConnectionError("database went away")

    monkeypatch.setattr(benchmark_module, "_count_median", broken)
    with caplog.at_level(logging.ERROR, logger="groundswell.listening.benchmark"):
        assert (await median()).voices == 1.5
        assert entry.refreshing is not None
        await entry.refreshing
    assert entry.refreshing is None and "Recounting the median organiser" in caplog.text
    monkeypatch.setattr(benchmark_module, "_count_median", counted)

    # After a quiet spell far past its time, the reader waits for a fresh count.
    await make_voice("AMINA-7K")
    entry.until = time.monotonic() - 60 * benchmark_module.STALE_FACTOR
    assert (await median()).voices == 2.0
