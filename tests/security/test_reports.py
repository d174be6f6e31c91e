"""Issue #14, finding 1: anyone could silence an organiser's residents. A report flagged the
voice, flagged voices did not count, ids were sequential and 200 vs 404 told which existed.

Now a report only asks a moderator to look: the voice keeps counting until a moderator's
recorded decision hides it; reports reach only testimony the reporter can read, by a random
reference; one report per source per voice; moderators see report volume by source."""

from __future__ import annotations

import re

from litestar import Litestar

from groundswell.allocation import rounds
from groundswell.core.principal import Role
from groundswell.vouching.tables import Endorsement, ModerationReport
from tests.factories import computed_round, pool_in_a_place
from tests.helpers import WebClient, asgi_client, deposit, make_organiser, make_user, make_voice

REPORT_LINK = re.compile(r'action="/testimony/([^"/]+)/report"')


async def _organiser_with_voices(voices: int, **voice: object) -> tuple[int, list[int], int]:
    place = await pool_in_a_place(pool="Tees Fund", min_endorsers=2)
    await make_organiser(place.host, place.locality, "Amina Hussein", code="AMINA-2A")
    await deposit(place.pool, "1000.00")
    ids = [
        await make_voice("AMINA-2A", f"She fixed the lights on street {n}.", **voice)  # type: ignore[arg-type]
        for n in range(voices)
    ]
    return place.pool, ids, place.funder


async def _counted(pool: int) -> int:
    report = await rounds.round_report(await computed_round(pool))
    [line] = [li for li in report.lines if li.organiser == "AMINA-2A"]
    return int(line.endorsers)


async def test_ten_anonymous_reports_do_not_change_who_counts(
    client: WebClient, app: Litestar
) -> None:
    pool, _, _ = await _organiser_with_voices(14, show_public=True, show_funders=False)
    refs: list[str] = []
    url: str | None = "/organisers/AMINA-2A"
    while url and len(refs) < 10:  # a few words a page, "More words" for more
        page = (await client.get(url)).text
        refs += REPORT_LINK.findall(page)
        more = re.search(r'href="(/organisers/AMINA-2A\?words=[^"#]+)', page)
        url = more.group(1).replace("&amp;", "&") if more else None
    refs = refs[:10]
    assert len(set(refs)) == 10  # each carries its own random reference
    for ref in refs:
        answer = await client.submit(f"/testimony/{ref}/report", {"reason": "not true"})
        assert answer.status_code == 200
    assert await ModerationReport.count() == 10
    # Nothing about the voices changed: no flag, no state.
    rows = await Endorsement.select(Endorsement.moderation, Endorsement.state)
    assert {(r["moderation"], r["state"]) for r in rows} == {("clear", "active")}
    assert await _counted(pool) == 14

    # The moderator sees the ten reports and that one source sent them all.
    await make_user(Role.ADMIN)
    async with asgi_client(app, address="198.51.100.7") as admin:
        await admin.login("admin@example.org")
        queue = (await admin.get("/admin/moderation")).text
    assert "10 reported by readers and still counting" in queue
    table = re.search(r'id="report-sources-table".*?</table>', queue, re.S)
    assert table is not None
    assert re.search(r'<td class="num">10</td><td class="num">10</td>', table.group(0))
    assert "Reported: still shown and counted until you decide" in queue


async def test_only_a_moderators_decision_takes_a_reported_voice_out(
    client: WebClient, app: Litestar
) -> None:
    pool, _, _ = await _organiser_with_voices(3, show_public=True)
    ref = REPORT_LINK.findall((await client.get("/organisers/AMINA-2A")).text)[0]
    await client.submit(f"/testimony/{ref}/report", {"reason": "spam"})
    reported = await Endorsement.select(Endorsement.id).where(Endorsement.public_ref == ref).first()
    assert reported is not None
    await make_user(Role.ADMIN)
    async with asgi_client(app, address="198.51.100.7") as admin:
        await admin.login("admin@example.org")
        await admin.submit("/admin/moderation", {"ids": reported["id"], "action": "hide"})
    assert await _counted(pool) == 2
    assert await ModerationReport.count().where(ModerationReport.resolved_at.is_null()) == 0


async def test_one_report_per_source_per_voice(client: WebClient, app: Litestar) -> None:
    await _organiser_with_voices(1, show_public=True)
    [ref] = REPORT_LINK.findall((await client.get("/organisers/AMINA-2A")).text)
    for _ in range(3):
        assert (await client.submit(f"/testimony/{ref}/report", {"reason": "x"})).status_code == 200
    assert await ModerationReport.count() == 1
    async with asgi_client(app, address="203.0.113.9") as other:
        assert (await other.submit(f"/testimony/{ref}/report", {"reason": "y"})).status_code == 200
    sources = await ModerationReport.select(ModerationReport.source_hash)
    assert len(sources) == 2 and len({s["source_hash"] for s in sources}) == 2
    # Sources are keyed hashes, never the address.
    assert all("203.0.113" not in s["source_hash"] for s in sources)


async def test_enumeration_gets_nothing(client: WebClient, app: Litestar) -> None:
    _, ids, funder_id = await _organiser_with_voices(2, show_public=True)
    private = await make_voice("AMINA-2A", "Counted, shown to nobody.", consent=False)
    funders_only = await make_voice(
        "AMINA-2A", "For funders only.", show_public=False, show_funders=True
    )
    withdrawn = await make_voice("AMINA-2A", "Taken back.", state="withdrawn")
    held = await make_voice("AMINA-2A", "Held by a burst.", moderation="flagged")
    refs = {
        row["id"]: row["public_ref"]
        for row in await Endorsement.select(Endorsement.id, Endorsement.public_ref)
    }
    assert all(ref and len(ref) >= 22 for ref in refs.values())
    assert len(set(refs.values())) == len(refs)

    answers = []
    # Row ids (sequential, as before) and every reference the reader cannot see.
    for guess in [
        *[str(i) for i in sorted(refs)],  # (fewer than the 20 an hour one address may send)
        refs[private],
        refs[funders_only],
        refs[withdrawn],
        refs[held],
        "A" * 22,
        "not-a-reference",
    ]:
        answer = await client.submit(f"/testimony/{guess}/report", {"reason": "x"})
        answers.append((answer.status_code, answer.text))
    assert {status for status, _ in answers} == {404}
    assert len({text for _, text in answers}) == 1  # identical, whatever was guessed
    assert await ModerationReport.count() == 0

    # A signed-in funder reads funder-level words, so may report them.
    await make_user(Role.FUNDER, funder_ids=(funder_id,))
    async with asgi_client(app, address="198.51.100.8") as funder:
        await funder.login("funder@example.org")
        answer = await funder.submit(f"/testimony/{refs[funders_only]}/report", {"reason": "x"})
        assert answer.status_code == 200
        assert (
            await funder.submit(f"/testimony/{refs[private]}/report", {"reason": "x"})
        ).status_code == 404
    assert await ModerationReport.count() == 1
    assert ids


async def test_keeping_a_reported_voice_closes_its_reports_with_a_record(
    client: WebClient, app: Litestar
) -> None:
    from groundswell.core.tables import AuditEntry

    pool, _, _ = await _organiser_with_voices(3, show_public=True)
    ref = REPORT_LINK.findall((await client.get("/organisers/AMINA-2A")).text)[0]
    await client.submit(f"/testimony/{ref}/report", {"reason": "I just don't like it"})
    reported = await Endorsement.select(Endorsement.id).where(Endorsement.public_ref == ref).first()
    assert reported is not None
    await make_user(Role.ADMIN)
    async with asgi_client(app, address="198.51.100.7") as admin:
        await admin.login("admin@example.org")
        assert "Keep counting and close the reports" in (await admin.get("/admin/moderation")).text
        await admin.submit("/admin/moderation", {"ids": reported["id"], "action": "restore"})
        assert "Nothing is waiting." in (await admin.get("/admin/moderation")).text
    assert await _counted(pool) == 3
    actions = await AuditEntry.select(AuditEntry.action).where(
        (AuditEntry.subject_type == "endorsement") & (AuditEntry.subject_id == str(reported["id"]))
    )
    assert [a["action"] for a in actions] == ["testimony.restore"]
