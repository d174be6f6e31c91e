"""The pairwise score as the policy computed it before it was vectorised: a double loop over
each organiser's voices, kept here as the oracle the fast version must match to the bit."""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterator, Mapping, Sequence


def pairwise_scores(
    weights: Mapping[str, Mapping[str, float]], eligible: Sequence[str], m: float
) -> dict[str, float]:
    k: dict[str, int] = defaultdict(int)
    for o in eligible:
        for voice in weights[o]:
            k[voice] += 1
    v: dict[str, dict[str, float]] = {
        o: {voice: w / k[voice] for voice, w in sorted(weights[o].items())} for o in eligible
    }
    root: dict[str, dict[str, float]] = defaultdict(dict)
    for o in eligible:
        for voice, v_io in v[o].items():
            root[voice][o] = math.sqrt(v_io)
    return {o: _pairwise_score(o, v[o], root, m) for o in eligible}


def _pairwise_score(
    o: str, v_o: dict[str, float], root: dict[str, dict[str, float]], m: float
) -> float:
    voices = list(v_o)
    a = [root[voice][o] for voice in voices]
    profiles = [root[voice] for voice in voices]

    def cross_terms() -> Iterator[float]:
        for x in range(len(voices)):
            ax, px = a[x], profiles[x]
            for y in range(x + 1, len(voices)):
                py = profiles[y]
                p = ax * a[y]
                if len(px) == 1 or len(py) == 1:
                    overlap = p
                else:
                    small, large = (px, py) if len(px) <= len(py) else (py, px)
                    overlap = math.fsum(small[q] * large[q] for q in small if q in large)
                yield p * m / (m + overlap)

    return math.fsum(v_o.values()) + 2.0 * math.fsum(cross_terms())
