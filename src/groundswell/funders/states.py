from enum import StrEnum


class Cadence(StrEnum):
    MONTHLY = "monthly"
    QUARTERLY = "quarterly"


class ScoreMethod(StrEnum):
    PROPORTIONAL = "proportional"
    SQRT = "sqrt"
    QUADRATIC = "quadratic"
    PAIRWISE = "pairwise"
    COCM = "cocm"  # connection-oriented cluster matching (allocation/cocm.py)


# One name per method wherever a person reads it (pool page, forms, simulator, rounds).
SCORE_LABELS = {
    ScoreMethod.SQRT.value: "Square root",
    ScoreMethod.PROPORTIONAL.value: "Proportional",
    ScoreMethod.QUADRATIC.value: "Quadratic funding",
    ScoreMethod.PAIRWISE.value: "Pairwise-bounded quadratic",
    ScoreMethod.COCM.value: "Cluster matching (COCM)",
}
SCORE_HINT = (
    "Square root is the default: a large estate cannot take it all. Quadratic funding splits "
    "each resident's voice across the organisers they vouch for; pairwise-bounded quadratic "
    "also counts residents who always vouch for the same organisers together for less; "
    "cluster matching (COCM) counts residents who back the same organisers, or vouch for one "
    "organiser in the same hour, as one voice."
)
PAIRWISE_M_HINT = (
    "Only for pairwise-bounded quadratic scoring. How much two residents who vouch for the same "
    "organisers still count together: smaller counts them less, larger makes it more like "
    "quadratic funding. 1 is the default."
)


def score_label(method: str) -> str:
    """The human name of a scoring method (its stored value if unknown)."""
    return SCORE_LABELS.get(str(method), str(method))


class DepositMethod(StrEnum):
    BANK_TRANSFER = "bank_transfer"  # recorded by an administrator when the money arrives
    STRIPE = "stripe"  # paid through Stripe Checkout (payments)


class ReviewRule(StrEnum):
    """Who may pause, resume and cancel a co-funded pool's rounds (administrators always)."""

    LEAD = "lead"  # the lead funder's members decide; co-funders read the round
    ANY = "any"  # any co-funder's members may review and pause too


REVIEW_RULE_LABELS = {
    ReviewRule.LEAD.value: "The lead funder decides",
    ReviewRule.ANY.value: "Any co-funder may review and pause",
}
