"""The 0-10 answers summed up per organiser, and the pool's median organiser (pure)."""

from __future__ import annotations

import dataclasses

import pytest
from hypothesis import given
from hypothesis import strategies as st

from groundswell.listening.benchmark import Figures, median_of
from groundswell.listening.netscore import NetScore, net_score


def test_spread_and_net_score() -> None:
    # 3 answer 9-10, 1 answers 7-8, 2 answer 0-6: (3 - 2) / 6 = 16.7% -> +17.
    result = net_score([10, 9, 9, 8, 6, 0], threshold=5)
    assert result == NetScore(
        answers=6,
        spread=(1, 0, 0, 0, 0, 0, 1, 0, 1, 2, 1),
        promoters=50,
        passives=17,
        detractors=33,
        net=17,
    )


def test_net_score_rounds_half_away_from_zero() -> None:
    assert net_score([10, 7, 7, 7, 7, 7, 7, 7], threshold=1).net == 13  # type: ignore[union-attr]  # 12.5
    assert net_score([0, 7, 7, 7, 7, 7, 7, 7], threshold=1).net == -13  # type: ignore[union-attr]


def test_below_the_threshold_nothing_is_shown() -> None:
    assert net_score([10, 10, 10, 10], threshold=5) is None
    assert net_score([], threshold=5) is None
    assert net_score([], threshold=0) is None  # never a score from no one
    assert net_score([10] * 5, threshold=5) is not None


@pytest.mark.parametrize("bad", [-1, 11, True])
def test_an_answer_outside_the_scale_is_a_bug(bad: int) -> None:
    with pytest.raises(ValueError, match="0 to 10"):
        net_score([5, bad], threshold=1)


@given(st.lists(st.integers(0, 10), max_size=60), st.integers(1, 10))
def test_output_is_counts_only_and_adds_up(answers: list[int], threshold: int) -> None:
    result = net_score(answers, threshold=threshold)
    if len(answers) < threshold:
        assert result is None
        return
    assert result is not None
    assert sum(result.spread) == result.answers == len(answers)
    assert -100 <= result.net <= 100
    assert abs(result.net - (result.promoters - result.detractors)) <= 1
    # Only aggregate numbers: the same answers in any order give the same result, so nothing
    # in it can say which resident answered what.
    assert net_score(list(reversed(answers)), threshold=threshold) == result
    assert {f.name for f in dataclasses.fields(result)} == {
        "answers",
        "spread",
        "promoters",
        "passives",
        "detractors",
        "net",
    }


def _figures(voices: int, themes: dict[str, int], net: int | None) -> Figures:
    score = None if net is None else NetScore(5, (0,) * 11, 0, 0, 0, net)
    return Figures(voices=voices, themes=themes, net=score)


def test_median_organiser() -> None:
    median = median_of(
        [
            _figures(10, {"value": 5, "hope": 5}, 40),
            _figures(4, {"value": 4}, None),
            _figures(0, {}, None),
            _figures(6, {"concern": 3, "value": 3}, -20),
        ]
    )
    assert median.organisers == 4
    assert median.voices == 5.0  # median of 0, 4, 6, 10
    assert median.net == 10 and median.net_organisers == 2  # only those with a score
    assert median.theme_organisers == 3  # only those with any voice
    assert median.shares == {"value": 50, "concern": 0, "hope": 0, "idea": 0}


def test_median_of_no_organisers() -> None:
    median = median_of([])
    assert median.voices is None and median.net is None
    assert all(v is None for v in median.shares.values())
