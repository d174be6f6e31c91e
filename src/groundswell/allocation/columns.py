"""The round, pool and funder beside each allocation line, under one set of names, for every
page and export that lists allocations (funding history, statements, 360Giving)."""

from __future__ import annotations

from typing import Any

from groundswell.allocation.tables import Allocation


def round_pool_funder() -> list[Any]:
    round_ = Allocation.round
    pool: Any = round_.pool
    return [
        round_.id.as_alias("round_id"),
        round_.status.as_alias("round_status"),
        round_.currency.as_alias("currency"),
        round_.period_start.as_alias("period_start"),
        round_.period_end.as_alias("period_end"),
        pool.id.as_alias("pool_id"),
        pool.name.as_alias("pool_name"),
        pool.funder.id.as_alias("funder_id"),
        pool.funder.name.as_alias("funder_name"),
    ]
