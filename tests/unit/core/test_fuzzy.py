"""Small typos forgiven (core/fuzzy.py): the distance, the allowance, the correction."""

from __future__ import annotations

from groundswell.core.fuzzy import Vocabulary, allowed_typos, correct, distance
from groundswell.core.text import search_folded
from groundswell.demo.large import EXTRA_FIRST_NAMES
from groundswell.demo.names import FIRST_NAMES, SURNAMES


def test_distance_counts_a_swap_as_one_slip_and_stops_past_the_limit() -> None:
    assert distance("siobhan", "siobhan", 2) == 0
    assert distance("siobahn", "siobhan", 2) == 1  # two neighbours swapped
    assert distance("amna", "amina", 1) == 1  # one missing
    assert distance("hussain", "hussein", 2) == 1
    assert distance("kitten", "sitting", 2) == 3  # the limit + 1: "too far"
    assert distance("a" * 40, "b" * 40, 2) == 3
    assert distance("", "abc", 1) == 2


def test_short_words_get_one_slip_longer_two_tiny_none() -> None:
    assert [allowed_typos(w) for w in ("ab", "abc", "abcde", "abcdef")] == [0, 1, 1, 2]


def test_correction_replaces_only_unknown_words_and_prefers_the_commonest() -> None:
    words = Vocabulary.of(["amina", "hussein", "amina-7k", "hulme", "hulme", "holme"])
    assert correct(["amnia", "hussein"], words) == ["amina", "hussein"]
    assert correct(["amina"], words) is None  # nothing to correct
    assert correct(["hulm"], words) is None  # a part of a word is found as it is
    assert correct(["hlume"], words) == ["hulme"]  # the commoner of two equally near
    assert correct(["zzzzzz"], words) is None  # nothing near
    assert correct(["amnia-7k"], words) == ["amina-7k"]  # a code's name part
    assert correct(["amina-7j"], words) is None  # its suffix is too short to guess at
    assert correct(["ab"], words) is None  # too short to guess at
    assert correct(["x"] * 7, words) is None  # a sentence, not a typo


def test_ten_thousand_organisers_are_corrected_right() -> None:
    # The large demo's names (10,000 organisers) and codes like theirs. Its speed is
    # measured, not asserted (README: organiser search); tests never time the machine.
    first_names = FIRST_NAMES + EXTRA_FIRST_NAMES
    words: list[str] = []
    for n in range(10_000):
        first, surname = first_names[n % len(first_names)], SURNAMES[n % len(SURNAMES)]
        code = f"{first[:6]}-{n % 8 + 2}{chr(65 + n // 8 % 26)}"
        for token in search_folded(f"{first} {surname} {code}").split():
            words += [token, *token.split("-")] if "-" in token else [token]
    vocabulary = Vocabulary.of(words)
    assert correct(["siobahn"], vocabulary) == ["siobhan"]
    assert correct(["qqqqqqqq", "wwwwww"], vocabulary) is None
