"""The organiser lifecycle through the API (issue #16): the same rules as the manage page.
A host adds organisers and edits its own organisers' public details, never their dates;
programme staff set and correct dates (with a reason), pause, end and move; every change is
audited; refusals are problem JSON and write nothing."""

from __future__ import annotations

from datetime import date, timedelta

from groundswell.accounts.tokens import create_api_token
from groundswell.community.tables import Organiser
from groundswell.core.clock import today
from groundswell.core.principal import Role
from tests.helpers import (
    WebClient,
    make_funder,
    make_host,
    make_locality,
    make_organiser,
    make_user,
)
from tests.integration.community.test_organiser_lifecycle import _audits, _organiser


def bearer(token: str) -> dict[str, str]:
    return {"authorization": f"Bearer {token}"}


async def _token(role: Role, email: str, **ids: tuple[int, ...]) -> dict[str, str]:
    return bearer(await create_api_token(await make_user(role, email, **ids)))


def _problem(response, status: int) -> dict:  # type: ignore[no-untyped-def]
    assert response.status_code == status, (response.status_code, response.text[-600:])
    assert response.headers["content-type"].startswith("application/problem+json")
    body: dict = response.json()
    assert body["status"] == status and body["detail"]
    return body


# --- attacks -----------------------------------------------------------------------------


async def test_a_host_cannot_create_an_organiser_with_dates_of_its_choosing(
    client: WebClient,
) -> None:
    host, place = await make_host(), await make_locality()
    headers = await _token(Role.HOST, "host@example.org", host_ids=(host,))
    response = await client.post(
        "/api/v1/organisers",
        json={
            "name": "Dele Okafor",
            "host_id": host,
            "locality_id": place,
            # An ended bursary year would make Dele a candidate for the next round at once.
            "bursary_start": "2024-01-01",
            "bursary_end": "2024-12-31",
        },
        headers=headers,
    )
    body = _problem(response, 403)
    assert "programme staff" in body["detail"]
    assert await Organiser.count() == 0


async def test_a_host_adds_an_organiser_whose_bursary_year_starts_today(
    client: WebClient,
) -> None:
    host, place = await make_host(), await make_locality()
    headers = await _token(Role.HOST, "host@example.org", host_ids=(host,))
    response = await client.post(
        "/api/v1/organisers",
        json={"name": "Dele Okafor", "host_id": host, "locality_id": place},
        headers=headers,
    )
    assert response.status_code == 201, response.text
    row = await _organiser(response.json()["code"])
    start = today()
    assert row["bursary_start"] == start
    assert row["bursary_end"] == date(start.year + 1, start.month, start.day) - timedelta(days=1)
    assert await _audits(row["id"]) == ["organiser.create"]


async def test_staff_must_give_dates_when_adding_an_organiser(client: WebClient) -> None:
    host, place = await make_host(), await make_locality()
    headers = await _token(Role.ADMIN, "admin@example.org")
    missing = await client.post(
        "/api/v1/organisers",
        json={"name": "Dele Okafor", "host_id": host, "locality_id": place},
        headers=headers,
    )
    assert _problem(missing, 422)["errors"]["bursary_start"]
    given = await client.post(
        "/api/v1/organisers",
        json={
            "name": "Dele Okafor",
            "host_id": host,
            "locality_id": place,
            "bursary_start": "2025-01-01",
            "bursary_end": "2025-12-31",
        },
        headers=headers,
    )
    assert given.status_code == 201
    assert (await _organiser(given.json()["code"]))["bursary_end"] == date(2025, 12, 31)


async def test_a_host_cannot_patch_its_own_organisers_dates(client: WebClient) -> None:
    host, place = await make_host(), await make_locality()
    code = await make_organiser(host, place, "Amina Hussein")
    before = await _organiser(code)
    headers = await _token(Role.HOST, "host@example.org", host_ids=(host,))
    for body in (
        {"bursary_end": "2020-01-01", "reason": "she asked"},
        {"name": "Amina H", "bursary_start": "2020-01-01"},
    ):
        _problem(await client.patch(f"/api/v1/organisers/{code}", json=body, headers=headers), 403)
    _problem(
        await client.post(
            f"/api/v1/organisers/{code}/dates",
            json={"bursary_start": "2020-01-01", "bursary_end": "2020-06-01", "reason": "x"},
            headers=headers,
        ),
        403,
    )
    assert await _organiser(code) == before
    assert await _audits(before["id"]) == []


async def test_a_host_cannot_pause_end_or_move_its_own_organiser(client: WebClient) -> None:
    host, other, place = await make_host("Mine"), await make_host("Other"), await make_locality()
    code = await make_organiser(host, place, "Amina Hussein")
    before = await _organiser(code)
    headers = await _token(Role.HOST, "host@example.org", host_ids=(host,))
    for action, body in (
        ("pause", {"reason": "x"}),
        ("unpause", {}),
        ("end", {}),
        ("move", {"host_id": other, "moved_on": today().isoformat()}),
    ):
        response = await client.post(
            f"/api/v1/organisers/{code}/{action}", json=body, headers=headers
        )
        _problem(response, 403)
    _problem(
        await client.patch(
            f"/api/v1/organisers/{code}", json={"locality_id": place + 1000}, headers=headers
        ),
        403,
    )
    assert await _organiser(code) == before
    assert await _audits(before["id"]) == []


async def test_a_host_cannot_touch_another_hosts_organiser(client: WebClient) -> None:
    mine, theirs, place = await make_host("Mine"), await make_host("Theirs"), await make_locality()
    code = await make_organiser(theirs, place, "Amina Hussein")
    before = await _organiser(code)
    headers = await _token(Role.HOST, "host@example.org", host_ids=(mine,))
    body = _problem(
        await client.patch(
            f"/api/v1/organisers/{code}", json={"name": "Hijacked"}, headers=headers
        ),
        403,
    )
    assert "your own host" in body["detail"]
    # Refused before the body is read: another host learns nothing about its fields.
    _problem(
        await client.patch(f"/api/v1/organisers/{code}", json={"name": ""}, headers=headers),
        403,
    )
    _problem(await client.get(f"/api/v1/organisers/{code}/history", headers=headers), 403)
    assert await _organiser(code) == before
    assert await _audits(before["id"]) == []


async def test_anonymous_and_funders_cannot_change_organisers(client: WebClient) -> None:
    host, place = await make_host(), await make_locality()
    code = await make_organiser(host, place)
    assert (await client.patch(f"/api/v1/organisers/{code}", json={"name": "X"})).status_code == 401
    headers = await _token(Role.FUNDER, "funder@example.org", funder_ids=(await make_funder(),))
    _problem(
        await client.patch(f"/api/v1/organisers/{code}", json={"name": "X"}, headers=headers), 403
    )
    _problem(await client.post(f"/api/v1/organisers/{code}/end", json={}, headers=headers), 403)
    assert (await _organiser(code))["status"] == "active"


# --- what hosts and staff may do ---------------------------------------------------------


async def test_a_host_edits_its_own_organisers_public_details(client: WebClient) -> None:
    host, place = await make_host(), await make_locality()
    code = await make_organiser(host, place, "Amina Hussein")
    headers = await _token(Role.HOST, "host@example.org", host_ids=(host,))
    response = await client.patch(
        f"/api/v1/organisers/{code}", json={"bio": "Runs the food bank."}, headers=headers
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["applied"] is True
    assert body["changes"] == [
        {"what": "About their work", "before": "(none)", "after": "Runs the food bank."}
    ]
    assert body["organiser"]["name"] == "Amina Hussein"
    row = await _organiser(code)
    assert row["bio"] == "Runs the food bank."
    again = await client.patch(
        f"/api/v1/organisers/{code}", json={"bio": "Runs the food bank."}, headers=headers
    )
    assert again.json()["applied"] is False and again.json()["changes"] == []
    assert await _audits(row["id"]) == ["organiser.details"]
    history = await client.get(f"/api/v1/organisers/{code}/history", headers=headers)
    assert [e["what"] for e in history.json()] == ["Changed the words about their work"]


async def test_staff_correct_dates_with_a_reason_pause_end_and_move(client: WebClient) -> None:
    host, other, place = await make_host("First"), await make_host("Second"), await make_locality()
    code = await make_organiser(host, place, "Amina Hussein")
    row = await _organiser(code)
    headers = await _token(Role.ADMIN, "admin@example.org")
    no_reason = await client.post(
        f"/api/v1/organisers/{code}/dates",
        json={"bursary_start": "2025-02-01", "bursary_end": "2026-01-31"},
        headers=headers,
    )
    assert _problem(no_reason, 422)["errors"]["reason"]
    dates = await client.post(
        f"/api/v1/organisers/{code}/dates",
        json={"bursary_start": "2025-02-01", "bursary_end": "2026-01-31", "reason": "Typo"},
        headers=headers,
    )
    assert dates.status_code == 200 and dates.json()["applied"] is True
    assert dates.json()["organiser"]["bursary_end"] == "2026-01-31"
    patched = await client.patch(
        f"/api/v1/organisers/{code}",
        json={"bursary_end": "2026-02-28", "reason": "Extended"},
        headers=headers,
    )
    assert patched.status_code == 200 and patched.json()["applied"] is True
    assert (await _organiser(code))["bursary_end"] == date(2026, 2, 28)
    paused = await client.post(
        f"/api/v1/organisers/{code}/pause", json={"reason": "On leave"}, headers=headers
    )
    assert paused.json()["organiser"]["status"] == "paused"
    assert paused.json()["organiser"]["status_since"]
    moved_on = today() - timedelta(days=2)
    moved = await client.post(
        f"/api/v1/organisers/{code}/move",
        json={"host_id": other, "moved_on": moved_on.isoformat(), "reason": "New employer"},
        headers=headers,
    )
    assert moved.status_code == 200, moved.text
    detail = (await client.get(f"/api/v1/organisers/{code}")).json()
    assert detail["host"] == "Second" and detail["status"] == "paused"
    assert detail["hosts"] == [
        {"host": "First", "since": None, "until": moved_on.isoformat(), "scheduled": False},
        {"host": "Second", "since": moved_on.isoformat(), "until": None, "scheduled": False},
    ]
    ended = await client.post(
        f"/api/v1/organisers/{code}/end", json={"reason": "Left"}, headers=headers
    )
    assert ended.json()["organiser"]["status"] == "left"
    late = await client.post(f"/api/v1/organisers/{code}/unpause", json={}, headers=headers)
    assert "has left the role" in _problem(late, 409)["detail"]
    assert await _audits(row["id"]) == [
        "organiser.dates",
        "organiser.dates",
        "organiser.pause",
        "organiser.move",
        "organiser.end",
    ]
    history = (await client.get(f"/api/v1/organisers/{code}/history", headers=headers)).json()
    assert history[0]["reason"] == "Typo" and history[0]["who"] == "Admin"


async def test_a_scheduled_move_is_shown_only_to_those_who_manage_the_organiser(
    client: WebClient,
) -> None:
    # The public organiser page names the current host only; a move not yet made (and
    # cancellable) stays between staff and the organiser's host, on the API as on the web.
    host, other, place = await make_host("First"), await make_host("Second"), await make_locality()
    code = await make_organiser(host, place, "Amina Hussein")
    staff = await _token(Role.ADMIN, "admin@example.org")
    ahead = today() + timedelta(days=30)
    scheduled = await client.post(
        f"/api/v1/organisers/{code}/move",
        json={"host_id": other, "moved_on": ahead.isoformat(), "reason": "Funding ends"},
        headers=staff,
    )
    assert scheduled.status_code == 200, scheduled.text
    shown = [{"host": "First", "since": None, "until": None, "scheduled": False}]
    for headers in ({}, await _token(Role.HOST, "second@example.org", host_ids=(other,))):
        assert (await client.get(f"/api/v1/organisers/{code}", headers=headers)).json()[
            "hosts"
        ] == shown
    for headers in (staff, await _token(Role.HOST, "first@example.org", host_ids=(host,))):
        hosts = (await client.get(f"/api/v1/organisers/{code}", headers=headers)).json()["hosts"]
        assert hosts[-1] == {
            "host": "Second",
            "since": ahead.isoformat(),
            "until": None,
            "scheduled": True,
        }


async def test_bad_input_is_a_clear_problem(client: WebClient) -> None:
    host, place = await make_host(), await make_locality()
    code = await make_organiser(host, place)
    headers = await _token(Role.ADMIN, "admin@example.org")
    backwards = await client.post(
        f"/api/v1/organisers/{code}/dates",
        json={"bursary_start": "2026-01-01", "bursary_end": "2025-01-01", "reason": "x"},
        headers=headers,
    )
    assert _problem(backwards, 422)["errors"]["bursary_end"]
    unknown = await client.patch(
        f"/api/v1/organisers/{code}", json={"status": "left"}, headers=headers
    )
    _problem(unknown, 422)  # status, host and place have their own actions
    missing = await client.patch("/api/v1/organisers/NOBODY-2A", json={}, headers=headers)
    _problem(missing, 404)
    assert (await _organiser(code))["status"] == "active"
