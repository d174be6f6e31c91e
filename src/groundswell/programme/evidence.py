"""An asset bid's evidence pack: a PDF a council officer can file with the nomination.

What goes in it, as plain data (no requests, no tables); `evidence_pdf.py` draws it. It sets out the asset, the nominating
group, the statutory dates (computed by ``clocks.asset_bid_deadlines`` from the recorded
dates and the configured durations, exactly as the bid's page shows them), how many
different residents vouched for the building and when, the words they agreed to make
public, and how those voices were verified.

The voices come from programme/building_voices.py (residents texting the bid's code).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from groundswell.programme.clocks import (
    AssetBidDates,
    ClockDurations,
    asset_bid_deadlines,
)
from groundswell.programme.states import AssetBidStage

__all__ = [
    "MIN_PLACE_COUNT",
    "BuildingVoices",
    "EvidencePack",
    "PublicWords",
    "StatutoryLine",
    "evidence_filename",
    "evidence_pack",
    "folded_places",
]

# A place named by fewer residents than this is counted under "Other places", so that a
# street or estate with one or two voices cannot point at who they are.
MIN_PLACE_COUNT = 3


@dataclass(frozen=True, slots=True)
class PublicWords:
    """Words one resident agreed to make public (already redacted), and when they gave them."""

    words: str
    given_on: date


@dataclass(frozen=True, slots=True)
class BuildingVoices:
    """Residents who vouched for a building: how many and when, never who.

    ``count``: different residents (one phone, one voice) whose voice counts now: verified,
    not withdrawn, not hidden or held by moderation. ``by_month``: (first day of the month,
    residents) by when each resident's counted words were given, oldest first. ``places``:
    (neighbourhood as residents gave it, residents); the pack folds small ones together
    (``MIN_PLACE_COUNT``). ``public_words``: only words the resident chose to make public,
    redacted (no phone numbers or e-mail addresses), newest first.
    """

    count: int = 0
    by_month: tuple[tuple[date, int], ...] = ()
    places: tuple[tuple[str, int], ...] = ()
    public_words: tuple[PublicWords, ...] = ()


@dataclass(frozen=True, slots=True)
class StatutoryLine:
    """One row of the dates table: what happened or falls due, when, and how it follows."""

    what: str
    on: date | None
    how: str


@dataclass(frozen=True, slots=True)
class EvidencePack:
    bid_id: int
    asset_name: str
    address: str
    postcode: str
    owner: str
    local_authority: str
    place: str
    group_name: str
    group_identifier: str
    group_host: str
    stage: str
    dates: tuple[StatutoryLine, ...]
    durations: ClockDurations
    generated_at: datetime
    voices: BuildingVoices = field(default_factory=BuildingVoices)


def folded_places(places: Sequence[tuple[str, int]]) -> list[tuple[str, int]]:
    """Places with at least ``MIN_PLACE_COUNT`` residents, most first; the rest together."""
    shown = sorted(
        ((name.strip(), n) for name, n in places if name.strip() and n >= MIN_PLACE_COUNT),
        key=lambda item: (-item[1], item[0]),
    )
    other = sum(n for name, n in places if not name.strip() or n < MIN_PLACE_COUNT)
    if other:
        shown.append(("Other places, or not given", other))
    return shown


def plural(amount: int, unit: str) -> str:
    return f"{amount} {unit}" if amount != 1 else f"1 {unit[:-1]}"


def statutory_lines(bid: Mapping[str, Any], durations: ClockDurations) -> tuple[StatutoryLine, ...]:
    """The recorded dates and the deadlines that follow from them, in the order of the law."""
    recorded = AssetBidDates(
        nominated_on=bid.get("nominated_on"),
        listed_on=bid.get("listed_on"),
        disposal_notice_on=bid.get("disposal_notice_on"),
        bidder_request_on=bid.get("bidder_request_on"),
    )
    due = asset_bid_deadlines(recorded, durations)
    full_how = (
        f"{plural(durations.full_moratorium_months, 'months')} from the notice, because a "
        "community interest group asked to be treated as a potential bidder within the "
        "interim moratorium"
    )
    if recorded.bidder_request_on is None:
        full_how = (
            "Only if a community interest group asks in writing within the interim moratorium"
        )
    elif due.full_moratorium_end is None:
        full_how = "Does not apply: the request came after the interim moratorium ended"
    return (
        StatutoryLine("Nominated", recorded.nominated_on, "Recorded"),
        StatutoryLine(
            "The council's decision on the nomination is due",
            due.decision_due,
            f"{plural(durations.nomination_decision_weeks, 'weeks')} from the nomination",
        ),
        StatutoryLine("Listed as an asset of community value", recorded.listed_on, "Recorded"),
        StatutoryLine(
            "The listing expires",
            due.listing_expires,
            f"{plural(durations.listing_years, 'years')} from the listing",
        ),
        StatutoryLine("The owner's notice of disposal", recorded.disposal_notice_on, "Recorded"),
        StatutoryLine(
            "The interim moratorium ends",
            due.interim_moratorium_end,
            f"{plural(durations.interim_moratorium_weeks, 'weeks')} from the notice",
        ),
        StatutoryLine(
            "Request to be treated as a potential bidder", recorded.bidder_request_on, "Recorded"
        ),
        StatutoryLine("The full moratorium ends", due.full_moratorium_end, full_how),
        StatutoryLine(
            "The protected period ends",
            due.protected_period_end,
            f"{plural(durations.protected_period_months, 'months')} from the notice",
        ),
    )


def evidence_pack(
    bid: Mapping[str, Any],
    *,
    durations: ClockDurations,
    voices: BuildingVoices,
    generated_at: datetime,
) -> EvidencePack:
    """The pack's facts from an asset bid as programme services return it."""
    if bid.get("group_org_id"):
        identifier = str(bid["group_org_id"])
    elif bid.get("group_host_org_id"):
        identifier = str(bid["group_host_org_id"])
    else:
        identifier = "Not registered"
    return EvidencePack(
        bid_id=int(bid["id"]),
        asset_name=str(bid["asset_name"]),
        address=str(bid.get("address") or ""),
        postcode=str(bid.get("postcode") or ""),
        owner=str(bid.get("owner") or ""),
        local_authority=str(bid.get("local_authority") or ""),
        place=str(bid.get("locality_name") or ""),
        group_name=str(bid["group_name"]),
        group_identifier=identifier,
        group_host=str(bid.get("group_host_name") or ""),
        stage=AssetBidStage(bid["stage"]).label,
        dates=statutory_lines(bid, durations),
        durations=durations,
        generated_at=generated_at,
        voices=voices,
    )


def evidence_filename(pack: EvidencePack) -> str:
    return (
        f"groundswell-evidence-asset-bid-{pack.bid_id}-{pack.generated_at.date().isoformat()}.pdf"
    )
