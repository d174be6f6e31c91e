"""The policy's explanation of one amount, in words for the round page."""

from __future__ import annotations

import math
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
    "cocm": "cluster matching (COCM): like quadratic, but residents who back the same "
    "organisers, or vouched for this organiser in the same hour, count together as one voice; "
    "the score is the square of the sum of the square roots of each cluster's weight",
}

# The minor unit of each currency, as amounts below one of it are written: (plural, suffix).
MINOR_UNITS = {"GBP": ("pence", "p"), "EUR": ("cents", " c"), "USD": ("cents", "¢")}


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


def format_score(x: float) -> str:
    """A score as the round page prints it everywhere: one decimal place, thousands grouped
    (211.0, 583.2, 38.3), so scores read alike however large; a positive score too small to
    show in one decimal place gets two significant digits (0.042, 0.00031), never "0.0"."""
    if x and abs(x) < 0.05:
        return _significant(x)
    return f"{x:,.1f}"


def _significant(x: float, digits: int = 2) -> str:
    """x with ``digits`` significant digits, written out in full (0.00031, not 3.1e-04)."""
    places = digits - 1 - math.floor(math.log10(abs(x)))
    return f"{x:.{max(places, 0)}f}"


def format_percent(share: float) -> str:
    """A share as a percentage, one decimal place, or two significant digits when it is too
    small for that (0.012%), so a share above nothing never reads as 0.0%."""
    percent = share * 100
    if percent and abs(percent) < 0.05:
        return _significant(percent) + "%"
    return f"{percent:.1f}%"


def minor_units(currency: str) -> tuple[str, str]:
    """What a currency's minor unit is called (pence, cents) and how a figure in it ends."""
    return MINOR_UNITS.get(currency, ("minor units", " minor units"))


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
            count = len(weights)
            listed = (
                f"the heaviest {SHOWN_WEIGHTS} are {shown}"
                if count > SHOWN_WEIGHTS
                else f"one by one, {shown}"
            )
            facts.append(
                (
                    "Weights",
                    f"{rule}. The {count} voice{'' if count == 1 else 's'} counted weigh "
                    f"{total:.2f} together; {listed}.",
                )
            )
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
            f"{format_score(ex.get('score', 0.0))}, {METHODS.get(method, method)}; "
            f"{format_percent(ex.get('share', 0.0))} of all eligible organisers' "
            f"{format_score(ex.get('total_score', 0.0))}.",
        )
    )
    if isinstance(ex.get("cocm"), dict):
        facts.append(("Clusters", _clusters(ex["cocm"], counted)))
    mode = ex.get("mode")
    cap = ex.get("cap")
    amount = int(ex.get("amount", 0))
    at_cap = bool(ex.get("capped")) or (cap is not None and amount >= cap)
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
        facts.append(("Cap", _cap(ex, cap, at_cap, money)))
    adjustment = float(ex.get("rounding_adjustment", 0.0))
    units, suffix = minor_units(currency)
    facts.append(
        (
            "Rounding",
            # Under a hundredth of a minor unit the exact share was already whole (the rest is
            # the arithmetic's last decimal places); "+0.00p" would say nothing.
            f"To whole {units} by largest remainder: {adjustment:+.2f}{suffix}."
            if round(abs(adjustment), 2)
            else f"Already whole {units}.",
        )
    )
    facts.append(("Amount", money(amount)))
    notes = [
        note
        for note, applies in (
            ("capped: the most one organiser can get this round", at_cap),
            (
                f"this includes the {money(ex.get('floor', 0))} every eligible organiser "
                "gets first",
                bool(ex.get("floor")) and mode not in ("equal_split", "equal_zero_scores"),
            ),
            ("the budget was split equally", mode in ("equal_split", "equal_zero_scores")),
        )
        if applies
    ]
    summary = (
        f"{counted} resident{'' if counted == 1 else 's'} counted; score "
        f"{format_score(ex.get('score', 0.0))} is {format_percent(ex.get('share', 0.0))} of all "
        f"organisers' scores → {money(amount)}" + (f" ({'; '.join(notes)})" if notes else "") + "."
    )
    return Explained(summary=summary, facts=facts)


def _cap(ex: dict[str, Any], cap: int | None, at_cap: bool, money: Any) -> str:
    """The cap's part in an amount: none, not reached, or reached, and how."""
    if cap is None:
        return "No cap."
    own = float(ex.get("raw_amount", 0.0))  # its share in proportion to score, floor included
    exact = float(ex.get("amount_after_cap", 0.0))  # after the cap, before rounding
    if not at_cap:
        if abs(exact - own) >= 0.5:
            return (
                f"Not reached ({money(cap)}); this includes {money(exact - own)} passed on "
                "from capped organisers."
            )
        return f"Not reached ({money(cap)})."
    if own > cap:
        return (
            f"Capped at {money(cap)}; what was above it went to organisers below the cap, in "
            "proportion to their scores."
        )
    if exact - own >= 0.5:
        # Its own share was below the cap; money passed on from organisers above it
        # (water-filling) brought it up to the cap.
        return (
            f"Reached the cap of {money(cap)} with {money(exact - own)} passed on from capped "
            "organisers; anything more went to organisers still below the cap."
        )
    if exact < cap:
        return f"Capped: rounding to a whole amount brought it to the cap of {money(cap)}."
    return f"Capped: its share came to exactly the cap of {money(cap)}."


def _clusters(c: dict[str, Any], counted: int) -> str:
    """What a COCM score counted: the clusters the organiser's residents formed."""
    clusters = int(c.get("clusters", 0))
    clustered = int(c.get("clustered", 0))
    text = (
        f"The {_plural(counted, 'resident', 'residents')} counted formed "
        f"{_plural(clusters, 'cluster', 'clusters')}, each counted as one voice of its "
        "combined weight"
    )
    if clustered:
        why = []
        if c.get("same_organisers"):
            why.append(
                f"{c['same_organisers']} back exactly the same organisers as another resident"
            )
        if c.get("burst"):
            minutes = int(c.get("burst_minutes", 60))
            window = "hour" if minutes == 60 else f"{minutes} minutes"
            why.append(f"{c['burst']} vouched for this organiser in the same {window} as another")
        text += f": {clustered} share a cluster with another of them" + (
            f" ({'; '.join(why)})" if why else ""
        )
        largest = (c.get("largest") or [{}])[0]
        if largest:
            text += (
                f"; the largest is {largest['residents']} residents weighing "
                f"{float(largest['weight']):.2f} together (each resident's weight split over "
                "the organisers they back)"
            )
    else:
        text += ": none of them is connected to another"
    alone = c.get("alone_score")
    if alone is not None:
        text += (
            f". Had every resident counted alone (quadratic funding) the score would be "
            f"{format_score(float(alone))}"
        )
    return text + "."


def _plural(count: int, one: str, many: str) -> str:
    return f"{count:,} {one if count == 1 else many}"


@dataclass(frozen=True)
class RoundVoices:
    """What a round's figures about voices count, each in words that say so, so a funder can
    add them up: testimonies read, voices counted (the table's "Residents counted" column),
    different residents, new and returning, asked to hear back, told what happened."""

    facts: list[tuple[str, str]]
    held_back: int  # voices moderation held back (the signal health section lists them)


def round_voices(
    explanations: list[dict[str, Any]],
    *,
    window_days: int,
    signal: Any = None,  # allocation.signal.RoundSignal
    hear_back: dict[str, int] | None = None,  # allocation.loop.hear_back_share
    loop: dict[str, int] | None = None,  # allocation.loop.loop_stats
    approved: bool = False,
) -> RoundVoices:
    """The round page's figures about voices, from the definitions that compute them:

    - testimonies and counted voices are the policy's own counts, summed over the round's
      organisers (each allocation's explanation); a resident who vouched for two organisers is
      one counted voice for each;
    - different residents, new and returning come from allocation.signal: each resident once,
      with a voice in the window that counts now (moderation since the round included);
    - asked to hear back is allocation.loop.hear_back_share: residents whose voice for these
      organisers the round read (verified, not withdrawn or hidden, in its window);
    - told what happened is allocation.loop.loop_stats: result texts queued and delivered.
    """
    testimonies = sum(int(ex.get("testimonies", 0)) for ex in explanations)
    counted = sum(int(ex.get("counted", 0)) for ex in explanations)
    excluded = {
        reason: sum(int((ex.get("excluded") or {}).get(reason, 0)) for ex in explanations)
        for reason in EXCLUSION_REASONS
    }
    organisers = len(explanations)
    facts: list[tuple[str, str]] = []
    reasons = sorted(
        ((count, reason) for reason, count in excluded.items() if count),
        key=lambda item: (-item[0], EXCLUSION_REASONS.index(item[1])),
    )
    not_counted = testimonies - counted
    read = (
        f"{testimonies:,} for these {_plural(organisers, 'organiser', 'organisers')}: "
        f"{counted:,} counted and {not_counted:,} not counted"
    )
    if not_counted:
        read += ": " + "; ".join(
            f"{count:,} {reason_label(reason, window_days)}" for count, reason in reasons
        )
    facts.append(("Testimonies read", read + "."))
    facts.append(
        (
            "Residents counted",
            f"{counted:,} in all, the sum of the “Residents counted” column below: one verified "
            f"voice per resident per organiser, from the last {window_days} days. A resident "
            "who vouched for two organisers is counted for each.",
        )
    )
    held_back = 0
    if signal is not None:
        held_back = int(signal.held_back)
        residents = int(signal.voices)
        share = f" ({round(100 * signal.returning / residents)}% returning)" if residents else ""
        facts.append(
            (
                "Different residents",
                f"{residents:,}: each resident once, however many of these organisers they "
                f"vouched for, among voices from the {window_days}-day window that count today "
                "(so a moderator's decision since the round counts here too).",
            )
        )
        facts.append(
            (
                "New and returning",
                f"Of those {residents:,}: {signal.new:,} new and {signal.returning:,} "
                f"returning{share}. Returning means the resident had first vouched for someone "
                "in this pool's places before the window began.",
            )
        )
    if hear_back is not None:
        on_record, opted_in = int(hear_back["voices"]), int(hear_back["opted_in"])
        share = f" ({round(100 * opted_in / on_record)}%)" if on_record else ""
        facts.append(
            (
                "Asked to hear back",
                f"{opted_in:,} of the {on_record:,} residents whose voices the round read for "
                f"these organisers{share}: verified, not withdrawn or hidden, from the last "
                f"{window_days} days. Everyone who asked is sent the result.",
            )
        )
    if loop is not None:
        owed, closed = int(loop["owed"]), int(loop["closed"])
        if owed:
            asked = int(hear_back["opted_in"]) if hear_back is not None else owed
            told = f"{closed:,} of the {owed:,} who asked" + (
                " and can still be reached by text" if owed != asked else ""
            )
            sent, lost = int(loop.get("sent", 0)), int(loop.get("lost", 0))
            waiting = owed - closed - sent - lost
            notes = [
                f"{sent:,} sent, delivery not yet confirmed" if sent else "",
                f"{lost:,} could not be delivered" if lost else "",
                f"{waiting:,} waiting to be sent" if waiting > 0 else "",
            ]
            rest = "; ".join(note for note in notes if note)
            told += f" (result texts delivered{'; ' + rest if rest else ''})."
        elif approved:
            told = "No resident of this round asked to hear back."
        else:
            told = "Residents who asked to hear back are sent the result once it is approved."
        facts.append(("Residents told what happened", told))
    return RoundVoices(facts=facts, held_back=held_back)
