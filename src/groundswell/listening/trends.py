"""Where it is quiet: organisers with few voices lately, or fewer than before (pure).

Funders learn at least as much from where the work is not catching as from where it is;
the locality page surfaces these so someone asks what happened, not to mark anyone down."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from groundswell.listening.tally import VoiceTrend

WINDOW = timedelta(days=90)
FEW_VOICES = 5  # the default pool threshold: fewer distinct voices than this is "few"
FALLING_RATIO = 0.75  # a quarter or more fewer than in the 90 days before


@dataclass(frozen=True)
class Quiet:
    few: bool
    falling: bool
    reason: str


def quiet(trend: VoiceTrend) -> Quiet | None:
    """Why an organiser looks quiet, in words, or None when they do not."""
    few = trend.recent < FEW_VOICES
    falling = trend.previous > 0 and trend.recent <= trend.previous * FALLING_RATIO
    if not (few or falling):
        return None
    if trend.recent == 0:
        reason = "No voices in the last 90 days"
    else:
        voices = "voice" if trend.recent == 1 else "voices"
        reason = f"{'Only ' if few else ''}{trend.recent} {voices} in the last 90 days"
    if trend.previous == 0:
        reason += ", and none in the 90 days before"
    elif trend.recent < trend.previous:
        reason += f", down from {trend.previous} in the 90 days before"
    else:
        reason += f" ({trend.previous} in the 90 days before)"
    return Quiet(few=few, falling=falling, reason=reason + ".")
