"""Splitting a co-funded round's lines among its funders: exact, proportional, capped."""

from __future__ import annotations

from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from groundswell.allocation.shares import split_lines, split_one

weights_st = st.lists(st.integers(min_value=0, max_value=10_000_000), min_size=1, max_size=6)
amounts_st = st.lists(st.integers(min_value=0, max_value=2_000_000), min_size=0, max_size=60)


@settings(max_examples=400, deadline=None)
@given(amounts=amounts_st, weights=weights_st)
def test_every_line_sums_exactly_and_each_part_is_within_a_unit(
    amounts: list[int], weights: list[int]
) -> None:
    parts = split_lines(amounts, weights)
    assert len(parts) == len(amounts)
    total = sum(weights)
    for amount, line in zip(amounts, parts, strict=True):
        assert sum(line) == amount
        assert all(part >= 0 for part in line)
        if total >= sum(amounts) and total > 0:
            for part, weight in zip(line, weights, strict=True):
                assert abs(part - Fraction(amount * weight, total)) < 1


@settings(max_examples=400, deadline=None)
@given(data=st.data(), weights=weights_st)
def test_no_funder_is_given_more_than_it_made_available(
    data: st.DataObject, weights: list[int]
) -> None:
    # Lines that together ask at most what the funders made available, as a round's do.
    budget = sum(weights)
    amounts = data.draw(st.lists(st.integers(min_value=0, max_value=max(budget, 0)), max_size=40))
    while sum(amounts) > budget:
        amounts.pop()
    parts = split_lines(amounts, weights)
    for i, weight in enumerate(weights):
        given_total = sum(line[i] for line in parts)
        assert given_total <= weight
        # And within a unit of its exact share of the whole round.
        if budget:
            assert abs(given_total - Fraction(sum(amounts) * weight, budget)) < 1


def test_a_funder_with_nothing_available_gets_nothing() -> None:
    parts = split_lines([333, 1, 2, 999], [500, 0, 500])
    assert all(line[1] == 0 for line in parts)
    assert [sum(line) for line in parts] == [333, 1, 2, 999]


def test_ties_go_to_the_funder_listed_first_every_time() -> None:
    assert split_one(1, [1, 1, 1]) == [1, 0, 0]
    assert split_one(100, [10**6, 10**6, 10**6]) == [34, 33, 33]
    # The next unit goes to those rounded down before.
    assert split_lines([1, 1, 1], [5, 5, 5]) == [[1, 0, 0], [0, 1, 0], [0, 0, 1]]
    assert split_lines([100, 100], [1, 1, 1]) == split_lines([100, 100], [1, 1, 1])


def test_one_funder_takes_every_line_whole() -> None:
    assert split_lines([5, 0, 123_456], [7]) == [[5], [0], [123_456]]
    assert split_lines([5, 7], [0]) == [[5], [7]]


def test_a_national_funder_a_council_and_a_trust() -> None:
    # £6,000, £3,000 and £1,000 available; a £1,234.57 line and a £99.99 one. The trust
    # takes the first line's odd penny (0.7 left over); on the second, the council is
    # furthest behind (0.8), then the national funder and the trust tie at 0.6: the first
    # listed wins.
    parts = split_lines([123_457, 9_999], [600_000, 300_000, 100_000])
    assert parts == [[74_074, 37_037, 12_346], [6_000, 3_000, 999]]


def test_lines_asking_more_than_was_made_available_fall_to_the_first_funder() -> None:
    assert split_lines([30], [10, 10]) == [[20, 10]]


def test_refuses_nonsense() -> None:
    with pytest.raises(ValueError):
        split_lines([1], [])
    with pytest.raises(ValueError):
        split_lines([-1], [1])
