"""Organiser lifecycle (issue #16): who may change an organiser, the state rules, the check
page, the audit history, and what the public sees."""

from __future__ import annotations

from datetime import timedelta

from groundswell.community import lifecycle, moves
from groundswell.community.tables import Organiser
from groundswell.core.clock import today
from groundswell.core.principal import Role
from groundswell.core.tables import AuditEntry
from tests.helpers import (
    WebClient,
    field_error,
    make_funder,
    make_host,
    make_locality,
    make_organiser,
    make_user,
)


async def _organiser(code: str) -> dict:
    row = (
        await Organiser.select(
            Organiser.id,
            Organiser.name,
            Organiser.bio,
            Organiser.status,
            Organiser.host,
            Organiser.bursary_start,
            Organiser.bursary_end,
            Organiser.locality,
        )
        .where(Organiser.code == code)
        .first()
    )
    assert row is not None
    return row


async def _audits(organiser_id: int) -> list[str]:
    rows = await AuditEntry.select(AuditEntry.action).where(
        (AuditEntry.subject_type == "organiser") & (AuditEntry.subject_id == str(organiser_id))
    )
    return [row["action"] for row in rows]


# --- attacks -----------------------------------------------------------------------------


async def test_a_host_cannot_edit_another_hosts_organiser(client: WebClient) -> None:
    mine, theirs, place = await make_host("Mine"), await make_host("Theirs"), await make_locality()
    code = await make_organiser(theirs, place, "Amina Hussein")
    await client.login(await make_user(Role.HOST, host_ids=(mine,)))
    assert (await client.get(f"/organisers/{code}/manage")).status_code == 403
    response = await client.submit(f"/organisers/{code}/details", {"name": "Hijacked", "bio": ""})
    assert response.status_code == 403
    assert (await _organiser(code))["name"] == "Amina Hussein"
    assert await _audits((await _organiser(code))["id"]) == []


async def test_a_host_cannot_change_its_own_organisers_dates_status_host_or_place(
    client: WebClient,
) -> None:
    mine, other, place, elsewhere = (
        await make_host("Mine"),
        await make_host("Other"),
        await make_locality("Pallister"),
        await make_locality("Thorntree"),
    )
    code = await make_organiser(mine, place, "Amina Hussein")
    before = await _organiser(code)
    await client.login(await make_user(Role.HOST, host_ids=(mine,)))
    attempts = {
        "dates": {"bursary_start": "2020-01-01", "bursary_end": "2020-06-01", "reason": "x"},
        "pause": {},
        "unpause": {},
        "end": {},
        "move": {"host_id": str(other), "moved_on": today().isoformat()},
    }
    for action, data in attempts.items():
        for confirmed in ({}, {"confirmed": "yes"}):
            response = await client.submit(f"/organisers/{code}/{action}", {**data, **confirmed})
            assert response.status_code == 403, (action, response.status_code)
    # The details form cannot carry a new place for a host either.
    response = await client.submit(
        f"/organisers/{code}/details",
        {"name": "Amina Hussein", "bio": "", "locality_id": str(elsewhere), "confirmed": "yes"},
    )
    assert response.status_code == 403
    assert await _organiser(code) == before
    assert await _audits(before["id"]) == []


async def test_a_host_edits_its_own_organisers_public_details(client: WebClient) -> None:
    mine, place = await make_host("Mine"), await make_locality()
    code = await make_organiser(mine, place, "Amina Hussein")
    await client.login(await make_user(Role.HOST, host_ids=(mine,)))
    response = await client.submit(
        f"/organisers/{code}/details", {"name": "Amina Hussain", "bio": "Runs the food bank."}
    )
    assert response.status_code in (302, 303), response.text[-800:]
    assert response.headers["location"].endswith("/manage?done=details")
    row = await _organiser(code)
    assert (row["name"], row["bio"]) == ("Amina Hussain", "Runs the food bank.")
    page = await client.get(f"/organisers/{code}/manage?done=details")
    assert "The organiser&#39;s details are saved." in page.text or "details are saved" in page.text
    assert "Changed name from Amina Hussein to Amina Hussain" in page.text
    # A second identical submit changes nothing and writes no second audit entry.
    again = await client.submit(
        f"/organisers/{code}/details", {"name": "Amina Hussain", "bio": "Runs the food bank."}
    )
    assert again.headers["location"].endswith("done=unchanged")
    assert (await _audits(row["id"])).count("organiser.details") == 1


async def test_anonymous_and_funders_cannot_manage(client: WebClient) -> None:
    host, place = await make_host(), await make_locality()
    code = await make_organiser(host, place)
    response = await client.submit(f"/organisers/{code}/pause", {"confirmed": "yes"})
    assert response.status_code in (302, 303) and response.headers["location"].startswith("/login")
    await client.login(await make_user(Role.FUNDER, funder_ids=(await make_funder(),)))
    assert (await client.get(f"/organisers/{code}/manage")).status_code == 403
    assert (await client.submit(f"/organisers/{code}/end", {"confirmed": "yes"})).status_code == 403
    assert (await _organiser(code))["status"] == "active"


# --- state rules -------------------------------------------------------------------------


async def test_staff_pause_asks_to_check_then_pauses_once(client: WebClient) -> None:
    host, place = await make_host(), await make_locality()
    code = await make_organiser(host, place, "Amina Hussein")
    await client.login(await make_user(Role.ADMIN))
    check = await client.submit(f"/organisers/{code}/pause", {"pause_reason": "On leave"})
    assert check.status_code == 200 and "Check before you pause" in check.text
    assert (await _organiser(code))["status"] == "active"  # the check page writes nothing
    done = await client.submit(
        f"/organisers/{code}/pause", {"reason": "On leave", "confirmed": "yes"}
    )
    assert done.status_code in (302, 303) and done.headers["location"].endswith("done=pause")
    row = await _organiser(code)
    assert row["status"] == "paused"
    # Double submit: nothing more happens.
    again = await client.submit(
        f"/organisers/{code}/pause", {"reason": "On leave", "confirmed": "yes"}
    )
    assert again.headers["location"].endswith("done=unchanged")
    assert (await _audits(row["id"])).count("organiser.pause") == 1
    manage = await client.get(f"/organisers/{code}/manage")
    assert "Paused: left out of funding rounds" in manage.text and "On leave" in manage.text
    public = await client.get(f"/organisers/{code}")
    assert "is paused" in public.text and "You can still vouch" in public.text
    directory = await client.get("/organisers")
    assert "Paused" in directory.text
    await client.submit(f"/organisers/{code}/unpause", {"confirmed": "yes"})
    assert (await _organiser(code))["status"] == "active"


async def test_ended_organiser_cannot_be_unpaused_moved_or_paused(client: WebClient) -> None:
    host, other, place = await make_host("A"), await make_host("B"), await make_locality()
    code = await make_organiser(host, place, "Amina Hussein")
    await client.login(await make_user(Role.ADMIN))
    await client.submit(f"/organisers/{code}/end", {"reason": "Moved away", "confirmed": "yes"})
    assert (await _organiser(code))["status"] == "left"
    for action, data in (
        ("unpause", {}),
        ("pause", {}),
        ("move", {"host_id": str(other), "moved_on": today().isoformat()}),
    ):
        response = await client.submit(f"/organisers/{code}/{action}", {**data, "confirmed": "yes"})
        assert response.status_code == 409, (action, response.status_code)
        assert "has left the role" in response.text
    row = await _organiser(code)
    assert row["status"] == "left" and row["host"] == host
    public = await client.get(f"/organisers/{code}")
    assert "has left the organiser role" in public.text
    assert f'href="/vouch/{code}"' not in public.text


async def test_move_to_another_host_from_a_date(client: WebClient) -> None:
    first, second, place = (
        await make_host("First CA"),
        await make_host("Second CA"),
        await make_locality(),
    )
    code = await make_organiser(first, place, "Amina Hussein")
    await client.login(await make_user(Role.ADMIN))
    far = await client.submit(
        f"/organisers/{code}/move",
        {"host_id": str(second), "moved_on": (today() + timedelta(days=400)).isoformat()},
    )
    assert far.status_code == 422
    assert "at most a year ahead" in (field_error(far.text, "moved_on") or "")
    moved_on = (today() - timedelta(days=3)).isoformat()
    check = await client.submit(
        f"/organisers/{code}/move", {"host_id": str(second), "moved_on": moved_on}
    )
    assert check.status_code == 200 and "First CA" in check.text and "Second CA" in check.text
    assert (await _organiser(code))["host"] == first
    done = await client.submit(
        f"/organisers/{code}/move",
        {"host_id": str(second), "moved_on": moved_on, "confirmed": "yes"},
    )
    assert done.status_code in (302, 303)
    assert (await _organiser(code))["host"] == second
    page = await client.get(f"/organisers/{code}/manage")
    assert "First CA" in page.text and "Second CA" in page.text
    assert "Moved from First CA to Second CA" in page.text
    # The old host's members lose the organiser; the new host's gain them.
    hostings = await moves.hostings(
        {"id": (await _organiser(code))["id"], "host_name": "Second CA"}
    )
    assert [(h.host, h.until is None) for h in hostings] == [
        ("First CA", False),
        ("Second CA", True),
    ]
    # An earlier date than the last move is refused.
    back = await client.submit(
        f"/organisers/{code}/move",
        {
            "host_id": str(first),
            "moved_on": (today() - timedelta(days=10)).isoformat(),
            "confirmed": "yes",
        },
    )
    assert back.status_code == 422 and (await _organiser(code))["host"] == second


async def test_a_former_host_loses_the_organiser_after_a_move(client: WebClient) -> None:
    first, second, place = (
        await make_host("First"),
        await make_host("Second"),
        await make_locality(),
    )
    code = await make_organiser(first, place)
    await moves.move_host(_admin(), code, {"host_id": str(second), "moved_on": today().isoformat()})
    await client.login(await make_user(Role.HOST, host_ids=(first,)))
    assert (await client.get(f"/organisers/{code}/manage")).status_code == 403
    response = await client.submit(f"/organisers/{code}/details", {"name": "X", "bio": ""})
    assert response.status_code == 403


async def test_correcting_dates_needs_a_reason_and_staff(client: WebClient) -> None:
    host, place = await make_host(), await make_locality()
    code = await make_organiser(host, place)
    await client.login(await make_user(Role.ADMIN))
    missing = await client.submit(
        f"/organisers/{code}/dates",
        {"bursary_start": "2025-01-01", "bursary_end": "2025-12-31", "confirmed": "yes"},
    )
    assert missing.status_code == 422
    assert field_error(missing.text, "reason") == "Say why the dates are being corrected."
    backwards = await client.submit(
        f"/organisers/{code}/dates",
        {"bursary_start": "2025-12-31", "bursary_end": "2025-01-01", "reason": "typo"},
    )
    assert field_error(backwards.text, "bursary_end") == "The bursary ends after it starts."
    done = await client.submit(
        f"/organisers/{code}/dates",
        {
            "bursary_start": "2025-01-01",
            "bursary_end": "2025-12-31",
            "reason": "The grant letter says January",
            "confirmed": "yes",
        },
    )
    assert done.status_code in (302, 303)
    row = await _organiser(code)
    assert row["bursary_start"].isoformat() == "2025-01-01"
    page = await client.get(f"/organisers/{code}/manage")
    assert "The grant letter says January" in page.text and "Bursary year corrected" in page.text


async def test_garbage_input_is_a_clear_error_not_a_500(client: WebClient) -> None:
    host, place = await make_host(), await make_locality()
    code = await make_organiser(host, place)
    await client.login(await make_user(Role.ADMIN))
    for action, data in (
        ("move", {"host_id": "abc", "moved_on": "yesterday"}),
        ("move", {"host_id": "999999", "moved_on": today().isoformat()}),
        ("dates", {"bursary_start": "0001-01-01", "bursary_end": "x", "reason": "r"}),
        ("details", {"name": "", "locality_id": "nope"}),
        ("pause", {"pause_reason": "x" * 600}),
    ):
        response = await client.submit(f"/organisers/{code}/{action}", {**data, "confirmed": "yes"})
        assert response.status_code == 422, (action, response.status_code, response.text[-500:])
    assert (await client.get("/organisers/NOPE-2A/manage")).status_code == 404
    row = await _organiser(code)
    assert row["status"] == "active" and await _audits(row["id"]) == []


def _admin():  # type: ignore[no-untyped-def]
    from groundswell.core.principal import Principal

    return Principal(user_id=None, email="", name="", role=Role.ADMIN)  # type: ignore[arg-type]


# --- rounds ------------------------------------------------------------------------------


async def test_rounds_skip_paused_and_left_organisers_and_say_why(client: WebClient) -> None:
    from groundswell.allocation import rounds
    from groundswell.ledger_check import check_ledger
    from tests.factories import pool_in_a_place, vouched_organiser
    from tests.helpers import deposit

    place = await pool_in_a_place()
    kept = await vouched_organiser(place.host, place.locality, "Kept Going", 6)
    paused = await vouched_organiser(place.host, place.locality, "Paused Person", 6)
    left = await vouched_organiser(place.host, place.locality, "Left Person", 6)
    await lifecycle.change_status(_admin(), paused, "pause", {"reason": "On leave"})
    await lifecycle.change_status(_admin(), left, "end", {})
    await deposit(place.pool, "1000.00")

    dry = (await rounds.compute_round(place.pool, dry_run=True)).report
    assert [line.organiser for line in dry.lines] == [kept]
    assert {s["code"]: s["status"] for s in dry.skipped} == {paused: "paused", left: "left"}

    computed = await rounds.compute_round(place.pool)
    round_id = computed.report.round_id
    assert round_id is not None
    stored = await rounds.round_report(round_id)
    assert [line.organiser for line in stored.lines] == [kept]
    reasons = {s["code"]: s["reason"] for s in stored.skipped}
    assert reasons[paused].startswith("Paused by programme staff on ")
    assert reasons[left].startswith("Left the organiser role on ")
    assert (await rounds.get_round(round_id))["candidates"] == 1
    assert (await check_ledger()).ok

    await client.login(await make_user(Role.ADMIN))
    page = await client.get(f"/rounds/{round_id}")
    assert page.status_code == 200 and "Left out of this round" in page.text
    assert "Paused by programme staff on" in page.text


async def test_a_move_pays_the_new_host_in_rounds_computed_after_it(client: WebClient) -> None:
    from groundswell.allocation import rounds
    from groundswell.allocation.tables import Allocation
    from tests.factories import pool_in_a_place, vouched_organiser
    from tests.helpers import deposit

    place = await pool_in_a_place()
    new_host = await make_host("New Host CA")
    code = await vouched_organiser(place.host, place.locality, "Moving Person", 6)
    await moves.move_host(
        _admin(), code, {"host_id": str(new_host), "moved_on": today().isoformat()}
    )
    await deposit(place.pool, "1000.00")
    round_id = (await rounds.compute_round(place.pool)).report.round_id
    lines = await Allocation.select(Allocation.host, Allocation.amount).where(
        Allocation.round == round_id
    )
    assert [(line["host"], line["amount"] > 0) for line in lines] == [(new_host, True)]


async def test_two_pauses_at_once_write_one_change() -> None:
    import asyncio

    host, place = await make_host(), await make_locality()
    code = await make_organiser(host, place)
    results = await asyncio.gather(
        *(lifecycle.change_status(_admin(), code, "pause", {"reason": "r"}) for _ in range(3))
    )
    assert sum(plan.applied for plan in results) == 1
    assert (await _audits((await _organiser(code))["id"])).count("organiser.pause") == 1
