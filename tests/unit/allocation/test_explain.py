"""The round page's words: each figure about voices says what it counts, and scores read alike."""

from __future__ import annotations

from types import SimpleNamespace

from groundswell.allocation.explain import explain, format_score, round_voices
from groundswell.allocation.states import (
    RoundStatus,
    allocation_state_label,
    round_status_label,
)


def _line(testimonies: int, counted: int, **excluded: int) -> dict[str, object]:
    return {"testimonies": testimonies, "counted": counted, "excluded": excluded}


def test_the_figures_about_voices_add_up_and_say_what_they_count() -> None:
    signal = SimpleNamespace(voices=4, new=3, returning=1, held_back=2)
    facts = dict(
        round_voices(
            [_line(10, 3, outside_window=5, hidden=2), _line(4, 2, withdrawn=2)],
            window_days=180,
            signal=signal,
            hear_back={"voices": 9, "opted_in": 3},
            loop={"owed": 3, "closed": 1},
            approved=True,
        ).facts
    )
    assert facts["Testimonies read"] == (
        "14 for these 2 organisers: 5 counted and 9 not counted: 5 older than the 180-day "
        "window, or given after the round; 2 withdrawn by the resident; 2 hidden by moderators."
    )
    assert facts["Residents counted"].startswith("5 in all, the sum of the “Residents counted”")
    assert facts["Different residents"].startswith("4: each resident once")
    assert facts["New and returning"].startswith("Of those 4: 3 new and 1 returning (25% ")
    assert facts["Asked to hear back"].startswith("3 of the 9 residents whose voices the round")
    assert "from the last 180 days" in facts["Asked to hear back"]
    assert facts["Residents told what happened"] == (
        "1 of the 3 who asked (result texts delivered; 2 waiting to be sent)."
    )


def test_residents_told_before_approval_and_when_some_cannot_be_reached() -> None:
    before = dict(round_voices([], window_days=90, loop={"owed": 0, "closed": 0}).facts)
    assert before["Residents told what happened"].startswith("Residents who asked to hear back")
    unreachable = dict(
        round_voices(
            [],
            window_days=90,
            hear_back={"voices": 5, "opted_in": 3},
            loop={"owed": 2, "closed": 2},
            approved=True,
        ).facts
    )
    assert unreachable["Residents told what happened"] == (
        "2 of the 2 who asked and can still be reached by text (result texts delivered)."
    )


def test_scores_have_one_decimal_place_everywhere() -> None:
    assert [format_score(x) for x in (211, 583.26, 38.3, 1121.44)] == [
        "211.0",
        "583.3",
        "38.3",
        "1,121.4",
    ]
    why = explain(
        {
            "eligible": True,
            "counted": 6,
            "testimonies": 6,
            "score": 211,
            "total_score": 1121.4,
            "share": 0.188,
            "amount": 750000,
            "floor": 50000,
            "capped": True,
            "weights": [0.5] * 14,
            "weight_sum": 7.0,
        },
        "GBP",
    )
    assert "score 211.0 is 18.8% of all organisers' scores → £7,500.00" in why.summary
    assert "this includes the £500.00 every eligible organiser gets first" in why.summary
    assert "floor)" not in why.summary
    weights = dict(why.facts)["Weights"]
    assert "The 14 voices counted weigh 7.00 together; the heaviest 12 are 0.50," in weights
    assert "more;" not in weights


def test_statuses_have_human_labels() -> None:
    assert [round_status_label(s) for s in RoundStatus] == [
        "In review",
        "Paused",
        "Cancelled",
        "Approved",
        "Paying",
        "Paid",
    ]
    assert allocation_state_label("not_funded") == "Not funded"
    assert allocation_state_label("in_transit") == "In transit"


def test_an_organiser_brought_up_to_the_cap_by_passed_on_money_is_told_so() -> None:
    from datetime import UTC, datetime, timedelta

    from groundswell.allocation.policy import Endorsement, PolicySettings, ScoreMethod, allocate

    as_of = datetime(2026, 9, 1, tzinfo=UTC)
    # Proportional scores 6 : 3 : 1 of £100 with a £40 cap: A's £60 is capped and its £20
    # passed on lifts B from its own £30 to the cap; C gets the rest.
    voices = {"A": 6, "B": 3, "C": 1}
    endorsements = [
        Endorsement(
            voice=f"{code}{n}", organiser=code, at=as_of - timedelta(minutes=1), strength=1.0
        )
        for code, count in voices.items()
        for n in range(count)
    ]
    settings = PolicySettings(score=ScoreMethod.PROPORTIONAL, min_endorsers=1, cap=40_00)
    result = allocate(voices, endorsements, settings, as_of, 100_00)
    lines = {a.organiser: a for a in result.allocations}
    assert [lines[c].amount for c in "ABC"] == [40_00, 40_00, 20_00]

    def cap_fact(code: str) -> str:
        return dict(explain(lines[code].explanation, "GBP").facts)["Cap"]

    assert cap_fact("A").startswith("Capped at £40.00; what was above it went")
    assert cap_fact("B") == (
        "Reached the cap of £40.00 with £10.00 passed on from capped organisers; anything "
        "more went to organisers still below the cap."
    )
    assert cap_fact("C").startswith("Not reached (£40.00); this includes £10.00 passed on")


def _round(shares: dict[str, int], budget: int, **policy: object) -> dict[str, dict]:
    from datetime import UTC, datetime, timedelta

    from groundswell.allocation.policy import Endorsement, PolicySettings, allocate

    as_of = datetime(2026, 9, 1, tzinfo=UTC)
    endorsements = [
        Endorsement(f"{code}{n}", code, as_of - timedelta(minutes=n + 1), 1.0)
        for code, count in shares.items()
        for n in range(count)
    ]
    policy.setdefault("score", "proportional")
    settings = PolicySettings(min_endorsers=1, half_life_days=1e9, **policy)  # type: ignore[arg-type]
    return {
        a.organiser: a.explanation
        for a in allocate(shares, endorsements, settings, as_of, budget).allocations
    }


def test_an_organiser_landing_exactly_on_the_cap_is_called_capped() -> None:
    # Two equal shares of £10.00 under a £5.00 cap: each share is exactly the cap.
    lines = _round({"A": 1, "B": 1}, 10_00, cap=5_00)
    why = explain(lines["A"], "GBP")
    assert lines["A"]["amount"] == 5_00 and not lines["A"]["capped"]
    assert dict(why.facts)["Cap"] == "Capped: its share came to exactly the cap of £5.00."
    assert "capped: the most one organiser can get this round" in why.summary
    assert "Not reached" not in " ".join(text for _, text in why.facts)
    assert "capped at 500" in lines["A"]["summary"]
    # Lifted to exactly the cap by money passed on, not cut: floors of £1.00 and £7.00 by
    # score with headroom £3.00; A's £4.20 is capped, and B's £2.10 plus what A passes on
    # comes to exactly its £3.00 headroom.
    lines = _round({"A": 6, "B": 3, "C": 1}, 10_00, cap=4_00, floor=1_00)
    assert lines["B"]["amount"] == 4_00 and not lines["B"]["capped"]
    assert dict(explain(lines["B"], "GBP").facts)["Cap"] == (
        "Reached the cap of £4.00 with £0.90 passed on from capped organisers; anything more "
        "went to organisers still below the cap."
    )


def test_a_small_positive_score_shows_significant_digits() -> None:
    assert [format_score(x) for x in (0.0312, 0.00031, 0.049, 0.0, 0.05, 2e-9)] == [
        "0.031",
        "0.00031",
        "0.049",
        "0.0",
        "0.1",
        "0.0000000020",
    ]
    why = explain(
        {
            "eligible": True,
            "counted": 5,
            "score": 0.0123,
            "total_score": 41.0,
            "share": 0.0123 / 41.0,
            "amount": 3,
            "weights": [0.002] * 5,
            "weight_sum": 0.01,
        },
        "GBP",
    )
    assert "score 0.012 is 0.030% of all organisers' scores" in why.summary
    assert dict(why.facts)["Score"].startswith("0.012, ")


def _rounding(adjustment: float, currency: str = "GBP") -> str:
    ex = {"eligible": True, "counted": 1, "amount": 100, "rounding_adjustment": adjustment}
    return dict(explain(ex, currency).facts)["Rounding"]


def test_a_rounding_adjustment_under_a_hundredth_of_a_penny_says_already_whole() -> None:
    assert _rounding(0.0) == "Already whole pence."
    assert _rounding(-1.1368683772161603e-13) == "Already whole pence."
    assert _rounding(0.004) == "Already whole pence."
    assert _rounding(0.4) == "To whole pence by largest remainder: +0.40p."
    assert _rounding(-0.43) == "To whole pence by largest remainder: -0.43p."


def test_the_minor_unit_comes_from_the_currency() -> None:
    assert _rounding(0.25, "EUR") == "To whole cents by largest remainder: +0.25 c."
    assert _rounding(0.25, "USD") == "To whole cents by largest remainder: +0.25¢."
    assert _rounding(0.0, "EUR") == "Already whole cents."
    assert _rounding(0.25, "XYZ") == "To whole minor units by largest remainder: +0.25 minor units."


def test_a_cocm_amount_is_explained_by_its_clusters() -> None:
    from datetime import UTC, datetime, timedelta

    from groundswell.allocation.policy import Endorsement, PolicySettings, allocate

    as_of = datetime(2026, 9, 1, 12, 30, tzinfo=UTC)
    es = [Endorsement(f"b{n}", "A", as_of - timedelta(minutes=n), 1.0) for n in range(4)]
    es += [Endorsement(f"a{n}", "A", as_of - timedelta(hours=3 + 2 * n), 1.0) for n in range(2)]
    es += [
        Endorsement(f"s{n}", code, as_of - timedelta(days=1, hours=n), 1.0)
        for n in range(2)
        for code in "AB"
    ]
    settings = PolicySettings(score="cocm", min_endorsers=1)  # type: ignore[arg-type]
    result = allocate(["A", "B"], es, settings, as_of, 100_00)
    a = next(line for line in result.allocations if line.organiser == "A")
    facts = dict(explain(a.explanation, "GBP").facts)
    assert facts["Score"].split(", ")[1].startswith("cluster matching (COCM)")
    assert facts["Clusters"].startswith(
        "The 8 residents counted formed 4 clusters, each counted as one voice of its combined "
        "weight: 6 share a cluster with another of them (2 back exactly the same organisers as "
        "another resident; 4 vouched for this organiser in the same hour as another); the "
        "largest is 4 residents weighing "
    )
    assert (
        "Had every resident counted alone (quadratic funding) the score would be"
        in facts["Clusters"]
    )
