"""Deadline reminders: 14 and 3 days before, each exactly once, whatever runs or restarts."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime
from typing import Any

import pytest

from groundswell.core.clock import frozen_at
from groundswell.outbox.tables import OutboxMessage
from groundswell.programme import jobs
from groundswell.programme import reminders as programme_reminders
from groundswell.programme.tables import ProgrammeReminder
from groundswell.settings import Settings
from tests.helpers import make_asset_bid, make_host, make_service_bid

D = date


def at(day: date) -> Any:
    return frozen_at(datetime(day.year, day.month, day.day, 7, 0, tzinfo=UTC))


async def run(settings: Settings, day: date) -> str:
    # Each call is a fresh run of the scheduled job, as after a restart: nothing is remembered
    # between runs except what the database holds.
    with at(day):
        return await jobs.reminders(settings)


async def interim_bid(**extra: Any) -> int:
    # Notice on 31 August 2023: the interim moratorium's last day is 11 October 2023.
    values: dict[str, Any] = {
        "listed_on": D(2023, 1, 5),
        "disposal_notice_on": D(2023, 8, 31),
        "stage": "interim_moratorium",
        "contact_emails": "chair@redlion.example.org\nsecretary@redlion.example.org",
    }
    return await make_asset_bid(**{**values, **extra})


async def test_each_reminder_goes_once_on_its_day(settings: Settings) -> None:
    bid = await interim_bid()
    assert (await run(settings, D(2023, 9, 26))).startswith("0 reminders")
    assert (await run(settings, D(2023, 9, 27))).startswith("1 reminders sent (2 e-mails)")
    assert (await run(settings, D(2023, 9, 27))).startswith("0 reminders")  # the job ran twice
    assert (await run(settings, D(2023, 9, 28))).startswith("0 reminders")  # and the next day
    assert (await run(settings, D(2023, 10, 8))).startswith("1 reminders")  # 3 days before
    for day in (D(2023, 10, 8), D(2023, 10, 9), D(2023, 10, 11), D(2023, 10, 12)):
        assert (await run(settings, day)).startswith("0 reminders")

    reminders = await ProgrammeReminder.select().order_by(ProgrammeReminder.days_before)
    assert [
        (r["bid_id"], r["deadline_kind"], r["deadline_on"], r["days_before"]) for r in reminders
    ] == [
        (bid, "interim_moratorium_end", D(2023, 10, 11), 3),
        (bid, "interim_moratorium_end", D(2023, 10, 11), 14),
    ]
    messages = await OutboxMessage.select().order_by(OutboxMessage.dedupe_key)
    assert len(messages) == 4
    assert {m["recipient_email"] for m in messages} == {
        "chair@redlion.example.org",
        "secretary@redlion.example.org",
    }
    keys = {m["dedupe_key"].rsplit(":", 1)[0] for m in messages}
    assert keys == {
        f"programme-reminder:asset:{bid}:interim_moratorium_end:2023-10-11:14",
        f"programme-reminder:asset:{bid}:interim_moratorium_end:2023-10-11:3",
    }
    first = next(m for m in messages if ":14:" in m["dedupe_key"])
    assert "11 October 2023" in first["subject"] and "14 days left" in first["subject"]
    assert "treated as a potential bidder" in first["body"]
    assert first["purpose"] == "programme_reminder"


async def test_a_crash_before_commit_leaves_nothing_and_the_next_run_sends_once(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    await interim_bid()
    real = programme_reminders.enqueue_email
    calls = 0

    async def failing(**kwargs: Any) -> bool:
        nonlocal calls
        calls += 1
        if calls == 2:
            raise RuntimeError("the process died while queueing")
        return await real(**kwargs)

    monkeypatch.setattr(programme_reminders, "enqueue_email", failing)
    with pytest.raises(RuntimeError):
        await run(settings, D(2023, 9, 27))
    assert await ProgrammeReminder.count() == 0
    assert await OutboxMessage.count() == 0  # the first e-mail was rolled back with the row

    monkeypatch.setattr(programme_reminders, "enqueue_email", real)
    assert (await run(settings, D(2023, 9, 28))).startswith("1 reminders sent (2 e-mails)")
    assert (await run(settings, D(2023, 9, 28))).startswith("0 reminders")
    assert await OutboxMessage.count() == 2


async def test_two_schedulers_at_once_send_once(settings: Settings) -> None:
    await interim_bid()
    with at(D(2023, 9, 27)):
        results = await asyncio.gather(
            programme_reminders.send_due_reminders(settings),
            programme_reminders.send_due_reminders(settings),
        )
    assert sorted(r.split(" ")[0] for r in results) == ["0", "1"]
    assert await ProgrammeReminder.count() == 1
    assert await OutboxMessage.count() == 2


async def test_a_bid_recorded_late_gets_one_reminder_not_a_burst(settings: Settings) -> None:
    await interim_bid()
    assert (await run(settings, D(2023, 10, 9))).startswith("1 reminders")  # 2 days left
    rows = await ProgrammeReminder.select()
    assert [r["days_before"] for r in rows] == [3]
    assert (await run(settings, D(2023, 10, 10))).startswith("0 reminders")


async def test_a_corrected_deadline_is_a_new_deadline(settings: Settings) -> None:
    bid = await interim_bid()
    await run(settings, D(2023, 9, 27))
    from groundswell.programme.tables import AssetBid

    # The notice was really given a week later: the moratorium ends 18 October.
    await AssetBid.update({AssetBid.disposal_notice_on: D(2023, 9, 7)}).where(AssetBid.id == bid)
    assert (await run(settings, D(2023, 10, 4))).startswith("1 reminders")
    assert {r["deadline_on"] for r in await ProgrammeReminder.select()} == {
        D(2023, 10, 11),
        D(2023, 10, 18),
    }


async def test_no_contact_means_no_record_until_there_is_one(settings: Settings) -> None:
    bid = await interim_bid()
    from groundswell.programme.tables import AssetBid

    await AssetBid.update({AssetBid.contact_emails: ""}).where(AssetBid.id == bid)
    result = await run(settings, D(2023, 9, 27))
    assert "no contact address" in result and await ProgrammeReminder.count() == 0
    host = await make_host("Pallister Park CA", contact_email="hello@pallister.example.org")
    await AssetBid.update({AssetBid.group_host: host}).where(AssetBid.id == bid)
    assert (await run(settings, D(2023, 9, 28))).startswith("1 reminders sent (1 e-mails)")
    message = await OutboxMessage.select().first()
    assert message is not None and message["recipient_email"] == "hello@pallister.example.org"


async def test_only_deadlines_that_matter_at_the_stage(settings: Settings) -> None:
    # Ended bids and deadlines the stage has left behind are not reminded of.
    await interim_bid(stage="withdrawn")
    await make_asset_bid(
        nominated_on=D(2023, 8, 1), listed_on=D(2023, 9, 1), stage="listed"
    )  # the nomination decision (due 25 September) no longer matters once listed
    assert (await run(settings, D(2023, 9, 24))).startswith("0 reminders")


async def test_service_bids_window_and_decision(settings: Settings) -> None:
    preparing = await make_service_bid(
        window_opens_on=D(2024, 4, 1), window_closes_on=D(2024, 6, 30)
    )
    submitted = await make_service_bid(
        service_name="Splott library",
        eoi_on=D(2024, 5, 31),
        decision_period_amount=3,
        decision_period_unit="months",
        stage="eoi_submitted",
    )
    assert (await run(settings, D(2024, 6, 16))).startswith("1 reminders")  # window closes in 14
    assert (await run(settings, D(2024, 8, 16))).startswith("1 reminders")  # decision due 30 Aug
    rows = await ProgrammeReminder.select().order_by(ProgrammeReminder.id)
    assert [(r["bid_type"], r["bid_id"], r["deadline_kind"]) for r in rows] == [
        ("service", preparing, "eoi_window_closes"),
        ("service", submitted, "decision_due"),
    ]


def test_the_job_is_registered_daily() -> None:
    from groundswell.scheduler import default_registry

    spec = next(job for job in default_registry().jobs if job.job_id == "programme_reminders")
    assert "hour='7'" in str(spec.trigger)
