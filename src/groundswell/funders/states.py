from enum import StrEnum


class Cadence(StrEnum):
    MONTHLY = "monthly"
    QUARTERLY = "quarterly"


class ScoreMethod(StrEnum):
    PROPORTIONAL = "proportional"
    SQRT = "sqrt"
    QUADRATIC = "quadratic"
    PAIRWISE = "pairwise"


class DepositMethod(StrEnum):
    BANK_TRANSFER = "bank_transfer"  # recorded by an administrator when the money arrives
    STRIPE = "stripe"  # paid through Stripe Checkout (payments)
