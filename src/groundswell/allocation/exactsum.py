"""Exact sums of many floats, vectorised: what ``math.fsum`` gives, at numpy speed.

Pure (stdlib and numpy). The scoring methods promise results to the bit, independent of the
order of their inputs, which ``math.fsum`` delivers (its result is the exact sum of its inputs,
correctly rounded), at some 50 ns a term. Pairwise scoring sums about n²/2 terms for an
organiser with n voices (over a billion at 50,000 voices), so this module does the same job in
two steps that never round:

- :func:`exact_parts` turns an array into a few floats with *exactly* the same (real) sum;
  ``math.fsum`` of all the parts is then ``math.fsum`` of all the terms, to the bit;
- :func:`rounded_sums` adds a few arrays element by element, each result correctly rounded
  (as ``math.fsum`` of that element's terms would be).

Both rest on IEEE 754 double arithmetic with round-to-nearest, as numpy does it (no
fused multiply-add across separate ufunc calls, no flush-to-zero); the tests compare them with
``math.fsum`` and with exact rational arithmetic.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray

__all__ = ["Floats", "exact_parts", "rounded_sums", "segment_parts"]

Floats = NDArray[np.float64]

# Below this σ the extraction's grid would reach the subnormal range, where the reasoning below
# no longer holds; the (tiny) remainder is then handed over term by term, which is exact too.
_MIN_SIGMA_EXPONENT = -1020
_TWO_52 = 2.0**-52


def exact_parts(x: Floats, out: list[float]) -> None:
    """Append to ``out`` a few floats whose exact sum is exactly the sum of the terms of ``x``.

    Rump, Ogita and Oishi's ExtractVector ("Accurate floating-point summation", SIAM J. Sci.
    Comput. 31(1), 2008, lemma 3.3), repeated until nothing is left. With σ = 2^k, 2^M ≥ n + 2
    and every |p_i| < 2^-M·σ: q_i = (σ + p_i) - σ is p_i rounded to a multiple of 2^(k-53),
    computed exactly (Sterbenz); p_i - q_i is exact too, and at most 2^(k-53) in size; and every
    partial sum of the q_i is a multiple of 2^(k-53) below 2^k, hence a float, so numpy's sum
    of them (in whatever order it likes) is exact. Each round peels off 53 - M bits; the
    remainders become the next round's terms.
    """
    segment_parts(x, np.zeros(1, dtype=np.intp), [out])


def segment_parts(x: Floats, starts: NDArray[np.intp], outs: Sequence[list[float]]) -> None:
    """:func:`exact_parts` for each segment of ``x``: segment s runs from ``starts[s]`` (in
    ascending order, the first 0, none empty) to the next start, and its parts go to
    ``outs[s]``. Segments that share one list have each round's sums added together first,
    which is exact for the same reason numpy's sum of the q_i is, so a list gets one float a
    round however many of its segments the call holds."""
    n = x.size
    if n == 0:
        return
    lists: dict[int, int] = {}
    owner = np.array([lists.setdefault(id(out), len(lists)) for out in outs], dtype=np.intp)
    targets = list({id(out): out for out in outs}.values())
    top = float(x.max())
    bottom = float(x.min())
    ends = [*starts[1:].tolist(), n]
    if not (math.isfinite(top) and math.isfinite(bottom)):
        # Not a case any score reaches; math.fsum decides what inf and nan sum to.
        for s, e, out in zip(starts.tolist(), ends, outs, strict=True):
            out.extend(x[s:e].tolist())
        return
    big = max(top, -bottom)
    if big == 0.0:
        return
    m = (n + 1).bit_length()  # 2**m >= n + 2
    e = math.frexp(big)[1]  # every |x_i| < 2**e
    p = x
    q = np.empty_like(x)
    r = np.empty_like(x)
    spare: Floats | None = None
    while True:
        k = m + e
        if k < _MIN_SIGMA_EXPONENT:
            for s, end, out in zip(starts.tolist(), ends, outs, strict=True):
                rest = p[s:end]
                out.extend(rest[rest != 0.0].tolist())
            return
        sigma = math.ldexp(1.0, k)
        np.add(p, sigma, out=q)
        np.subtract(q, sigma, out=q)
        np.subtract(p, q, out=r)
        if len(targets) == 1:
            targets[0].append(float(q.sum()))
        else:
            sums = np.bincount(owner, np.add.reduceat(q, starts), minlength=len(targets))
            for total, out in zip(sums.tolist(), targets, strict=True):
                if total:
                    out.append(total)
        if not r.any():
            return
        # The remainder is the next round's input; never write into the caller's array.
        if p is x:
            if spare is None:
                spare = np.empty_like(x)
            p, r = r, spare
        else:
            p, r = r, p
        e = k - 53  # every remainder is at most 2**(k-53) in size


def _two_sum(a: Floats, b: Floats) -> tuple[Floats, Floats]:
    """Knuth's TwoSum: a + b rounded, and exactly what the rounding lost."""
    total = a + b
    bb = total - a
    return total, (a - (total - bb)) + (b - bb)


def rounded_sums(columns: Sequence[Floats]) -> Floats:
    """Element by element, the correctly rounded sum of ``columns``, as ``math.fsum`` of each
    element's terms gives it (to nearest, ties to even).

    TwoSum carries each column into a running sum s and keeps every rounding error exactly;
    the errors are added up the same way, to E plus second-order errors F. The exact sum is
    s + E + F. Where F is zero, s + E rounded once by the hardware is the correctly rounded
    sum, ties included. Otherwise F is far below half a unit in the last place, and the result
    stands wherever s + E's own rounding error plus F cannot cross a halfway point; anything
    else (not seen in practice) is summed again with ``math.fsum``. Two columns need none of
    this: one IEEE addition is correctly rounded.
    """
    s = columns[0].copy()
    if len(columns) == 1:
        return s
    if len(columns) == 2:
        np.add(s, columns[1], out=s)
        return s
    errors: list[Floats] = []
    for x in columns[1:]:
        s, e = _two_sum(s, x)
        errors.append(e)
    big_e = errors[0]
    second = np.zeros_like(s)  # the sum of the second-order errors' magnitudes
    for e in errors[1:]:
        big_e, f = _two_sum(big_e, e)
        second += np.abs(f)
    result, lost = _two_sum(s, big_e)  # the exact sum is result + lost + F, |F| <= second
    if not second.any():
        return result
    margin = second * (1.0 + len(columns) * _TWO_52)
    above = np.nextafter(result, np.inf) - result
    below = result - np.nextafter(result, -np.inf)
    certain = (second == 0.0) | ((lost + margin < 0.5 * above) & (lost - margin > -0.5 * below))
    if not certain.all():
        for i in np.flatnonzero(~certain).tolist():
            result.flat[i] = math.fsum(float(c.flat[i]) for c in columns)
    return result
