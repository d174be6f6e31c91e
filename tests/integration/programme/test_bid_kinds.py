"""What differs between the two kinds of bid, pinned: the code over them is shared
(bids.BidKind), so each kind's own rule is checked here against the other's."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from groundswell.accounts.tables import User
from groundswell.core.clock import today
from groundswell.core.errors import ValidationFailed
from groundswell.core.principal import Principal, Role
from groundswell.core.tables import AuditEntry
from groundswell.programme import bids
from groundswell.programme.clocks import ClockDurations
from groundswell.programme.kinds import ASSET_BID, SERVICE_BID
from tests.helpers import make_asset_bid, make_service_bid, make_user

DURATIONS = ClockDurations()
ASSET = {"asset_name": "The Red Lion", "local_authority": "Middlesbrough", "nominating_group": "F"}
SERVICE = {
    "service_name": "Youth service",
    "local_authority": "Middlesbrough",
    "nominating_group": "Y",
}


async def admin() -> Principal:
    email = await make_user(Role.ADMIN)
    user = await User.select(User.id).where(User.email == email).first()
    assert user is not None
    return Principal(user_id=user["id"], email=email, name="Admin", role=Role.ADMIN)


async def create(principal: Principal, kind: bids.BidKind, raw: dict[str, Any]) -> int:
    return await bids.create_bid(kind, principal, raw, durations=DURATIONS, minor_units=True)


async def refused(principal: Principal, kind: bids.BidKind, raw: dict[str, Any]) -> dict[str, str]:
    with pytest.raises(ValidationFailed) as caught:
        await create(principal, kind, raw)
    assert caught.value.detail == f"The {kind.noun} could not be saved."
    return caught.value.field_errors


async def test_how_far_ahead_a_date_may_be() -> None:
    principal = await admin()
    two_years = today() + timedelta(days=2 * 366)
    assert (await refused(principal, ASSET_BID, {**ASSET, "nominated_on": two_years}))[
        "nominated_on"
    ] == ("That date is more than a year away: check the year.")
    assert await create(principal, SERVICE_BID, {**SERVICE, "window_opens_on": two_years})
    four_years = today() + timedelta(days=4 * 366)
    errors = await refused(principal, SERVICE_BID, {**SERVICE, "window_opens_on": four_years})
    assert errors["window_opens_on"] == "That date is more than three years away: check the year."


async def test_an_edit_that_moves_the_stage_is_audited_as_dates_or_facts() -> None:
    principal = await admin()
    asset = await create(principal, ASSET_BID, ASSET)
    service = await create(principal, SERVICE_BID, SERVICE)
    nominated = {"nominated_on": today() - timedelta(days=3)}
    interest = {"eoi_on": today() - timedelta(days=3)}
    for kind, bid_id, change in ((ASSET_BID, asset, nominated), (SERVICE_BID, service, interest)):
        assert await bids.update_bid(
            kind, principal, bid_id, change, durations=DURATIONS, minor_units=True, partial=True
        )
    rows = await (
        AuditEntry.select(AuditEntry.action, AuditEntry.subject_type, AuditEntry.detail)
        .where(AuditEntry.action.like("programme.%.stage"))
        .order_by(AuditEntry.id)
        .output(load_json=True)
    )
    assert [(r["action"], r["subject_type"], r["detail"]) for r in rows] == [
        (
            "programme.asset_bid.stage",
            "asset_bid",
            {"from": "preparing", "to": "nominated", "by": "dates"},
        ),
        (
            "programme.service_bid.stage",
            "service_bid",
            {"from": "preparing", "to": "eoi_submitted", "by": "facts"},
        ),
    ]


async def test_a_decided_stage_keeps_what_it_needs_in_each_kinds_words() -> None:
    principal = await admin()
    started = today() - timedelta(days=10)
    service = await make_service_bid(
        stage="won",
        eoi_on=started - timedelta(days=60),
        decision="accepted",
        decided_on=started - timedelta(days=30),
        procurement_starts_on=started,
    )
    asset = await make_asset_bid(stage="purchased", disposal_notice_on=started)
    for kind, bid_id, name, message in (
        (SERVICE_BID, service, "procurement_starts_on", "“Contract won”, which needs this."),
        (ASSET_BID, asset, "disposal_notice_on", "“Purchased”, which needs this date."),
    ):
        with pytest.raises(ValidationFailed) as caught:
            await bids.update_bid(
                kind,
                principal,
                bid_id,
                {name: None},
                durations=DURATIONS,
                minor_units=True,
                partial=True,
            )
        assert caught.value.field_errors == {name: f"This bid is at the stage {message}"}


async def test_only_an_asset_bid_checks_its_dates_before_a_transition() -> None:
    principal = await admin()
    # Stored without the owner's notice (as by hand): buying it needs that date first.
    asset = await make_asset_bid(stage="full_moratorium")
    with pytest.raises(ValidationFailed) as caught:
        await bids.transition_bid(ASSET_BID, principal, asset, "purchased")
    assert caught.value.detail == "Record the dates first."
    assert caught.value.field_errors == {"disposal_notice_on": "Record this date first."}
    # A service bid's won and lost follow procurement, whose facts got it there: no check.
    service = await make_service_bid(stage="procurement")
    assert await bids.transition_bid(SERVICE_BID, principal, service, "won")
