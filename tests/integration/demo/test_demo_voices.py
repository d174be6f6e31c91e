"""The demo's residents and testimony, and the large demo's bulk loader (scaled down)."""

from __future__ import annotations

import io

from groundswell.community.codes import is_valid_code
from groundswell.community.tables import HostOrganisation, Locality, Organiser
from groundswell.demo.bulk import Progress
from groundswell.demo.large import LargeScale
from groundswell.demo.loader import load_demo
from groundswell.demo.residents import SMALL_VOICES
from groundswell.demo.testimony import OrganiserSeed, voice_row
from groundswell.listening.feed import FeedFilters, published_feed
from groundswell.settings import load_settings
from groundswell.vouching.redact import redact
from groundswell.vouching.tables import Endorsement, Resident
from tests.helpers import make_host, make_locality, make_organiser, make_voice


class Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


async def test_small_demo_has_voices_and_large_adds_bulk_data_once() -> None:
    quiet = Progress(io.StringIO())
    report = await load_demo(progress=quiet)
    # The listening testimony, plus the voices spread over past months for the demo rounds.
    small = await Endorsement.count()
    small_residents = await Resident.count()
    assert report.created and small > SMALL_VOICES
    page, _ = await published_feed(FeedFilters())
    assert len(page) == 20
    large = LargeScale(organisers=300, testimonies=3_000, localities=40, hosts=30)
    bar = Tty()
    report = await load_demo(scale="large", large=large, progress=Progress(bar))
    assert report.created and "Testimonies" in bar.getvalue() and "100.0%" in bar.getvalue()
    assert await Organiser.count() == 40 + 300
    assert await Locality.count() == 10 + 40 and await HostOrganisation.count() == 12 + 30
    assert await Endorsement.count() == small + 3_000
    codes = [row["code"] for row in await Organiser.select(Organiser.code)]
    assert len(set(codes)) == len(codes) and all(is_valid_code(code) for code in codes)
    # Full-text search sees the bulk rows (SQLite triggers, PostgreSQL generated column).
    found, _ = await published_feed(FeedFilters(search="allotments"))
    assert found and all("allotments" in item["testimony"] for item in found)
    # The ORM carries on after the explicit ids (sequences moved on PostgreSQL).
    host, place = await make_host("After Bulk"), await make_locality("After Bulk")
    await make_organiser(host, place, name="Zed Zephyr", code="ZED-9Z")
    await make_voice("ZED-9Z", "Written after the bulk load.")
    assert await Resident.count() == small_residents + large.residents + 1
    again = await load_demo(scale="large", large=large, progress=quiet)
    assert not again.created and await Endorsement.count() == small + 3_001
    assert load_settings().database_url  # the loader used the configured database


def test_demo_words_have_nothing_to_redact() -> None:
    import random

    from groundswell.core.clock import now

    rng = random.Random(1)
    seed = OrganiserSeed(id=1, first_name="Amina", since=now().date(), weight=1, shape=1)
    for n in range(500):
        row = voice_row(rng, endorsement_id=n, resident_id=n, organiser=seed, moment=now())
        testimony, search_text = row[3], row[4]
        assert redact(testimony) == testimony and search_text.startswith(testimony)


def test_progress_is_one_line_per_stage_when_not_a_terminal() -> None:
    stream = io.StringIO()
    progress = Progress(stream)
    progress.start("Testimonies", 1_000_000)
    progress.advance(500_000)
    progress.finish()
    assert stream.getvalue() == "Testimonies: 1,000,000…\n"
