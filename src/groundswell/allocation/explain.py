"""The policy's explanation of one amount, in words for the round page."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from groundswell.allocation.policy import EXCLUSION_REASONS
from groundswell.core.money import format_money

SHOWN_WEIGHTS = 12

METHODS = {
    "proportional": "the sum of the counted voices' weights",
    "sqrt": "the square root of the sum of the counted voices' weights, so a large estate "
    "cannot take it all",
    "quadratic": "quadratic funding: each resident's weight is split across the organisers "
    "they vouch for, and the score is the square of the sum of the square roots",
    "pairwise": "pairwise-bounded quadratic funding: like quadratic, but residents who "
    "always vouch for the same organisers together count for less",
}


def reason_label(reason: str, window_days: int) -> str:
    return {
        "withdrawn": "withdrawn by the resident",
        "hidden": "hidden by moderators",
        "flagged": "awaiting moderation",
        "self": "sent from the organiser's own number",
        "unverified": "not verified (the code sent to the phone was never confirmed)",
        "outside_window": f"older than the {window_days}-day window, or given after the round",
        "superseded": "replaced by a later testimony from the same resident",
    }.get(reason, reason)


@dataclass(frozen=True)
class Explained:
    summary: str
    facts: list[tuple[str, str]]


def _number(x: float) -> str:
    return f"{x:,.0f}" if abs(x) >= 1000 else f"{x:.3g}"


def explain(ex: dict[str, Any], currency: str, *, individual_weights: bool = True) -> Explained:
    """Every step behind an amount: voices counted and why others were not, weights, score,
    share, floor and cap, rounding.

    `individual_weights=False` (public pages) gives the weights only as a count, a total and
    an average: one number per resident is a row per resident, however anonymous."""

    def money(amount: float) -> str:
        return format_money(round(amount), currency)

    policy = ex.get("policy", {})
    window = int(policy.get("window_days", 180))
    facts: list[tuple[str, str]] = []
    counted, testimonies = ex.get("counted", 0), ex.get("testimonies", 0)
    facts.append(
        (
            "Voices",
            f"{testimonies} testimon{'y' if testimonies == 1 else 'ies'} given; "
            f"{counted} resident{'' if counted == 1 else 's'} counted, one voice each.",
        )
    )
    excluded = ex.get("excluded", {})
    not_counted = [
        f"{excluded[r]} {reason_label(r, window)}" for r in EXCLUSION_REASONS if excluded.get(r)
    ]
    facts.append(("Not counted", "; ".join(not_counted) + "." if not_counted else "None."))
    facts.append(
        (
            "Threshold",
            f"{ex.get('min_endorsers')} residents needed: "
            + ("met." if ex.get("threshold_met") else "not met, so nothing this round."),
        )
    )
    weights = ex.get("weights", [])
    if weights:
        half_life = policy.get("half_life_days", 90)
        rule = (
            "Each voice weighs its verification strength × recency (half as much after "
            f"{_number(float(half_life))} days)"
        )
        total = float(ex.get("weight_sum", 0))
        if individual_weights:
            shown = ", ".join(f"{w:.2f}" for w in weights[:SHOWN_WEIGHTS])
            more = (
                f" and {len(weights) - SHOWN_WEIGHTS} more" if len(weights) > SHOWN_WEIGHTS else ""
            )
            facts.append(("Weights", f"{rule}: {shown}{more}; together {total:.2f}."))
        else:
            facts.append(
                (
                    "Weights",
                    f"{rule}. The {len(weights)} voice{'' if len(weights) == 1 else 's'} "
                    f"counted weigh {total:.2f} together, {total / len(weights):.2f} on average.",
                )
            )
    if not ex.get("eligible"):
        summary = (
            f"{counted} resident{'' if counted == 1 else 's'} counted, fewer than the "
            f"{ex.get('min_endorsers')} needed, so nothing this round."
        )
        return Explained(summary=summary, facts=facts)
    method = str(ex.get("method", ""))
    facts.append(
        (
            "Score",
            f"{_number(ex.get('score', 0.0))}, {METHODS.get(method, method)}; "
            f"{ex.get('share', 0.0) * 100:.1f}% of all eligible organisers' "
            f"{_number(ex.get('total_score', 0.0))}.",
        )
    )
    mode = ex.get("mode")
    if mode == "equal_split":
        facts.append(
            (
                "Sharing",
                "The budget could not cover every organiser's floor, so it was split equally.",
            )
        )
    elif mode == "equal_zero_scores":
        facts.append(("Sharing", "Every score was zero, so the budget was split equally."))
    else:
        facts.append(
            (
                "Floor",
                f"{money(ex.get('floor', 0))} to every eligible organiser first"
                + (" (cut down to the cap)" if ex.get("floor_limited_by_cap") else "")
                + "."
                if ex.get("floor")
                else "No floor.",
            )
        )
        facts.append(
            (
                "Share of the rest",
                f"In proportion to score: {money(ex.get('raw_amount', 0.0))}"
                + (" including the floor." if ex.get("floor") else "."),
            )
        )
        cap = ex.get("cap")
        if cap is None:
            facts.append(("Cap", "No cap."))
        elif ex.get("capped"):
            facts.append(
                (
                    "Cap",
                    f"Capped at {money(cap)}; what was above it went to organisers below "
                    "the cap, in proportion to their scores.",
                )
            )
        else:
            facts.append(
                (
                    "Cap",
                    f"Not reached ({money(cap)}); this includes "
                    f"{money(ex.get('amount_after_cap', 0.0) - ex.get('raw_amount', 0.0))} "
                    "passed on from capped organisers."
                    if abs(ex.get("amount_after_cap", 0.0) - ex.get("raw_amount", 0.0)) >= 0.5
                    else f"Not reached ({money(cap)}).",
                )
            )
    adjustment = float(ex.get("rounding_adjustment", 0.0))
    facts.append(
        (
            "Rounding",
            f"To whole pence by largest remainder: {adjustment:+.2f}p."
            if adjustment
            else "Already whole pence.",
        )
    )
    facts.append(("Amount", money(ex.get("amount", 0))))
    notes = [
        note
        for note, applies in (
            (f"including the {money(ex.get('floor', 0))} floor", bool(ex.get("floor"))),
            ("capped", bool(ex.get("capped"))),
            ("budget split equally", mode in ("equal_split", "equal_zero_scores")),
        )
        if applies
    ]
    summary = (
        f"{counted} resident{'' if counted == 1 else 's'} counted; score "
        f"{_number(ex.get('score', 0.0))} is {ex.get('share', 0.0) * 100:.1f}% of the total "
        f"→ {money(ex.get('amount', 0))}" + (f" ({', '.join(notes)})" if notes else "") + "."
    )
    return Explained(summary=summary, facts=facts)
