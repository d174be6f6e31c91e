"""Forgiving small typos in a search: bounded Damerau-Levenshtein distance over a small
vocabulary (the words of organiser names, codes and places), in Python so it behaves the same
on SQLite and PostgreSQL. Pure logic: no database, no web.

The vocabulary is at most tens of thousands of words; each query word is checked against it
with two cheap filters first (the lengths, and the letters one word has that the other lacks
entirely) so only a handful reach the distance itself."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

MAX_WORDS = 6  # words of a query we try to correct; more is not a typo, it is a sentence
MAX_WORD_LENGTH = 40  # longer is no name we hold, and the distance grows with length squared


def allowed_typos(word: str) -> int:
    """How many slips a word may have: none under three letters (every short word is close
    to some other), one up to five, two from six."""
    if len(word) < 3:
        return 0
    return 1 if len(word) <= 5 else 2


def distance(a: str, b: str, limit: int) -> int:
    """The optimal-string-alignment Damerau-Levenshtein distance between `a` and `b` (a swap
    of two neighbouring letters is one slip), or `limit + 1` as soon as it must exceed
    `limit`."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    if a == b:
        return 0
    previous2: list[int] = []
    previous = list(range(len(b) + 1))
    for i in range(1, len(a) + 1):
        current = [i] + [0] * len(b)
        for j in range(1, len(b) + 1):
            cost = 0 if a[i - 1] == b[j - 1] else 1
            best = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                best = min(best, previous2[j - 2] + 1)
            current[j] = best
        if min(current) > limit:
            return limit + 1
        previous2, previous = previous, current
    return min(previous[len(b)], limit + 1)


@dataclass(frozen=True)
class Vocabulary:
    """The words a search can be corrected to, with how often each occurs (the tie-break),
    grouped by length so a word is only measured against words of about its length."""

    counts: Counter[str]
    by_length: dict[int, list[str]]
    letters: dict[str, frozenset[str]] = field(default_factory=dict)  # filled as needed

    @classmethod
    def of(cls, words: Iterable[str]) -> Vocabulary:
        counts = Counter(word for word in words if 0 < len(word) <= MAX_WORD_LENGTH)
        by_length: dict[int, list[str]] = {}
        for word in counts:
            by_length.setdefault(len(word), []).append(word)
        return cls(counts, by_length)

    def closest(self, word: str) -> str | None:
        """The vocabulary word nearest `word` within its allowed typos: fewest slips, then
        the commonest, then alphabetical; None when none is near enough."""
        limit = allowed_typos(word)
        if limit == 0 or len(word) > MAX_WORD_LENGTH:
            return None
        mine = frozenset(word)
        best: tuple[int, int, str] | None = None
        for length in range(len(word) - limit, len(word) + limit + 1):
            for candidate in self.by_length.get(length, ()):
                theirs = self.letters.get(candidate)
                if theirs is None:
                    theirs = self.letters[candidate] = frozenset(candidate)
                # Each slip brings in or takes away at most one letter.
                if len(mine - theirs) > limit or len(theirs - mine) > limit:
                    continue
                slips = distance(word, candidate, limit)
                if slips > limit:
                    continue
                key = (slips, -self.counts[candidate], candidate)
                if best is None or key < best:
                    best = key
        return None if best is None else best[2]

    def knows(self, word: str) -> bool:
        """True when `word` is (part of) some vocabulary word: the search finds it as it is."""
        return word in self.counts or any(word in candidate for candidate in self.counts)


def correct(words: list[str], vocabulary: Vocabulary) -> list[str] | None:
    """`words` with each unknown word replaced by its closest vocabulary word; None when
    nothing changed or some word is neither known nor near anything (then no correction can
    find a match, since every word must match)."""
    if not words or len(words) > MAX_WORDS:
        return None
    corrected: list[str] = []
    for word in words:
        # A code ("amnia-7k"): its name part is corrected against the names; the suffix is
        # two characters, too short to guess at, and there are thousands of codes to read.
        head, hyphen, tail = word.partition("-")
        if not head or vocabulary.knows(head):
            corrected.append(word)
            continue
        near = vocabulary.closest(head)
        if near is None:
            return None
        corrected.append(near + hyphen + tail)
    return None if corrected == words else corrected
