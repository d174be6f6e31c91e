"""The evidence pack a council officer files with a nomination, read back as text."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from groundswell.programme.clocks import (
    AssetBidDates,
    ClockDurations,
    asset_bid_deadlines,
    human_date,
)
from groundswell.programme.evidence import (
    MIN_PLACE_COUNT,
    BuildingVoices,
    PublicWords,
    evidence_filename,
    evidence_pack,
)
from groundswell.programme.evidence_pdf import build_evidence_pack, folded_places
from tests.pdfs import page_texts, pdf_text, render_pages

GENERATED = datetime(2026, 10, 3, 9, 30, tzinfo=UTC)
BID: dict[str, Any] = {
    "id": 12,
    "asset_name": "The Red Lion",
    "address": "1 High Street, Pallister",
    "postcode": "TS3 7AB",
    "owner": "Marston's plc",
    "local_authority": "Middlesbrough",
    "locality_name": "Pallister",
    "group_name": "Cyfeillion y Llew Coch / Friends of the Red Lion",
    "group_org_id": "GB-COH-09876543",
    "group_host_org_id": None,
    "group_host_name": None,
    "stage": "full_moratorium",
    "nominated_on": date(2025, 9, 1),
    "listed_on": date(2025, 10, 20),
    "disposal_notice_on": date(2026, 8, 31),
    "bidder_request_on": date(2026, 9, 20),
}


def pack_pdf(bid: dict[str, Any] = BID, voices: BuildingVoices | None = None) -> bytes:
    pack = evidence_pack(
        bid, durations=ClockDurations(), voices=voices or BuildingVoices(), generated_at=GENERATED
    )
    return build_evidence_pack(pack)


def test_with_no_voices_yet_the_pack_says_so_and_still_explains_the_method() -> None:
    pdf = pack_pdf()
    text = pdf_text(pdf)
    assert "Evidence of community support: The Red Lion" in text
    assert "Generated on 3 October 2026" in text
    assert "Cyfeillion y Llew Coch / Friends of the Red Lion" in text
    assert "GB-COH-09876543" in text
    assert "1 High Street, Pallister, TS3 7AB" in text and "Marston's plc" in text
    assert "Stage Full moratorium" in text
    assert "No residents have vouched for this building yet." in text
    assert "How the voices were verified" in text
    assert "One voice per phone." in text and "6-digit code" in text
    pages = page_texts(pdf)
    for number, page in enumerate(pages, start=1):
        assert f"Page {number} of {len(pages)}" in page
        assert "Groundswell evidence pack · The Red Lion · generated 3 October 2026" in page


def test_the_statutory_dates_are_the_clocks_dates() -> None:
    text = pdf_text(pack_pdf())
    expected = asset_bid_deadlines(
        AssetBidDates(
            nominated_on=BID["nominated_on"],
            listed_on=BID["listed_on"],
            disposal_notice_on=BID["disposal_notice_on"],
            bidder_request_on=BID["bidder_request_on"],
        )
    )
    # A notice on 31 August: six months ends on the last day of February.
    assert expected.full_moratorium_end == date(2027, 2, 28)
    assert f"The full moratorium ends {human_date(date(2027, 2, 28))}" in text
    assert (
        f"The interim moratorium ends {human_date(date(2026, 10, 11))} 6 weeks from the notice"
        in text
    )
    assert expected.decision_due and expected.listing_expires and expected.protected_period_end
    assert f"{human_date(expected.decision_due)} 8 weeks from the nomination" in text
    assert f"The listing expires {human_date(expected.listing_expires)} 5 years" in text
    protected = human_date(expected.protected_period_end)
    assert f"The protected period ends {protected} 18 months from the notice" in text


def test_dates_not_yet_recorded_show_a_dash_and_what_would_start_them() -> None:
    bid = {
        **BID,
        "stage": "nominated",
        "listed_on": None,
        "disposal_notice_on": None,
        "bidder_request_on": None,
    }
    text = pdf_text(pack_pdf(bid))
    assert "The listing expires — 5 years from the listing" in text
    assert "The full moratorium ends — Only if a community interest group asks in writing" in text
    late = {**BID, "bidder_request_on": date(2026, 10, 20)}
    assert "Does not apply: the request came after the interim moratorium ended" in pdf_text(
        pack_pdf(late)
    )


def test_residents_voices_counts_months_places_and_public_words() -> None:
    voices = BuildingVoices(
        count=37,
        by_month=((date(2026, 7, 1), 16), (date(2026, 8, 1), 9), (date(2026, 9, 1), 12)),
        places=(
            ("Pallister Park", 14),
            ("Park End", 11),
            ("Berwick Hills", 9),
            ("Ormesby Road", 2),
            ("", 1),
        ),
        public_words=(
            PublicWords("Siân ran the quiz here every Thursday for ten years.", date(2026, 9, 14)),
            PublicWords("Lle i bawb. Ŵyr a nain yn cwrdd bob dydd Sul.", date(2026, 7, 2)),
        ),
    )
    pdf = pack_pdf(voices=voices)
    text = pdf_text(pdf)
    assert "37 different residents vouched for The Red Lion (one voice per phone)." in text
    assert "No residents have vouched" not in text
    assert "July 2026 16" in text and "September 2026 12" in text
    assert "Pallister Park 14" in text and "Berwick Hills 9" in text
    # A street with two voices is not named: it could point at who they are.
    assert "Ormesby Road" not in text
    assert "Other places, or not given 3" in text
    assert "2 of the 37 residents chose to make their words public" in text
    assert "“Siân ran the quiz here every Thursday for ten years.” Given in September 2026" in text
    assert "Ŵyr a nain" in text
    render_pages(pdf, "evidence-with-voices", dpi=80)


def test_places_fold_below_the_threshold() -> None:
    assert folded_places([("A", MIN_PLACE_COUNT), ("B", MIN_PLACE_COUNT - 1), (" ", 4)]) == [
        ("A", MIN_PLACE_COUNT),
        ("Other places, or not given", MIN_PLACE_COUNT + 3),
    ]
    assert folded_places([]) == []


def test_filename_and_pictures() -> None:
    pack = evidence_pack(
        BID, durations=ClockDurations(), voices=BuildingVoices(), generated_at=GENERATED
    )
    assert evidence_filename(pack) == "groundswell-evidence-asset-bid-12-2026-10-03.pdf"
    assert len(render_pages(build_evidence_pack(pack), "evidence-empty", dpi=80)) >= 1
