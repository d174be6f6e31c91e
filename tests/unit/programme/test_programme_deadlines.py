from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from groundswell.programme.clocks import AssetBidDeadlines
from groundswell.programme.deadlines import (
    ADVICE,
    ASSET_DEADLINE_LABELS,
    SERVICE_DEADLINE_LABELS,
    asset_bid_live_deadlines,
    days_left_phrase,
    due_reminder,
    service_bid_live_deadlines,
)
from groundswell.programme.states import AssetBidStage, ServiceBidStage

DEADLINE = date(2023, 10, 11)


@pytest.mark.parametrize(
    ("days_left", "due"),
    [(20, None), (15, None), (14, 14), (10, 14), (4, 14), (3, 3), (1, 3), (0, 3), (-1, None)],
)
def test_the_latest_reminder_whose_day_has_come(days_left: int, due: int | None) -> None:
    assert due_reminder(DEADLINE, DEADLINE - timedelta(days=days_left)) == due


@given(st.dates(min_value=date(1990, 1, 1), max_value=date(2200, 12, 31)))
def test_a_daily_run_sends_each_reminder_on_its_day(deadline: date) -> None:
    # Run every day from 60 days before: each reminder comes due exactly on its day.
    sent = []
    for days in range(60, -5, -1):
        due = due_reminder(deadline, deadline - timedelta(days=days))
        if due is not None and due not in sent:
            sent.append(due)
            assert days == due
    assert sent == [14, 3]


def test_live_deadlines_by_stage() -> None:
    deadlines = AssetBidDeadlines(
        decision_due=date(2023, 1, 1),
        listing_expires=date(2028, 1, 1),
        interim_moratorium_end=date(2023, 10, 11),
        full_moratorium_end=date(2024, 2, 29),
        protected_period_end=date(2025, 2, 28),
    )

    def kinds(stage: AssetBidStage) -> list[str]:
        return [d.kind for d in asset_bid_live_deadlines(stage, deadlines)]

    assert kinds(AssetBidStage.NOMINATED) == ["decision_due"]
    assert kinds(AssetBidStage.LISTED) == ["listing_expires"]
    assert kinds(AssetBidStage.INTERIM_MORATORIUM) == ["interim_moratorium_end"]
    assert kinds(AssetBidStage.FULL_MORATORIUM) == ["full_moratorium_end", "protected_period_end"]
    assert kinds(AssetBidStage.PURCHASED) == []
    assert asset_bid_live_deadlines(AssetBidStage.NOMINATED, AssetBidDeadlines()) == []
    window = service_bid_live_deadlines(
        ServiceBidStage.PREPARING, window_closes_on=DEADLINE, decision_due=None
    )
    assert [d.kind for d in window] == ["eoi_window_closes"]
    assert (
        service_bid_live_deadlines(
            ServiceBidStage.ACCEPTED, window_closes_on=DEADLINE, decision_due=DEADLINE
        )
        == []
    )
    # Every deadline a group can be reminded of comes with advice.
    for kind in ASSET_DEADLINE_LABELS:
        assert ("asset", kind) in ADVICE
    for kind in SERVICE_DEADLINE_LABELS:
        assert ("service", kind) in ADVICE


def test_days_left_phrase() -> None:
    assert days_left_phrase(DEADLINE, DEADLINE) == "today is the last day"
    assert days_left_phrase(DEADLINE, DEADLINE - timedelta(days=1)) == "1 day left"
    assert days_left_phrase(DEADLINE, DEADLINE - timedelta(days=14)) == "14 days left"
    assert days_left_phrase(DEADLINE, DEADLINE + timedelta(days=2)) == "passed 2 days ago"
