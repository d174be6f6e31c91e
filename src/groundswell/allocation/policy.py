"""The allocation policy: residents' endorsements in, one round's shares of a budget out.

Pure and deterministic. It imports only the standard library and numpy (through its sibling
pure modules), so it can be run, replayed and property-tested without a database, and the same inputs in any order give the same result to
the bit: inputs are put in a canonical order before anything is summed, floating-point sums use
``math.fsum`` (correctly rounded, hence independent of summation order), and money is shared
out in exact rational arithmetic before integer rounding.

The steps follow DESIGN.md, "Allocation (the heart)":

1. Signal: which testimonies count, one voice per resident per organiser, weighted by
   verification strength and recency; eligibility by a minimum number of voices.
2. Score: one of five methods, chosen per pool (pairwise in ``pairwise.py``, vectorised with
   numpy and exact to the bit; COCM's clusters in ``cocm.py``).
3. Shares: floor, then proportional to score under a cap (water-filling), then largest
   remainder rounding to integer minor units.
4. Explanation: every number behind every amount, as plain JSON-serialisable data.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from fractions import Fraction
from typing import Any

from groundswell.allocation.cocm import burst_of, cocm_scores
from groundswell.allocation.pairwise import pairwise_scores
from groundswell.funders.states import ScoreMethod  # an enum-only module: policy stays pure

__all__ = [
    "EXCLUSION_REASONS",
    "Allocation",
    "Endorsement",
    "EndorsementState",
    "PolicyResult",
    "PolicySettings",
    "ScoreMethod",
    "allocate",
]


class EndorsementState(StrEnum):
    ACTIVE = "active"
    WITHDRAWN = "withdrawn"
    HIDDEN = "hidden"
    # Flagged and not yet reviewed by a moderator: it does not count until approved.
    FLAGGED = "flagged"


# Every testimony that does not count is counted under exactly one of these reasons, so the
# explanation always adds up: testimonies == counted voices + sum(excluded.values()).
EXCLUSION_REASONS: tuple[str, ...] = (
    "withdrawn",
    "hidden",
    "flagged",
    "self",
    "unverified",
    "outside_window",
    "superseded",
)


@dataclass(frozen=True, slots=True)
class Endorsement:
    voice: str  # resident voice id (hash of phone): one voice per phone
    organiser: str  # organiser code
    at: datetime  # tz-aware time of the testimony
    strength: float  # verification strength in [0, 1]; 0 means unverified
    state: EndorsementState = EndorsementState.ACTIVE
    is_self: bool = False  # sent from the organiser's own number

    def __post_init__(self) -> None:
        # Rows arrive from the database with plain strings; coercing here means a bad state
        # fails loudly at the boundary instead of silently never matching an enum member.
        # (The identity test skips Enum's slow call path for a million members.)
        if self.state.__class__ is not EndorsementState:
            object.__setattr__(self, "state", EndorsementState(self.state))
        if self.at.utcoffset() is None:
            raise ValueError("Endorsement.at must be timezone-aware")
        # Written so that NaN fails too.
        if not (0.0 <= self.strength <= 1.0):
            raise ValueError(f"Endorsement.strength must be in [0, 1], got {self.strength!r}")


@dataclass(frozen=True, slots=True)
class PolicySettings:
    score: ScoreMethod = ScoreMethod.SQRT
    window_days: int = 180
    half_life_days: float = 90.0
    min_endorsers: int = 5
    floor: int = 0  # minor units per eligible organiser
    cap: int | None = None  # minor units per organiser, floor included; None = no cap
    pairwise_m: float = 1.0

    def __post_init__(self) -> None:
        object.__setattr__(self, "score", ScoreMethod(self.score))
        if self.window_days < 1:
            raise ValueError("window_days must be at least 1")
        if not (0.0 < self.half_life_days < math.inf):
            raise ValueError("half_life_days must be positive and finite")
        if self.min_endorsers < 0:
            raise ValueError("min_endorsers must not be negative")
        if self.floor < 0:
            raise ValueError("floor must not be negative")
        if self.cap is not None and self.cap < 0:
            raise ValueError("cap must not be negative")
        if not (0.0 < self.pairwise_m < math.inf):
            raise ValueError("pairwise_m must be positive and finite")


@dataclass(frozen=True, slots=True)
class Allocation:
    organiser: str
    amount: int  # minor units
    endorsers: int  # distinct voices counted
    score: float  # 0.0 for an ineligible organiser
    explanation: dict[str, Any]  # JSON-serialisable; see allocate()


@dataclass(frozen=True, slots=True)
class PolicyResult:
    budget: int
    allocations: tuple[Allocation, ...]  # one per candidate, sorted by organiser code
    unallocated: int  # budget - sum(amounts)
    settings: PolicySettings


# --------------------------------------------------------------------------------------------
# Signal
# --------------------------------------------------------------------------------------------


@dataclass(slots=True)
class _Signal:
    testimonies: int = 0
    excluded: dict[str, int] = field(default_factory=lambda: dict.fromkeys(EXCLUSION_REASONS, 0))
    weights: dict[str, float] = field(default_factory=dict)  # voice -> w_io
    bursts: dict[str, int] = field(default_factory=dict)  # voice -> hour (COCM only)


def _set_aside_reason(e: Endorsement, as_of: datetime) -> str | None:
    """Why a testimony cannot be the resident's word at all, before we ask which is latest.

    Self-endorsements, testimonies hidden or held by moderation, unverified ones and ones
    dated after ``as_of`` are treated as if they did not exist. Doubt about one testimony must
    not cancel the same resident's earlier, trusted vouch: otherwise a resident who texts again
    during a burst (and is flagged) would silently drop out until a moderator gets to it. It
    also means adding such testimonies can never change anyone's amount.
    """
    if e.is_self:
        return "self"
    if e.state is EndorsementState.HIDDEN:
        return "hidden"
    if e.state is EndorsementState.FLAGGED:
        return "flagged"
    if e.strength <= 0.0:
        return "unverified"
    if e.at > as_of:
        # Not yet said at as_of: a replay "as of" a past date must not see it.
        return "outside_window"
    return None


def _recency_key(e: Endorsement) -> tuple[datetime, bool, float]:
    # At the same instant a withdrawal wins (the resident's wish to withdraw is respected), then
    # the better-verified testimony. Two testimonies equal on this key are equal in every
    # field that matters here, so the choice between them cannot affect the result.
    return (e.at, e.state is EndorsementState.WITHDRAWN, e.strength)


def _gather(
    candidates: list[str],
    endorsements: Iterable[Endorsement],
    settings: PolicySettings,
    as_of: datetime,
) -> dict[str, _Signal]:
    signals = {code: _Signal() for code in candidates}
    bursts = settings.score is ScoreMethod.COCM
    window_start = as_of - timedelta(days=settings.window_days)
    # Only the latest retained testimony per (organiser, voice) is kept, as it streams past:
    # the same choice as max() over all of them (the first of equal keys wins), with each
    # one it displaces or that loses to it counted as superseded, in O(voices) memory.
    latest_of: dict[tuple[str, str], Endorsement] = {}
    for e in endorsements:
        signal = signals.get(e.organiser)
        if signal is None:
            continue
        signal.testimonies += 1
        reason = _set_aside_reason(e, as_of)
        if reason is not None:
            signal.excluded[reason] += 1
            continue
        key = (e.organiser, e.voice)
        current = latest_of.get(key)
        if current is None:
            latest_of[key] = e
            continue
        signal.excluded["superseded"] += 1
        if _recency_key(e) > _recency_key(current):
            latest_of[key] = e

    # Withdrawn testimonies stay in the running for "latest": a withdrawal is the resident's
    # own latest word, and an older vouch must not resurrect a voice the resident took back.
    for key in sorted(latest_of):
        organiser, voice = key
        latest = latest_of[key]
        signal = signals[organiser]
        if latest.state is EndorsementState.WITHDRAWN:
            signal.excluded["withdrawn"] += 1
        elif latest.at <= window_start:
            signal.excluded["outside_window"] += 1
        else:
            age_days = (as_of - latest.at) / timedelta(days=1)
            decay = 0.5 ** (age_days / settings.half_life_days)
            signal.weights[voice] = float(latest.strength) * decay
            if bursts:
                signal.bursts[voice] = burst_of(latest.at)
    return signals


# --------------------------------------------------------------------------------------------
# Scores
# --------------------------------------------------------------------------------------------


def _scores(
    method: ScoreMethod, signals: dict[str, _Signal], eligible: list[str], m: float
) -> tuple[dict[str, float], dict[str, dict[str, Any]]]:
    """Each eligible organiser's score, and for COCM what explains it (its clusters)."""
    if method is ScoreMethod.PROPORTIONAL:
        return {o: math.fsum(signals[o].weights.values()) for o in eligible}, {}
    if method is ScoreMethod.SQRT:
        return {o: math.sqrt(math.fsum(signals[o].weights.values())) for o in eligible}, {}
    # k_i counts only eligible organisers: an ineligible organiser receives nothing, so a
    # resident's voice split towards it would simply be lost, penalising residents (and the
    # organisers they also back) for vouching for someone just below the threshold.
    weights = {o: signals[o].weights for o in eligible}
    if method is ScoreMethod.PAIRWISE:
        return pairwise_scores(weights, eligible, m), {}
    if method is ScoreMethod.COCM:
        return cocm_scores(weights, {o: signals[o].bursts for o in eligible}, eligible)

    k: dict[str, int] = defaultdict(int)
    for o in eligible:
        for voice in signals[o].weights:
            k[voice] += 1
    return {
        o: math.fsum(math.sqrt(w / k[voice]) for voice, w in signals[o].weights.items()) ** 2
        for o in eligible
    }, {}


# --------------------------------------------------------------------------------------------
# Shares
# --------------------------------------------------------------------------------------------


@dataclass(slots=True)
class _Share:
    floor: int
    raw: Fraction  # floor + uncapped proportional part
    exact: Fraction  # floor + part after cap and redistribution, before rounding
    capped: bool
    amount: int = 0


def _water_fill(
    codes: list[str], weights: dict[str, Fraction], money: int, headroom: int | None
) -> tuple[dict[str, Fraction], set[str]]:
    """Share ``money`` in proportion to ``weights``, nobody above ``headroom``.

    Exact: each part is min(headroom, λ·weight) for the one λ that spends the money, or
    everyone is at headroom and the rest is left over. Because the headroom is the same for
    everyone, those capped are always the highest weights, so capping in descending order of
    weight (recomputing λ as each is capped) finds λ in O(n log n).
    """
    total = sum(weights.values(), Fraction(0))
    if headroom is None:
        return {o: money * weights[o] / total for o in codes}, set()
    capped: set[str] = set()
    remaining_money = Fraction(money)
    remaining_weight = total
    for o in sorted(codes, key=lambda c: (-weights[c], c)):
        if remaining_weight == 0 or remaining_money * weights[o] <= headroom * remaining_weight:
            break
        capped.add(o)
        remaining_money -= headroom
        remaining_weight -= weights[o]
    parts: dict[str, Fraction] = {}
    for o in codes:
        if o in capped:
            parts[o] = Fraction(headroom)
        elif remaining_weight == 0:
            # Only zero-score organisers are left uncapped: proportional to score they get
            # nothing more, and what the capped could not take stays unallocated.
            parts[o] = Fraction(0)
        else:
            parts[o] = remaining_money * weights[o] / remaining_weight
    return parts, capped


def _largest_remainder(shares: dict[str, _Share]) -> None:
    """Hamilton rounding: floors, then one unit each to the largest fractional parts.

    The exact parts always sum to an integer (the budget, or caps plus a spent remainder), so
    the units handed out make the total exact. A unit only goes to a part with a non-zero
    fractional part, which is strictly below the (integer) cap, so rounding never breaks it.
    """
    total = sum((s.exact for s in shares.values()), Fraction(0))
    assert total.denominator == 1
    for s in shares.values():
        s.amount = math.floor(s.exact)
    spare = int(total) - sum(s.amount for s in shares.values())
    ranked = sorted(shares, key=lambda o: (-(shares[o].exact - shares[o].amount), o))
    for o in ranked[:spare]:
        shares[o].amount += 1


def _apportion(
    codes: list[str], scores: dict[str, float], budget: int, settings: PolicySettings
) -> tuple[dict[str, _Share], str, int]:
    """Returns the shares of the eligible ``codes``, the mode used and the money shared by score."""
    n = len(codes)
    if n == 0:
        return {}, "none", 0
    cap = settings.cap
    # A floor above the cap would promise more than the cap allows; the cap is the funder's
    # hard limit per organiser, so it wins and the floor is cut down to it.
    floor = settings.floor if cap is None else min(settings.floor, cap)

    shares: dict[str, _Share]
    if budget < floor * n:
        # Not enough for every floor: an equal split is the only fair reading of "floor first".
        # Each part is below the floor, hence below the cap.
        each = Fraction(budget, n)
        shares = {o: _Share(floor=0, raw=each, exact=each, capped=False) for o in codes}
        mode, by_score = "equal_split", 0
    else:
        by_score = budget - floor * n
        weights = {o: Fraction(scores[o]) for o in codes}
        mode = "score"
        if not any(weights.values()):
            # Unreachable with min_endorsers >= 1 and sane settings, but an extreme half-life
            # can underflow every weight to 0.0; share equally rather than divide by zero.
            weights = dict.fromkeys(codes, Fraction(1))
            mode = "equal_zero_scores"
        total = sum(weights.values(), Fraction(0))
        parts, capped = _water_fill(codes, weights, by_score, None if cap is None else cap - floor)
        shares = {
            o: _Share(
                floor=floor,
                raw=floor + by_score * weights[o] / total,
                exact=floor + parts[o],
                capped=o in capped,
            )
            for o in codes
        }
    _largest_remainder(shares)
    return shares, mode, by_score


# --------------------------------------------------------------------------------------------
# Explanation
# --------------------------------------------------------------------------------------------


def _fmt(x: float) -> str:
    if abs(x) >= 1000:
        return f"{x:,.0f}"
    return f"{x:.3g}"


def _reason_label(reason: str, window_days: int) -> str:
    return {
        "withdrawn": "withdrawn",
        "hidden": "hidden by moderators",
        "flagged": "awaiting moderation",
        "self": "from the organiser's own number",
        "unverified": "unverified",
        "outside_window": f"outside the {window_days}-day window",
        "superseded": "replaced by a later testimony from the same resident",
    }[reason]


def _summary(ex: dict[str, Any], window_days: int) -> str:
    counted = ex["counted"]
    text = f"{counted} resident{'' if counted == 1 else 's'} counted"
    excluded = ex["excluded"]
    not_counted = sum(excluded.values())
    if not_counted:
        parts = ", ".join(
            f"{excluded[r]} {_reason_label(r, window_days)}"
            for r in EXCLUSION_REASONS
            if excluded[r]
        )
        text += (
            f" ({not_counted} testimon{'y' if not_counted == 1 else 'ies'} not counted: {parts})"
        )
    if not ex["eligible"]:
        return text + f". Fewer than the {ex['min_endorsers']} needed, so no allocation this round."
    text += (
        f". Score {_fmt(ex['score'])} of {_fmt(ex['total_score'])} total"
        f" ({ex['share'] * 100:.1f}%) → {ex['amount']} minor units"
    )
    notes = []
    if ex["mode"] == "equal_split":
        notes.append("the budget could not cover every floor, so it was split equally")
    elif ex["mode"] == "equal_zero_scores":
        notes.append("every score was zero, so the budget was split equally")
    if ex["floor"]:
        notes.append(f"including the floor of {ex['floor']}")
    if ex["capped"] or (ex["cap"] is not None and ex["amount"] >= ex["cap"]):
        # Landing exactly on the cap is being capped too, whether or not it was cut to it.
        notes.append(f"capped at {ex['cap']}")
    if notes:
        text += " (" + "; ".join(notes) + ")"
    return text + "."


# --------------------------------------------------------------------------------------------
# Entry point
# --------------------------------------------------------------------------------------------


def allocate(
    organisers: Iterable[str],
    endorsements: Iterable[Endorsement],
    settings: PolicySettings,
    as_of: datetime,
    budget: int,
) -> PolicyResult:
    """Share ``budget`` (minor units) among the candidate ``organisers``.

    ``organisers`` are the codes already eligible by status, locality and bursary year;
    endorsements of anyone else are ignored. Each candidate gets one ``Allocation`` (amount 0
    if it has too few voices), whose ``explanation`` holds, in plain JSON types:

    organiser, method, eligible, reason (None or "too_few_endorsers"), testimonies, counted,
    excluded (a count for each of EXCLUSION_REASONS), min_endorsers, threshold_met, weights
    (each counted voice's weight, descending, no voice ids), weight_sum, score, total_score
    (all eligible), share (of total_score), mode ("score", "equal_split",
    "equal_zero_scores" or "ineligible"), floor, raw_amount (floor + uncapped proportional
    part), cap (effective, or None), capped, floor_limited_by_cap, amount_after_cap (exact,
    before rounding), rounding_adjustment (amount - amount_after_cap), amount, policy (the
    settings, budget, as_of and the money shared by score) and summary (one human sentence);
    under COCM an eligible organiser's also has cocm (its clusters: see cocm.cocm_scores).
    """
    if isinstance(budget, bool) or not isinstance(budget, int):
        raise TypeError("budget must be an int of minor units")
    if budget < 0:
        raise ValueError("budget must not be negative")
    if as_of.utcoffset() is None:
        raise ValueError("as_of must be timezone-aware")

    candidates = sorted(set(organisers))
    signals = _gather(candidates, endorsements, settings, as_of)
    eligible = [o for o in candidates if len(signals[o].weights) >= settings.min_endorsers]
    scores, clusters = _scores(settings.score, signals, eligible, settings.pairwise_m)
    shares, mode, by_score = _apportion(eligible, scores, budget, settings)
    total_score = math.fsum(scores.values())

    policy: dict[str, Any] = {
        "method": settings.score.value,
        "window_days": settings.window_days,
        "half_life_days": settings.half_life_days,
        "min_endorsers": settings.min_endorsers,
        "floor": settings.floor,
        "cap": settings.cap,
        "pairwise_m": settings.pairwise_m,
        "budget": budget,
        "as_of": as_of.isoformat(),
        "eligible_organisers": len(eligible),
        "shared_by_score": by_score,
    }
    floor_limited = settings.cap is not None and settings.floor > settings.cap

    allocations = []
    for o in candidates:
        signal = signals[o]
        share = shares.get(o)
        score = scores.get(o, 0.0)
        ex: dict[str, Any] = {
            "organiser": o,
            "method": settings.score.value,
            "eligible": share is not None,
            "reason": None if share is not None else "too_few_endorsers",
            "testimonies": signal.testimonies,
            "counted": len(signal.weights),
            "excluded": dict(signal.excluded),
            "min_endorsers": settings.min_endorsers,
            "threshold_met": len(signal.weights) >= settings.min_endorsers,
            "weights": sorted(signal.weights.values(), reverse=True),
            "weight_sum": math.fsum(signal.weights.values()),
            "score": score,
            "total_score": total_score,
            "cap": settings.cap,
            "floor_limited_by_cap": floor_limited,
        }
        if share is None:
            ex |= {
                "share": 0.0,
                "mode": "ineligible",
                "floor": 0,
                "raw_amount": 0.0,
                "capped": False,
                "amount_after_cap": 0.0,
                "rounding_adjustment": 0.0,
                "amount": 0,
            }
        else:
            # The zero-total case is the equal split of the all-zero-scores guard.
            share_of_total = score / total_score if total_score > 0 else 1.0 / len(eligible)
            ex |= {
                "share": share_of_total,
                "mode": mode,
                "floor": share.floor,
                "raw_amount": float(share.raw),
                "capped": share.capped,
                "amount_after_cap": float(share.exact),
                "rounding_adjustment": float(share.amount - share.exact),
                "amount": share.amount,
            }
            if o in clusters:
                ex["cocm"] = clusters[o]
        ex["policy"] = dict(policy)
        ex["summary"] = _summary(ex, settings.window_days)
        allocations.append(
            Allocation(
                organiser=o,
                amount=ex["amount"],
                endorsers=len(signal.weights),
                score=score,
                explanation=ex,
            )
        )

    allocated = sum(a.amount for a in allocations)
    # Invariants the rest of the system (the ledger above all) relies on.
    assert 0 <= allocated <= budget
    assert settings.cap is None or all(a.amount <= settings.cap for a in allocations)
    return PolicyResult(
        budget=budget,
        allocations=tuple(allocations),
        unallocated=budget - allocated,
        settings=settings,
    )
