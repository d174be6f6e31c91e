"""Where an organiser stands for continuation funding, in words for the organiser page.

The rule is allocation.inputs' (DESIGN.md, "Allocation"): a round can fund an organiser who
is active, whose bursary year has ended or ends within the round's period, and whose place is
one of the pool's places (any place, where a pool names none), once enough residents vouch.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from groundswell.community.states import OrganiserStatus

STATUS_LABELS = {
    OrganiserStatus.ACTIVE.value: "Active",
    OrganiserStatus.PAUSED.value: "Paused: left out of funding rounds while paused",
    OrganiserStatus.LEFT.value: "Left: no longer in funding rounds",
}


@dataclass(frozen=True)
class Standing:
    status: str  # the status in words
    bursary: str  # when the bursary year ended or ends, and what that means for funding
    ended: bool  # the bursary year has ended


def _day(value: date) -> str:
    return value.strftime("%-d %b %Y")


def funding_standing(status: str, bursary_end: date, place: str, today: date) -> Standing:
    ended = bursary_end < today
    label = STATUS_LABELS.get(status, status.capitalize())
    if ended:
        bursary = f"Bursary year ended {_day(bursary_end)}"
    else:
        bursary = f"Bursary year ends {_day(bursary_end)}"
    if status != OrganiserStatus.ACTIVE.value:
        bursary += "."
    elif ended:
        bursary += (
            f" — eligible for continuation funding from pools that listen in {place}, "
            "once enough residents vouch."
        )
    else:
        bursary += (
            " — eligible for continuation funding from the round for the period it ends in, "
            f"from pools that listen in {place}, once enough residents vouch."
        )
    return Standing(status=label, bursary=bursary, ended=ended)
