"""Moves to another host from a later date (issue #16): scheduled, shown in the history,
applied on the day (rounds computed from then pay the new host, until then the old one),
cancellable before; staff only."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

from groundswell.allocation.tables import Allocation
from groundswell.community import lifecycle, moves
from groundswell.community.tables import ScheduledMove
from groundswell.core.clock import frozen_at, today
from groundswell.core.errors import Conflict
from groundswell.core.principal import Principal, Role
from groundswell.ledger_check import check_ledger
from tests.factories import computed_round, pool_in_a_place, vouched_organiser
from tests.helpers import (
    WebClient,
    deposit,
    make_host,
    make_locality,
    make_organiser,
    make_pool,
    make_user,
)
from tests.integration.community.test_organiser_api_lifecycle import bearer
from tests.integration.community.test_organiser_lifecycle import _admin, _audits, _organiser


def _on(day_offset: int) -> datetime:
    return datetime.combine(today() + timedelta(days=day_offset), time(9), tzinfo=UTC)


async def test_a_host_cannot_schedule_or_cancel_a_move(client: WebClient) -> None:
    from groundswell.accounts.tokens import create_api_token

    mine, other, place = await make_host("Mine"), await make_host("Other"), await make_locality()
    code = await make_organiser(mine, place)
    tomorrow = (today() + timedelta(days=1)).isoformat()
    await moves.move_host(_admin(), code, {"host_id": str(other), "moved_on": tomorrow})
    email = await make_user(Role.HOST, host_ids=(mine,))
    headers = bearer(await create_api_token(email))
    for path, body in (("move", {"host_id": other, "moved_on": tomorrow}), ("move/cancel", {})):
        response = await client.post(
            f"/api/v1/organisers/{code}/{path}", json=body, headers=headers
        )
        assert response.status_code == 403
    await client.login(email)
    assert (
        await client.submit(f"/organisers/{code}/move/cancel", {"confirmed": "yes"})
    ).status_code == 403
    assert await ScheduledMove.count().where(ScheduledMove.status == "scheduled") == 1


async def test_staff_schedule_a_move_shown_as_scheduled_then_cancel_it(client: WebClient) -> None:
    first, second, place = (
        await make_host("First CA"),
        await make_host("Second CA"),
        await make_locality(),
    )
    code = await make_organiser(first, place, "Amina Hussein")
    await client.login(await make_user(Role.ADMIN))
    on = today() + timedelta(days=14)
    form = {"host_id": str(second), "moved_on": on.isoformat(), "move_reason": "New job"}
    check = await client.submit(f"/organisers/{code}/move", form)
    assert check.status_code == 200 and "(scheduled)" in check.text
    done = await client.submit(f"/organisers/{code}/move", {**form, "confirmed": "yes"})
    assert done.headers["location"].endswith("done=move-scheduled")
    row = await _organiser(code)
    assert row["host"] == first  # until the date, the old host
    page = await client.get(f"/organisers/{code}/manage?done=move-scheduled")
    assert "Move from First CA to Second CA scheduled from" in page.text
    assert 'id="scheduled-move"' in page.text and "Scheduled</strong>" in page.text
    # A double submit writes nothing; another move waits until this one is cancelled.
    again = await client.submit(f"/organisers/{code}/move", {**form, "confirmed": "yes"})
    assert again.headers["location"].endswith("done=unchanged")
    other = await client.submit(
        f"/organisers/{code}/move",
        {"host_id": str(second), "moved_on": today().isoformat(), "confirmed": "yes"},
    )
    assert other.status_code == 409 and "scheduled already" in other.text
    cancelled = await client.submit(
        f"/organisers/{code}/move/cancel", {"cancel_reason": "Job fell through", "confirmed": "yes"}
    )
    assert cancelled.headers["location"].endswith("done=move-cancel")
    page = await client.get(f"/organisers/{code}/manage")
    assert "Scheduled move to Second CA from" in page.text and "Job fell through" in page.text
    assert 'id="scheduled-move"' not in page.text
    with frozen_at(_on(15)):
        assert await moves.apply_due_moves() == 0
    assert (await _organiser(code))["host"] == first
    assert await _audits(row["id"]) == ["organiser.move_scheduled", "organiser.move_cancel"]


async def test_payments_follow_from_the_move_date(client: WebClient) -> None:
    place = await pool_in_a_place(min_endorsers=3)
    second = await make_host("Second CA")
    code = await vouched_organiser(place.host, place.locality, "Amina Hussein", 4)
    other_pool = await make_pool(place.funder, "Second fund", locality_ids=(place.locality,))
    for pool in (place.pool, other_pool):
        await deposit(pool, "500.00")
    await moves.move_host(
        _admin(),
        code,
        {"host_id": str(second), "moved_on": (today() + timedelta(days=1)).isoformat()},
    )
    before = await computed_round(place.pool)  # today: the old host is paid
    with frozen_at(_on(1)):
        after = await computed_round(other_pool)  # the move's day: applied first, then computed
    hosts = {
        row["round"]: row["host"]
        for row in await Allocation.select(Allocation.round, Allocation.host)
    }
    assert hosts == {before: place.host, after: second}
    assert (await _organiser(code))["host"] == second
    history = await lifecycle.history((await _organiser(code))["id"])
    assert [h.who for h in history][-1] == "The system"
    assert history[-1].what.startswith("Moved from Pallister Park CA to Second CA")
    assert [
        h.scheduled for h in await moves.hostings(await lifecycle.read_organiser(code, lock=False))
    ] == [False, False]
    with frozen_at(_on(2)):
        assert await moves.apply_due_moves() == 0  # applied once
    assert (await check_ledger()).ok


async def test_an_organiser_who_leaves_before_the_date_does_not_move() -> None:
    first, second, place = (
        await make_host("First"),
        await make_host("Second"),
        await make_locality(),
    )
    code = await make_organiser(first, place)
    admin: Principal = _admin()
    await moves.move_host(
        admin, code, {"host_id": str(second), "moved_on": (today() + timedelta(days=3)).isoformat()}
    )
    await lifecycle.change_status(admin, code, "end", {"reason": "Left"})
    with frozen_at(_on(3)):
        assert await moves.apply_due_moves() == 0
    assert (await _organiser(code))["host"] == first
    try:
        await moves.move_host(
            admin, code, {"host_id": str(second), "moved_on": today().isoformat()}
        )
    except Conflict as exc:
        assert "has left the role" in exc.detail
    else:
        raise AssertionError("a move after leaving was accepted")
