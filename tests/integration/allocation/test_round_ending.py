"""Rounds that can end: reasons for pausing and resuming, resuming after the deadline asks
first, cancelling a paused round (money back, once, residents told), reminders."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import timedelta

import pytest

from groundswell.accounts.tables import User
from groundswell.allocation import review, rounds
from groundswell.allocation.cancel import cancel_round, remind_paused_rounds
from groundswell.allocation.tables import Allocation, Round
from groundswell.core.clock import frozen_at, now
from groundswell.core.errors import Conflict, Forbidden, ValidationFailed
from groundswell.core.principal import Principal, Role
from groundswell.ledger import services as ledger
from groundswell.ledger.tables import LedgerTransaction
from groundswell.ledger_check import check_ledger
from groundswell.outbox.tables import OutboxMessage
from groundswell.settings import Settings
from groundswell.vouching.messages import sms_segments
from groundswell.vouching.sms import handle_sms
from tests.factories import approve_after_review, computed_round, pool_in_a_place
from tests.helpers import WebClient, deposit, make_funder, make_organiser, make_user

WHY = "Checking the figures with our trustees"
NUMBERS = [f"+4479{n:08d}" for n in range(22345670, 22345680)]


@dataclass
class World:
    pool: int
    funder: int
    round_id: int


@pytest.fixture
async def world(settings: Settings) -> World:
    place = await pool_in_a_place(min_endorsers=3)
    await make_organiser(place.host, place.locality, name="Amina Hussein", code="AMINA-7K")
    for i in range(4):
        await handle_sms(
            settings, message_sid=f"SMv{i}", from_number=NUMBERS[i], body=f"AMINA-7K story {i}"
        )
        if i % 2 == 0:  # two of the four ask to hear back
            await handle_sms(settings, message_sid=f"SMy{i}", from_number=NUMBERS[i], body="YES")
    await deposit(place.pool, "1000.00")
    await make_user(Role.ADMIN, "admin@example.org")
    await make_user(Role.FUNDER, "funder@example.org", funder_ids=(place.funder,))
    other = await make_funder("Another Trust")
    await make_user(Role.FUNDER, "other@example.org", funder_ids=(other,))
    await make_user(Role.HOST, "host@example.org", host_ids=(place.host,))
    return World(pool=place.pool, funder=place.funder, round_id=await computed_round(place.pool))


async def person(email: str) -> Principal:
    from groundswell.accounts.services import principal_for

    row = await User.select(User.id).where(User.email == email).first()
    assert row is not None
    found = await principal_for(int(row["id"]))
    assert found is not None
    return found


async def status(round_id: int) -> str:
    return str((await rounds.get_round(round_id))["status"])


# --- attacks first --------------------------------------------------------------------------


async def test_a_host_or_another_pools_funder_cannot_pause_resume_or_cancel(
    world: World, settings: Settings
) -> None:
    for email in ("host@example.org", "other@example.org"):
        outsider = await person(email)
        with pytest.raises(Forbidden):
            await review.pause_round(outsider, world.round_id, WHY)
    assert await review.pause_round(await person("funder@example.org"), world.round_id, WHY)
    for email in ("host@example.org", "other@example.org"):
        outsider = await person(email)
        with pytest.raises(Forbidden):
            await review.resume_round(outsider, world.round_id, WHY)
        with pytest.raises(Forbidden):
            await cancel_round(settings, outsider, world.round_id, WHY)
    assert await status(world.round_id) == "paused"
    assert (await ledger.pool_balances(world.pool))["committed"] > 0


async def test_the_same_through_the_pages(client: WebClient, world: World) -> None:
    for email in ("host@example.org", "other@example.org"):
        await client.login(email)
        for action in ("pause", "resume", "cancel"):
            response = await client.submit(
                f"/rounds/{world.round_id}/{action}", {"reason": WHY, "confirmed": "yes"}
            )
            assert response.status_code == 403, (email, action)
    assert await status(world.round_id) == "computed"


async def test_only_a_paused_round_can_be_cancelled(world: World, settings: Settings) -> None:
    funder = await person("funder@example.org")
    with pytest.raises(Conflict, match="Only a paused round"):
        await cancel_round(settings, funder, world.round_id, WHY)
    assert await status(world.round_id) == "computed"


async def test_cancelling_after_approval_or_payment_is_refused(
    world: World, settings: Settings
) -> None:
    await approve_after_review(world.round_id)
    admin = await person("admin@example.org")
    with pytest.raises(Conflict, match="can no longer be cancelled"):
        await cancel_round(settings, admin, world.round_id, WHY)
    await Round.update({Round.status: "paid"}).where(Round.id == world.round_id)
    with pytest.raises(Conflict, match="can no longer be cancelled"):
        await cancel_round(settings, admin, world.round_id, WHY)
    assert not await LedgerTransaction.exists().where(
        LedgerTransaction.reference == f"round:{world.round_id}:cancel"
    )
    assert (await ledger.pool_balances(world.pool))["committed"] > 0  # nothing released


async def test_a_reason_is_required(world: World, client: WebClient) -> None:
    funder = await person("funder@example.org")
    for blank in ("", "   ", "x" * 501):
        with pytest.raises(ValidationFailed):
            await review.pause_round(funder, world.round_id, blank)
    await client.login("funder@example.org")
    page = await client.submit(f"/rounds/{world.round_id}/pause", {"reason": " "})
    assert page.status_code == 422
    assert "error-summary" in page.text and 'href="#f-pause-reason"' in page.text
    assert await status(world.round_id) == "computed"


# --- what happens ---------------------------------------------------------------------------


async def test_cancel_releases_the_money_once_and_tells_residents(
    world: World, settings: Settings
) -> None:
    funder = await person("funder@example.org")
    before = await ledger.pool_balances(world.pool)
    committed = before["committed"]
    assert committed > 0
    await review.pause_round(funder, world.round_id, WHY)
    done = await cancel_round(settings, funder, world.round_id, "Money moved to the flood appeal")
    assert done.changed and done.released == committed and done.texts == 2
    again = await cancel_round(settings, funder, world.round_id, "Again")
    assert not again.changed and again.released == 0
    after = await ledger.pool_balances(world.pool)
    assert after["committed"] == 0 and after["available"] == before["available"] + committed
    releases = await LedgerTransaction.select().where(
        LedgerTransaction.reference == f"round:{world.round_id}:cancel"
    )
    assert len(releases) == 1 and releases[0]["kind"] == "round_cancellation"
    states = {row["state"] for row in await Allocation.select(Allocation.state)}
    assert states == {"cancelled"}
    texts = await OutboxMessage.select().where(OutboxMessage.purpose == "round_cancelled")
    assert len(texts) == 2
    for text in texts:
        assert "cancelled" in text["body"] and "no money went out" in text["body"]
        assert sms_segments(text["body"]) <= 2
    assert (await check_ledger()).ok
    stored = await rounds.get_round(world.round_id)
    assert stored["status"] == "cancelled" and stored["cancelled_at"] is not None
    history = await review.round_history(world.round_id)
    assert [h["action"] for h in history] == ["round.pause", "round.cancel"]
    assert history[1]["reason"] == "Money moved to the flood appeal"
    # Nothing else can happen to it now.
    with pytest.raises(Conflict):
        await review.resume_round(funder, world.round_id, WHY)
    with pytest.raises(Conflict):
        await review.pause_round(funder, world.round_id, WHY)
    with frozen_at(now() + timedelta(days=30)):
        assert not await review.approve_round(world.round_id)


async def test_two_cancels_at_once_release_once(world: World, settings: Settings) -> None:
    funder = await person("funder@example.org")
    admin = await person("admin@example.org")
    await review.pause_round(funder, world.round_id, WHY)
    results = await asyncio.gather(
        cancel_round(settings, funder, world.round_id, WHY),
        cancel_round(settings, admin, world.round_id, WHY),
    )
    assert sorted(r.changed for r in results) == [False, True]
    assert (await check_ledger()).ok


async def test_the_pages_show_reasons_the_check_page_and_the_cancellation(
    client: WebClient, world: World
) -> None:
    await client.login("funder@example.org")
    url = f"/rounds/{world.round_id}"
    assert (await client.submit(f"{url}/pause", {"reason": WHY})).status_code == 303
    page = (await client.get(url)).text
    assert WHY in page and "Resume this round" in page and "Cancel this round" in page
    # After the deadline, resuming would approve it within minutes: ask first.
    await Round.update({Round.review_until: now() - timedelta(hours=1)}).where(
        Round.id == world.round_id
    )
    check = await client.submit(f"{url}/resume", {"reason": "Trustees happy"})
    assert check.status_code == 200 and "review deadline passed on" in check.text
    assert "Go back" in check.text and await status(world.round_id) == "paused"
    # Cancelling asks too; confirming does it.
    ask = await client.submit(f"{url}/cancel", {"reason": "Moved to the flood appeal"})
    assert ask.status_code == 200 and "Cancel this round?" in ask.text
    assert await status(world.round_id) == "paused"
    done = await client.submit(
        f"{url}/cancel", {"reason": "Moved to the flood appeal", "confirmed": "yes"}
    )
    assert done.status_code == 303 and await status(world.round_id) == "cancelled"
    page = (await client.get(url)).text
    assert "Cancelled" in page and "Moved to the flood appeal" in page
    assert "No money went out from this round" in page
    pool_page = (await client.get(f"/pools/{world.pool}")).text
    assert "Cancelled" in pool_page
    organiser = (await client.get("/organisers/AMINA-7K")).text
    assert "Cancelled" in organiser and "no money went out from it" in organiser
    # Twice is nothing.
    again = await client.submit(f"{url}/cancel", {"reason": "again", "confirmed": "yes"})
    assert again.status_code == 303


async def test_resuming_after_the_deadline_with_confirmation(
    client: WebClient, world: World
) -> None:
    await client.login("admin@example.org")
    url = f"/rounds/{world.round_id}"
    await client.submit(f"{url}/pause", {"reason": WHY})
    await Round.update({Round.review_until: now() - timedelta(hours=1)}).where(
        Round.id == world.round_id
    )
    done = await client.submit(f"{url}/resume", {"reason": "All fine", "confirmed": "yes"})
    assert done.status_code == 303 and await status(world.round_id) == "computed"
    assert "All fine" in (await client.get(url)).text


async def test_a_round_paused_too_long_reminds_once_per_period(
    world: World, settings: Settings
) -> None:
    await review.pause_round(await person("funder@example.org"), world.round_id, WHY)
    assert (await remind_paused_rounds(settings)).startswith("0 reminders")
    with frozen_at(now() + timedelta(days=8)):
        first = await remind_paused_rounds(settings)
        assert first.startswith("2 reminders")  # the funder's user and the administrator
        assert (await remind_paused_rounds(settings)).startswith("0 reminders")
    with frozen_at(now() + timedelta(days=15)):
        assert (await remind_paused_rounds(settings)).startswith("2 reminders")
    mails = await OutboxMessage.select().where(OutboxMessage.purpose == "round_paused_reminder")
    assert {m["recipient_email"] for m in mails} == {"funder@example.org", "admin@example.org"}
    assert all(f"/rounds/{world.round_id}" in m["body"] for m in mails)
    assert "other@example.org" not in {m["recipient_email"] for m in mails}


# --- the API lists rounds with their state and why ----------------------------------------


async def test_the_api_lists_a_pools_rounds_paused_and_cancelled_with_why(
    client: WebClient, world: World, settings: Settings
) -> None:
    from groundswell.accounts.tokens import create_api_token

    funder = await create_api_token("funder@example.org")
    headers = {"authorization": f"Bearer {funder}"}
    await review.pause_round(await person("funder@example.org"), world.round_id, WHY)
    listed = await client.get(f"/api/v1/pools/{world.pool}/rounds", headers=headers)
    assert listed.status_code == 200, listed.text
    (one,) = listed.json()
    assert one["id"] == world.round_id and one["status"] == "paused"
    assert one["status_label"] == "Paused" and one["paused_at"]
    assert one["status_change"]["reason"] == WHY and one["status_change"]["what"] == "Paused"
    await cancel_round(settings, await person("admin@example.org"), world.round_id, "Not needed")
    (one,) = (await client.get(f"/api/v1/pools/{world.pool}/rounds", headers=headers)).json()
    assert one["status"] == "cancelled" and one["cancelled_at"]
    assert one["status_change"]["what"] == "Cancelled"
    assert one["status_change"]["reason"] == "Not needed"
    assert one["status_change"]["who"] == "Admin"
    # Like the round page: the pool's funder and administrators only.
    for email in ("other@example.org", "host@example.org"):
        token = await create_api_token(email)
        refused = await client.get(
            f"/api/v1/pools/{world.pool}/rounds", headers={"authorization": f"Bearer {token}"}
        )
        assert refused.status_code == 403
        assert refused.headers["content-type"].startswith("application/problem+json")
    assert (await client.get(f"/api/v1/pools/{world.pool}/rounds")).status_code == 401
