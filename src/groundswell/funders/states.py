from enum import StrEnum


class Cadence(StrEnum):
    MONTHLY = "monthly"
    QUARTERLY = "quarterly"


class ScoreMethod(StrEnum):
    PROPORTIONAL = "proportional"
    SQRT = "sqrt"
    QUADRATIC = "quadratic"
    PAIRWISE = "pairwise"
