from datetime import date

import pytest

from groundswell.programme.states import (
    ASSET_MANUAL_STAGES,
    ASSET_TRANSITIONS,
    SERVICE_MANUAL_STAGES,
    SERVICE_TRANSITIONS,
    AssetBidStage,
    ServiceBidStage,
    ServiceDecision,
    asset_stage_after,
    asset_stage_from_dates,
    asset_stage_needs,
    is_terminal_asset,
    service_stage_after,
)

D = date(2024, 1, 1)


def test_every_stage_has_transitions_and_ends_are_final() -> None:
    assert set(ASSET_TRANSITIONS) == set(AssetBidStage)
    assert set(SERVICE_TRANSITIONS) == set(ServiceBidStage)
    for stage in (AssetBidStage.PURCHASED, AssetBidStage.LOST, AssetBidStage.WITHDRAWN):
        assert is_terminal_asset(stage)
    for stage, targets in ASSET_TRANSITIONS.items():
        if targets:
            assert AssetBidStage.WITHDRAWN in targets, stage
    for stage, targets in SERVICE_TRANSITIONS.items():
        if targets:
            assert ServiceBidStage.WITHDRAWN in targets, stage
    assert all(stage.label for stage in AssetBidStage) and all(s.label for s in ServiceBidStage)
    # Every manual stage is reachable from somewhere.
    assert all(any(m in t for t in ASSET_TRANSITIONS.values()) for m in ASSET_MANUAL_STAGES)
    assert all(any(m in t for t in SERVICE_TRANSITIONS.values()) for m in SERVICE_MANUAL_STAGES)


@pytest.mark.parametrize(
    ("dates", "stage"),
    [
        ({}, AssetBidStage.PREPARING),
        ({"nominated_on": D}, AssetBidStage.NOMINATED),
        ({"listed_on": D}, AssetBidStage.LISTED),  # some records lack the nomination date
        (
            {"nominated_on": D, "listed_on": D, "disposal_notice_on": D},
            AssetBidStage.INTERIM_MORATORIUM,
        ),
        ({"disposal_notice_on": D, "bidder_request_on": D}, AssetBidStage.FULL_MORATORIUM),
    ],
)
def test_dates_decide_the_date_driven_stages(dates: dict[str, date], stage: AssetBidStage) -> None:
    assert asset_stage_from_dates(dates) is stage
    assert asset_stage_after(AssetBidStage.PREPARING, dates) is stage
    assert asset_stage_after(AssetBidStage.FULL_MORATORIUM, dates) is stage  # corrections too


def test_stages_reached_by_decision_stay_put() -> None:
    for stage in (AssetBidStage.BID_SUBMITTED, AssetBidStage.PURCHASED, AssetBidStage.LOST):
        assert asset_stage_after(stage, {}) is stage
    assert asset_stage_needs(AssetBidStage.PURCHASED) == ("disposal_notice_on",)
    assert asset_stage_needs(AssetBidStage.WITHDRAWN) == ()


def test_service_stage_follows_the_facts() -> None:
    def after(current: ServiceBidStage, **facts: object) -> ServiceBidStage:
        return service_stage_after(
            current,
            eoi_on=facts.get("eoi_on"),
            decision=facts.get("decision"),  # type: ignore[arg-type]
            procurement_starts_on=facts.get("procurement_starts_on"),
        )

    assert after(ServiceBidStage.PREPARING) is ServiceBidStage.PREPARING
    assert after(ServiceBidStage.PREPARING, eoi_on=D) is ServiceBidStage.EOI_SUBMITTED
    assert (
        after(ServiceBidStage.EOI_SUBMITTED, eoi_on=D, decision=ServiceDecision.MODIFIED)
        is ServiceBidStage.MODIFIED
    )
    assert (
        after(
            ServiceBidStage.ACCEPTED,
            eoi_on=D,
            decision=ServiceDecision.ACCEPTED,
            procurement_starts_on=D,
        )
        is ServiceBidStage.PROCUREMENT
    )
    assert (
        after(ServiceBidStage.EOI_SUBMITTED, eoi_on=D, decision=ServiceDecision.REJECTED)
        is ServiceBidStage.REJECTED
    )
    assert after(ServiceBidStage.WON, eoi_on=None) is ServiceBidStage.WON
