from piccolo.columns import (
    BigInt,
    Boolean,
    DoublePrecision,
    ForeignKey,
    Integer,
    OnDelete,
    Serial,
    Text,
    Timestamptz,
    Varchar,
)
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from groundswell.community.tables import Locality
from groundswell.funders.states import Cadence, ScoreMethod


class Funder(Table, tablename="funder"):
    id: Serial
    name = Varchar(length=200)
    org_id = Varchar(length=60, null=True, default=None, unique=True)
    website = Varchar(length=300, default="")
    created_at = Timestamptz(default=TimestamptzNow())


class Pool(Table, tablename="pool"):
    """A no-strings pool: money and the policy that shares it, and deliberately no conditions."""

    id: Serial
    funder = ForeignKey(Funder, null=False, on_delete=OnDelete.restrict)
    name = Varchar(length=200)
    description = Text(default="")
    currency = Varchar(length=3, default="GBP")
    cadence = Varchar(length=16, choices=Cadence, default=Cadence.QUARTERLY)
    round_budget = BigInt(default=0)
    review_days = Integer(default=7)
    score_method = Varchar(length=16, choices=ScoreMethod, default=ScoreMethod.SQRT)
    window_days = Integer(default=180)
    half_life_days = DoublePrecision(default=90.0)
    min_endorsers = Integer(default=5)
    floor_amount = BigInt(default=0)
    cap_amount = BigInt(null=True, default=None)
    pairwise_m = DoublePrecision(default=1.0)
    is_active = Boolean(default=True)
    created_at = Timestamptz(default=TimestamptzNow())


class PoolLocality(Table, tablename="pool_locality"):
    id: Serial
    pool = ForeignKey(Pool, null=False, on_delete=OnDelete.cascade)
    locality = ForeignKey(Locality, null=False, on_delete=OnDelete.restrict)
