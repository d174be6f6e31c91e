"""Pairwise scoring, vectorised: the same floats as the double loop it replaced, to the bit.

The oracle is the previous implementation, kept in tests/unit/allocation/reference.py. The
fast one is driven through every path it has (organisers batched together or taken a few rows
at a time, groups of residents who share organisers batched or taken as blocks) by shrinking
its step size, and the two exact-summation tools are checked against exact rationals.
"""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from groundswell.allocation import pairwise
from groundswell.allocation.exactsum import exact_parts, rounded_sums, segment_parts
from tests.unit.allocation import reference

EXACT = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# Every kind of double a sum can meet: ordinary, tiny, subnormal, ties-prone (few bits).
any_float = (
    st.floats(-1e6, 1e6, allow_nan=False)
    | st.floats(-1e-300, 1e-300, allow_nan=False, allow_subnormal=True)
    | st.sampled_from([0.0, 5e-324, -5e-324, 1.0, 0.5, 2.0**-53, 1 + 2.0**-52, 3.0, 2.0**-1022])
)


@EXACT
@given(st.lists(any_float, max_size=300))
def test_exact_parts_keep_the_exact_sum(xs: list[float]) -> None:
    parts: list[float] = []
    exact_parts(np.array(xs, dtype=np.float64), parts)
    assert sum(map(Fraction, parts), Fraction(0)) == sum(map(Fraction, xs), Fraction(0))
    assert math.fsum(parts) == math.fsum(xs)


@EXACT
@given(
    st.lists(
        st.tuples(st.integers(0, 3), st.lists(any_float, min_size=1, max_size=40)),
        min_size=1,
        max_size=8,
    )
)
def test_segments_keep_each_lists_exact_sum(segments: list[tuple[int, list[float]]]) -> None:
    # Segments go to four lists, several to one list at times.
    flat = np.array([x for _, seg in segments for x in seg], dtype=np.float64)
    starts = np.cumsum([0, *(len(seg) for _, seg in segments)])[:-1]
    lists: list[list[float]] = [[] for _ in range(4)]
    segment_parts(flat, starts, [lists[owner] for owner, _ in segments])
    for owner, out in enumerate(lists):
        expected = [x for o, seg in segments if o == owner for x in seg]
        assert sum(map(Fraction, out), Fraction(0)) == sum(map(Fraction, expected), Fraction(0))


non_negative = (
    st.floats(0.0, 1.0)
    | st.floats(0.0, 1e-300, allow_subnormal=True)
    | st.sampled_from([0.0, 5e-324, 1.0, 0.5, 0.75, 2.0**-53, 1 + 2.0**-52, 1 - 2.0**-53])
)


@EXACT
@given(st.integers(1, 6).flatmap(lambda k: st.lists(st.tuples(*[non_negative] * k), max_size=50)))
def test_rounded_sums_round_like_fsum(rows: list[tuple[float, ...]]) -> None:
    if not rows:
        return
    columns = [np.array(col, dtype=np.float64) for col in zip(*rows, strict=True)]
    got = rounded_sums(columns)
    assert got.tolist() == [math.fsum(row) for row in rows]


def test_rounded_sums_decide_exact_ties_to_even() -> None:
    # 1 + 2^-53 + 2^-106 is just above a tie; 1 + 2^-53 is a tie (to even: 1).
    columns = [np.array([1.0, 1.0, 1.0 + 2**-52]), np.array([2**-53] * 3)]
    columns.append(np.array([2**-106, 0.0, 0.0]))
    assert rounded_sums(columns).tolist() == [
        math.fsum([1.0, 2**-53, 2**-106]),
        1.0,
        1.0 + 2**-51,
    ]


# Rounds of up to 7 organisers and 60 residents: residents either pick one of a few organiser
# sets (so groups and blocks form) or a set of their own; weights of every kind, M of any size.
weight_st = (
    st.sampled_from([1.0, 0.5, 0.25])
    | st.floats(0.01, 1.0)
    | st.floats(1e-300, 1e-100)
    | st.just(5e-324)
)


@st.composite
def rounds(draw: st.DrawFn) -> tuple[dict[str, dict[str, float]], list[str], float]:
    codes = [f"O{i}" for i in range(draw(st.integers(1, 7)))]
    sets = draw(st.lists(st.sets(st.sampled_from(codes), min_size=1), min_size=1, max_size=4))
    weights: dict[str, dict[str, float]] = {o: {} for o in codes}
    for i in range(draw(st.integers(1, 60))):
        backs = draw(st.sampled_from(sets) | st.sets(st.sampled_from(codes), min_size=1))
        for o in sorted(backs):
            weights[o][f"r{i}"] = draw(weight_st)
    m = draw(st.sampled_from([1.0, 0.1, 10.0, 1e12, 1e-3]) | st.floats(0.001, 1000.0))
    return weights, [o for o in codes if weights[o]], m


@pytest.mark.parametrize("chunk", [1, 7, 64, 1 << 16])
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rounds())
def test_pairwise_matches_the_double_loop_to_the_bit(
    chunk: int, round_: tuple[dict[str, dict[str, float]], list[str], float]
) -> None:
    weights, eligible, m = round_
    before = pairwise.CHUNK
    pairwise.CHUNK = chunk
    try:
        fast = pairwise.pairwise_scores(weights, eligible, m)
    finally:
        pairwise.CHUNK = before
    slow = reference.pairwise_scores(weights, eligible, m)
    assert [x.hex() for x in fast.values()] == [slow[o].hex() for o in fast]
    assert list(fast) == eligible


def test_one_large_organiser_and_a_large_shared_group_match_the_double_loop() -> None:
    # 400 voices for A (taken a few rows at a time), 300 of them also backing B and C together
    # (a group too big for one batch), some of those also backing D.
    rng = np.random.default_rng(7)
    weights: dict[str, dict[str, float]] = {o: {} for o in "ABCD"}
    for i in range(400):
        weights["A"][f"r{i}"] = float(0.5 ** (rng.random() * 2))
        if i < 300:
            weights["B"][f"r{i}"] = float(rng.random())
            weights["C"][f"r{i}"] = float(rng.random())
        if 250 <= i < 320:
            weights["D"][f"r{i}"] = float(rng.random())
    before = pairwise.CHUNK
    pairwise.CHUNK = 4096
    try:
        fast = pairwise.pairwise_scores(weights, list("ABCD"), 1.0)
    finally:
        pairwise.CHUNK = before
    assert fast == reference.pairwise_scores(weights, list("ABCD"), 1.0)
