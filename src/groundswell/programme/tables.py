"""The grant programme: asset bids (Right to Bid), service bids (Right to Challenge), the
grants that support them, and the reminders sent about their statutory deadlines.

Deadlines are not stored: they follow from the recorded dates and the configured durations
(programme/clocks.py), so a change in the law is a change of settings, not of data.
"""

from piccolo.columns import (
    BigInt,
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

from groundswell.accounts.tables import User
from groundswell.community.tables import HostOrganisation, Locality
from groundswell.funders.tables import Pool
from groundswell.programme.states import (
    AssetBidStage,
    GrantKind,
    GrantStatus,
    ServiceBidStage,
    ServiceDecision,
)
from groundswell.vouching.tables import VouchSubject


class AssetBid(Table, tablename="asset_bid"):
    """A community group's bid for an asset of community value, from nomination to purchase."""

    id: Serial
    asset_name = Varchar(length=200)
    address = Text(default="")
    postcode = Varchar(length=8, default="")
    owner = Varchar(length=200, default="")
    local_authority = Varchar(length=120)
    # For 360Giving's beneficiaryLocation (ONS ward and authority codes); optional.
    locality = ForeignKey(Locality, null=True, default=None, on_delete=OnDelete.restrict)
    # The nominating group: a host organisation we know, or another community group.
    group_name = Varchar(length=200)
    group_host = ForeignKey(HostOrganisation, null=True, default=None, on_delete=OnDelete.restrict)
    group_org_id = Varchar(length=60, null=True, default=None)
    contact_emails = Text(default="")  # one address per line: who the reminders go to
    nominated_on = Date(null=True, default=None)
    listed_on = Date(null=True, default=None)
    disposal_notice_on = Date(null=True, default=None)
    bidder_request_on = Date(null=True, default=None)
    stage = Varchar(length=24, choices=AssetBidStage, default=AssetBidStage.PREPARING, index=True)
    currency = Varchar(length=3, default="GBP")
    fundraising_target = BigInt(null=True, default=None)  # minor units
    amount_raised = BigInt(default=0)  # minor units
    notes = Text(default="")
    # What residents text to vouch for the building (programme/building_voices.py); one
    # bid each (unique index made by the migration "building voices").
    vouch_subject = ForeignKey(VouchSubject, null=True, default=None, on_delete=OnDelete.restrict)
    created_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow())


class ServiceBid(Table, tablename="service_bid"):
    """A community group's expression of interest in running a public service."""

    id: Serial
    service_name = Varchar(length=200)
    local_authority = Varchar(length=120)
    locality = ForeignKey(Locality, null=True, default=None, on_delete=OnDelete.restrict)
    group_name = Varchar(length=200)
    group_host = ForeignKey(HostOrganisation, null=True, default=None, on_delete=OnDelete.restrict)
    group_org_id = Varchar(length=60, null=True, default=None)
    contact_emails = Text(default="")
    # The window for expressions of interest, where the authority publishes one.
    window_opens_on = Date(null=True, default=None)
    window_closes_on = Date(null=True, default=None)
    eoi_on = Date(null=True, default=None)
    # The period the authority publishes for deciding, e.g. 3 months; none set by statute.
    decision_period_amount = Integer(null=True, default=None)
    decision_period_unit = Varchar(length=8, default="")
    decision = Varchar(length=12, choices=ServiceDecision, null=True, default=None)
    decided_on = Date(null=True, default=None)
    rejection_grounds = Text(default="")
    procurement_starts_on = Date(null=True, default=None)
    procurement_ends_on = Date(null=True, default=None)
    stage = Varchar(
        length=24, choices=ServiceBidStage, default=ServiceBidStage.PREPARING, index=True
    )
    notes = Text(default="")
    created_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow())


class ProgrammeGrant(Table, tablename="programme_grant"):
    """A grant from a pool to the group behind one bid (exactly one of the two bid links)."""

    id: Serial
    pool = ForeignKey(Pool, null=False, on_delete=OnDelete.restrict)
    asset_bid = ForeignKey(AssetBid, null=True, default=None, on_delete=OnDelete.restrict)
    service_bid = ForeignKey(ServiceBid, null=True, default=None, on_delete=OnDelete.restrict)
    kind = Varchar(length=16, choices=GrantKind)
    title = Varchar(length=200)
    description = Text(default="")
    amount = BigInt()  # minor units
    currency = Varchar(length=3, default="GBP")
    # Ledger: "grant:<id>:award" when awarded, ":paid" when paid, ":cancel" when an award
    # is cancelled (`groundswell ledger check` ties each status to exactly these).
    status = Varchar(length=12, choices=GrantStatus, default=GrantStatus.PROPOSED, index=True)
    # 360Giving regrantType code (FRG010...) where the grant is for onward granting.
    regrant_type = Varchar(length=8, default="")
    awarded_on = Date(null=True, default=None)
    awarded_by = ForeignKey(User, null=True, default=None, on_delete=OnDelete.set_null)
    # Recorded by programme staff when the group has been paid (e.g. a bank transfer).
    paid_on = Date(null=True, default=None)
    paid_by = ForeignKey(User, null=True, default=None, on_delete=OnDelete.set_null)
    payment_reference = Varchar(length=100, default="")
    cancelled_reason = Text(default="")
    created_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow())


class ProgrammeReminder(Table, tablename="programme_reminder"):
    """One reminder of one deadline, sent once: unique on (bid_type, bid_id, deadline_kind,
    deadline_on, days_before) by a hand-written index, so no restart or second scheduler can
    send it again. The e-mails themselves go through the outbox in the same transaction."""

    id: Serial
    bid_type = Varchar(length=8)  # "asset" or "service"; bid_id points into that table
    bid_id = Integer()
    deadline_kind = Varchar(length=32)
    deadline_on = Date()
    days_before = Integer()
    recipients = Text(default="")
    sent_at = Timestamptz(default=TimestamptzNow(), index=True)


class GroupSignIn(Table, tablename="group_sign_in"):
    """A nominating group's contact signing in without a password: first a single-use link
    e-mailed to an address named on a bid (`kind` "link"), then, once the link is taken, a
    session (`kind` "session"). Only the token's hash is kept; each works until it expires."""

    id: Serial
    kind = Varchar(length=8)  # "link" or "session"
    email = Varchar(length=254, index=True)  # as named in a bid's contact_emails
    token_hash = Varchar(length=64, unique=True)
    created_at = Timestamptz(default=TimestamptzNow())
    expires_at = Timestamptz(index=True)
    used_at = Timestamptz(null=True, default=None)


TABLES = [AssetBid, ServiceBid, ProgrammeGrant, ProgrammeReminder, GroupSignIn]
