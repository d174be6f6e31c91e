from typing import Any

from piccolo.columns import (
    Boolean,
    Date,
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

from groundswell.community.states import MoveStatus, OrganiserStatus
from groundswell.core.text import search_folded


class Locality(Table, tablename="locality"):
    id: Serial
    name = Varchar(length=120, unique=True)
    ons_ward_code = Varchar(length=9, default="")
    ons_la_code = Varchar(length=9, default="")
    local_authority = Varchar(length=120, default="")


class HostOrganisation(Table, tablename="host_organisation"):
    """The local charity or group that employs (hosts) organisers and receives their funding."""

    id: Serial
    name = Varchar(length=200)
    org_id = Varchar(length=60, null=True, default=None, unique=True)
    contact_name = Varchar(length=120, default="")
    contact_email = Varchar(length=254, default="")
    postcode = Varchar(length=8, default="")
    stripe_account_id = Varchar(length=64, null=True, default=None, unique=True)
    stripe_details_submitted = Boolean(default=False)
    stripe_payouts_enabled = Boolean(default=False)
    created_at = Timestamptz(default=TimestamptzNow())


class Organiser(Table, tablename="organiser"):
    id: Serial
    name = Varchar(length=120)
    code = Varchar(length=16, unique=True)
    host = ForeignKey(HostOrganisation, null=False, on_delete=OnDelete.restrict)
    locality = ForeignKey(Locality, null=False, on_delete=OnDelete.restrict)
    bursary_start = Date()
    bursary_end = Date()
    status = Varchar(length=16, choices=OrganiserStatus, default=OrganiserStatus.ACTIVE)
    # When the status last changed (paused, unpaused, left): rounds say since when.
    status_since = Timestamptz(null=True, default=None)
    bio = Text(default="")
    # Name and code without accents or case (core.text.search_folded), for /organisers' search;
    # set whenever an Organiser is built with a name (bulk loaders that write SQL set it too).
    search_name = Varchar(length=140, default="")
    # HMAC of the organiser's own mobile, so they cannot vouch for themselves.
    phone_hash = Varchar(length=64, null=True, default=None, index=True)
    # While their own phone is being recorded (community/own_phone.py): the number's HMAC and
    # the code texted to it (HMAC too), until confirmed or expired.
    phone_pending_hash = Varchar(length=64, null=True, default=None)
    phone_code_hash = Varchar(length=64, null=True, default=None)
    phone_code_expires_at = Timestamptz(null=True, default=None)
    phone_code_attempts = Integer(default=0)
    created_at = Timestamptz(default=TimestamptzNow())

    def __init__(self, _data: Any = None, _ignore_missing: bool = False, **kwargs: Any) -> None:
        super().__init__(_data, _ignore_missing, **kwargs)
        if self.name and not self.search_name:
            self.search_name = search_folded(f"{self.name} {self.code or ''}")


class ScheduledMove(Table, tablename="scheduled_move"):
    """A move to another host recorded ahead of its date (community/lifecycle.py): applied on
    `moved_on` (rounds computed from then pay the new host), cancellable until then. At most
    one `scheduled` per organiser."""

    id: Serial
    organiser = ForeignKey(Organiser, null=False, on_delete=OnDelete.restrict, index=True)
    to_host = ForeignKey(HostOrganisation, null=False, on_delete=OnDelete.restrict)
    moved_on = Date()
    reason = Text(default="")
    status = Varchar(length=16, choices=MoveStatus, default=MoveStatus.SCHEDULED, index=True)
    created_at = Timestamptz(default=TimestamptzNow())
    decided_at = Timestamptz(null=True, default=None)  # applied or cancelled
