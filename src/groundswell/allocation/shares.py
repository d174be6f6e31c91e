"""Splitting a round's lines among a co-funded pool's funders, in exact minor units. Pure.

Each funder weighs what it has made available to the pool; a line's exact share for a
funder is line × weight / total weight. Every line is split by largest remainder: each
funder gets the whole minor units of its exact share, and the units left over go to the
funders with the largest remainders, carried from line to line (a funder rounded down on
one line is first in line for the next unit). So that the round as a whole rounds as well
as each line does, a unit only goes where the lines still to come can be completed with
every funder's round total within a unit of its exact total. The result:

- every line's parts sum exactly to the line;
- every part is its exact share rounded down or up (within one unit);
- every funder's total over the lines is its exact total rounded down or up, so none is
  given more than it made available when the lines ask no more than all of them made
  available (a round never allocates more than the pool holds);
- the same inputs give the same parts (ties go to the funder listed first).

Such a rounding always exists (rows and column totals of a transportation problem with 0/1
extras: an integral polytope holding the exact fractional split), and "can the remaining
lines still be completed" is, for a handful of funders, a check over every subset of them
(Frank's condition for a base polytope meeting a box). All arithmetic is on integers.
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import combinations

# The feasibility check looks at every subset of funders: 2**6 of them take about a second
# for a round of 10,000 lines. A pool has its lead funder and at most five co-funders.
MAX_FUNDERS = 6


def split_lines(amounts: Sequence[int], weights: Sequence[int]) -> list[list[int]]:
    """Each line's parts, one per weight, in the weights' order.

    `weights` are what each funder made available (negative counts as nothing); a funder
    with nothing gets nothing. When every weight is zero, the first funder (the lead) takes
    every line. When the lines ask more than the weights add up to, the first weight is
    raised by the difference: the caller says whose money that is (allocation/attribution.py).
    """
    n = len(weights)
    if not 1 <= n <= MAX_FUNDERS:
        raise ValueError(f"Splitting a line needs 1 to {MAX_FUNDERS} funders.")
    if any(amount < 0 for amount in amounts):
        raise ValueError("A line's amount is never negative.")
    clean = [max(0, int(w)) for w in weights]
    shortfall = sum(amounts) - sum(clean)
    if shortfall > 0:
        clean[0] += shortfall
    total = sum(clean)
    if total == 0:
        return [[amount] + [0] * (n - 1) for amount in amounts]

    parts: list[list[int]] = []
    rests: list[list[int]] = []
    for amount in amounts:
        whole_rest = [divmod(amount * weight, total) for weight in clean]
        parts.append([whole for whole, _ in whole_rest])
        rests.append([rest for _, rest in whole_rest])
    # What each funder's leftover fractions add up to, in units: its round total is the
    # sum of its floors plus this, rounded down or up.
    fractions = [sum(rest[i] for rest in rests) for i in range(n)]
    low = [f // total for f in fractions]
    high = [-(-f // total) for f in fractions]
    extras = [(amount - sum(line)) for amount, line in zip(amounts, parts, strict=True)]
    supports = [sum(1 << i for i in range(n) if rest[i]) for rest in rests]
    todo = [j for j, extra in enumerate(extras) if extra]
    plan = _Plan(n, [(supports[j], extras[j]) for j in todo])

    carried = [0] * n  # exact share so far minus parts so far, times `total`
    for step, j in enumerate(todo):
        pending = [carried[i] + rests[j][i] for i in range(n)]
        ranked = sorted(
            (i for i in range(n) if supports[j] >> i & 1), key=lambda i: (-pending[i], i)
        )
        for chosen in combinations(ranked, extras[j]):
            if plan.completes(step + 1, chosen, low, high):
                break
        else:  # pragma: no cover - the rounding exists (see the module's docstring)
            raise AssertionError("No exact split of a line; the inputs broke an invariant.")
        for i in chosen:
            parts[j][i] += 1
            pending[i] -= total
            low[i] -= 1
            high[i] -= 1
        carried = pending
    return parts


class _Plan:
    """For every subset S of funders and every point in the lines still to split: how many
    of their left-over units S can take at most, and how many it must take at least."""

    def __init__(self, n: int, lines: list[tuple[int, int]]) -> None:
        self.n = n
        subsets = 1 << n
        full = subsets - 1
        self.most = [[0] * (len(lines) + 1) for _ in range(subsets)]
        self.least = [[0] * (len(lines) + 1) for _ in range(subsets)]
        for s in range(subsets):
            most, least = self.most[s], self.least[s]
            for k in range(len(lines) - 1, -1, -1):
                support, extra = lines[k]
                most[k] = most[k + 1] + min(extra, (support & s).bit_count())
                least[k] = least[k + 1] + max(0, extra - (support & (full ^ s)).bit_count())

    def completes(self, after: int, chosen: Sequence[int], low: list[int], high: list[int]) -> bool:
        """Whether, with `chosen` given this line's units, the lines from `after` on can
        still bring every funder's total between its bounds."""
        low = list(low)
        high = list(high)
        for i in chosen:
            low[i] -= 1
            high[i] -= 1
        if any(h < 0 for h in high):
            return False
        need = [max(0, value) for value in low]
        subsets = 1 << self.n
        need_sum = [0] * subsets
        high_sum = [0] * subsets
        for s in range(1, subsets):
            i = (s & -s).bit_length() - 1
            rest = s & (s - 1)
            need_sum[s] = need_sum[rest] + need[i]
            high_sum[s] = high_sum[rest] + high[i]
            if need_sum[s] > self.most[s][after] or self.least[s][after] > high_sum[s]:
                return False
        return True


def split_one(amount: int, weights: Sequence[int]) -> list[int]:
    """One amount's parts, as `split_lines` splits a single line."""
    return split_lines([amount], weights)[0]
