from __future__ import annotations

from typing import Annotated

from msgspec import Meta, Struct


class PoolSummary(Struct):
    id: int
    name: str
    funder: str
    funder_id: int
    currency: str


class LocalityRef(Struct):
    id: int
    name: str


class PoolDetail(Struct):
    id: int
    name: str
    funder: str
    funder_id: int
    currency: str
    description: str
    cadence: str
    round_budget: int
    review_days: int
    score_method: str
    window_days: int
    half_life_days: float
    min_endorsers: int
    floor_amount: int
    cap_amount: int | None
    pairwise_m: float
    localities: list[LocalityRef]


class PoolIn(Struct, forbid_unknown_fields=True):
    """A pool as the API takes it: amounts in minor units (pence)."""

    funder_id: Annotated[int, Meta(ge=1)]
    name: Annotated[str, Meta(min_length=1, max_length=200)]
    round_budget: Annotated[int, Meta(ge=0)]
    description: str = ""
    currency: str = "GBP"
    cadence: str = "quarterly"
    review_days: int = 7
    score_method: str = "sqrt"
    window_days: int = 180
    half_life_days: float = 90.0
    min_endorsers: int = 5
    floor_amount: int = 0
    cap_amount: int | None = None
    pairwise_m: float = 1.0
    locality_ids: list[int] = []
