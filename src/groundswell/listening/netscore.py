"""The optional "tell a neighbour" question, summed up for an organiser (pure).

Residents' own words come first; the 0-10 answer is a second, optional signal. It is only
ever shown as an organiser's aggregate (how many answered each of 0..10, and the net score:
the percentage answering 9-10 minus the percentage answering 0-6, rounded to a whole number),
and only once at least `threshold` residents have answered, so that no one resident's answer
can be read off the figures. The functions here take bare answers, never who gave them, so
nothing they return can carry a resident.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

SCALE = range(0, 11)
PROMOTER_FROM = 9  # 9 and 10
DETRACTOR_TO = 6  # 0 to 6


@dataclass(frozen=True, slots=True)
class NetScore:
    answers: int  # residents who answered
    spread: tuple[int, ...]  # how many answered 0, 1, ... 10 (eleven counts)
    promoters: int  # percentage answering 9-10, whole percent
    passives: int  # 7-8
    detractors: int  # 0-6
    net: int  # round(%9-10 − %0-6), from −100 to 100

    def as_dict(self) -> dict[str, object]:
        return {
            "answers": self.answers,
            "spread": list(self.spread),
            "promoters": self.promoters,
            "passives": self.passives,
            "detractors": self.detractors,
            "net": self.net,
        }


def half_up(x: float) -> int:
    """Round half away from zero (Python's round() goes to even: 12.5 would be 12)."""
    return int(x + 0.5) if x >= 0 else -int(-x + 0.5)


def net_score(answers: Iterable[int], *, threshold: int) -> NetScore | None:
    """The spread and net score of one organiser's answers (one per resident), or None when
    fewer than `threshold` (at least 1) residents answered. Answers outside 0..10 are a bug
    upstream and raise."""
    spread = [0] * len(SCALE)
    for answer in answers:
        if answer not in SCALE or isinstance(answer, bool):
            raise ValueError(f"an answer must be a whole number from 0 to 10, not {answer!r}")
        spread[answer] += 1
    total = sum(spread)
    if total < max(1, threshold):
        return None
    promoters = sum(spread[PROMOTER_FROM:])
    detractors = sum(spread[: DETRACTOR_TO + 1])
    passives = total - promoters - detractors
    return NetScore(
        answers=total,
        spread=tuple(spread),
        promoters=half_up(100 * promoters / total),
        passives=half_up(100 * passives / total),
        detractors=half_up(100 * detractors / total),
        net=half_up(100 * (promoters - detractors) / total),
    )
