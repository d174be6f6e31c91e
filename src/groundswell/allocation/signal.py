"""Is the signal behind a round healthy? New and returning voices, and what moderation held back.

For one round (its organisers are its allocation lines; its window is the `window_days` of the
policy it stored, ending at `as_of`, the moment it read the voices):

- **Voices in the round**: residents whose voice for one of its organisers counts now
  (vouching.queries.counting_condition: verified, not withdrawn, hidden or awaiting a
  moderator), their words given within the window.
- **New or returning**: a voice is *returning* when the same resident (one phone, one voice)
  had first vouched for any organiser in the pool's places (its localities; anywhere when it
  names none) before the round's window started; *new* otherwise. "First vouched" is the
  endorsement's `created_at`, which new words for the same organiser keep. A round's totals
  count each resident once, an organiser's count them once per organiser.
- **Held back**: taken from the round's own explanation (the policy's `excluded` counts
  "flagged", awaiting moderation, and "hidden", hidden by moderators), so this page uses the
  rule the round used rather than a second copy of it.
- **Flags**: why moderation looked at an organiser's voices in the window
  (Endorsement.flags, set and named in words by vouching.moderation, and "reported" for an
  open or closed reader report), counted per organiser.

Nothing returned names a resident: resident ids are read only to count them.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from groundswell.allocation.tables import Allocation, Round
from groundswell.vouching.moderation import flag_label
from groundswell.vouching.queries import counting_condition
from groundswell.vouching.states import EndorsementState, ModerationStatus
from groundswell.vouching.tables import Endorsement, ModerationReport

HELD_BACK_REASONS = ("flagged", "hidden")  # allocation.policy.EXCLUSION_REASONS held by moderation

# The pool's places, for "had vouched before": organiser `po` is in one of them.
_IN_POOL_PLACES = (
    "(NOT EXISTS (SELECT 1 FROM pool_locality pl WHERE pl.pool = {}) "
    "OR po.locality IN (SELECT pl.locality FROM pool_locality pl WHERE pl.pool = {}))"
)
# Only constant SQL is joined here; every value is a bound parameter.
_VOICES = (
    "SELECT endorsement.resident AS resident, endorsement.organiser AS organiser, "  # noqa: S608
    "CASE WHEN EXISTS (SELECT 1 FROM endorsement p JOIN organiser po ON po.id = p.organiser "
    "WHERE p.resident = endorsement.resident AND p.created_at < {} AND "
    + _IN_POOL_PLACES
    + ") THEN 1 ELSE 0 END AS is_returning "
    "FROM endorsement WHERE {} AND endorsement.organiser IN (SELECT a.organiser FROM allocation a "
    "WHERE a.round = {}) AND endorsement.updated_at > {} AND endorsement.updated_at <= {}"
)


@dataclass
class OrganiserSignal:
    organiser: int
    code: str
    name: str
    new: int = 0
    returning: int = 0
    held_back: dict[str, int] = field(default_factory=dict)  # flagged, hidden
    flags: dict[str, int] = field(default_factory=dict)  # flag -> voices carrying it

    @property
    def held_back_total(self) -> int:
        return sum(self.held_back.values())

    @property
    def flag_labels(self) -> list[tuple[str, int]]:
        labels: Counter[str] = Counter()
        for flag, count in self.flags.items():
            labels[flag_label(flag)] += count
        return sorted(labels.items(), key=lambda item: (-item[1], item[0]))

    @property
    def needs_a_look(self) -> bool:
        return bool(self.flags) or self.held_back_total > 0


@dataclass
class RoundSignal:
    window_days: int
    new: int = 0  # residents, each once across the round
    returning: int = 0
    organisers: list[OrganiserSignal] = field(default_factory=list)

    @property
    def voices(self) -> int:
        return self.new + self.returning

    @property
    def flagged(self) -> list[OrganiserSignal]:
        """Organisers whose voices moderation looked at or held back, most held back first."""
        return sorted(
            (o for o in self.organisers if o.needs_a_look),
            key=lambda o: (-o.held_back_total, -sum(o.flags.values()), o.name),
        )

    @property
    def held_back(self) -> int:
        return sum(o.held_back_total for o in self.organisers)


async def round_signal(round_id: int) -> RoundSignal | None:
    round_row = (
        await Round.select(Round.id, Round.pool, Round.as_of, Round.policy)
        .where(Round.id == round_id)
        .output(load_json=True)
        .first()
    )
    if round_row is None:
        return None
    window_days = int((round_row["policy"] or {}).get("window_days") or 180)
    as_of = round_row["as_of"]
    start = as_of - timedelta(days=window_days)
    lines = (
        await Allocation.select(
            Allocation.organiser,
            Allocation.explanation,
            Allocation.organiser.code.as_alias("code"),
            Allocation.organiser.name.as_alias("name"),
        )
        .where(Allocation.round == round_id)
        .output(load_json=True)
    )
    organisers = {
        line["organiser"]: OrganiserSignal(
            organiser=line["organiser"],
            code=line["code"],
            name=line["name"],
            held_back={
                reason: int(((line["explanation"] or {}).get("excluded") or {}).get(reason, 0))
                for reason in HELD_BACK_REASONS
            },
        )
        for line in lines
    }
    result = RoundSignal(window_days=window_days)
    if not organisers:
        return result

    rows = await Endorsement.raw(
        _VOICES,
        start,
        round_row["pool"],
        round_row["pool"],
        counting_condition().querystring,
        round_id,
        start,
        as_of,
    )
    seen: dict[Any, bool] = {}
    for row in rows:
        returning = bool(row["is_returning"])
        target = organisers.get(row["organiser"])
        if target is not None:
            if returning:
                target.returning += 1
            else:
                target.new += 1
        seen[row["resident"]] = returning
    result.returning = sum(seen.values())
    result.new = len(seen) - result.returning

    looked_at = (
        await Endorsement.select(Endorsement.id, Endorsement.organiser, Endorsement.flags)
        .where(
            Endorsement.organiser.is_in(list(organisers))
            & (Endorsement.updated_at > start)
            & (Endorsement.updated_at <= as_of)
            & (
                (Endorsement.moderation != ModerationStatus.CLEAR.value)
                | (Endorsement.state == EndorsementState.HIDDEN.value)
            )
        )
        .output(load_json=True)
    )
    reported = {
        row["endorsement"]
        for row in await ModerationReport.select(ModerationReport.endorsement).where(
            ModerationReport.endorsement.is_in([row["id"] for row in looked_at] or [-1])
        )
    }
    for row in looked_at:
        flags = set(row["flags"] or [])
        if row["id"] in reported:
            flags.add("reported")
        counts = organisers[row["organiser"]].flags
        for flag in flags:
            counts[flag] = counts.get(flag, 0) + 1
    result.organisers = sorted(organisers.values(), key=lambda o: o.name)
    return result


async def voices_by_round(round_ids: list[int]) -> dict[int, RoundSignal]:
    """A pool's rounds side by side (the pool page): each round's new and returning voices."""
    result = {}
    for round_id in round_ids:
        signal = await round_signal(round_id)
        if signal is not None:
            result[round_id] = signal
    return result
